"""How a headline figure is declared beside the query function that computes it: label, unit, definition (口径),
basis and better direction. ``queries/figures.py`` assembles the catalogue from the topic modules' ``FIGURES``.

A topic module declares, right below the function::

    FIGURES = declare("enforcement", summary, basis="period", figures=[
        fig("hazards_found", "排查隐患", "个", PERIOD + "检查发现的隐患数", better="up"),
        ...
    ])

``better`` has no default: every figure says which way is better ("up", "down") or that neither is (None).
This module imports nothing of the project, so the topic modules and ``queries/figures.py`` can all import it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

PERIOD = "统计期内"  # the opening of a period figure's definition

# period: what happened in the period and was recorded by the as-of time; cutoff: taken at the cut-off (the end of
# the period or the as-of time, whichever is earlier); live: the state when read, not reproducible for a past time
BASIS_NAMES = {"period": "统计期内", "cutoff": "截至截止时间", "live": "实时"}
# up: a higher value is better; down: a lower value is better; None: neither (a size, a volume, a sanction)
BETTER_NAMES = {"up": "越高越好", "down": "越低越好", None: "中性"}


@dataclass(frozen=True)
class FigureDef:
    """One headline figure's declaration (its 口径)."""
    key: str  # topic.name, stable: documented in README
    label: str
    unit: str
    definition: str  # 口径
    basis: str  # period | cutoff | live
    better: str | None  # up | down | None
    source: Callable[..., dict]  # the query function: source(scope, engine=...) -> dict
    field: str | Callable[[dict], Any]  # the value in the source's result: a key, or a function of the result
    short: str = ""  # the label where space is tight (the wall screen's tiles); "" = the label
    # taken at a moment (the as-of time, or now) whatever the period, e.g. 未消警预警: compared with 24 h and 7 days
    # earlier instead of with the previous period and the same period a year earlier (queries/change.py)
    moment: bool = False
    # a live figure's past values: history(scope, at, engine=…) -> the source's result as it was at ``at``, or None
    # where nothing was recorded then (e.g. the monitoring points' hourly counts); compared like a moment figure
    history: Callable[..., dict | None] | None = None
    # a rate's or an average's denominator (a key of the source's result): where it is 0 the figure has no value to
    # compare (an empty period is not a rate of 0 %)
    base: str | None = None
    # a moment figure's lighter query: moment_source(scope, engine=…[, now=…]) -> the moment figures of the source's
    # result alone, the same values; the comparisons ask it for the earlier moments (a dozen) instead of the source
    moment_source: Callable[..., dict] | None = None

    def __post_init__(self):
        if not self.short:
            object.__setattr__(self, "short", self.label)

    @property
    def topic(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.key.split(".", 1)[1]

    @property
    def source_name(self) -> str:
        """``queries.enforcement.summary``: where the figure is computed (cited with it)."""
        return f"{self.source.__module__}.{self.source.__name__}"

    def value_of(self, result: dict) -> Any:
        """The figure's value in its source's result; ``None`` for a rate or an average of nothing (its ``base`` is
        0): an empty period is not a rate of 0 %, and pages, exports and the comparisons show it as no value."""
        if self.base is not None and not result.get(self.base):
            return None
        return result.get(self.field) if isinstance(self.field, str) else self.field(result)

    def per_region(self, df):
        """The figure's column of a by-region frame (its field, e.g. ``online_rate`` of ``hazards.by_region``), with
        no value (NaN) in a region where it is a rate of nothing (the frame's ``base`` column is 0 there)."""
        v = df[self.field]
        return v.astype(float).where(df[self.base] > 0) if self.base is not None and self.base in df else v


@dataclass(frozen=True)
class _Draft:
    name: str
    label: str
    unit: str
    definition: str
    better: str | None
    basis: str | None
    field: str | Callable[[dict], Any] | None
    short: str
    moment: bool
    history: Callable[..., dict | None] | None
    base: str | None


def fig(name: str, label: str, unit: str, definition: str, *, better: str | None, basis: str | None = None,
        field: str | Callable[[dict], Any] | None = None, short: str = "", moment: bool = False,
        history: Callable[..., dict | None] | None = None, base: str | None = None) -> _Draft:
    """One figure of a ``declare`` list. ``basis`` overrides the list's; ``field`` (default ``name``) says where
    the value is in the source's result; ``short``: a shorter label for tight places (the wall screen);
    ``moment``: taken at the as-of time or now whatever the period (compared with 24 h and 7 days earlier);
    ``history``: where a live figure's past values are kept (compared with 24 h and 7 days earlier too);
    ``base``: a rate's or an average's denominator in the source's result (0: nothing to compare)."""
    return _Draft(name, label, unit, definition, better, basis, field, short, moment, history, base)


def declare(topic: str, source: Callable[..., dict], *, basis: str, figures: list[_Draft],
            moment_source: Callable[..., dict] | None = None) -> tuple[FigureDef, ...]:
    """The figures ``source`` computes, as ``topic.name`` declarations (in the given order); ``moment_source``: the
    moment figures' lighter query (``FigureDef.moment_source``)."""
    out = []
    for d in figures:
        b = d.basis or basis
        if b not in BASIS_NAMES:
            raise ValueError(f"{topic}.{d.name}: basis {b!r} is not one of {sorted(BASIS_NAMES)}")
        if d.better not in BETTER_NAMES:
            raise ValueError(f"{topic}.{d.name}: better {d.better!r} is not 'up', 'down' or None")
        if moment_source is not None and d.moment and d.base is not None:  # (its result holds no denominator)
            raise ValueError(f"{topic}.{d.name}: a moment figure with a base cannot take a moment_source")
        out.append(FigureDef(f"{topic}.{d.name}", d.label, d.unit, d.definition, b, d.better, source,
                             d.field or d.name, d.short, d.moment, d.history, d.base,
                             moment_source if d.moment else None))
    return tuple(out)
