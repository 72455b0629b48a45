"""Change at a glance: each headline figure against an earlier time, and its trend, for the tiles of every page.

For a catalogue figure (``queries/figures.py``) and the scope a page shows it for, ``changes(scope, keys)`` takes
the same query function (the figure's ``source``; for a moment figure's earlier moments its lighter
``moment_source`` where it declares one) for earlier scopes and returns a ``Change`` per figure:

- a figure of the period (统计期内) or taken at the cut-off (截至截止时间): **环比** against 上期, the period right before
  (``previous_period``: for whole calendar months the same number of months before — last month, quarter,
  half-year, year — else the days of equal length; ``previous_scope``: that period's events, a cut-off figure at
  that period's end), **同比** against the same
  months (whole months) or dates a year earlier (``year_earlier_scope``), and the **trend** of the last 12 calendar months up to the period's
  end (``month_scopes``: each month as a period of its own, the last one up to the period's end; a cut-off figure at
  each month's end). The earlier periods are taken as known at the view's own as-of time (now, without one), like
  the period in view: a late record of an earlier month counts in that month, and the maintained aggregates serve
  the earlier periods as they serve the current one;
- a figure taken at a moment (``FigureDef.moment``: 未消警预警, 超时未处置预警, 在办/超期督办 — the as-of time or now,
  whatever the period): against **24 hours** and **7 days** earlier (the same query, or its ``moment_source``,
  with the as-of time moved back), and a trend of the last 12 days at the same time of day;
- a live figure with kept past values (``FigureDef.history``: 在线/正常/报警/离线监测点 and 在线率 from the points'
  hourly counts, queries/hazards.py ``points_at``): against 24 hours and 7 days before now, and the last 12 days at this time —
  where a count was kept then; other live figures and registered sizes (platform, hazard sources, grids: no dated
  history to compare with): no comparison.

A comparison whose earlier time starts before the topic's first recorded data (``first_day``) is ``None`` ("无可比
数据"), so an empty early period never shows as a fall of 100 %; so is a rate or an average whose denominator is 0
(``FigureDef.base``). A period that has not ended yet (it runs to today or past the as-of time) is compared with the
same elapsed part of the earlier periods, up to the same time of day (``unfinished``). Every earlier value is the figure's own query run
for the earlier scope (a moment figure's lighter query where it declares one, ``FigureDef.moment_source``: the same
values), and the tests compare them so.
"""
from __future__ import annotations

import datetime as dt
import inspect
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select

from queries import memo, tasks
from queries.base import prepare, row
from queries.figures import catalogue
from queries.memo import in_this_run
from queries.scope import MIN_DATE, Scope
from seed.schema import credit_ratings, inspections, risk_reports, supervision_orders, warnings

TREND_POINTS = 12
WORKERS = 3  # earlier scopes computed at once (independent reads; the pool holds 5 + 10 connections)
MOMENT_BACK = (dt.timedelta(hours=24), dt.timedelta(days=7))  # the two comparisons of a moment figure

# a topic's first recorded data: comparisons that start before it have nothing to compare with
_SINCE = {"enforcement": (inspections, "inspected_on"), "risk": (risk_reports, "submitted_at"),
          "credit": (credit_ratings, "rated_on"), "warnings": (warnings, "raised_at"),
          "supervision": (supervision_orders, "created_at")}

DIRECTION_NOTE = "变化的颜色按指标方向：变好为绿、变差为红，中性指标为灰"


@dataclass(frozen=True)
class Change:
    """A figure's value for the scope and for the earlier scopes it is compared with."""
    key: str
    value: Any
    better: str | None  # from the catalogue: up | down | None
    kind: str  # period (环比/同比) | moment (24 h / 7 d)
    prev: Any = None  # 环比 (or 24 h earlier); None: nothing to compare with
    yoy: Any = None  # 同比 (or 7 days earlier)
    trend: tuple = ()  # ((label, value), …) oldest first: the months up to the period's end, or the days up to now
    prev_when: str = ""  # what 环比 (or 24 h earlier) compares with: "2021-05-01 至 2021-05-31", "2021-06-29 08:00"
    yoy_when: str = ""  # … and 同比 (or 7 days earlier)

    @property
    def labels(self) -> tuple[str, str]:
        return ("环比", "同比") if self.kind == "period" else ("较昨日", "较上周")


# --- the earlier scopes ------------------------------------------------------------------------------------------

def calendar_months(date_from: dt.date | None, date_to: dt.date | None) -> int | None:
    """How many calendar months a period of whole calendar months spans (it starts on a 1st and ends on a month's
    last day: a month, a quarter, a half-year, a year); None for any other period."""
    if date_from is None or date_to is None or date_from > date_to or date_from.day != 1:
        return None
    if (date_to + dt.timedelta(days=1)).day != 1:
        return None
    return (date_to.year - date_from.year) * 12 + date_to.month - date_from.month + 1


def months_back(d: dt.date, k: int, *, month_end: bool = True) -> dt.date:
    """The same day ``k`` calendar months earlier (a day the month lacks: its last day); with ``month_end`` a
    month's last day gives the earlier month's last day (the end of a whole month), without it the same day (the
    point a running month has reached: 28 February → 28 January, not 31 January)."""
    last = month_end and (d + dt.timedelta(days=1)).day == 1
    y, m = divmod(d.year * 12 + d.month - 1 - k, 12)
    nxt = dt.date(y + (m == 11), (m + 1) % 12 + 1, 1)
    end = nxt - dt.timedelta(days=1)
    return end if last else dt.date(y, m + 1, min(d.day, end.day))


def previous_period(current: Scope) -> tuple[dt.date, dt.date] | None:
    """The period right before the scope's (上期; None without a whole period, or before 2000): for whole calendar
    months the same number of months before (a month: the previous month; a quarter, a half-year, a year: the
    previous one), for any other period the days of equal length right before."""
    if current.date_from is None or current.date_to is None or current.date_from > current.date_to:
        return None
    k = calendar_months(current.date_from, current.date_to)
    if k is not None:
        start, to = months_back(current.date_from, k), current.date_from - dt.timedelta(days=1)
    else:
        start, to = _equal_days_before(current.date_from, current.date_to)
    return (start, to) if start >= MIN_DATE else None


def _equal_days_before(date_from: dt.date, date_to: dt.date) -> tuple[dt.date, dt.date]:
    to = date_from - dt.timedelta(days=1)
    return to - (date_to - date_from), to


def _at(current: Scope, start: dt.date, end: dt.date, moment: bool = False) -> Scope:
    """``current`` for the period ``start``–``end``, as known at the view's own as-of time (late records of the
    earlier period count, as they do for the period in view): period figures count its events, cut-off figures are
    taken at its end. A moment figure (taken at the as-of time, or now, whatever the period) is taken at the period's
    end (or the view's as-of time, if earlier)."""
    s = current.with_(date_from=start, date_to=end)
    if moment:
        stop = dt.datetime.combine(end, dt.time(23, 59, 59))
        s = s.with_(as_of=min(current.as_of, stop) if current.as_of is not None else stop)
    return s


def previous_scope(current: Scope, basis: str, moment: bool = False) -> Scope | None:
    """The scope a figure of ``basis`` is taken for in the previous period (None for live figures); ``moment``:
    the figure's ``FigureDef.moment`` (the rankings take 未消警 and 超时未处置 at the previous period's end)."""
    p = previous_period(current)
    return None if p is None or basis == "live" else _at(current, p[0], p[1], moment)


def _year_back(d: dt.date) -> dt.date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def year_earlier_scope(current: Scope, basis: str, *, running: bool = False) -> Scope | None:
    """The same dates a year earlier (29 February → 28 February); whole calendar months: the same months (February
    2025 → 1–29 February 2024). ``running``: the elapsed part of an unfinished period (the same dates)."""
    if current.date_from is None or current.date_to is None or basis == "live":
        return None
    if not running and calendar_months(current.date_from, current.date_to) is not None:
        start, end = months_back(current.date_from, 12), months_back(current.date_to, 12)
    else:
        start, end = _year_back(current.date_from), _year_back(current.date_to)
    return _at(current, start, end) if start >= MIN_DATE else None


def month_scopes(current: Scope, basis: str, n: int = TREND_POINTS) -> list[tuple[str, Scope]]:
    """The last ``n`` calendar months up to the period's end, oldest first, each as its own period (the last one
    ends at the period's end): ``(YYYY-MM, scope)``."""
    if current.date_to is None or basis == "live":
        return []
    end = current.date_to
    out = []
    y, m = end.year, end.month
    for _ in range(n):
        start = dt.date(y, m, 1)
        if start < MIN_DATE:
            break
        nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
        out.append((f"{y}-{m:02d}", _at(current, start, min(end, nxt - dt.timedelta(days=1)))))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


def moment_scopes(current: Scope, now: dt.datetime) -> tuple[Scope, Scope, list[tuple[str, Scope]]]:
    """24 h earlier, 7 days earlier, and the last ``TREND_POINTS`` days at the same time of day (oldest first)."""
    base = current.as_of or now
    back = [current.with_(as_of=base - d) for d in MOMENT_BACK]
    days = [(f"{(base - dt.timedelta(days=i)):%m-%d}", current.with_(as_of=base - dt.timedelta(days=i)))
            for i in range(TREND_POINTS - 1, -1, -1)]
    return back[0], back[1], days


# --- the figures ----------------------------------------------------------------------------------------------

_FIRST: dict[tuple, tuple[float, dt.date | None]] = {}  # (database, topic) -> (when read, first day)
FIRST_TTL = 600  # seconds: data older than the first day do not appear often


def forget_first_days() -> None:
    """Drop the first days read so far (``oversight bench``: a cold run reads them again)."""
    _FIRST.clear()


def first_day(topic: str, *, engine: Engine | None = None) -> dt.date | None:
    """The first day with data of a topic that is compared over time (None: a topic that is not); read at most
    every ``FIRST_TTL`` seconds per database."""
    if topic not in _SINCE:
        return None
    eng, _ = prepare(Scope(), engine)
    key = (str(eng.url), topic)
    hit = _FIRST.get(key)
    if hit is not None and time.monotonic() - hit[0] < FIRST_TTL:
        return hit[1]
    t, col = _SINCE[topic]
    v = row(select(func.min(t.c[col]).label("a")), eng).get("a")
    if isinstance(v, str):
        v = dt.datetime.fromisoformat(v) if len(v) > 10 else dt.date.fromisoformat(v)
    v = v.date() if isinstance(v, dt.datetime) else v
    _FIRST[key] = (time.monotonic(), v)
    return v


def unfinished(scope: Scope, now: dt.datetime) -> dt.datetime | None:
    """The moment a period that has not ended yet has reached (its as-of time, or now), or None for a period that
    is over (or no period). An unfinished period is compared with the same elapsed part of the earlier periods."""
    at = scope.as_of or now
    if scope.date_from is None or scope.date_to is None or not scope.date_from <= at.date() <= scope.date_to:
        return None
    return at


def previous_so_far(current: Scope, done: Scope, basis: str) -> Scope | None:
    """The part of the previous period that matches the elapsed part ``done`` of an unfinished one: of whole
    calendar months, the previous months up to the same day (this month to the 15th: last month to the 15th; to
    the 28th of February: January to the 28th; to the 31st of March: all of February, as a finished month is
    compared); otherwise the days of the elapsed part's length right before it."""
    if done.date_from is None or done.date_to is None or basis == "live":
        return None
    k = calendar_months(current.date_from, current.date_to)
    if k is not None:
        p = previous_scope(current, basis)
        return None if p is None else p.with_(date_to=min(p.date_to, months_back(done.date_to, k, month_end=False)))
    start, to = _equal_days_before(done.date_from, done.date_to)  # (never calendar months: the days elapsed)
    return _at(done, start, to) if start >= MIN_DATE else None


def _same_point(s: Scope | None, at: dt.datetime) -> Scope | None:
    """An earlier period cut at the same point as an unfinished one: its last day up to the same time of day."""
    return None if s is None else s.with_(as_of=dt.datetime.combine(s.date_to, at.time()))


def _comparable(s: Scope | None, since: dt.date | None, moment: bool) -> bool:
    if s is None or since is None:
        return False
    if moment:
        return s.as_of is not None and s.as_of.date() >= since
    return s.date_from is not None and s.date_from >= since


def changes(scope: Scope, keys: tuple[str, ...] | list[str], *, engine: Engine | None = None,
            now: dt.datetime | None = None, trend: bool = True) -> dict[str, Change]:
    """A ``Change`` per catalogue figure of ``keys`` for ``scope``. Each source function runs once per scope it is
    needed for, ``WORKERS`` at a time (they are independent reads). ``now``: the time moment figures without an
    as-of time are taken at (default: now); ``trend``: also the 12-point trend."""
    eng, rs = prepare(scope, engine)
    scope = scope.with_(region=rs.region)  # a bound user asking for the province: their own region
    now = memo.moment(now)
    cat = catalogue()
    since: dict[str, dt.date | None] = {}
    # key -> (kind, value call, 环比 call, 同比 call, [(label, call)]); a call is (function, scope[, time]) or None
    plans: dict[str, tuple] = {}
    for key in keys:
        fd = cat[key]
        here = (fd.source, scope)
        if fd.basis == "live" and fd.history is not None:  # kept counts of a live figure: 24 h and 7 days ago
            back = [(fd.history, scope, now - d) for d in MOMENT_BACK]
            days = [(f"{(now - dt.timedelta(days=i)):%m-%d}", (fd.history, scope, now - dt.timedelta(days=i)))
                    for i in range(TREND_POINTS - 1, 0, -1)] + [(f"{now:%m-%d}", here)]
            plans[key] = ("moment", here, back[0], back[1], days if trend else [])
            continue
        if fd.topic not in since:
            since[fd.topic] = first_day(fd.topic, engine=eng)
        first = since[fd.topic]
        if fd.basis == "live" or first is None:
            plans[key] = ("none", here, None, None, [])
            continue
        if fd.moment:
            a, b, points = moment_scopes(scope, now)
        else:
            at = unfinished(scope, now)
            if at is None:
                a, b = previous_scope(scope, fd.basis), year_earlier_scope(scope, fd.basis)
            else:  # the same elapsed part of the earlier periods, up to the same time of day
                done = scope.with_(date_to=at.date())
                a = _same_point(previous_so_far(scope, done, fd.basis), at)
                b = _same_point(year_earlier_scope(done, fd.basis, running=True), at)
            points = month_scopes(scope, fd.basis)

        # the earlier moments from the moment figures' lighter query where there is one (the same values); the
        # scope in view (the last trend point of an as-of view) from the tile's own call
        light = fd.moment_source if fd.moment and fd.moment_source else fd.source

        def call(s, m=fd.moment, f=first, fn=light, here_fn=fd.source):
            return ((here_fn if s == scope else fn), s) if _comparable(s, f, m) else None

        plans[key] = ("moment" if fd.moment else "period", here, call(a), call(b),
                      [(lab, call(s)) for lab, s in points if call(s)] if trend else [])

    calls = {c: None for _, here, a, b, points in plans.values() for c in (here, a, b, *(c for _, c in points))
             if c is not None}

    def run(c):
        fn, s, *at = c
        if at:
            return fn(s, at[0], engine=eng)
        return fn(s, engine=eng, now=now) if "now" in inspect.signature(fn).parameters else fn(s, engine=eng)

    # a source with a batched form (``fn.many``: the same results for a list of scopes, fewer statements) takes
    # all its scopes in one task; the scopes it leaves (``partial``: None) and every other call are tasks of their
    # own, three at a time
    singles: list[tuple] = []
    batches: dict[Any, list[tuple]] = {}
    for c in calls:
        many = getattr(c[0], "many", None) if len(c) == 2 else None
        if many is not None:
            batches.setdefault(many, []).append(c)
        else:
            singles.append(c)
    # (each task in this page run's context: the figures it shares, queries/memo.py; the batches, the longest
    # tasks, first; a batch's scopes it leaves are run after)
    batch_list = list(batches.items())
    got = tasks.run_all(
        [in_this_run(many, [s for _, s in cs], engine=eng, partial=True,
                     **({"now": now} if "now" in inspect.signature(many).parameters else {}))
         for many, cs in batch_list] + [in_this_run(run, c) for c in singles], WORKERS)
    results: dict = dict(zip(singles, got[len(batch_list):]))
    left = []
    for (_, cs), rs in zip(batch_list, got):
        for c, r in zip(cs, rs):
            if r is None:
                left.append(c)
            else:
                results[c] = r
    results.update(zip(left, tasks.run_all([in_this_run(run, c) for c in left], WORKERS)))

    def value(key: str, c) -> Any:
        res = None if c is None else results[c]
        return None if res is None else cat[key].value_of(res)  # (a rate of nothing is no value)

    out = {}
    for key, (kind, here, a, b, points) in plans.items():
        pts = [(lab, value(key, c)) for lab, c in points]
        out[key] = Change(key, value(key, here), cat[key].better, kind, prev=value(key, a), yoy=value(key, b),
                          trend=tuple((lab, v) for lab, v in pts if v is not None),
                          prev_when=when(a, kind), yoy_when=when(b, kind))
    return out


def when(call, kind: str) -> str:
    """What an earlier value was taken for, as a reader reads it: the period ("2021-05-01 至 2021-05-31", up to a
    time of day for the same part of an unfinished one) or the moment ("2021-06-29 08:00")."""
    if call is None:
        return ""
    fn, s, *at = call
    if at:
        return f"{at[0]:%Y-%m-%d %H:%M}"
    if kind == "moment" or s.date_from is None or s.date_to is None:
        return f"{s.as_of:%Y-%m-%d %H:%M}" if s.as_of is not None else ""
    text = f"{s.date_from.isoformat()} 至 {s.date_to.isoformat()}"
    if s.as_of is not None and s.as_of.date() == s.date_to and s.as_of.time() != dt.time(23, 59, 59):
        text += f" {s.as_of:%H:%M}"
    return text


# --- how a change reads ---------------------------------------------------------------------------------------

def difference(value: Any, earlier: Any, unit: str) -> float | None:
    """value − earlier (None when either is missing); a rate's difference is in percentage points."""
    if value is None or earlier is None or isinstance(value, str) or isinstance(earlier, str):
        return None
    return round(float(value) - float(earlier), 1 if unit == "%" else 2)


def describe(value: Any, earlier: Any, unit: str, *, short: bool = False) -> str:
    """"+1,234（+5.2%）" / "-0.8 个百分点" / "持平" / "无可比数据" — the change of ``value`` against ``earlier``;
    ``short``: a count's relative change alone ("+5.2%"; the difference where the earlier value is 0)."""
    d = difference(value, earlier, unit)
    if d is None:
        return "无可比数据"
    if d == 0:
        return "持平"
    if unit == "%":
        return f"{d:+,.1f} 个百分点"
    num = f"{d:+,.0f}" if float(d).is_integer() else f"{d:+,.2f}"
    if not earlier:
        return num
    rel = f"{d / float(earlier) * 100:+.1f}%"
    return rel if short else f"{num}（{rel}）"
