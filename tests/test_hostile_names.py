"""HTML and markdown in data: enterprise, hazard source, monitoring point names and warning titles holding
markup are shown as text on every page that shows them (enterprise profile, hazards, warning lifecycle, the wall
screen), on a clone of the SQLite test database with hostile names."""
from __future__ import annotations

import html
import json

import pytest
from sqlalchemy import select, update

from pages import wallkit as wk
from pages.common import plain
from queries import db as dbmod
from seed import schema as S
from tests.apptest_util import app, clear_caches, table_text
from tests.dbcache import clone_database, remove_copy
from tests.markup_util import markdown_bodies

# (enterprise, warning title, monitoring point, hazard source): each a different way markup could get in
NAME_SETS = [
    ("<b>粗体企业</b><img src=http://evil.example/e.png>", "<script>alert('t')</script>预警",
     "<img src=x onerror=alert(1)>点位", "<i>储罐</i>区"),
    ("[点此登录](http://evil.example/login)化工", "![t](http://evil.example/t.png)泄漏",
     "<http://evil.example/p>点", "$\\href{http://evil.example}{x}$源"),
    ("\"><svg onload=alert(1)>有限公司", "&lt;b&gt;实体&lt;/b&gt; :material/home: 标题", "a&b<c>点", "'\"<u>源</u>"),
]


@pytest.fixture(scope="module")
def hostile(db, session_tmp):
    """A clone of the test database and the newest warning that has a monitoring point (and its enterprise)."""
    url = clone_database(db, f"names_{db.dialect.name}", session_tmp)
    eng = dbmod.get_engine(url)
    with eng.connect() as c:
        w = c.execute(select(S.warnings.c.id, S.warnings.c.enterprise_id, S.warnings.c.point_id)
                      .where(S.warnings.c.point_id.is_not(None))
                      .order_by(S.warnings.c.raised_at.desc(), S.warnings.c.id.desc()).limit(1)).one()
        hs = c.execute(select(S.monitoring_points.c.hazard_source_id)
                       .where(S.monitoring_points.c.id == w.point_id)).scalar_one()
    yield eng, url, w, hs
    remove_copy(url)


def _rename(eng, w, hs, names) -> None:
    ent, title, point, source = names
    with eng.begin() as c:
        c.execute(update(S.enterprises).where(S.enterprises.c.id == w.enterprise_id).values(name=ent))
        c.execute(update(S.warnings).where(S.warnings.c.id == w.id).values(title=title))
        c.execute(update(S.monitoring_points).where(S.monitoring_points.c.id == w.point_id).values(name=point))
        c.execute(update(S.hazard_sources).where(S.hazard_sources.c.id == hs).values(name=source))


def _check(at, payloads, where) -> None:
    """No payload reaches a markdown or HTML element raw; each one shown is escaped for its element."""
    assert not at.exception, (where, at.exception)
    for kind, body in markdown_bodies(at):
        for p in payloads:
            if kind == "html" and html.escape(p) == p:
                continue  # markdown syntax is plain text inside HTML
            assert p not in body, (where, kind, p, body[:300])


def _open(name, user, params, page=None):
    clear_caches()
    wk.forget_store()
    at = app(name, user, page=page)
    for k, v in params.items():
        at.query_params[k] = str(v)
    return at.run()


@pytest.mark.engines("sqlite")  # what a page does with a name does not depend on the database (every page is
# rendered on PostgreSQL and compared with SQLite in tests/test_pages_postgresql.py)
@pytest.mark.parametrize("i", range(len(NAME_SETS)))
def test_hostile_names_are_text_on_every_page(hostile, monkeypatch, i):
    eng, url, w, hs = hostile
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    dbmod._ready.add(url)
    names = NAME_SETS[i]
    _rename(eng, w, hs, names)
    ent, title, point, source = names

    # 企业档案: the enterprise's name as the page title
    at = _open("leadership", "leader", {"enterprise": w.enterprise_id}, "enterprise.py")
    _check(at, names, "enterprise")
    assert f"### {plain(ent)}" in [m.value for m in at.markdown]

    # 重大危险源: the enterprise's points, its name and the trend of its first point (a plotly trace name)
    at = _open("leadership", "leader", {"enterprise": w.enterprise_id, "point": w.point_id}, "hazards.py")
    _check(at, names, "hazards")
    assert f"### {plain(ent)}" in [m.value for m in at.markdown]
    traces = [t.get("name", "") for ch in at.get("plotly_chart") for t in json.loads(ch.proto.spec)["data"]]
    assert any(t.startswith(html.escape(point, quote=True)) for t in traces), traces
    assert not any(point in t for t in traces if point != html.escape(point, quote=True)), traces
    table = table_text(at.dataframe[-1]) if at.dataframe else None
    assert table is not None and point in set(table["监测点"]) and source in set(table["所属危险源"])  # as text

    # 预警分布 → one warning's lifecycle: title, the chip line (inline HTML) with the enterprise, the point metric
    at = _open("leadership", "leader", {"warning": w.id}, "warnings.py")
    _check(at, names, "warning lifecycle")
    bodies = [m.value for m in at.markdown]
    assert f"### {plain(title)}" in bodies
    chip = next(b for b in bodies if "预警编号" in b)
    assert plain(ent) in chip
    assert plain(point) in [m.value for m in at.metric]

    # the wall screen: the newest warnings (st.html) carry the title and the enterprise's county
    at = _open("wallscreen", "duty", {"view": "warnings"})
    _check(at, names, "wall warnings")
    body = "\n".join(getattr(h.proto, "body", "") for h in at.get("html"))
    assert html.escape(title) in body


def test_map_tooltips_are_text(db):
    """pydeck tooltips render HTML when given as "html": every map uses a text tooltip (deck.gl's innerText)."""
    at = _open("leadership", "leader", {}, "credit.py")
    specs = [json.loads(d.proto.json) for d in at.get("deck_gl_json_chart")]
    assert specs
    for d in at.get("deck_gl_json_chart"):
        tip = json.loads(d.proto.tooltip) if d.proto.tooltip else {}
        assert "html" not in tip and tip.get("text") == "{tip}", tip
