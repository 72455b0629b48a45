"""排名 (queries/ranking.py) on both databases: a ranking is a sort of the topic modules' own per-region figures, the
rank change is the ranking of the previous period (上期), the last three follow the figure's better
direction, a city user ranks only its counties, and the spreadsheet holds the same rows."""
from __future__ import annotations

import datetime as dt
import io
import re

import pandas as pd
import pytest

from queries import enforcement, handling, hazards, ranking, risk, warnings
from queries.figures import catalogue
from queries.regions import PROVINCE, reference
from queries.scope import Scope, ScopeError

H1 = dict(date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 6, 30))  # the app's default period
YC, NJ, JN = 320900, 320100, 320115
CAT = catalogue()


def recent() -> dict:
    """A period holding the demo's live warnings (raised in the month before seeding)."""
    today = dt.date.today()
    return dict(date_from=today - dt.timedelta(days=44), date_to=today)


# the per-region figure of each indicator, read here straight from the topic modules (not through INDICATORS)
SOURCES = {
    "risk.completion_rate": (risk.by_region, "completion_rate", "required"),
    "enforcement.rectification_rate": (enforcement.by_region, "rectification_rate", "hazards_found"),
    "enforcement.enterprises_inspected": (enforcement.by_region, "enterprises_inspected", None),
    "enforcement.hazards_found": (enforcement.by_region, "hazards_found", None),
    "warnings.ack_timely_rate": (handling.timeliness_by_region, "ack_timely_rate", "ack_due"),
    "warnings.close_timely_rate": (handling.timeliness_by_region, "close_timely_rate", "close_due"),
    "warnings.overdue": (handling.timeliness_by_region, "overdue", None),
    "warnings.open": (warnings.by_region, "open", None),
    "hazards.online_rate": (hazards.by_region, "online_rate", "points"),
}


NOW = dt.datetime.now().replace(microsecond=0)  # 超时未处置 and the timeliness rates move with the clock


def expected(scope: Scope, key: str, db) -> dict[int, tuple[float | None, int | None]]:
    """adcode -> (value, rank) by sorting the topic module's figures: rank = 1 + regions strictly better."""
    fn, col, base = SOURCES[key]
    df = fn(scope, engine=db, now=NOW) if fn is handling.timeliness_by_region else fn(scope, engine=db)
    vals = {int(a): (None if base is not None and b == 0 else float(v))
            for a, v, b in zip(df["adcode"], df[col], df[base] if base else [1] * len(df))}
    up = CAT[key].better == "up"
    ranked = sorted((v for v in vals.values() if v is not None), reverse=up)
    return {a: (v, None if v is None else 1 + sum(1 for x in ranked if (x > v if up else x < v)))
            for a, v in vals.items()}


def by_adcode(t: pd.DataFrame, col: str) -> dict[int, object]:
    return {int(a): (None if pd.isna(v) else v) for a, v in zip(t["adcode"], t[col])}


def test_every_indicator_is_a_catalogue_figure_with_a_direction():
    assert set(ranking.KEYS) == set(SOURCES)
    for key in ranking.KEYS:
        assert CAT[key].better in ("up", "down"), key


@pytest.mark.parametrize("region,period", [(PROVINCE, "h1"), (YC, "h1"), (PROVINCE, "recent"), (NJ, "recent")])
def test_the_ranking_is_a_sort_of_the_per_region_figures(db, region, period):
    scope = Scope(region=region, **(H1 if period == "h1" else recent()))
    r = ranking.rankings(scope, engine=db, now=NOW)
    assert list(r.tables) == list(ranking.KEYS)
    kids = {d.adcode for d in reference(db).children(region)}
    seen_ranked = 0
    for key, t in r.tables.items():
        assert list(t.columns) == ranking.RANK_COLUMNS
        assert set(t["adcode"]) == kids, key
        want = expected(scope, key, db)
        got_v, got_r = by_adcode(t, "value"), by_adcode(t, "rank")
        for a, (v, rk) in want.items():
            assert got_r[a] == rk, (key, a, got_r[a], rk)
            assert (got_v[a] is None) == (v is None) and (v is None or got_v[a] == pytest.approx(v)), (key, a)
        # rows in rank order, regions without a value last
        ranks = [x for x in t["rank"] if not pd.isna(x)]
        assert ranks == sorted(ranks) and all(pd.isna(x) for x in t["rank"][len(ranks):]), key
        vals = [float(x) for x in t["value"][:len(ranks)]]
        assert vals == sorted(vals, reverse=CAT[key].better == "up"), key
        seen_ranked += len(ranks)
    assert seen_ranked > 0


def test_the_previous_period_is_the_months_before_or_the_days_of_equal_length():
    s = Scope(**H1)
    assert ranking.previous_period(s) == (dt.date(2020, 7, 1), dt.date(2020, 12, 31))  # the half-year before
    D = dt.date
    for (f, t), prev in {
        (D(2021, 3, 1), D(2021, 3, 31)): (D(2021, 2, 1), D(2021, 2, 28)),  # a month: the month before
        (D(2024, 3, 1), D(2024, 3, 31)): (D(2024, 2, 1), D(2024, 2, 29)),  # (a leap February)
        (D(2021, 1, 1), D(2021, 1, 31)): (D(2020, 12, 1), D(2020, 12, 31)),  # across the year
        (D(2021, 4, 1), D(2021, 6, 30)): (D(2021, 1, 1), D(2021, 3, 31)),  # a quarter
        (D(2021, 1, 1), D(2021, 12, 31)): (D(2020, 1, 1), D(2020, 12, 31)),  # a year
        (D(2021, 2, 1), D(2021, 4, 30)): (D(2020, 11, 1), D(2021, 1, 31)),  # any whole months
        (D(2021, 3, 1), D(2021, 3, 1)): (D(2021, 2, 28), D(2021, 2, 28)),  # a day: the day before
        (D(2021, 3, 1), D(2021, 3, 30)): (D(2021, 1, 30), D(2021, 2, 28)),  # not a whole month: 30 days before
        (D(2021, 1, 5), D(2021, 2, 5)): (D(2020, 12, 4), D(2021, 1, 4)),
    }.items():
        assert ranking.previous_period(Scope(date_from=f, date_to=t)) == prev, (f, t)
    assert ranking.previous_period(Scope(date_from=None, date_to=dt.date(2021, 3, 1))) is None
    assert ranking.previous_period(Scope(date_from=dt.date(2000, 1, 5), date_to=dt.date(2000, 2, 5))) is None
    asof = dt.datetime(2021, 7, 10, 12, 0)
    s = Scope(as_of=asof, **H1)
    p = ranking.previous_scope(s, "period")  # period figures: the previous period's events, the same cut-off
    assert (p.date_from, p.date_to, p.as_of) == (dt.date(2020, 7, 1), dt.date(2020, 12, 31), asof)
    c = ranking.previous_scope(s, "cutoff")  # to-date figures: at the previous period's end, as known at the cut-off
    assert (c.date_to, c.as_of) == (dt.date(2020, 12, 31), asof)
    m = ranking.previous_scope(s, "cutoff", True)  # 未消警, 超时未处置 (taken at the as-of time): at the period's end
    assert m.as_of == dt.datetime(2020, 12, 31, 23, 59, 59)
    early = dt.datetime(2020, 11, 1)
    assert ranking.previous_scope(s.with_(as_of=early), "cutoff", True).as_of == early
    assert ranking.previous_scope(s, "live") is None


@pytest.mark.parametrize("region,period", [(PROVINCE, "h1"), (YC, "recent")])
def test_the_rank_change_is_the_ranking_of_the_previous_period(db, region, period):
    scope = Scope(region=region, **(H1 if period == "h1" else recent()))
    r = ranking.rankings(scope, engine=db, now=NOW)
    changed = levelled = 0
    for key, t in r.tables.items():
        basis = CAT[key].basis
        prev = ranking.previous_scope(scope, basis, CAT[key].moment)
        if basis == "live":
            assert prev is None and t["prev_rank"].isna().all() and t["change"].isna().all(), key
            continue
        want = expected(prev, key, db)  # the previous period sorted straight from the topic module
        if len({v for v, _ in want.values() if v is not None}) < 2:  # one value everywhere: no ranking to compare
            assert t["prev_rank"].isna().all() and t["change"].isna().all(), key
            levelled += 1
            continue
        assert by_adcode(t, "prev_rank") == {a: rk for a, (_, rk) in want.items()}, key
        again = ranking.rankings(prev, engine=db, keys=(key,), now=NOW).tables[key]  # and ranked by the same function
        assert by_adcode(again, "rank") == by_adcode(t, "prev_rank"), key
        for _, x in t.iterrows():
            if pd.isna(x["rank"]) or pd.isna(x["prev_rank"]):
                assert pd.isna(x["change"])
            else:
                assert x["change"] == x["prev_rank"] - x["rank"]
                changed += x["change"] != 0
    # the periods differ somewhere (the province's half-years); Yancheng's counties in the 44 days before the recent
    # period: some indicators at one value everywhere (no previous ranks)
    assert changed > 0 if region == PROVINCE else levelled > 0


def test_enforcement_ranks_of_the_previous_half_year_by_hand(db):
    """The previous period of 2021 H1 is 2020-07-01 .. 2020-12-31 (the half-year before): 检查企业 ranks of that period, sorted here."""
    r = ranking.rankings(Scope(**H1), engine=db, keys=("enforcement.enterprises_inspected",))
    t = r.tables["enforcement.enterprises_inspected"]
    prev = enforcement.by_region(Scope(date_from=dt.date(2020, 7, 1), date_to=dt.date(2020, 12, 31)), engine=db)
    order = prev.sort_values("enterprises_inspected", ascending=False)
    assert len(set(order["enterprises_inspected"])) == len(order)  # no ties: positions are ranks
    assert by_adcode(t, "prev_rank") == {int(a): i for i, a in enumerate(order["adcode"], start=1)}
    assert (r.prev_from, r.prev_to) == (dt.date(2020, 7, 1), dt.date(2020, 12, 31))


# --- the last three ------------------------------------------------------------------------------------------------

def _bottom(values, better):
    out = ranking.rank(pd.Series(values, index=range(len(values)), dtype="float64"), better)
    return [int(i) for i in out.index[out["bottom"]]], [None if pd.isna(x) else int(x) for x in out["rank"]]


def test_the_last_three_follow_the_better_direction():
    vals = [50, 10, 40, 20, 30, 60]
    assert _bottom(vals, "up") == ([1, 3, 4], [2, 6, 3, 5, 4, 1])  # higher is better: the three lowest
    assert _bottom(vals, "down") == ([0, 2, 5], [5, 1, 4, 2, 3, 6])  # lower is better: the three highest
    # ties share the better rank; a tie at the border marks every region of it
    assert _bottom([9, 8, 7, 5, 5, 1], "up") == ([3, 4, 5], [1, 2, 3, 4, 4, 6])
    assert _bottom([9, 8, 5, 5, 5, 1], "up") == ([2, 3, 4, 5], [1, 2, 3, 3, 3, 6])
    # all equal (e.g. no overdue warning anywhere): nobody is last
    assert _bottom([0, 0, 0, 0, 0], "down") == ([], [1, 1, 1, 1, 1])
    # regions tied with the first are never marked
    assert _bottom([0, 0, 0, 0, 3], "down") == ([4], [1, 1, 1, 1, 5])
    # three regions or fewer: no 后三名
    assert _bottom([3, 2, 1], "up")[0] == []
    # a region without a value has no rank and no mark, and does not count
    b, r = _bottom([float("nan"), 4, 3, 2, 1], "up")
    assert r == [None, 1, 2, 3, 4] and b == [2, 3, 4]
    assert _bottom([float("nan"), 3, 2, 1], "up")[0] == []
    with pytest.raises(ValueError):
        ranking.rank(pd.Series([1.0, 2.0]), None)


def test_the_board_counts_only_marked_ranks_and_a_region_listed_twice_is_refused():
    """The overview board: a region absent from one indicator's table has no rank there and is not counted among
    that indicator's last three; a source listing a region twice is refused (its value would pair with another
    region's name)."""
    ind = ranking.Indicator("k", None, "x")
    cur = pd.DataFrame({"adcode": [1, 2, 3, 4, 5], "name": list("abcde"), "x": [5.0, 4.0, 3.0, 2.0, 1.0]})
    r = ranking.Ranking(0, "省", "province", "设区市", "", None, None, None, None, None)
    r.tables["a"] = ranking._table(ind, "up", cur, None)
    r.tables["b"] = ranking._table(ind, "up", cur[cur["adcode"] != 5], None)  # region 5 not in this table
    board = r.board().set_index("adcode")
    assert board["a"].tolist() == [1, 2, 3, 4, 5] and pd.isna(board.loc[5, "b"])
    assert board["bottoms"].tolist() == [0, 1, 2, 2, 1]  # 5: last in a only; 2-4 last three of b (4 ranked)
    with pytest.raises(ValueError, match="twice"):
        ranking._table(ind, "up", pd.concat([cur, cur.head(1)]), None)


def test_the_last_three_on_the_demo_data(db):
    tables = [t for p in (H1, recent()) for t in ranking.rankings(Scope(**p), engine=db, now=NOW).tables.items()]
    checked = 0
    for key, t in tables:
        ok = t[t["rank"].notna()]
        marked = ok[ok["bottom"]]
        if len(ok) <= ranking.BOTTOM_N or marked.empty:
            continue
        worst_first = ok["value"].astype(float).sort_values(ascending=CAT[key].better == "up")
        limit = worst_first.iloc[ranking.BOTTOM_N - 1]  # the third worst value
        for _, x in ok.iterrows():
            worse_or_at = x["value"] <= limit if CAT[key].better == "up" else x["value"] >= limit
            assert bool(x["bottom"]) == (bool(worse_or_at) and x["rank"] > 1), (key, x["name"])
        checked += 1
    assert checked >= 8
    r = ranking.rankings(Scope(**H1), engine=db)
    up, down = r.tables["enforcement.enterprises_inspected"], r.tables["warnings.open"]
    assert set(up[up["bottom"]]["adcode"]) == set(up.nsmallest(3, "value")["adcode"])
    assert set(down[down["bottom"]]["value"]) <= set(down.nlargest(3, "value", keep="all")["value"])


# --- scope ---------------------------------------------------------------------------------------------------------

def test_a_city_user_ranks_only_its_counties(db):
    mine = {d.adcode for d in reference(db).children(YC)}
    r = ranking.rankings(Scope(region=PROVINCE, binding=YC, **H1), engine=db)  # asks for the province: gets 盐城市
    assert r.region == YC and r.child_kind == "县（市、区）"
    for key, t in r.tables.items():
        assert set(t["adcode"]) == mine, key
    assert r.tables["enforcement.enterprises_inspected"]["value"].sum() == \
        enforcement.summary(Scope(region=YC, **H1), engine=db)["enterprises_inspected"]
    with pytest.raises(ScopeError):
        ranking.rankings(Scope(region=NJ, binding=YC, **H1), engine=db)
    with pytest.raises(ScopeError):
        ranking.rankings(Scope(region=320115, binding=YC, **H1), engine=db)  # a county of 南京市


def test_a_county_is_ranked_among_its_citys_counties_by_who_may_see_them(db):
    city = ranking.rankings(Scope(region=NJ, **H1), engine=db, keys=("enforcement.hazards_found",))
    for binding in (None, NJ):  # the province, the city's account
        r = ranking.rankings(Scope(region=JN, binding=binding, **H1), engine=db, keys=("enforcement.hazards_found",))
        assert (r.region, r.focus, r.child_kind) == (NJ, JN, "县（市、区）")
        pd.testing.assert_frame_equal(r.tables["enforcement.hazards_found"], city.tables["enforcement.hazards_found"])
    from openpyxl import load_workbook

    notes = {a: b for a, b in load_workbook(io.BytesIO(ranking.to_xlsx(r)))["说明"].iter_rows(min_row=2, values_only=True)}
    assert notes["当前地区"] == "江宁区（在南京市各县（市、区）中的排名）"
    # an account bound to the county sees no other county: nothing to rank
    for region in (PROVINCE, NJ, JN):  # asking for its city or the province narrows to the county
        r = ranking.rankings(Scope(region=region, binding=JN, **H1), engine=db)
        assert not r.ranked and r.tables == {} and r.level == "county" and r.focus is None
    with pytest.raises(ScopeError):
        ranking.rankings(Scope(region=320116, binding=JN, **H1), engine=db)  # a neighbouring county


# --- the spreadsheet -----------------------------------------------------------------------------------------------

def test_the_spreadsheet_holds_the_same_rows(db):
    from openpyxl import load_workbook

    r = ranking.rankings(Scope(region=YC, **recent()), engine=db)
    when = dt.datetime(2026, 1, 2, 3, 4, 5)
    wb = load_workbook(io.BytesIO(ranking.to_xlsx(r, generated_by="=HYPERLINK(\"http://x\")", generated_at=when)))
    assert wb.sheetnames == ["说明", "排名总览"] + [CAT[k].label for k in r.tables]
    notes = {row[0]: row[1] for row in wb["说明"].iter_rows(min_row=2, values_only=True)}
    assert not [k for k in notes if re.search("[A-Za-z]", k)]  # items named in Chinese
    assert notes["排名范围"] == "盐城市各县（市、区） · 全部行业"
    assert notes["本期"] == r.period_text() and notes["上期"] == r.prev_text()
    assert notes["生成时间"] == "2026-01-02 03:04:05" and notes["口径说明"] == ranking.NOTE
    for k in r.tables:
        assert CAT[k].definition in notes[CAT[k].label]
    for key, t in r.tables.items():
        rows = list(wb[CAT[key].label].iter_rows(min_row=2, values_only=True))
        assert len(rows) == len(t)
        for row, (_, x) in zip(rows, t.iterrows()):
            rank, name, adcode, value, prev_rank, change, prev_value, bottom = row
            assert (name, adcode) == (x["name"], x["adcode"])
            assert rank == (None if pd.isna(x["rank"]) else x["rank"])
            assert prev_rank == (None if pd.isna(x["prev_rank"]) else x["prev_rank"])
            assert (value is None) == pd.isna(x["value"]) and (value is None or value == pytest.approx(x["value"]))
            assert change == ranking.change_text(x["change"])
            assert (bottom == "后三名") == bool(x["bottom"])
    board = r.board()
    rows = list(wb["排名总览"].iter_rows(min_row=2, values_only=True))
    assert [(a, b) for a, b, *_ in rows] == list(zip(board["name"], board["adcode"]))
    assert [row[-1] for row in rows] == list(board["bottoms"])
    # every text cell is text, and text that could start a formula keeps Excel's quote prefix
    cell = next(c for c in wb["说明"]["B"] if c.value and str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s" and cell.quotePrefix
    assert not any(c.data_type == "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)


def test_change_text():
    assert [ranking.change_text(c) for c in (2, -1, 0, None, pd.NA, float("nan"))] == ["↑2", "↓1", "持平", "—", "—",
                                                                                       "—"]


def test_region_names_added_as_a_left_merge_onto_the_children_would(monkeypatch):
    """``queries.base.name_children`` takes the rows by position where every child has exactly one; it equals the
    left merge onto the children (zero where a child has none or the frame has a gap) for every shape of frame: all
    children in another order, some, one twice, one not a child, none, other key and column types, a column named
    like the names, gaps of the frame's own."""
    from types import SimpleNamespace

    from queries import base

    kids = [SimpleNamespace(adcode=320100 + 100 * i, name=f"市{i}") for i in range(13)]
    monkeypatch.setattr(base, "children", lambda rs: kids)

    def merged(df, col="adcode"):
        b = pd.DataFrame({col: [d.adcode for d in kids], "name": [d.name for d in kids]})
        out = b.merge(df, on=col, how="left") if not df.empty else b.assign(**{c: 0 for c in df.columns if c != col})
        num = [c for c in out.columns if c not in (col, "name")]
        out[num] = out[num].fillna(0)
        return out

    codes = [d.adcode for d in kids][::-1]
    full = pd.DataFrame({"adcode": codes, "a": range(13), "b": [i / 3 for i in range(13)], "o": [f"y{i}" for i in range(13)],
                         "d": pd.Timestamp("2021-01-01"), "s": pd.Series([f"x{i}" for i in range(13)], dtype="string")})
    frames = [full, full.iloc[:5], pd.concat([full, full.iloc[:1]]), full.iloc[:0],
              pd.concat([full, full.iloc[:1].assign(adcode=999999)]), full.assign(adcode=full["adcode"].astype("int32")),
              full.sample(frac=1, random_state=3).set_index(pd.Index(range(100, 113))), full.assign(name="n"),
              full[["adcode", "a"]], full.assign(b=[None if i % 3 else i / 3 for i in range(13)]),
              full.assign(o=[None if i % 4 else "z" for i in range(13)], a=[float("nan")] * 13),
              full.assign(o=pd.Series([f"y{i}" for i in range(13)], dtype=object),
                          p=pd.Series([None if i % 2 else i for i in range(13)], dtype=object))]
    import warnings as pywarnings

    with pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore")  # (pandas on filling a string column with 0, in the merge's path)
        for i, df in enumerate(frames):
            pd.testing.assert_frame_equal(base.name_children(df, None), merged(df), obj=f"frame {i}")


def test_a_previous_period_of_equal_values_has_no_ranks_to_compare():
    """All regions at one value in 上期 (all 0 %, or one region with a value) ranked them all first: the table
    shows no previous rank and no change instead of "13 ↓12"; a previous period with two values ranks as before."""
    from types import SimpleNamespace

    ind = SimpleNamespace(key="x.rate", column="rate", base=None, source=None)
    cur = pd.DataFrame({"adcode": [1, 2, 3, 4, 5], "name": list("abcde"), "rate": [50.0, 40.0, 30.0, 20.0, 10.0]})
    for prev_rates in ([0.0] * 5, [None, None, 12.5, None, None], [7.0] * 5):
        t = ranking._table(ind, "up", cur, cur.assign(rate=prev_rates))
        assert t["prev_rank"].isna().all() and t["change"].isna().all(), prev_rates
        assert t["prev_value"].notna().sum() == sum(x is not None for x in prev_rates)
        assert t["rank"].tolist() == [1, 2, 3, 4, 5]
    t = ranking._table(ind, "up", cur, cur.assign(rate=[0.0, 0.0, 0.0, 0.0, 1.0]))
    assert t["prev_rank"].tolist() == [2, 2, 2, 2, 1] and t["change"].tolist() == [1, 0, -1, -2, -4]
