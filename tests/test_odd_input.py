"""Odd but valid-looking input: digits str.isdigit() accepts but int() does not (superscripts), other scripts'
digits, fullwidth digits, over-long numbers, dates at the edges, as-of times before any data. Every page of the
three apps and `oversight figures` answer with a clear Chinese message (or the right view), never a traceback."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cli import main as oversight
from queries import warnings
from queries.regions import PROVINCE, reference
from queries.scope import Scope, ScopeError, parse_region, scope_from_params
from tests.apptest_util import app, clear_caches

CJK = re.compile(r"[\u4e00-\u9fff]")
BAD_REGIONS = ["³²⁰¹⁰⁰", "٣٢٠١٠٠x", "۳۲", "३२०१००", "⁰", "320¹00", "9" * 5000, "1" * 25, "320100" * 3, "-320100",
               "３２０１００９"]
ODD = st.one_of(
    st.text(alphabet="0123456789³²¹⁰⁴⁵⁶⁷⁸⁹０１２３４５６７８９٠١٢٣٤٥٦٧٨٩۰۱۲۳४५६-:T+. Z_", max_size=30),
    st.text(max_size=30),
    st.sampled_from(BAD_REGIONS + ["0001-01-01T00:00+14:00", "9999-12-31T23:59-14:00", "0001-01-01 00:00:00+00:01",
                                   "2000-01-01", "2099-12-31", "2100-01-01", "1999-12-31", "２０２１-０１-０１"]),
)


# --- the parsers (both databases: the reference data come from each) ---------------------------------------------

@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(key=st.sampled_from(["region", "industry", "from", "to", "as_of"]), value=ODD)
def test_scope_parameters_refuse_odd_text_with_a_message(db, key, value):
    try:
        scope_from_params({key: value}, db)
    except ScopeError as e:
        assert CJK.search(str(e)), (key, value, str(e))


def test_odd_digits_are_unknown_regions_and_fullwidth_digits_are_folded(db):
    ref = reference(db)
    for text in BAD_REGIONS:
        with pytest.raises(ScopeError, match="未知的地区"):
            parse_region(text, ref)
    assert parse_region("３２０１００", ref) == parse_region(" 320100 ", ref) == 320100
    assert parse_region("南京市", ref) == 320100


def test_as_of_with_an_extreme_offset_is_out_of_range(db):
    for text in ("0001-01-01T00:00+14:00", "9999-12-31T23:59-14:00", "0001-01-01 00:00:00+00:01"):
        with pytest.raises(ScopeError, match="超出范围"):
            scope_from_params({"as_of": text}, db)


def test_warnings_by_region_before_the_history_has_every_column(db):
    """A period (or as-of) before the first warning: zero rows raised, every column still there."""
    for s in (Scope(region=PROVINCE, date_from=dt.date(2000, 1, 1), date_to=dt.date(2000, 1, 31),
                    as_of=dt.datetime(2000, 1, 31, 23, 59, 59)),
              Scope(region=320100, date_from=dt.date(2019, 1, 1), date_to=dt.date(2019, 1, 7),
                    as_of=dt.datetime(2019, 1, 7, 23, 59, 59)),
              Scope(region=320102, date_from=dt.date(2000, 1, 1), date_to=dt.date(2000, 1, 2))):
        df = warnings.by_region(s, engine=db)
        assert {"adcode", "name", "raised", "open", "level_1", "level_2", "level_3", "level_4"} <= set(df.columns)
        assert len(df) > 0 and int(df["raised"].sum()) == 0


# --- the pages ----------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True, scope="module")
def _fresh():  # the module starts from cold caches; a hostile parameter is a new cache key, computed anew
    clear_caches()
    yield


def _page(name, user, page, params):
    at = app(name, user, page=page)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


APPS = [("leadership", "leader", None), ("wallscreen", "duty", None), ("briefing", "writer", None)]


@pytest.mark.slow
@pytest.mark.parametrize("name,user,page", APPS, ids=[a for a, *_ in APPS])
@pytest.mark.engines("sqlite")  # URL parsing does not depend on the database
def test_odd_regions_on_every_app(db, name, user, page):
    for text in BAD_REGIONS[:4] + BAD_REGIONS[6:8]:
        at = _page(name, user, page, {"region": text})
        assert not at.exception, (name, text, at.exception)
        msgs = [e.value for e in at.error]
        assert any("链接中的查询条件无效" in m and "未知的地区" in m for m in msgs), (name, text, msgs)
    at = _page(name, user, page, {"region": "３２０１００"})  # fullwidth digits from a Chinese input method
    assert not at.exception and not at.error, (name, at.error)


@pytest.mark.parametrize("params", [
    {"as_of": "2019-01-01"}, {"as_of": "2000-01-01", "from": "2000-01-01", "to": "2000-01-01"},
    {"from": "2099-12-01", "to": "2099-12-31"}, {"as_of": "2099-12-31 23:00"}, {"wwin": "30d", "as_of": "2018-06-01"},
], ids=["asof-2019", "year-2000", "year-2099", "asof-2099", "30d-2018"])
def test_warnings_page_at_the_edges_of_time(db, params):
    at = _page("leadership", "leader", "warnings.py", params)
    assert not at.exception, (params, at.exception)
    assert not at.error, [e.value for e in at.error]
    assert "预警" in [m.label for m in at.metric]


@pytest.mark.engines("sqlite")  # URL parsing does not depend on the database
@pytest.mark.parametrize("name,user,page", [("leadership", "leader", "overview.py"), ("briefing", "writer", None)])
def test_an_as_of_day_to_come_shows_today_and_says_so(db, name, user, page):
    """Data are never "as of" a day to come: the view is today's (a briefing would cite the date as its cut-off),
    with a warning naming the link's date; tomorrow and the end of the range alike, today's end of day is kept."""
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    for as_of in ("2099-12-31 23:00", f"{tomorrow} 00:00", str(tomorrow)):
        at = _page(name, user, page, {"as_of": as_of})
        assert not at.exception and not at.error, (as_of, at.exception, [e.value for e in at.error])
        assert any("晚于今天" in w.value and as_of[:10] in w.value for w in at.warning), (as_of, [w.value for w in at.warning])
        shown = " ".join(str(getattr(e, "value", "")) for e in [*at.markdown, *at.caption])
        assert as_of[:10] not in shown.replace(f"链接中的数据截止时间 {as_of[:10]}", ""), as_of
    at = _page(name, user, page, {"as_of": str(dt.date.today())})
    assert not any("晚于今天" in w.value for w in at.warning)


@pytest.mark.slow
@pytest.mark.parametrize("name,user,page", [("leadership", "leader", "enforcement.py"), ("briefing", "writer", None),
                                            ("wallscreen", "duty", None), ("leadership", "leader", "risk.py")])
@pytest.mark.engines("sqlite")  # the date pickers do not depend on the database
def test_dates_the_pickers_did_not_offer(db, name, user, page):
    """The query layer accepts 2000 – 2099; the date pickers used to offer 2019 – 2030 and raised outside."""
    for params in ({"from": "2000-01-01", "to": "2000-03-31", "as_of": "2000-04-01"},
                   {"from": "2099-01-01", "to": "2099-12-31"}):
        at = _page(name, user, page, params)
        assert not at.exception, (name, page, params, at.exception)
        assert not at.error, (name, page, params, [e.value for e in at.error])


BLANKS = [" ", "\r", "\n", "\t", "\u3000", " \r\n "]


@pytest.mark.parametrize("name,user,page", [("leadership", "leader", "warnings.py"), ("leadership", "nanjing", "risk.py"),
                                            ("briefing", "writer", None), ("wallscreen", "duty", None)])
@pytest.mark.engines("sqlite")  # URL parsing does not depend on the database
def test_blank_parameters_are_no_parameters(db, name, user, page):
    """A link whose from/to/as_of/region/industry is only blanks shows the default view (it used to crash the
    period picker: a blank 开始日期 beside the default 结束日期)."""
    for params in ({"from": "\r"}, {"to": "\u3000"}, {"as_of": " \r\n "}, {"region": "\t", "industry": "\n"}):
        at = _page(name, user, page, params)
        assert not at.exception, (name, params, at.exception)
        assert not at.error, (name, params, [e.value for e in at.error])


@pytest.mark.parametrize("blank", BLANKS)
def test_blank_parameters_parse_as_absent(db, blank):
    defaults = Scope(region=320100, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 2, 28), binding=320100)
    for key in ("region", "industry", "from", "to", "as_of"):
        assert scope_from_params({key: blank}, db, binding=320100, defaults=defaults) == defaults, (key, blank)


# --- oversight figures --------------------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(args=st.lists(st.tuples(st.sampled_from(["--region", "--industry", "--from", "--to", "--as-of"]), ODD),
                     min_size=1, max_size=3))
def test_figures_cli_odd_arguments(db, capsys, args):
    argv = ["figures"] + [x for pair in args for x in pair]
    try:
        rc = oversight.main(argv)
    except SystemExit as e:  # argparse: an option given as a value (e.g. "--to --from")
        rc = e.code
    out = capsys.readouterr()
    assert rc in (0, 2), (argv, rc)
    if rc == 2 and out.err.startswith("error:"):
        assert CJK.search(out.err) and out.out == "", (argv, out.err)
    assert "Traceback" not in out.err


def test_figures_cli_odd_regions_exit_2_with_a_chinese_message(db, capsys):
    for text in BAD_REGIONS:
        rc = oversight.main(["figures", "--region", text])
        out = capsys.readouterr()
        assert rc == 2 and out.out == "" and out.err.startswith("error: 未知的地区"), (text[:20], out.err[:200])
    rc = oversight.main(["figures", "--region", "３２０１００", "--as-of", "２０２１-０３-１３"])
    out = capsys.readouterr()
    assert rc == 0 and '"region": 320100' in out.out
    rc = oversight.main(["figures", "--as-of", "0001-01-01T00:00+14:00"])
    assert rc == 2 and "超出范围" in capsys.readouterr().err
