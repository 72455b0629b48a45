"""Hostile URL parameters on every page of the three apps: a clear message (or the default view), never an
exception, and every echoed parameter shown as text (no link, image, HTML, formula or icon reaches the page)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pages.app import pages_for
from pages.common import plain
from tests.apptest_util import app, clear_caches
from tests.markup_util import active_markup, assert_inert, markdown_bodies, shown

ODD_DIGITS = ["³²⁰¹⁰⁰", "３２０１００", "٣٢٠١٠٠", "۳۲۰۱۰۰", "३२०१००", "320１00", "9" * 5000, "1" * 25, "320_100", "+320100",
              "0001-01-01T00:00+14:00", "9999-12-31T23:59-14:00", "２０２１-０１-０１", "2000-01-01", "2099-12-31"]
NASTY = st.one_of(
    st.text(max_size=40),
    st.integers(-10**18, 10**18).map(str),
    st.sampled_from(["320100' OR '1'='1", "1; DROP TABLE inspections;--", "%00", "../../etc/passwd", "9" * 300,
                     "2021-02-30", "0000-00-00", "2021-01-01T25:99", "南京市", "320100", "320900", "-1", "NaN",
                     "1e309", "<script>alert(1)</script>", "😀" * 10, "\u202e320100", *ODD_DIGITS]),
)
KEYS = ["region", "industry", "from", "to", "as_of", "enterprise", "warning", "campaign", "point", "wwin", "kind",
        "map", "regions", "qe", "view", "entry", "order"]

# payloads that would render as markup if a page echoed them as markdown; every one says "evil"
PAYLOADS = {
    "link": "[登录已过期，点此重新登录](http://evil.example/login)",
    "image": "![x](http://evil.example/p.png)",
    "autolink": "<http://evil.example/auto>",
    "html": "<img src=http://evil.example/i.png onerror=alert(1)>evil",
    "latex": "$\\href{http://evil.example}{evil}$ $$x^2$$",
    "icons": ":red[evil] :material/warning: :streamlit: :smile:",
    "bare": "www.evil.example http://evil.example/b evil@evil.example",
    "long": "evil" + "[x](http://evil.example/l)" * 400,
    "control": "evil\x00\x1b[31m\u202e\u200b\n# 标题\r\n- 列表",
}
P = list(PAYLOADS)

# (app, user, page or None for the app's first page, parameter, payloads): every parameter a page echoes, and
# those it reads without echoing (briefing's regions, the wall's view, grids' kind, the overview's map)
ECHOED = [
    *[("leadership", "suqian", None, "region", P), ("wallscreen", "duty", None, "region", P),
      ("briefing", "writer", None, "region", P)],
    ("leadership", "suqian", None, "industry", P[0:4]),
    ("leadership", "suqian", None, "from", P[4:8]),
    ("leadership", "suqian", None, "to", [P[8], P[0], P[1], P[5]]),
    ("leadership", "suqian", None, "as_of", [P[2], P[3], P[6], P[8]]),
    ("wallscreen", "duty", None, "as_of", [P[0], P[4], P[7]]),
    ("briefing", "writer", None, "from", [P[1], P[5], P[8]]),
    ("briefing", "writer", None, "industry", [P[3], P[6]]),
    ("leadership", "suqian", "warnings.py", "wwin", [P[0], P[1], P[4], P[5], P[8]]),
    ("leadership", "suqian", "warnings.py", "warning", [P[2], P[3], P[6], P[7]]),
    ("leadership", "suqian", "enterprise.py", "qe", P),
    ("leadership", "suqian", "enterprise.py", "enterprise", [P[0], P[3], P[5], P[8]]),
    ("leadership", "suqian", "hazards.py", "enterprise", [P[1], P[4], P[6]]),
    ("leadership", "suqian", "enforcement.py", "campaign", [P[0], P[2], P[3], P[5], P[8]]),
]
NOT_ECHOED = [
    ("briefing", "writer", None, "regions", [P[0], P[1], P[3]]),
    ("wallscreen", "duty", None, "view", [P[0], P[2], P[4]]),
    ("leadership", "suqian", "grids.py", "kind", [P[1], P[5]]),
    ("leadership", "suqian", None, "map", [P[0], P[3]]),
    ("leadership", "suqian", "hazards.py", "point", [P[1], P[8]]),
    ("leadership", "suqian", "risk.py", "entry", [P[0], P[3], P[8]]),
    ("leadership", "suqian", "enforcement.py", "entry", [P[1], P[7]]),
    # an order id is never echoed: a bad one gets the one message of a foreign or nonexistent order
    ("leadership", "suqian", "supervision.py", "order", [P[0], P[2], P[5], P[8]]),
]

# how a page reads, echoes and survives its URL does not depend on the database: drawn from SQLite
pytestmark = pytest.mark.engines("sqlite")


@pytest.fixture(autouse=True, scope="module")
def _fresh():  # the module starts from cold caches; a hostile parameter is a new cache key, computed anew
    clear_caches()
    yield


def _open(name, user, page, params):
    at = app(name, user, page=page)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def _visible(text: str) -> str:
    """What plain() shows for raw text: control characters as escapes."""
    return shown(plain(text))


@pytest.mark.parametrize("name,user,page,param,payloads", ECHOED,
                         ids=[f"{a}-{p or 'home'}-{k}" for a, _, p, k, _ in ECHOED])
def test_echoed_parameters_are_shown_as_text(db, name, user, page, param, payloads):
    for key in payloads:
        payload = PAYLOADS[key]
        at = _open(name, user, page, {param: payload})
        ctx = (name, page, param, key)
        assert not at.exception, (ctx, at.exception)
        hits = assert_inert(at, "evil", ctx) + assert_inert(at, _visible(payload)[:10], ctx)
        # the parameter is echoed, escaped, in a Chinese message: a reader sees what the link said
        assert hits, (ctx, "the bad value is not echoed", [b for _, b in markdown_bodies(at)][:8])
        messages = [el.value for el in (*at.error, *at.warning)]
        assert any("链接" in m or "未知" in m or "无效" in m or "没有" in m for m in messages), (ctx, messages)
        assert any(_visible(payload)[:12] in shown(h) for h in hits), (ctx, hits)
        # nothing of the raw payload survives unescaped, and a very long value is cut
        assert all(len(h) < 2000 for h in hits), ctx


@pytest.mark.parametrize("name,user,page,param,payloads", NOT_ECHOED,
                         ids=[f"{a}-{p or 'home'}-{k}" for a, _, p, k, _ in NOT_ECHOED])
def test_parameters_read_without_echo_render_nothing(db, name, user, page, param, payloads):
    for key in payloads:
        at = _open(name, user, page, {param: PAYLOADS[key]})
        assert not at.exception, (name, page, param, key, at.exception)
        assert_inert(at, "evil", (name, page, param, key))


def test_plain_escapes_every_payload():
    for key, payload in PAYLOADS.items():
        out = plain(payload)
        assert not active_markup(out), (key, active_markup(out), out)
        assert shown(out) == _visible(payload), key
    assert plain("x" * 100, limit=40) == "x" * 40 + "…"
    assert plain(None) == "" and plain(320100) == "320100"
    assert plain("南京市 2021年") == "南京市 2021年"  # ordinary text is unchanged


# --- fuzzing: every parameter of every page of the three apps ---------------------------------------------------

APP_PAGES = ([("leadership", "suqian", p.file) for p in pages_for("leadership", "city")]
             + [("leadership", "admin", p.file) for p in pages_for("leadership", "admin") if p.section == "管理"]
             + [("wallscreen", "duty", None), ("briefing", "writer", None)])


@pytest.mark.slow
@pytest.mark.parametrize("name,user,page", APP_PAGES, ids=[f"{a}-{p or 'home'}" for a, _, p in APP_PAGES])
def test_pages_survive_hostile_parameters(db, name, user, page):

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(params=st.dictionaries(st.sampled_from(KEYS), NASTY, min_size=1, max_size=4))
    def run(params):  # the caches are kept between examples: a hostile parameter is a new key, computed anew
        at = app(name, user, params=params, page=page)
        assert not at.exception, (name, page, params, at.exception)
        # whatever was asked, nothing of another city is shown to a 宿迁市 user
        if user == "suqian":
            text = " ".join(str(m.value) for m in at.markdown) + " ".join(m.label for m in at.metric)
            for foreign in ("玄武区", "秦淮区", "亭湖区", "盐都区"):
                assert foreign not in text, (page, params)
        for kind, body in markdown_bodies(at):
            for v in params.values():
                if len(v) > 3 and v in body and active_markup(v):
                    assert kind.endswith("(html)") or kind == "html" or not active_markup(body), (kind, body)

    run()


def test_refused_window_is_still_said_after_a_rerun(db):
    """The bad ?wwin= is dropped from the link at once; the message stays for that view (a chart's first event
    reruns the page in a browser) until a window is chosen."""
    at = _open("leadership", "suqian", "warnings.py", {"wwin": PAYLOADS["link"]})
    said = lambda: [w.value for w in at.warning if "预警时间范围无效" in w.value]  # noqa: E731
    assert said() and "wwin" not in at.query_params
    at.run()
    assert said() and not active_markup(said()[0])
    at.radio[0].set_value("30d").run()
    assert not said() and at.query_params.get("wwin") in ("30d", ["30d"])


def test_refused_campaign_is_still_said_after_a_rerun(db):
    at = _open("leadership", "suqian", "enforcement.py", {"campaign": PAYLOADS["image"]})
    said = lambda: [w.value for w in at.warning if "链接中的专项行动" in w.value]  # noqa: E731
    assert said() and not active_markup(said()[0])
    at.run()
    assert said()
    box = next(s for s in at.selectbox if s.label.startswith("选择专项行动"))
    assert len(box.options) > 1
    box.select_index(1 if box.index == 0 else 0).run()
    assert not said()
