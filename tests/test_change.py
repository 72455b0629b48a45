"""Change at a glance (queries/change.py): every earlier value a tile shows is the figure's own query run for the
earlier scope (previous period, a year earlier, each of the 12 months, 24 h and 7 days earlier; a moment figure's
lighter ``moment_source``, where it declares one, is held equal to it), on both databases;
the colour of a change follows the figure's better direction from the catalogue; nothing is compared with a time
before the data begin."""
from __future__ import annotations

import datetime as dt
import inspect

import pytest
from sqlalchemy import event

from queries import change, credit, enforcement, handling, supervision, warnings
from queries.figures import catalogue
from queries.regions import reference
from queries.scope import Scope
from tests.derived_util import demo_now  # noqa: F401 - sets NOW

PERIOD = dict(date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 6, 30))
NOW = dt.datetime.min  # set for each test by demo_now (tests/derived_util.py): after the demo data's newest warning
PERIOD_KEYS = ("enforcement.hazards_found", "enforcement.enterprises_inspected", "enforcement.rectification_rate",
               "enforcement.fines_wan", "risk.completion_rate", "risk.risks_major", "credit.red", "credit.green",
               "credit.red_yellow_share", "risk.outstanding",
               "warnings.raised", "warnings.ack_timely_rate", "enforcement.work_orders_overdue",
               "enforcement.work_orders_closed_rate", "enforcement.work_orders_reminder")
MOMENT_KEYS = ("warnings.open", "warnings.open_level_3", "warnings.overdue", "supervision.open", "supervision.overdue")


def _value(key: str, s: Scope, eng):
    fd = catalogue()[key]
    timed = (handling.timeliness, supervision.summary, enforcement.work_orders)
    res = fd.source(s, engine=eng, now=NOW) if fd.source in timed else fd.source(s, engine=eng)
    return fd.value_of(res)  # (a rate of nothing: no value, tests/test_figures.py)


def test_work_orders_of_many_periods_equal_each_period_alone(db):
    """The work orders' batched form (the comparisons' earlier periods in one statement) gives each scope what
    ``work_orders`` gives it: periods of different lengths, places, an industry and as-of times."""
    from queries import enforcement

    scopes = [Scope(region=r, industry=i, date_from=dt.date(2021, m, 1), date_to=dt.date(2021, m + k, 28), as_of=a)
              for r, i, m, k, a in [(320000, None, 1, 0, None), (320000, None, 1, 5, None), (320900, None, 2, 1, None),
                                    (320923, None, 3, 0, None), (320981, None, 1, 2, None),
                                    (320000, None, 1, 5, dt.datetime(2021, 4, 10, 12)),
                                    (320100, None, 5, 1, dt.datetime(2021, 6, 1))]]
    alone = [enforcement.work_orders(s, engine=db) for s in scopes]
    assert enforcement.work_orders_many(scopes, engine=db) == alone
    assert all(a["total"] > 0 for a in alone[:3]) and any(a["overdue"] > 0 for a in alone)
    assert alone[5]["total"] <= alone[1]["total"] and alone[5] != alone[1]  # the as-of time counts
    # a period that runs past now counts overdue what is overdue now, not by the period's end
    at = dt.datetime(2021, 3, 10, 12)
    running = enforcement.work_orders(
        Scope(region=320000, date_from=dt.date(2021, 1, 1), date_to=dt.date(2099, 12, 31)), engine=db, now=at)
    so_far = enforcement.work_orders(Scope(region=320000, date_from=dt.date(2021, 1, 1), date_to=at.date()),
                                     engine=db, now=at)
    assert running["overdue"] == so_far["overdue"] > 0 and running["total"] > so_far["total"]


@pytest.mark.parametrize("region", [320000, 320923])
def test_work_orders_of_whole_months_counted_once_per_group_equal_each_period_alone(db, region):
    """The comparisons of a view of whole months (its twelve months, 上期, 同比) count the work orders once per
    month created × kind × month closed × month after the deadline, in one statement; each scope's figures equal
    ``work_orders`` alone. A batch with a period or a cut-off off the month's end (a mid-month end, a period still
    running at ``now``, an as-of time) counts per scope, and equals too."""
    from queries import enforcement

    base = Scope(region=region, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 5, 31))
    months = [m for _, m in change.month_scopes(base, "period")]
    scopes = [base, *months, change.previous_scope(base, "period"), change.year_earlier_scope(base, "period"),
              base.with_(date_from=dt.date(2020, 7, 1), date_to=dt.date(2020, 7, 31))]
    alone = [enforcement.work_orders(s, engine=db, now=NOW) for s in scopes]
    seen = []

    def rec(conn, cursor, statement, *a):
        seen.append(statement)

    event.listen(db, "before_cursor_execute", rec)
    try:
        assert enforcement.work_orders_many(scopes, engine=db, now=NOW) == alone
    finally:
        event.remove(db, "before_cursor_execute", rec)
    assert sum("work_orders" in x for x in seen) == 1 and "GROUP BY" in next(x for x in seen if "work_orders" in x)
    assert sum(a["total"] for a in alone) > 0 and any(a["closed"] for a in alone) and any(a["overdue"] for a in alone)
    if db.dialect.name == "postgresql":
        # a session time zone the driver cannot map to a Python zone (it reads timestamps with time zone as UTC):
        # the months must not move to the previous month's last evening
        from sqlalchemy import create_engine

        odd = create_engine(db.url)
        event.listen(odd, "connect", lambda conn, _: conn.execute("SET TIME ZONE '<+08>-08'"))
        try:
            assert enforcement.work_orders_many(scopes, engine=odd, now=NOW) == alone
        finally:
            odd.dispose()
    # off the month's end: per scope, equal all the same
    for odd in (base.with_(date_to=dt.date(2021, 5, 17)), base.with_(as_of=dt.datetime(2021, 4, 10, 12)),
                base.with_(date_to=dt.date(2099, 12, 31))):
        batch = [*scopes[:4], odd]
        at = dt.datetime(2021, 3, 10, 12)
        assert enforcement.work_orders_many(batch, engine=db, now=at) == \
            [enforcement.work_orders(s, engine=db, now=at) for s in batch]


@pytest.mark.parametrize("region", [320000, 320900, 320923])
def test_period_changes_equal_the_queries_for_the_earlier_periods(db, region):
    s = Scope(region=region, **PERIOD)
    ch = change.changes(s, PERIOD_KEYS, engine=db, now=NOW)
    for key in PERIOD_KEYS:
        c, basis = ch[key], catalogue()[key].basis
        assert c.kind == "period" and c.better == catalogue()[key].better
        assert c.value == _value(key, s, db), key
        prev = change.previous_scope(s, basis)
        assert (prev.date_from, prev.date_to) == (dt.date(2020, 7, 1), dt.date(2020, 12, 31))
        first = change.first_day(catalogue()[key].topic, engine=db)
        assert c.prev == (_value(key, prev, db) if prev.date_from >= first else None), key
        yoy = change.year_earlier_scope(s, basis)
        assert (yoy.date_from, yoy.date_to) == (dt.date(2020, 1, 1), dt.date(2020, 6, 30))
        assert c.yoy == (_value(key, yoy, db) if yoy.date_from >= first else None), key
        months = [(lab, m) for lab, m in change.month_scopes(s, basis) if m.date_from >= first]
        assert [lab for lab, _ in c.trend] == [lab for lab, _ in months], key
        assert [v for _, v in c.trend] == [_value(key, m, db) for _, m in months], key
        if c.trend and basis == "period":  # the last month is June as a period of its own
            assert c.trend[-1] == ("2021-06", _value(key, s.with_(date_from=dt.date(2021, 6, 1)), db)), key
    # the demo data hold the enforcement facts of 2020 and 2021: every comparison is there, and it moved
    hz = ch["enforcement.hazards_found"]
    assert hz.prev and hz.yoy and len(hz.trend) == 12 and hz.value != hz.prev
    # the tile's help says what each comparison was taken for
    assert (hz.prev_when, hz.yoy_when) == ("2020-07-01 至 2020-12-31", "2020-01-01 至 2020-06-30")
    from pages.common import change_help
    h = change_help(hz, "个")
    assert "，2020-07-01 至 2020-12-31）" in h and "，2020-01-01 至 2020-06-30）" in h


def test_moment_figures_compare_with_24_hours_and_7_days_earlier(db):
    s = Scope(region=320000)  # what the overview's 督办 tiles and the live warnings use: no period
    ch = change.changes(s, MOMENT_KEYS, engine=db, now=NOW)
    for key in MOMENT_KEYS:
        c = ch[key]
        assert c.kind == "moment" and c.labels == ("较昨日", "较上周")
        first = change.first_day(catalogue()[key].topic, engine=db)
        for got, back in ((c.prev, dt.timedelta(hours=24)), (c.yoy, dt.timedelta(days=7))):
            at = NOW - back
            assert got == (_value(key, s.with_(as_of=at), db) if at.date() >= first else None), key
        days = [NOW - dt.timedelta(days=i) for i in range(11, -1, -1)]
        assert [v for _, v in c.trend] == [_value(key, s.with_(as_of=d), db) for d in days if d.date() >= first]
    assert ch["warnings.open"].prev is not None
    assert ch["warnings.open"].prev_when == f"{NOW - dt.timedelta(hours=24):%Y-%m-%d %H:%M}"
    assert ch["warnings.open"].yoy_when == f"{NOW - dt.timedelta(days=7):%Y-%m-%d %H:%M}"


def test_a_moment_figure_of_an_as_of_view_is_compared_before_that_time(db):
    from sqlalchemy import func, select

    from seed.schema import warnings as W

    with db.connect() as c:
        newest = c.execute(select(func.max(W.c.raised_at))).scalar()
    newest = dt.datetime.fromisoformat(newest) if isinstance(newest, str) else newest
    at = newest.replace(microsecond=0) - dt.timedelta(hours=1)  # an as-of time inside the demo's warnings
    assert change.first_day("warnings", engine=db) <= (at - dt.timedelta(days=1)).date()
    s = Scope(region=320000, as_of=at)
    c = change.changes(s, ("warnings.open",), engine=db, now=NOW)["warnings.open"]
    assert c.prev == warnings.summary(s.with_(as_of=at - dt.timedelta(hours=24)), engine=db)["open"]
    assert c.trend[-1] == (f"{at:%m-%d}", warnings.summary(s, engine=db)["open"])


def test_registered_sizes_are_not_compared(db):
    ch = change.changes(Scope(**PERIOD), ("hazards.hazard_sources", "hazards.access_rate", "grids.anquan",
                                          "platform.enterprises"), engine=db, now=NOW)
    assert all(c.kind == "none" and c.prev is None and c.yoy is None and not c.trend for c in ch.values())


def test_nothing_is_compared_with_a_time_before_the_data(db):
    first = change.first_day("enforcement", engine=db)
    s = Scope(date_from=first, date_to=first + dt.timedelta(days=40))
    c = change.changes(s, ("enforcement.hazards_found",), engine=db, now=NOW)["enforcement.hazards_found"]
    assert c.prev is None and c.yoy is None  # an empty earlier period is not a fall of 100 %
    assert [lab for lab, _ in c.trend] == [f"{first:%Y-%m}", f"{s.date_to:%Y-%m}"]


def test_a_city_user_asking_for_the_province_gets_their_city(db):
    s = Scope(region=320000, binding=320900, **PERIOD)
    c = change.changes(s, ("enforcement.hazards_found",), engine=db, now=NOW)["enforcement.hazards_found"]
    own = Scope(region=320900, binding=320900, **PERIOD)
    assert c.value == enforcement.summary(own, engine=db)["hazards_found"]
    assert c.prev == enforcement.summary(change.previous_scope(own, "period"), engine=db)["hazards_found"]


@pytest.mark.engines("sqlite")
def test_earlier_scopes():
    s = Scope(date_from=dt.date(2024, 3, 1), date_to=dt.date(2024, 3, 31), as_of=dt.datetime(2024, 4, 2, 8))
    assert change.previous_period(s) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))  # a month: the month before
    leap = Scope(date_from=dt.date(2024, 2, 29), date_to=dt.date(2024, 2, 29))
    y = change.year_earlier_scope(leap, "period")
    assert (y.date_from, y.date_to) == (dt.date(2023, 2, 28), dt.date(2023, 2, 28))
    months = change.month_scopes(s, "cutoff")
    assert [lab for lab, _ in months][0] == "2023-04" and [lab for lab, _ in months][-1] == "2024-03"
    assert len(months) == change.TREND_POINTS
    # each month a period of its own (a cut-off figure is taken at its end), as known at the view's as-of time
    feb = dict(months)["2024-02"]
    assert (feb.date_from, feb.date_to, feb.as_of) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29), s.as_of)
    # the rankings take a moment figure at the previous period's end (or the view's as-of time, if earlier)
    assert change.previous_scope(s, "cutoff", moment=True).as_of == dt.datetime(2024, 2, 29, 23, 59, 59)
    assert change.previous_scope(s, "cutoff").as_of == s.as_of
    early = Scope(date_from=dt.date(2024, 3, 1), date_to=dt.date(2024, 3, 31), as_of=dt.datetime(2024, 2, 20, 8))
    assert change.previous_scope(early, "cutoff", moment=True).as_of == early.as_of
    mid = Scope(date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 3, 13))
    assert change.month_scopes(mid, "period")[-1][1].date_to == dt.date(2024, 3, 13)
    assert change.month_scopes(Scope(), "period") == [] and change.previous_scope(Scope(), "period") is None


@pytest.mark.engines("sqlite")
def test_the_colour_of_a_change_follows_the_catalogue():
    from pages.common import change_args

    cat = catalogue()
    for key, better, colour in (("enforcement.hazards_found", "up", "normal"), ("warnings.open", "down", "inverse"),
                                ("credit.red", "down", "inverse"), ("enforcement.suspensions", None, "off")):
        assert cat[key].better == better
        c = change.Change(key, 120, cat[key].better, "period", prev=100, yoy=150, trend=(("a", 1), ("b", 2)))
        args = change_args(c, cat[key].unit)
        assert args["delta_color"] == colour and args["delta"] == "+20.0%"
        assert args["delta_description"] == "环比 · 同比 -20.0%" and args["chart_data"] == [1.0, 2.0]
    rate = change.Change("risk.completion_rate", 97.0, "up", "period", prev=95.5, yoy=None)
    assert change_args(rate, "%")["delta"] == "+1.5 个百分点"
    assert change_args(rate, "%")["delta_description"] == "环比 · 同比 无可比数据"
    same = change.Change("credit.red", 7, "down", "period", prev=7, yoy=7)
    assert change_args(same, "家")["delta"] == 0  # Streamlit greys a numeric zero
    assert change.describe(120, 100, "个") == "+20（+20.0%）" and change.describe(5, 0, "个") == "+5"


@pytest.mark.engines("sqlite")
def test_every_compared_figure_declares_its_comparison():
    """A figure taken at a moment (its 口径: 截至当前（或截止时间）…, whatever the period) says so in the catalogue;
    the others compare by period."""
    moment = {k for k, d in catalogue().items() if d.moment}
    assert moment == {"warnings.open", *(f"warnings.open_level_{lv}" for lv in (1, 2, 3, 4)), "warnings.overdue",
                      "supervision.open", "supervision.overdue"}
    assert all("当前" in catalogue()[k].definition for k in moment)


def test_a_moment_figures_lighter_query_gives_the_sources_values(db):
    """``FigureDef.moment_source`` (what the comparisons ask at the earlier moments) equals the figure's own source
    for every kind of scope: places, industries, a bound user, periods, as-of times before and inside the data."""
    cat = catalogue()
    light = {k: d for k, d in cat.items() if d.moment_source is not None}
    assert {d.source for d in light.values()} == {warnings.summary, handling.timeliness}
    assert all(d.moment for d in light.values())  # only moment figures have one
    county = reference(db).children(320900)[1].adcode
    scopes = [Scope(), Scope(region=320900), Scope(region=county), Scope(industry="chem"),
              Scope(region=320000, binding=320100), Scope(**PERIOD)]
    scopes += [s.with_(as_of=NOW - back) for s in scopes[:3] for back in (dt.timedelta(hours=5), dt.timedelta(days=6))]
    for s in scopes:
        for key, d in light.items():
            timed = "now" in inspect.signature(d.moment_source).parameters  # (as queries.change runs it)
            got = d.moment_source(s, engine=db, now=NOW) if timed else d.moment_source(s, engine=db)
            assert d.value_of(got) == _value(key, s, db), (key, s)


@pytest.mark.parametrize("place", [{}, {"region": 320900}, {"industry": "chem"}, {"region": 320000, "binding": 320100}])
@pytest.mark.parametrize("source", ["warnings", "handling"])
def test_open_warnings_at_a_dozen_moments_are_one_statement(db, place, source):
    """The moment figures' batched lighter queries (what the comparisons ask for the earlier moments of 未消警 and
    超时未处置: ``warnings.open_counts.many``, ``handling.open_counts.many``) equal ``open_counts`` at each moment —
    hours and days before the newest warning, an as-of time inside the data, no as-of time — in one statement for
    the first scope's place; another place is left to ``open_counts``."""
    from sqlalchemy import event

    fn = {"warnings": warnings.open_counts, "handling": handling.open_counts}[source]
    kw = {"now": NOW} if source == "handling" else {}
    base = Scope(**place)
    moments = [base, *(base.with_(as_of=NOW - dt.timedelta(hours=h)) for h in (1, 5, 24, 30, 24 * 6, 24 * 7, 24 * 40))]
    # other places: 宿迁市, and the same region in another industry
    batch = [*moments, Scope(region=321300), base.with_(industry=None if base.industry else "chem")]
    want = [fn(s, engine=db, **kw) for s in batch]
    assert len({w["open"] for w in want}) > 2 and (source == "warnings" or any(w["overdue"] for w in want))
    seen: list[str] = []

    def rec(conn, cursor, statement, *a):
        seen.append(statement)

    event.listen(db, "before_cursor_execute", rec)
    try:
        part = fn.many(batch, engine=db, partial=True, **kw)
    finally:
        event.remove(db, "before_cursor_execute", rec)
    assert part[:-2] == want[:-2] and part[-2:] == [None, None]
    assert sum("FROM warnings" in x for x in seen) == 1, seen
    assert fn.many(batch, engine=db, **kw) == want and fn.many([], engine=db) == []


AT = dt.datetime(2031, 3, 10, 9, 0)  # far from the demo's own count (taken when it was seeded)


@pytest.fixture
def kept_counts(db):
    """The points' states counted now, 1, 3 and 7 days before ``AT`` (one more offline point per region a day
    earlier); afterwards the table holds what it held before."""
    from sqlalchemy import delete, update

    from queries import ingest
    from seed.schema import point_counts as PC

    times = [AT - dt.timedelta(days=d) for d in (7, 3, 1, 0)]
    with db.connect() as c:  # the seeded count (the recording's retention would drop it): put back afterwards
        seeded = [dict(r) for r in c.execute(PC.select()).mappings()]
    try:
        for t in times:
            ingest.record_point_counts(t, engine=db)
        with db.begin() as c:
            c.execute(update(PC).where(PC.c.taken_at == AT - dt.timedelta(days=1)).values(offline=PC.c.offline + 1))
        yield times
    finally:
        with db.begin() as c:
            c.execute(delete(PC))
            if seeded:
                c.execute(PC.insert(), seeded)


@pytest.mark.parametrize("region,industry", [(320000, None), (320900, None), (320923, None), (320000, "C"),
                                             (320000, "chem"), (320000, "C26")])
def test_live_point_figures_compare_with_the_kept_counts(db, kept_counts, region, industry):
    from queries import hazards

    s = Scope(region=region, industry=industry)
    live = hazards.summary(s, engine=db)
    kept = hazards.points_at(s, AT, engine=db)  # the count taken at AT is the state now
    same = ("points", "points_alarm", "points_offline", "points_online", "points_normal", "online_rate")
    assert {k: kept[k] for k in same} == {k: live[k] for k in same}
    now = AT + dt.timedelta(minutes=30)
    keys = ("hazards.points_offline", "hazards.points_alarm", "hazards.online_rate", "hazards.points_online",
            "hazards.points_normal")
    ch = change.changes(s, keys, engine=db, now=now)
    for key in keys:
        c, field = ch[key], catalogue()[key].field
        assert c.kind == "moment" and c.value == live[field]
        assert c.prev == hazards.points_at(s, now - dt.timedelta(hours=24), engine=db)[field]
        assert c.yoy == hazards.points_at(s, now - dt.timedelta(days=7), engine=db)[field] == live[field]
        assert [lab for lab, _ in c.trend] == [f"{t:%m-%d}" for t in kept_counts]  # the days with a count
    # the day before, one more point was offline in every county and sector: the change shows it
    groups = hazards.points_at(s, now - dt.timedelta(hours=24), engine=db)["points_offline"] - live["points_offline"]
    assert groups > 0 and ch["hazards.points_offline"].prev == live["points_offline"] + groups
    # nothing counted within two hours before a time: no comparison rather than a stale one
    assert hazards.points_at(s, AT + dt.timedelta(hours=3), engine=db) is None
    assert hazards.points_at(s, AT - dt.timedelta(days=2), engine=db) is None


def test_an_unfinished_period_is_compared_with_the_same_elapsed_part(db):
    """A period running to today (the warnings page's windows) or past the view's as-of time is compared with the
    earlier periods up to the same day and time of day, not with whole periods."""
    s = Scope(region=320000, date_from=NOW.date() - dt.timedelta(days=6), date_to=NOW.date())
    at = change.unfinished(s, NOW)
    assert at == NOW and change.unfinished(s.with_(date_to=NOW.date() - dt.timedelta(days=1)), NOW) is None
    c = change.changes(s, ("warnings.raised",), engine=db, now=NOW)["warnings.raised"]
    prev = change.previous_scope(s, "period")
    cut = prev.with_(as_of=dt.datetime.combine(prev.date_to, NOW.time()))
    assert c.prev == warnings.summary(cut, engine=db)["raised"] != warnings.summary(prev, engine=db)["raised"]
    assert c.prev_when == f"{prev.date_from} 至 {prev.date_to} {NOW:%H:%M}"  # the help says where it was cut
    # an as-of time inside a past period of whole months: the previous months up to the same day and time
    # (the first half-year as of 15 March: the second half of 2020 up to 15 September)
    h1 = Scope(region=320000, **PERIOD, as_of=dt.datetime(2021, 3, 15, 12, 0))
    c = change.changes(h1, ("enforcement.hazards_found",), engine=db, now=NOW)["enforcement.hazards_found"]
    p = change.previous_so_far(h1, h1.with_(date_to=dt.date(2021, 3, 15)), "period")
    assert (p.date_from, p.date_to) == (dt.date(2020, 7, 1), dt.date(2020, 9, 15))
    assert c.prev == enforcement.summary(p.with_(as_of=dt.datetime(2020, 9, 15, 12, 0)), engine=db)["hazards_found"]
    # a month to the 10th: last month to the 10th; any other period: the elapsed days' length before
    month = Scope(date_from=dt.date(2021, 3, 1), date_to=dt.date(2021, 3, 31))
    p = change.previous_so_far(month, month.with_(date_to=dt.date(2021, 3, 10)), "period")
    assert (p.date_from, p.date_to) == (dt.date(2021, 2, 1), dt.date(2021, 2, 10))
    days = Scope(date_from=dt.date(2021, 3, 5), date_to=dt.date(2021, 3, 31))
    p = change.previous_so_far(days, days.with_(date_to=dt.date(2021, 3, 10)), "period")
    assert (p.date_from, p.date_to) == (dt.date(2021, 2, 27), dt.date(2021, 3, 4))


@pytest.mark.engines("sqlite")
def test_a_running_period_is_compared_with_as_many_days_where_the_months_allow():
    """A running month on its last day is compared with last month up to the same day, not with all of it (28
    February: January to the 28th); a day last month lacks gives all of last month; a period that is not whole
    months keeps to the elapsed days' length even where those days happen to be whole months."""
    D = dt.date
    for (f, t, today), (pf, pt) in {
        (D(2021, 2, 1), D(2021, 2, 28), D(2021, 2, 28)): (D(2021, 1, 1), D(2021, 1, 28)),
        (D(2024, 2, 1), D(2024, 2, 29), D(2024, 2, 29)): (D(2024, 1, 1), D(2024, 1, 29)),
        (D(2021, 4, 1), D(2021, 4, 30), D(2021, 4, 30)): (D(2021, 3, 1), D(2021, 3, 30)),
        (D(2021, 3, 1), D(2021, 3, 31), D(2021, 3, 31)): (D(2021, 2, 1), D(2021, 2, 28)),
        (D(2021, 3, 1), D(2021, 3, 31), D(2021, 3, 29)): (D(2021, 2, 1), D(2021, 2, 28)),
        (D(2021, 1, 1), D(2021, 6, 30), D(2021, 2, 28)): (D(2020, 7, 1), D(2020, 8, 28)),
        (D(2021, 3, 1), D(2021, 4, 15), D(2021, 3, 31)): (D(2021, 1, 29), D(2021, 2, 28)),  # 31 days each
    }.items():
        s = Scope(date_from=f, date_to=t)
        p = change.previous_so_far(s, s.with_(date_to=today), "period")
        assert (p.date_from, p.date_to) == (pf, pt), (f, t, today)
        assert (p.date_to - p.date_from) <= (today - f), (f, t, today)  # never more days than have elapsed
    # 同比 of whole months: the same months (a February after a leap year: all of February 2024) …
    y = change.year_earlier_scope(Scope(date_from=D(2025, 2, 1), date_to=D(2025, 2, 28)), "period")
    assert (y.date_from, y.date_to) == (D(2024, 2, 1), D(2024, 2, 29))
    # … and of the elapsed part of a running one, the same dates
    y = change.year_earlier_scope(Scope(date_from=D(2025, 2, 1), date_to=D(2025, 2, 28)), "period", running=True)
    assert (y.date_from, y.date_to) == (D(2024, 2, 1), D(2024, 2, 28))


def test_a_rate_of_nothing_has_no_value_to_compare(db):
    """A rate or an average whose denominator is 0 (no 督办 sent, no hazards found) is no value, not 0 %."""
    far = Scope(region=320000, date_from=dt.date(2020, 1, 1), date_to=dt.date(2020, 1, 31))
    ch = change.changes(far, ("supervision.closed_rate", "enforcement.rectification_rate"), engine=db, now=NOW)
    sv = supervision.summary(far, engine=db, now=NOW)
    assert sv["sent"] == 0 and sv["closed_rate"] == 0.0  # the query's 0 % …
    assert ch["supervision.closed_rate"].value is None  # … is no value here
    assert ch["enforcement.rectification_rate"].value == enforcement.summary(far, engine=db)["rectification_rate"]
    assert all(catalogue()[k].base for k in ("risk.completion_rate", "warnings.ack_timely_rate",
                                             "warnings.avg_close_min", "hazards.online_rate",
                                             "credit.red_yellow_share"))


@pytest.mark.engines("sqlite")
def test_a_change_that_rounds_to_nothing_is_grey_and_said_so():
    from pages.common import change_args

    c = change.Change("enforcement.hazards_found", 100_001, "up", "period", prev=100_000, yoy=90_000)
    args = change_args(c, "个")
    assert args["delta"] == 0 and args["delta_description"].startswith("环比持平")
    assert change_args(change.Change("risk.completion_rate", 97.02, "up", "period", prev=97.0), "%")["delta"] == 0


@pytest.mark.engines("sqlite")
def test_pages_stand_when_the_comparisons_fail(db, monkeypatch):
    """The earlier periods' queries failing (a statement timeout, a lock) leaves the tiles with their values alone
    (and 需关注, which compares red credit, says it is unavailable)."""
    from sqlalchemy.exc import OperationalError

    from tests.apptest_util import app, clear_caches, metrics, number

    def failing(*args, **kwargs):
        raise OperationalError("SELECT …", None, Exception("canceling statement due to statement timeout"))

    failing.__module__, failing.__name__ = change.__name__, "changes"  # what the pages' cached call looks up
    monkeypatch.setattr(change, "changes", failing)
    clear_caches()
    try:
        for page in (None, "enforcement.py", "risk.py", "credit.py"):
            at = app("leadership", "leader", page=page)
            assert not at.exception, (page, at.exception)
            assert all(not m.proto.delta for m in at.metric), page
            if page is None:
                assert any("需关注暂时无法" in c.value for c in at.caption)
        s = Scope(**PERIOD)
        assert number(metrics(at)["红色企业"]) == credit.distribution(s, engine=db)["red"]
    finally:
        clear_caches()
