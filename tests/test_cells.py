"""Maintained aggregates (seed.cells, read through queries.cells): every figure read from the cells equals the same
figure computed from the fact rows (``OVERSIGHT_DERIVED=0``) for scopes of every kind — whole years and months,
periods that start or end mid-month, no start, a sector, a section, a division, a county, a bound user, as of now and
as of a past time; the cells are read where they serve and not where they cannot; the triggers keep them equal to a
fresh computation whatever is written."""
from __future__ import annotations

import contextlib
import datetime as dt
import re

import pandas as pd
import pytest
from sqlalchemy import case, delete, event, func, insert, select, update
from sqlalchemy import text as text_sql

from queries import cells, change, credit, enforcement, grids, overview, risk
from queries.base import prepare
from queries.regions import PROVINCE, reference
from queries.labels import CREDIT_COLOURS
from queries.scope import Scope
from seed import cells as cell_spec
from seed import derived as derived_data
from seed import schema as S
from tests.derived_util import assert_same_without_derived

YANCHENG = 320900
CLEAN = {name: 0 for name in cell_spec.CHECKS}
RISK_CELLS = ("first_required@report_day", "major_items@catalogue")


def _scopes(db) -> dict[str, Scope]:
    ref = reference(db)
    county = ref.children(YANCHENG)[1].adcode
    sector = ref.sectors()[1].code
    section = next(i.code for i in ref.industries.values() if i.kind == "section")
    with db.connect() as c:
        division = c.execute(select(S.inspections.c.industry_code).group_by(S.inspections.c.industry_code)
                             .order_by(func.count().desc()).limit(1)).scalar()
    y = dt.date(2021, 1, 1)
    now = dt.datetime.now().replace(microsecond=0) + dt.timedelta(days=1)
    return {
        "year-to-date": Scope(PROVINCE, None, y, dt.date(2021, 6, 30)),
        "year-to-mid-month": Scope(PROVINCE, None, y, dt.date(2021, 5, 17)),
        "last-year": Scope(PROVINCE, None, dt.date(2020, 1, 1), dt.date(2020, 12, 31)),
        "second-half-year": Scope(YANCHENG, None, dt.date(2020, 7, 1), dt.date(2020, 12, 31)),
        "one-month": Scope(YANCHENG, None, dt.date(2021, 3, 1), dt.date(2021, 3, 31)),
        "quarter": Scope(YANCHENG, None, dt.date(2021, 4, 1), dt.date(2021, 6, 30)),
        "across-years-mid-month": Scope(PROVINCE, None, dt.date(2020, 10, 9), dt.date(2021, 2, 20)),
        "within-a-month": Scope(YANCHENG, None, dt.date(2021, 2, 3), dt.date(2021, 2, 25)),
        "no-start": Scope(YANCHENG, None, None, dt.date(2021, 2, 28)),
        "all-time": Scope(YANCHENG),
        "county": Scope(county, None, y, dt.date(2021, 6, 30)),
        "sector": Scope(PROVINCE, sector, y, dt.date(2021, 4, 30)),
        "section": Scope(YANCHENG, section, y, dt.date(2021, 6, 30)),
        "division": Scope(PROVINCE, division, dt.date(2021, 2, 1), dt.date(2021, 2, 28)),
        "bound": Scope(YANCHENG, None, y, dt.date(2021, 6, 30), binding=YANCHENG),
        "as-of-now": Scope(YANCHENG, None, y, dt.date(2021, 6, 30), now),
        # a cut-off in the middle of a day, after every recorded row: the months before from the cells, that
        # month's days up to the moment from the rows (to-date figures: risk, credit)
        "as-of-now-mid-day": Scope(YANCHENG, None, None, None, now.replace(hour=11, minute=17)),
        "as-of-past": Scope(YANCHENG, None, y, dt.date(2021, 6, 30), dt.datetime(2021, 3, 20, 12, 0)),
    }


_CAMPAIGN: dict[str, int] = {}


def campaign_reports(scope: Scope, *, engine) -> object:
    """``enforcement.campaign_reports`` of the province-wide campaign with the most inspections (visible anywhere;
    looked up once per database)."""
    url = engine.url.render_as_string(hide_password=False)
    if url not in _CAMPAIGN:
        _CAMPAIGN[url] = _biggest_campaign(engine)
    return enforcement.campaign_reports(_CAMPAIGN[url], scope, engine=engine)


def _biggest_campaign(engine) -> int:
    with engine.connect() as c:
        cid = c.execute(select(S.inspections.c.campaign_id)
                        .join(S.campaigns, S.campaigns.c.id == S.inspections.c.campaign_id)
                        .where(S.campaigns.c.city_adcode.is_(None)).group_by(S.inspections.c.campaign_id)
                        .order_by(func.count().desc()).limit(1)).scalar()
    return int(cid)


FUNCTIONS = [enforcement.summary, enforcement.by_region, enforcement.by_sector, enforcement.by_month,
             risk.completion, risk.by_region, risk.by_sector, risk.trend, credit.distribution, credit.by_sector,
             credit.by_region, overview.platform, grids.summary, grids.by_region, enforcement.enterprises,
             enforcement.campaigns, campaign_reports, enforcement.by_department, risk.major_risks,
             risk.key_control_summary]


@pytest.mark.slow
@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f"{f.__module__.split('.')[-1]}.{f.__name__}")
def test_figures_from_cells_equal_the_fact_rows(db, fn, monkeypatch):
    assert_same_without_derived(fn, _scopes(db), db, monkeypatch)


def _batches(s: Scope, basis: str) -> list[Scope]:
    """What the comparisons ask a source for at once (the scope, its twelve months, 上期, 同比), and scopes the
    batch must leave to the one-by-one path: a mid-month end, a mid-day as-of time, another place."""
    batch = [s, *(m for _, m in change.month_scopes(s, basis))]
    batch += [x for x in (change.previous_scope(s, basis), change.year_earlier_scope(s, basis)) if x]
    return batch + [s.with_(date_to=dt.date(2021, 5, 17)), s.with_(as_of=dt.datetime(2021, 5, 31, 11, 17)),
                    s.with_(region=PROVINCE if s.region != PROVINCE else YANCHENG)]


@contextlib.contextmanager
def _recorded(db):
    """The statements run on ``db`` inside the block, with their parameters: a list of (statement, parameters)."""
    seen: list[tuple[str, object]] = []

    def rec(conn, cursor, statement, parameters, *a):
        seen.append((statement, parameters))

    event.listen(db, "before_cursor_execute", rec)
    try:
        yield seen
    finally:
        event.remove(db, "before_cursor_execute", rec)


def _cell_reads(seen) -> int:
    """How many of the statements recorded read the maintained aggregates."""
    return sum("period_cells" in x for x, _ in seen)


@pytest.mark.slow
@pytest.mark.parametrize("one,many,basis", [(credit.distribution, credit.distributions, "cutoff"),
                                            (enforcement.summary, enforcement.summaries, "period"),
                                            (risk.completion, risk.completions, "cutoff")],
                         ids=["credit", "enforcement", "risk"])
def test_batched_sources_equal_one_by_one(db, one, many, basis):
    """A source's batched form (what the tiles' comparisons call: ``credit.distributions``, the rating cells by
    month and sector once; ``enforcement.summaries``, every fact's cells and the monthly parts by month once;
    ``risk.completions``, the reports' cells by month once and the obligations once per as-of time) gives
    what the source gives for each scope: every kind of scope, its earlier months, a mid-month and a mid-day
    cut-off, a past as-of time, another place in the same list, and periods of different as-of times."""
    with _recorded(db) as seen:
        for name, s in _scopes(db).items():
            batch = _batches(s, basis)
            n = len(batch)
            if name == "one-month":  # periods of whole months as of different times: the monthly parts one by one
                batch += [m.with_(as_of=dt.datetime(2030, 1, 1)) for _, m in change.month_scopes(s, basis)[:3]]
            seen.clear()
            got = many(batch, engine=db)
            batched = _cell_reads(seen)
            # compared one by one: every scope but the twelve months, of which the first, the last and two between
            # (each month is the same kind of scope as the others; the batch itself reads all twelve)
            k = len(change.month_scopes(s, basis))  # batch[1:k + 1]
            check = [i for i in range(len(batch)) if not 1 < i < k or i in (1 + k // 3, 1 + 2 * k // 3)]
            want = {i: one(batch[i], engine=db) for i in check}
            one_by_one = _cell_reads(seen) - batched
            assert {i: got[i] for i in check} == want, name
            assert len(got) == len(batch) and all(x is not None for x in got), name
            # partial: what the batch serves, None for the rest (the comparisons run those beside it)
            part = many(batch, engine=db, partial=True)
            assert all(part[i] is None or part[i] == w for i, w in want.items()), name
            assert all(p is None or p == g for p, g in zip(part, got)), name
            assert part[n - 3] is None, name  # a mid-month end
            assert (part[n - 1] is None) == (s.binding is None), name  # another place (bound: their own, batched)
            if s.date_to is not None and name != "as-of-past":  # (month ends the cells serve, to batch)
                assert batched < one_by_one, name  # fewer reads of the cells than one by one
                assert any(p is not None for p in part), name
    assert many([], engine=db) == []


def test_the_half_year_before_a_half_year_from_january_equals_the_rows_in_the_batch(db, monkeypatch):
    """The comparisons' 上期 of 1 January – 30 June is 1 July – 31 December: its enterprises inspected come from the
    cells' first inspections of the half-year, in the batched summaries too, and equal the rows' distinct count."""
    for region in (PROVINCE, YANCHENG):
        s = Scope(region, None, dt.date(2021, 1, 1), dt.date(2021, 6, 30))
        prev = change.previous_scope(s, "period")
        assert (prev.date_from, prev.date_to) == (dt.date(2020, 7, 1), dt.date(2020, 12, 31))
        with _recorded(db) as seen:
            fast = enforcement.summaries([s, prev], engine=db)
        assert not any("FROM inspections" in " ".join(x.split()) for x, _ in seen)  # (the cells alone)
        monkeypatch.setenv("OVERSIGHT_DERIVED", "0")
        assert fast == [enforcement.summary(x, engine=db) for x in (s, prev)]
        monkeypatch.setenv("OVERSIGHT_DERIVED", "1")


def _statements(db, fn, scope) -> str:
    with _recorded(db) as seen:
        fn(scope, engine=db)
    return "\n;;\n".join(" ".join(x.split()) for x, _ in seen)


def _reads_rows(stmts: str, table: str) -> bool:
    """Does a statement (other than the newest-recorded-time lookups) read ``table``'s rows?"""
    return any(f"FROM {table}" in s and "max(" not in s for s in stmts.split(";;"))


def test_cells_are_read_where_they_serve_and_not_where_they_cannot(db):
    sc = _scopes(db)
    ytd = _statements(db, enforcement.summary, sc["year-to-date"])
    assert ytd.count("period_cells") >= 5
    assert not any(_reads_rows(ytd, t) for t in ("inspections", "hidden_hazards", "cases", "suspension_orders"))
    # a period ending mid-month: the partial month from the rows, the rest from the cells
    mid = _statements(db, enforcement.by_region, sc["year-to-mid-month"])
    assert "period_cells" in mid and "UNION ALL" in mid
    # 1 July to 31 December (the 上期 of a half-year from 1 January): the enterprises inspected from the cells too
    for fn in (enforcement.summary, enforcement.by_region):
        half = _statements(db, fn, sc["second-half-year"])
        assert "period_cells" in half and not _reads_rows(half, "inspections"), fn.__name__
    assert "prev_dept_on" in _statements(db, enforcement.by_department, sc["second-half-year"])  # (no such column)
    # a period starting mid-month: enterprises inspected cannot come from the cells (counted from the rows)
    across = _statements(db, enforcement.summary, sc["across-years-mid-month"])
    assert "prev_on" in across and "period_cells" in across
    # no whole month, or as of a past time: the rows only
    for name in ("within-a-month", "as-of-past"):
        assert "period_cells" not in _statements(db, enforcement.summary, sc[name]), name
    assert cells.usable(prepare(sc["as-of-now"], db)[1], db, cell_spec.BY_NAME["hazards"])
    # risk figures are taken at the cut-off: every month up to it from the cells, the rest of a mid-day cut-off
    # from the rows
    done = _statements(db, risk.completion, sc["year-to-date"])
    assert done.count("period_cells") >= 3 and not _reads_rows(done, "risk_reports")
    assert not _reads_rows(done, "risk_items")
    # the obligations are counted from the cells of every month; only the earliest deadline reads their rows
    assert [x for x in done.split(";;") if "FROM risk_obligations" in x] == \
        [x for x in done.split(";;") if "min(risk_obligations.due_on)" in x]
    for fn in (risk.by_region, risk.trend):
        assert "FROM risk_obligations" not in _statements(db, fn, sc["year-to-mid-month"]), fn.__name__
    # as of a past time the reports come from the rows; the obligations, all recorded before it, from the cells
    past = _statements(db, risk.completion, sc["as-of-past"])
    assert "cells_reports" not in past and "cells_obligations" in past
    # credit: the colours at a month's end from the cells alone (the newest rating date is an index's last entry), a
    # mid-month cut-off adds that month's ratings given and superseded from the rows; as of a past time, the rows
    month_end = _statements(db, credit.by_region, sc["year-to-date"])
    assert month_end.count("FROM period_cells") == 2 and not _reads_rows(month_end, "credit_ratings")
    mid = _statements(db, credit.distribution, sc["year-to-mid-month"])
    assert mid.count("FROM period_cells") == 2 and "superseded_on >=" in mid
    assert "period_cells" not in _statements(db, credit.distribution, sc["as-of-past"])
    assert _statements(db, credit.distribution, sc["as-of-now-mid-day"]).count("FROM period_cells") == 2


def test_the_enterprises_with_the_most_hazards_are_read_from_their_cells(db):
    """The top list sums the hazards' cells per enterprise for the period's whole months (and its partial months'
    rows), not a GROUP BY over every hazard of the period; as of a past time, the rows."""
    sc = _scopes(db)
    for name in ("year-to-date", "county", "section", "as-of-now"):
        stmts = _statements(db, enforcement.enterprises, sc[name])
        assert "FROM enterprise_cells" in stmts and not _reads_rows(stmts, "hidden_hazards"), name
    mid = _statements(db, enforcement.enterprises, sc["year-to-mid-month"])
    assert "FROM enterprise_cells" in mid and "UNION ALL" in mid
    assert "enterprise_cells" not in _statements(db, enforcement.enterprises, sc["as-of-past"])
    assert "enterprise_cells" not in _statements(db, enforcement.enterprises, sc["within-a-month"])


def test_the_top_list_bounded_by_the_enterprises_years_equals_the_sum_over_every_enterprise(db, monkeypatch):
    """Where a period lies within one year, the enterprises' years bound the list: only the candidates' cells are
    summed, and the list is the same as summed over every enterprise (every scope kind, lists of 100, 20 and 5); a
    period across two years, or a bound that would not narrow the read, sums every enterprise."""
    sc = _scopes(db)
    bounded = 0
    for name, scope in sc.items():
        for limit in (100, 20, 5):
            with _recorded(db) as seen:
                got = enforcement.enterprises(scope, engine=db, limit=limit)
            used = any(_bounded(x) for x, _ in seen)
            bounded += used
            with monkeypatch.context() as m:
                m.setattr(enforcement, "_candidates", lambda *a: None)
                every = enforcement.enterprises(scope, engine=db, limit=limit)
            pd.testing.assert_frame_equal(got, every, obj=f"{name} ({limit})")
            if name in ("across-years-mid-month", "all-time", "no-start"):
                assert not used, name
    assert bounded >= 10  # (the year-to-date views, a county's, a sector's, a quarter, a month …)
    # the candidates' cells are read through their index by enterprise (not every cell of the period, filtered)
    with _recorded(db) as seen:
        enforcement.enterprises(sc["year-to-date"], engine=db)
    listed = [(x, p) for x, p in seen if _bounded(x)]
    assert listed
    if db.dialect.name == "sqlite":
        assert "ix_enterprise_cells_enterprise" in _plan(db, *listed[0])
    monkeypatch.setattr(enforcement, "MAX_CANDIDATES", 0)  # a bound that would not narrow: every enterprise summed
    assert not any(_bounded(x) for x in _statements(db, enforcement.enterprises, sc["year-to-date"]).split(";;"))


def _bounded(stmt: str) -> bool:
    """Is ``stmt`` the top list summed over the candidates its years bound (not the sample of the bound)?"""
    s = " ".join(stmt.split())
    return "IN (SELECT enterprise_year_cells.enterprise_id" in s and "enterprise_year_cells.n >=" in s


def test_the_completion_curve_and_the_risks_by_catalogue_entry_are_read_from_their_cells(db):
    """The curve sums the first reports' cells by day up to the cut-off, the 较大以上 risks the items' cells by month
    (a mid-month cut-off adds that month's items, joined to their reports; a mid-day cut-off that day's first
    reports); an industry's view, and a view as of a past time, read the rows (the cells have no industry)."""
    sc = _scopes(db)
    for name in ("year-to-date", "county", "bound", "as-of-now"):
        curve, major = _statements(db, risk.trend, sc[name]), _statements(db, risk.major_risks, sc[name])
        assert "FROM report_day_cells" in curve and not _reads_rows(curve, "risk_reports"), name
        assert "FROM catalogue_cells" in major and not _reads_rows(major, "risk_items"), name
    mid = _statements(db, risk.major_risks, sc["year-to-mid-month"])
    assert "FROM catalogue_cells" in mid and "UNION ALL" in mid and "JOIN risk_reports" in mid
    assert "UNION ALL" not in _statements(db, risk.trend, sc["year-to-mid-month"])  # (whole days: the cells alone)
    mid_day = _statements(db, risk.trend, sc["as-of-now-mid-day"])
    assert "FROM report_day_cells" in mid_day and "UNION ALL" in mid_day
    for name in ("sector", "section", "as-of-past"):
        for fn, store in ((risk.trend, "report_day_cells"), (risk.major_risks, "catalogue_cells")):
            assert store not in _statements(db, fn, sc[name]), (name, fn.__name__)


def test_the_campaigns_progress_and_the_departments_are_read_from_their_cells(db):
    """A campaign's inspections and enterprises by the cut-off, and its system inspections per region, sum the
    campaigns' cells up to the cut-off's month (and that month's rows), not every campaign inspection; as of a past
    time, the rows; in an industry's view the system inspections are every industry's (as the cities' reports). The
    inspections by department likewise, where the cells count the period's enterprises."""
    sc = _scopes(db)
    campaign_reports(sc["year-to-date"], engine=db)  # (the campaign looked up before the statements are recorded)
    for name in ("year-to-date", "county", "section", "as-of-now", "year-to-mid-month"):
        for fn in (enforcement.campaigns, campaign_reports):
            stmts = _statements(db, fn, sc[name])
            rows = [x for x in stmts.split(";;") if "FROM inspections" in x and "max(" not in x]
            assert "FROM campaign_cells" in stmts, (name, fn.__name__)
            assert all("UNION ALL" in x for x in rows), (name, fn.__name__)  # only the cut-off month's rows
    assert "campaign_cells" not in _statements(db, enforcement.campaigns, sc["as-of-past"])
    # the departments' inspections and enterprises: their cells for a period from 1 January or one calendar month
    for name in ("year-to-date", "year-to-mid-month", "one-month", "county", "division"):
        stmts = _statements(db, enforcement.by_department, sc[name])
        assert "FROM department_cells" in stmts, name
        assert all("UNION ALL" in x for x in stmts.split(";;") if "FROM inspections" in x and "max(" not in x), name
    for name in ("quarter", "within-a-month", "as-of-past"):  # (enterprises counted from the rows)
        assert "department_cells" not in _statements(db, enforcement.by_department, sc[name]), name
    whole = campaign_reports(sc["year-to-date"], engine=db)
    by_section = campaign_reports(sc["section"].with_(region=PROVINCE), engine=db)
    assert list(whole["system_inspections"]) == list(by_section["system_inspections"])
    assert whole["system_inspections"].sum() > 0


def test_together_puts_one_row_aggregates_side_by_side_and_refuses_what_it_cannot(db):
    """``queries.base.together``: the parts' columns in one row, equal to each part run alone; a label used twice, a
    grouped part (which may have no row and would empty the whole) and no part at all are refused."""
    from queries.base import row, together

    H, I = S.hidden_hazards, S.inspections
    parts = [select(func.count().label("hazards"), func.max(H.c.found_on).label("newest")),
             select(func.count().label("inspections")).where(I.c.inspected_on < dt.date(2021, 3, 1)),
             select(func.count().label("none_at_all")).where(I.c.id < 0)]
    assert row(together(parts), db) == {k: v for p in parts for k, v in row(p, db).items()}
    assert row(together(parts), db)["none_at_all"] == 0
    with pytest.raises(ValueError, match="twice"):
        together([parts[0], select(func.count().label("hazards"))])
    with pytest.raises(ValueError, match="grouped"):
        together([parts[0], select(I.c.department, func.count().label("n")).group_by(I.c.department)])
    with pytest.raises(ValueError):
        together([])


def test_gathered_merges_grouped_parts_as_an_outer_merge_does(db):
    """``queries.base.gathered``: grouped parts' columns per group, equal to the outer merge of the parts' frames
    (groups of one part only, a NULL value left out, a NULL group last); ``per_child`` lists every child region."""
    from queries.base import frame, gathered, group_order, per_child

    H, I = S.hidden_hazards, S.inspections
    major_county = case((H.c.major, H.c.county_adcode), else_=None)  # a NULL group: the hazards not major
    kids = [k.adcode for k in reference(db).children(YANCHENG)]
    parts = [select(major_county.label("k"), func.count().label("hazards")).where(H.c.city_adcode == YANCHENG)
             .group_by(major_county),
             select(I.c.county_adcode.label("k"), func.count().label("inspections"))
             .where(I.c.county_adcode.in_(kids[:2] + [320100 + 2])).group_by(I.c.county_adcode),
             select(H.c.county_adcode.label("k"), func.max(H.c.rectified_on).label("newest"))
             .where(H.c.county_adcode == kids[0], H.c.rectified_on.is_(None)).group_by(H.c.county_adcode)]
    acc = gathered(parts, db)
    merged = frame(parts[0], db).merge(frame(parts[1], db), on="k", how="outer")
    assert None in acc and kids[0] in acc and len(acc) > 3
    assert group_order(acc) == [None if k != k else int(k) for k in merged["k"]]  # (NaN: the NULL group)
    for r in merged.to_dict("records"):
        got = acc[None if r["k"] != r["k"] else int(r["k"])]
        assert {c: int(v) for c, v in r.items() if c != "k" and v == v} == got  # (NaN: not in that part)
    assert kids[0] in acc and all("newest" not in v for v in acc.values())  # a NULL value left out
    assert group_order({"b": 1, None: 2, "a": 3}) == ["a", "b", None]
    with pytest.raises(ValueError, match="two parts"):  # an outer merge would have kept both (_x, _y)
        gathered([parts[0], select(H.c.county_adcode.label("k"), func.count().label("hazards"))
                  .group_by(H.c.county_adcode)], db)
    rs = prepare(Scope(YANCHENG), db)[1]
    table = per_child(rs, {kids[0]: {"n": 3}, 1: {"n": 9}}, ["n"])  # (1: no child region of the scope)
    assert table["adcode"].tolist() == kids and table["n"].tolist() == [3] + [0] * (len(kids) - 1)
    assert str(table["n"].dtype) == "int64"


def test_the_worst_rated_enterprises_read_only_the_colours_they_need(db):
    """``credit.enterprises`` with a limit reads only the worst colours that fill it (the colour counts from the
    cells, where they serve) and gives exactly the first rows of the whole list, at every boundary between colours;
    all colours when the limit passes the worst three or the cells cannot serve (as of a past time)."""
    sc = _scopes(db)
    for name in ("year-to-date", "county", "as-of-past"):
        s = sc[name]
        d = credit.distribution(s, engine=db)
        whole = credit.enterprises(s, engine=db, limit=10 ** 7)
        assert len(whole) == d["rated"], name
        # worst colour first, then the lowest score, then the enterprise (the colours are read one at a time)
        rank = {c: i for i, c in enumerate(reversed(CREDIT_COLOURS))}
        ordered = whole.assign(r=whole["colour"].map(rank)).sort_values(["r", "score", "id"], kind="stable")
        assert list(ordered["id"]) == list(whole["id"]), name
        red, yellow, blue = d["red"], d["yellow"], d["blue"]
        for limit in {1, red, red + 1, red + yellow, red + yellow + 1, red + yellow + blue + 1, d["rated"]} - {0}:
            with _recorded(db) as seen:
                got = credit.enterprises(s, engine=db, limit=limit)
            assert got.equals(whole.head(limit).reset_index(drop=True)), (name, limit)
            listing = [x for x, _ in seen if "ORDER BY" in x][-1]
            served = name != "as-of-past"  # (where the cells cannot serve, counting first would read the rows twice)
            if served:
                read = len(re.findall(r"(?<!worst_first)\.colour = ", listing))  # a part per colour read
                assert read == len(credit.worst_colours(d, limit)), (name, limit, read)
                assert (read < 4) == (limit <= red + yellow + blue), (name, limit)
            else:  # the newest ratings by a window: one window over the ratings, every colour from it
                assert listing.upper().count("ROW_NUMBER()") == 1 and " IN (" in listing.upper(), (name, limit)
            # the counts handed in (the credit page has them): the same list, and the counts are not read again
            with _recorded(db) as seen:
                given = credit.enterprises(s, engine=db, limit=limit, counts=d)
            assert given.equals(got), (name, limit)
            assert _cell_reads(seen) == 0, (name, limit)
    # the list's filters: the whole list's rows of those colours, that sector, names holding the text (literally,
    # letters in either case), in the same order
    s = sc["year-to-date"]
    whole = credit.enterprises(s, engine=db, limit=10 ** 7)
    name = whole["sector"].iloc[-1]
    code = next(i.code for i in reference(db).sectors() if i.name == name)
    part = whole[whole["sector"] == name]["name"].iloc[0][2:4]
    for colours, sec, text in ((("red",), None, None), (("red", "yellow"), code, None), (("blue", "green"), code, part),
                               (("red", "yellow", "blue", "green"), None, part), (("red",), None, "%"), ((), None, None)):
        got = credit.enterprises(s, engine=db, colours=colours, sector=sec, name_contains=text, limit=10 ** 7)
        want = whole[whole["colour"].isin(colours) & ((whole["sector"] == name) if sec else True)
                     & (whole["name"].str.contains(text, regex=False) if text else True)].reset_index(drop=True)
        assert list(got["id"]) == list(want["id"]) and (want.empty or got.equals(want)), (colours, sec, text)
    assert len(credit.enterprises(s, engine=db, colours=("red", "yellow", "blue", "green"), name_contains=part,
                                  limit=10 ** 7)) > 0
    with db.begin() as c:  # a name in Latin letters: matched in either case on both databases
        eid = int(whole["id"].iloc[0])
        old = c.execute(text_sql("SELECT name FROM enterprises WHERE id = :i"), {"i": eid}).scalar()
        c.execute(text_sql("UPDATE enterprises SET name = :n WHERE id = :i"), {"n": old + "ABC_x%", "i": eid})
    try:
        for q in ("abc_x%", "ABC_X%", "c_x%"):
            assert list(credit.enterprises(s, engine=db, colours=("red", "yellow", "blue", "green"), name_contains=q,
                                           limit=10)["id"]) == [eid], q
        assert credit.enterprises(s, engine=db, colours=("red",), name_contains="abcxx", limit=10).empty
    finally:
        with db.begin() as c:
            c.execute(text_sql("UPDATE enterprises SET name = :n WHERE id = :i"), {"n": old, "i": eid})
    assert credit.worst_colours({"red": 3, "yellow": 5, "blue": 1, "green": 9}, 8) == ["red", "yellow"]
    assert credit.worst_colours({"red": 3, "yellow": 5, "blue": 1, "green": 9}, 3) == ["red"]
    assert credit.worst_colours({"red": 0, "yellow": 0, "blue": 0, "green": 0}, 5) == ["red", "yellow", "blue", "green"]


def test_the_enterprises_register_is_read_from_the_cells(db):
    """The platform's and the grids' enterprise counts sum the register's cells (a few thousand) instead of counting
    every enterprise, as of now too; as of a time before the newest enterprise was recorded they count the rows
    recorded by then."""
    sc = _scopes(db)
    with db.connect() as c:
        newest = c.execute(select(func.max(S.enterprises.c.recorded_at))).scalar()
    newest = dt.datetime.fromisoformat(newest) if isinstance(newest, str) else newest
    before = sc["year-to-date"].with_(as_of=newest - dt.timedelta(seconds=1))
    for fn in (overview.platform, grids.summary, grids.by_region):
        for name in ("year-to-date", "county", "section", "as-of-now"):
            stmts = _statements(db, fn, sc[name])
            assert "FROM period_cells" in stmts and not _reads_rows(stmts, "enterprises"), (fn.__name__, name)
        assert _reads_rows(_statements(db, fn, before), "enterprises"), fn.__name__


def test_whole_months_of_a_period():
    d = dt.date
    assert cells.whole_months(d(2021, 1, 1), d(2021, 6, 30)) == cells.Months(d(2021, 1, 1), d(2021, 6, 1))
    assert cells.whole_months(d(2021, 1, 2), d(2021, 6, 29)) == cells.Months(d(2021, 2, 1), d(2021, 5, 1))
    assert cells.whole_months(d(2020, 12, 31), d(2021, 2, 28)) == cells.Months(d(2021, 1, 1), d(2021, 2, 1))
    assert cells.whole_months(d(2024, 2, 1), d(2024, 2, 29)) == cells.Months(d(2024, 2, 1), d(2024, 2, 1))
    assert cells.whole_months(d(2024, 2, 1), d(2024, 2, 28)) is None
    assert cells.whole_months(d(2021, 3, 5), d(2021, 3, 31)) is None
    assert cells.whole_months(None, None) == cells.Months(None, None)
    assert cells.whole_months(None, d(2021, 3, 30)) == cells.Months(None, d(2021, 2, 1))


def test_cells_match_a_fresh_computation(db):  # (in the edit loop: the one check of the cells' values there)
    with db.connect() as c:
        assert cell_spec.check(c) == CLEAN


def _clean(conn, *facts: str) -> None:
    """The cells of ``facts`` (those of the tables just written) equal a fresh computation."""
    assert cell_spec.check(conn, list(facts)) == {f: 0 for f in facts}


@pytest.mark.slow
def test_triggers_keep_the_cells_exact_through_any_write(db):
    """Insert, move in time and space, change what a cell counts (major, rectified, online, decided, fine), delete —
    on every fact table; an inspection moved inside its enterprise's history also moves its neighbours' "first of
    the year / month" through the derived column. Inside one transaction, rolled back; then the check sees a cell
    left stale with the triggers dropped."""
    I, H, C, SO = S.inspections, S.hidden_hazards, S.cases, S.suspension_orders
    with db.connect() as c:
        tx = c.begin()
        try:
            e = c.execute(select(I.c.enterprise_id).group_by(I.c.enterprise_id).having(func.count() >= 3)
                          .order_by(I.c.enterprise_id).limit(1)).scalar()
            rows = c.execute(select(I).where(I.c.enterprise_id == e).order_by(I.c.inspected_on, I.c.id)).mappings().all()
            new = {k: v for k, v in rows[1].items() if k not in ("id", "prev_on", "prev_dept_on", "first_in_campaign")}
            new.update(record_no=None, inspected_on=rows[0]["inspected_on"] - dt.timedelta(days=40))
            c.execute(insert(I).values(**new))
            c.execute(update(I).where(I.c.id == rows[0]["id"])
                      .values(inspected_on=rows[-1]["inspected_on"] + dt.timedelta(days=33)))
            other = c.execute(select(S.divisions.c.adcode).where(S.divisions.c.level == "county",
                                                                 S.divisions.c.adcode != rows[1]["county_adcode"])
                              .limit(1)).scalar()
            c.execute(update(I).where(I.c.id == rows[1]["id"]).values(county_adcode=other))
            _clean(c, "inspections", "campaign_insp@campaign", "dept_insp@department")
            # into another campaign, out of every campaign, into one from none; to another department
            camps = list(c.execute(select(S.campaigns.c.id).order_by(S.campaigns.c.id).limit(2)).scalars())
            c.execute(update(I).where(I.c.id == rows[0]["id"])
                      .values(campaign_id=camps[1] if rows[0]["campaign_id"] == camps[0] else camps[0]))
            c.execute(update(I).where(I.c.id == rows[1]["id"]).values(campaign_id=None))
            c.execute(update(I).where(I.c.id == rows[1]["id"]).values(campaign_id=camps[0]))
            c.execute(update(I).where(I.c.id == rows[2]["id"]).values(campaign_id=None))
            dept = c.execute(select(I.c.department).where(I.c.department != rows[1]["department"]).limit(1)).scalar()
            c.execute(update(I).where(I.c.id == rows[1]["id"]).values(department=dept))
            _clean(c, "inspections", "campaign_insp@campaign", "dept_insp@department")

            hz = c.execute(select(H).order_by(H.c.id).limit(3)).mappings().all()
            c.execute(update(H).where(H.c.id == hz[0]["id"]).values(major=not hz[0]["major"]))
            c.execute(update(H).where(H.c.id == hz[1]["id"])
                      .values(rectified_on=None if hz[1]["rectified_on"] else hz[1]["found_on"]))
            c.execute(update(H).where(H.c.id == hz[2]["id"]).values(found_on=dt.date(2019, 5, 5)))
            c.execute(insert(H).values(**{**{k: v for k, v in hz[0].items() if k != "id"},
                                          "found_on": dt.date(2021, 2, 14)}))
            c.execute(update(H).where(H.c.id == hz[1]["id"]).values(enterprise_id=hz[2]["enterprise_id"]))
            _clean(c, "hazards", "hazards@enterprise", "hazards_year@enterprise_year")

            cs = c.execute(select(C).order_by(C.c.id).limit(3)).mappings().all()
            c.execute(update(C).where(C.c.id == cs[0]["id"])
                      .values(decided_on=cs[0]["filed_on"] + dt.timedelta(days=30), fine_yuan=12345.67))
            c.execute(update(C).where(C.c.id == cs[1]["id"]).values(decided_on=None, online=not cs[1]["online"]))
            c.execute(update(C).where(C.c.id == cs[2]["id"]).values(transferred_judicial=True, fine_yuan=0.01))
            so = c.execute(select(SO.c.id).order_by(SO.c.id).limit(1)).scalar()
            c.execute(update(SO).where(SO.c.id == so).values(ordered_on=dt.date(2021, 1, 31)))
            _clean(c, "suspensions", "cases_filed", "cases_decided")

            RR, RI = S.risk_reports, S.risk_items
            rr = c.execute(select(RR).order_by(RR.c.id).limit(1)).mappings().one()
            new = {k: v for k, v in rr.items()
                   if k not in ("id", "first_for_obligation", "first_for_required", "items_total",
                                "items_major_or_above", "items_major")}
            rid = c.execute(insert(RR).values(**{**new, "report_no": None, "zero_risk": True, "key_control": True,
                                                 "submitted_at": rr["submitted_at"] - dt.timedelta(days=45)})
                            ).inserted_primary_key[0]  # now the obligation's first report: the old one is not
            item = c.execute(select(RI).order_by(RI.c.id).limit(1)).mappings().one()
            c.execute(insert(RI).values(**{**{k: v for k, v in item.items() if k != "id"}, "report_id": rid,
                                           "level": 1}))
            c.execute(update(RR).where(RR.c.id == rid).values(verification="under_reported",
                                                               verified_on=dt.date(2021, 4, 1)))
            RO = S.risk_obligations
            c.execute(update(RO).where(RO.c.id == rr["obligation_id"]).values(above_scale=False))
            _clean(c, "reports_done", "reports_quality", "reports_items", "obligations", *RISK_CELLS)
            # the items' cells follow their report (another county and month: every item moves), an item's level
            # (out of 较大以上, into it), entry (none: NULL) and report; the day cells the first report's day
            big = c.execute(select(RR.c.id).where(RR.c.items_major_or_above >= 2).order_by(RR.c.id).limit(1)).scalar()
            c.execute(update(RR).where(RR.c.id == big).values(county_adcode=other,
                                                              submitted_at=rr["submitted_at"] + dt.timedelta(days=75)))
            its = c.execute(select(RI).where(RI.c.report_id == big).order_by(RI.c.level, RI.c.id)).mappings().all()
            c.execute(update(RI).where(RI.c.id == its[0]["id"]).values(level=3))
            c.execute(update(RI).where(RI.c.id == its[-1]["id"]).values(level=1, catalogue_code=None, name="未列目录风险"))
            c.execute(update(RI).where(RI.c.id == its[1]["id"]).values(report_id=rid))
            c.execute(update(RR).where(RR.c.id == rid).values(submitted_at=rr["submitted_at"] + dt.timedelta(hours=5)))
            _clean(c, "reports_done", "reports_items", *RISK_CELLS)
            # obligations: a new one, one turned annual (not counted), one moved county and due date, one deleted
            ob = c.execute(select(RO).order_by(RO.c.id).limit(3)).mappings().all()
            oid = c.execute(insert(RO).values(**{**{k: v for k, v in ob[0].items() if k != "id"}, "year": 2031,
                                                 "above_scale": True})).inserted_primary_key[0]
            c.execute(update(RO).where(RO.c.id == ob[1]["id"]).values(kind="annual"))
            c.execute(update(RO).where(RO.c.id == ob[2]["id"]).values(county_adcode=other,
                                                                       due_on=dt.date(2022, 3, 31)))
            _clean(c, "obligations")
            c.execute(delete(RO).where(RO.c.id == oid))
            _clean(c, "obligations")
            c.execute(delete(RI).where(RI.c.report_id == rid))
            c.execute(delete(RR).where(RR.c.id == rid))
            _clean(c, "reports_done", "reports_quality", "reports_items", *RISK_CELLS)

            # credit: a new rating supersedes the enterprise's newest, one moved before its predecessor swaps their
            # places (both superseded_on change), a colour changes, one moves county, one is deleted
            CR = S.credit_ratings
            ent = c.execute(select(CR.c.enterprise_id).group_by(CR.c.enterprise_id).having(func.count() >= 2)
                            .order_by(CR.c.enterprise_id).limit(1)).scalar()
            rs = c.execute(select(CR).where(CR.c.enterprise_id == ent).order_by(CR.c.rated_on, CR.c.id)
                           ).mappings().all()
            base = {k: v for k, v in rs[-1].items() if k not in ("id", "superseded_on")}
            c.execute(insert(CR).values(**{**base, "colour": "red", "rated_on": rs[-1]["rated_on"] + dt.timedelta(days=50)}))
            c.execute(update(CR).where(CR.c.id == rs[1]["id"]).values(rated_on=rs[0]["rated_on"] - dt.timedelta(days=70)))
            c.execute(update(CR).where(CR.c.id == rs[0]["id"]).values(colour="yellow" if rs[0]["colour"] != "yellow" else "green"))
            c.execute(update(CR).where(CR.c.id == rs[0]["id"]).values(county_adcode=other))
            _clean(c, "credit_in", "credit_out")
            c.execute(delete(CR).where(CR.c.id == rs[-1]["id"]))
            _clean(c, "credit_in", "credit_out")

            # the enterprises' register: a new enterprise (key, above scale, no grid), one taken out of its grid and
            # made a key enterprise, one moved county and sector, the new one deleted again
            E = S.enterprises
            es = c.execute(select(E).order_by(E.c.id).limit(2)).mappings().all()
            sector = c.execute(select(E.c.sector_code).where(E.c.sector_code != es[1]["sector_code"]).limit(1)).scalar()
            eid = c.execute(insert(E).values(**{**{k: v for k, v in es[0].items() if k != "id"},
                                                "uscc": "91320000TEST00001X", "is_key": True, "above_scale": True,
                                                "grid_id": None})).inserted_primary_key[0]
            c.execute(update(E).where(E.c.id == es[0]["id"]).values(grid_id=None, is_key=not es[0]["is_key"]))
            c.execute(update(E).where(E.c.id == es[1]["id"]).values(county_adcode=other, sector_code=sector,
                                                                     above_scale=not es[1]["above_scale"]))
            c.execute(update(E).where(E.c.id == es[1]["id"]).values(name="改名不动格子"))  # no cell column: no move
            _clean(c, "enterprises")
            c.execute(delete(E).where(E.c.id == eid))
            _clean(c, "enterprises")

            for t in (S.cases, S.suspension_orders, S.hidden_hazards):
                c.execute(delete(t).where(t.c.inspection_id == rows[2]["id"]))
            c.execute(delete(I).where(I.c.id == rows[2]["id"]))
            c.execute(delete(SO).where(SO.c.id == so))
            assert cell_spec.check(c) == CLEAN

            derived_data.drop_triggers(c)  # the check itself sees a stale cell
            c.execute(update(H).where(H.c.id == hz[0]["id"]).values(found_on=dt.date(2018, 1, 1)))
            assert cell_spec.check(c, ["hazards"])["hazards"] > 0
            assert cell_spec.check(c, ["hazards@enterprise"])["hazards@enterprise"] > 0
            assert cell_spec.check(c, ["hazards_year@enterprise_year"])["hazards_year@enterprise_year"] > 0
            c.execute(update(I).where(I.c.id == rows[0]["id"]).values(campaign_id=None, department=dept + "x"))
            assert cell_spec.check(c, ["campaign_insp@campaign"])["campaign_insp@campaign"] > 0
            assert cell_spec.check(c, ["dept_insp@department"])["dept_insp@department"] > 0
            c.execute(update(RI).where(RI.c.id == its[2]["id"]).values(level=4))
            assert cell_spec.check(c, ["major_items@catalogue"])["major_items@catalogue"] > 0
            first = c.execute(select(RR.c.id).where(RR.c.first_for_required.is_(True)).limit(1)).scalar()
            c.execute(update(RR).where(RR.c.id == first).values(submitted_at=rr["submitted_at"] - dt.timedelta(days=3)))
            assert cell_spec.check(c, ["first_required@report_day"])["first_required@report_day"] > 0
        finally:
            tx.rollback()
    with db.connect() as c:  # the rollback restored the triggers
        tx = c.begin()
        try:
            h = c.execute(select(H.c.id).order_by(H.c.id).limit(1)).scalar()
            c.execute(update(H).where(H.c.id == h).values(found_on=dt.date(2018, 1, 1)))
            _clean(c, "hazards")
        finally:
            tx.rollback()


def test_a_rectification_after_the_as_of_time_keeps_the_figure_on_the_rows(db, tmp_path, monkeypatch):
    """The cells count hazards rectified as of now: a view as of a time after every recorded row but before a
    rectification must not use them, and its figure equals the rows' (on a private copy)."""
    from queries.db import get_engine
    from tests.dbcache import clone_database, remove_copy

    H = S.hidden_hazards
    url = clone_database(db, "cells_rectified", tmp_path)
    try:
        eng = get_engine(url)
        with eng.begin() as c:
            newest = c.execute(select(func.max(H.c.recorded_at))).scalar()
            newest = dt.datetime.fromisoformat(newest) if isinstance(newest, str) else newest
            h = c.execute(select(H.c.id).where(H.c.rectified_on.is_(None), H.c.found_on >= dt.date(2021, 3, 1))
                          .order_by(H.c.id).limit(1)).scalar()
            c.execute(update(H).where(H.c.id == h).values(rectified_on=newest.date() + dt.timedelta(days=5)))
        fact = cell_spec.BY_NAME["hazards"]
        for days, from_cells in ((1, False), (10, True)):
            scope = Scope(PROVINCE, None, dt.date(2021, 1, 1), dt.date(2021, 6, 30), newest + dt.timedelta(days=days))
            monkeypatch.setenv("OVERSIGHT_DERIVED", "1")
            assert cells.usable(prepare(scope, eng)[1], eng, fact) is from_cells
            fast = enforcement.summary(scope, engine=eng)
            monkeypatch.setenv("OVERSIGHT_DERIVED", "0")
            assert fast == enforcement.summary(scope, engine=eng)
        monkeypatch.setenv("OVERSIGHT_DERIVED", "1")
        before = enforcement.summary(Scope(PROVINCE, None, dt.date(2021, 1, 1), dt.date(2021, 6, 30),
                                           newest + dt.timedelta(days=1)), engine=eng)
        after = enforcement.summary(Scope(PROVINCE, None, dt.date(2021, 1, 1), dt.date(2021, 6, 30),
                                          newest + dt.timedelta(days=10)), engine=eng)
        assert after["hazards_rectified"] == before["hazards_rectified"] + 1
    finally:
        remove_copy(url)


# the second writer of the test below, in a process of its own: in one transaction, an item added to the report
# (argv[2]), an item of another report (argv[3]) moved onto it, one of its items' level changed, another deleted
_ITEM_WRITER = """
import sys
from sqlalchemy import create_engine, delete, insert, select, update
from seed.schema import risk_items as RI
url, rid, other = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with create_engine(url).begin() as c:
    its = [dict(r) for r in c.execute(select(RI).where(RI.c.report_id == rid, RI.c.level <= 2).order_by(RI.c.id))
           .mappings()]
    mover = c.execute(select(RI.c.id).where(RI.c.report_id == other, RI.c.level <= 2).order_by(RI.c.id).limit(1)
                      ).scalar()
    c.execute(insert(RI).values(**{**{k: v for k, v in its[0].items() if k != "id"}, "level": 1}))
    c.execute(update(RI).where(RI.c.id == mover).values(report_id=rid))
    c.execute(update(RI).where(RI.c.id == its[1]["id"]).values(level=2 if its[1]["level"] == 1 else 1))
    c.execute(delete(RI).where(RI.c.id == its[2]["id"]))
"""


def test_an_item_written_while_its_report_moves_lands_in_the_reports_new_cell(db, tmp_path):
    """PostgreSQL, two writers at once (READ COMMITTED, on a private copy): one moves a report to another county and
    month; the other — before the first commits — adds an item to it, moves an item onto it, changes one of its
    items' level and deletes another. The item writes wait for the move (the share lock the item's trigger takes on
    its report) and then file the items in the report's new cell: the cells equal a fresh computation. (The second
    writer is a process: Python threads here once ended the run with CPython 3.11's "AST constructor recursion
    depth mismatch".)"""
    if db.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    import subprocess
    import sys
    import time
    from pathlib import Path

    from queries.db import get_engine
    from tests.dbcache import clone_database, remove_copy

    RR = S.risk_reports
    url = clone_database(db, "cells_concurrent", tmp_path)
    try:
        eng = get_engine(url)
        with eng.connect() as c:
            reports = list(c.execute(select(RR.c.id).where(RR.c.items_major_or_above >= 3).order_by(RR.c.id)
                                     .limit(4)).scalars())
            counties = list(c.execute(select(S.divisions.c.adcode).where(S.divisions.c.level == "county")
                                      .order_by(S.divisions.c.adcode).limit(2)).scalars())
        for rid, other, county in ((reports[0], reports[1], counties[0]), (reports[2], reports[3], counties[1])):
            with eng.connect() as mover:
                tx = mover.begin()
                mover.execute(update(RR).where(RR.c.id == rid).values(
                    county_adcode=county, submitted_at=RR.c.submitted_at - dt.timedelta(days=40)))
                writer = subprocess.Popen([sys.executable, "-c", _ITEM_WRITER, url, str(rid), str(other)],
                                          cwd=Path(__file__).resolve().parent.parent, stderr=subprocess.PIPE)
                waiting = 0
                with eng.connect() as watch:  # until the writer waits on the report's lock (not a fixed time)
                    deadline = time.monotonic() + 60
                    while not waiting and writer.poll() is None and time.monotonic() < deadline:
                        waiting = watch.execute(text_sql(
                            "select count(*) from pg_stat_activity where datname = current_database() "
                            "and wait_event_type = 'Lock'")).scalar()
                        watch.rollback()
                        time.sleep(0.05)
                assert waiting and writer.poll() is None, "the item writes did not wait for the report's move"
                tx.commit()
            assert writer.wait(60) == 0, writer.stderr.read().decode()
            with eng.connect() as c:
                _clean(c, "major_items@catalogue", "first_required@report_day", "reports_items")
    finally:
        remove_copy(url)


def _plan(db, stmt: str, params) -> str:
    explain = "EXPLAIN QUERY PLAN " if db.dialect.name == "sqlite" else "EXPLAIN "
    with db.connect() as c:
        return "\n".join(" ".join(str(x) for x in r) for r in c.exec_driver_sql(explain + stmt, params).fetchall())


def test_a_regions_earliest_deadline_reads_its_own_index_entries(db):
    """Every initial obligation carries the rule's one deadline: the due-date index alone would walk most of the
    province before reaching a late city's or county's first row. The region's (…, due_on) index finds it at once."""
    ref = reference(db)
    with db.connect() as c:
        late = c.execute(select(S.risk_obligations.c.county_adcode).order_by(S.risk_obligations.c.id.desc())
                         .limit(1)).scalar()
    for region in (late, ref.divisions[late].parent):
        with _recorded(db) as seen:
            out = risk.completion(Scope(region, None, dt.date(2021, 1, 1), dt.date(2021, 6, 30)), engine=db)
        seen = [(st, p) for st, p in seen if "min(risk_obligations.due_on)" in st]
        assert out["due_on"] is not None and len(seen) == 1
        plan = _plan(db, *seen[0])
        assert "_due" in plan and "ix_risk_obligations_due_on" not in plan, (region, plan)


def test_the_newest_row_lookups_read_an_index(db):
    """Whether the cells (and the maintained columns) may serve a figure as of a time asks for the newest recorded
    row of its fact table and the newest settlement the cells count (``cells.usable``): on every fact table each such
    lookup reads an index's last entry, not the table (the hazards' scans were ~60 ms each, several per figure)."""
    columns = sorted({(f.table, "recorded_at") for f in cell_spec.FACTS}
                     | {(f.table, f.settled) for f in cell_spec.FACTS if f.settled})
    assert ("hidden_hazards", "rectified_on") in columns and len(columns) >= 9
    scans = []
    with db.connect() as c:
        for table, column in columns:
            sql = f"SELECT max({column}) FROM {table}"
            if db.dialect.name == "sqlite":
                plan = " ".join(str(r[-1]) for r in c.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
                reads_index = f"SEARCH {table} USING COVERING INDEX ix_{table}_{column}" in plan
            else:
                plan = " ".join(r[0] for r in c.exec_driver_sql("EXPLAIN " + sql))
                reads_index = any(f"{how} Scan Backward using ix_{table}_{column} on {table}" in plan
                                  for how in ("Index Only", "Index"))
            if not reads_index:
                scans.append((table, column, plan))
    assert scans == []


def test_the_data_range_reads_the_two_ends_of_its_index(db):
    """The pages' default period (``enforcement.data_range``) reads the first and the last inspection day from the
    ends of the date index (a min and a max in one select made SQLite read the whole index on every cold page;
    PostgreSQL reads the two ends either way, so only the SQLite half guards that)."""
    with _recorded(db) as seen:
        first, last = enforcement.data_range(engine=db)
    with db.connect() as c:
        want = c.execute(select(func.min(S.inspections.c.inspected_on), func.max(S.inspections.c.inspected_on))).one()
    assert (first, last) == tuple(cells.as_date(v) for v in want) and first < last
    ((sql, params),) = [(st, p) for st, p in seen if "inspected_on" in st]
    plan = _plan(db, sql, params)
    if db.dialect.name == "sqlite":
        assert not [p for p in plan.splitlines() if "SCAN" in p and "CONSTANT ROW" not in p], plan
    else:
        assert plan.count("Index Only Scan") == 2 and "Seq Scan" not in plan, plan


def test_the_campaigns_progress_equals_the_rows_counted_one_campaign_at_a_time(db):
    """The campaigns' progress (``enforcement.campaigns``: inspections and enterprises by campaign up to the
    cut-off) of the province reads the campaigns' cells, not the inspection rows; and it equals the rows counted one
    campaign at a time."""
    scope = Scope(PROVINCE, None, dt.date(2021, 1, 1), dt.date(2021, 6, 30))
    with _recorded(db) as seen:
        camps = enforcement.campaigns(scope, engine=db)
    IN = S.inspections
    with db.connect() as c:
        for cid, n, ents in zip(camps["id"], camps["inspections"], camps["enterprises_inspected"]):
            where = (IN.c.campaign_id == int(cid), IN.c.inspected_on <= dt.date(2021, 6, 30))
            assert (n, ents) == tuple(c.execute(select(func.count(), func.count(IN.c.enterprise_id.distinct()))
                                                .where(*where)).one()), cid
        assert camps["inspections"].sum() > 100_000
    assert any("FROM campaign_cells" in st for st, _ in seen)
    assert not any("FROM inspections" in st and "max(" not in st for st, _ in seen)


def test_a_seeded_postgresql_database_can_answer_from_its_indexes_alone(db):
    """Seeding ends with a plain VACUUM (``seed.derived.compact``): the visibility maps cover the tables' pages, so
    PostgreSQL can answer from an index alone (VACUUM FULL leaves them empty, and a freshly loaded table has none:
    the campaigns' progress was a scan of every inspection)."""
    if db.dialect.name != "postgresql":
        pytest.skip("visibility maps are PostgreSQL's")
    with db.connect() as c:
        seen = dict(c.exec_driver_sql(
            "SELECT relname, relallvisible::float / relpages FROM pg_class WHERE relkind = 'r' AND relpages > 100 "
            "AND relnamespace = 'public'::regnamespace").all())
    assert {"inspections", "hidden_hazards", "readings", "grids", "enterprises"} <= set(seen)
    assert {t: f for t, f in seen.items() if f < 0.9} == {}
