"""Divisions (province → city → county) and industries, read once per database and kept in memory.

These are small static reference tables; every query module uses them to validate a scope and to name
regions without joining.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import Engine, select

from seed.schema import divisions as D, industries as I

PROVINCE = 320000


@dataclass(frozen=True)
class Division:
    adcode: int
    name: str
    short_name: str
    level: str  # province | city | county
    parent: int | None
    city: int | None
    lon: float
    lat: float


@dataclass(frozen=True)
class Industry:
    code: str
    name: str
    kind: str  # section | division | sector
    parent: str | None
    high_risk: bool
    risk_report_scope: bool


@dataclass(frozen=True)
class Reference:
    divisions: dict[int, Division]
    industries: dict[str, Industry]

    def children(self, adcode: int) -> list[Division]:
        return [d for d in self.divisions.values() if d.parent == adcode]

    def cities(self) -> list[Division]:
        return self.children(PROVINCE)

    def name(self, adcode: int) -> str:
        d = self.divisions.get(adcode)
        return d.name if d else str(adcode)

    def chain(self, adcode: int) -> list[Division]:
        """The division and its ancestors, province first (for breadcrumbs)."""
        out = []
        d = self.divisions.get(adcode)
        while d is not None:
            out.append(d)
            d = self.divisions.get(d.parent) if d.parent else None
        return out[::-1]

    def contains(self, outer: int, inner: int) -> bool:
        """Whether division ``inner`` lies within (or is) ``outer``."""
        return any(d.adcode == outer for d in self.chain(inner))

    def sectors(self) -> list[Industry]:
        return [i for i in self.industries.values() if i.kind == "sector"]

    def find(self, text: str) -> Division | None:
        """A division by adcode or by (short) name; ambiguous names (两个鼓楼区) give None.

        An adcode is ASCII digits (fullwidth digits typed with a Chinese input method are folded to them first);
        other digits that ``str.isdigit`` accepts (superscripts, Arabic-Indic …) and over-long numbers match
        nothing instead of raising from ``int()``."""
        text = (text or "").strip()
        code = fold_fullwidth(text)
        if code.isdigit():
            return self.divisions.get(int(code)) if code.isascii() and len(code) <= 12 else None
        hits = [d for d in self.divisions.values() if text in (d.name, d.short_name)]
        return hits[0] if len(hits) == 1 else None


# fullwidth ASCII (U+FF01..U+FF5E, what a Chinese input method types as ０-９, Ａ-Ｚ, －, ：) and the ideographic space
_FULLWIDTH = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: 0x20}


def fold_fullwidth(text: str) -> str:
    """Fullwidth ASCII forms to ASCII (``３２０１００`` → ``320100``); everything else unchanged."""
    return str(text).translate(_FULLWIDTH)


_cache: dict[str, Reference] = {}
_lock = threading.Lock()


def reference(engine: Engine) -> Reference:
    key = engine.url.render_as_string(hide_password=False)
    ref = _cache.get(key)
    if ref is not None:
        return ref
    with engine.connect() as conn:
        divs = {r.adcode: Division(r.adcode, r.name, r.short_name, r.level, r.parent_adcode, r.city_adcode,
                                   r.label_lon, r.label_lat)
                for r in conn.execute(select(D).order_by(D.c.adcode))}
        inds = {r.code: Industry(r.code, r.name, r.kind, r.parent_code, bool(r.high_risk), bool(r.risk_report_scope))
                for r in conn.execute(select(I).order_by(I.c.sort_order))}
    ref = Reference(divs, inds)
    if divs:  # never cache an empty (not yet seeded) database
        with _lock:
            _cache[key] = ref
    return ref


def clear_cache() -> None:
    with _lock:
        _cache.clear()
