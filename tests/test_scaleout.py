"""Scale-out on one engine: the dashboards read from a PostgreSQL streaming replica (``OVERSIGHT_DB_READ_URL``)
while sign-in, the audit log and the feed write to the primary (``OVERSIGHT_DB_URL``).

A throwaway primary with the demo data (tests.pgserver) and a hot standby built from it with
``pg_basebackup -R`` on another loopback port. The replica is read-only: a write sent there would fail, so pages
that render without exception while every statement is counted per server prove the routing.
"""
from __future__ import annotations

import datetime as dt
import re

import psycopg
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import DBAPIError

from pages.app import pages_for
from queries import audit, db as dbmod, ingest as I, warnings
from queries.regions import clear_cache
from queries.scope import Scope
from seed import schema as S
from tests.apptest_util import app, clear_caches, metrics, number, page_html
from tests.pgserver import pg_demo  # noqa: F401 - fixture

# every page of every app, as a role that has it
PAGES = ([("leadership", "admin", p.file) for p in pages_for("leadership", "admin")]
         + [("wallscreen", "duty", p.file) for p in pages_for("wallscreen", "duty")]
         + [("briefing", "writer", p.file) for p in pages_for("briefing", "writer")])
AUDIT_INSERT = re.compile(r"^\s*INSERT INTO audit_log\b", re.I)


@pytest.fixture(scope="module")
def cluster(pg_demo):
    rep = pg_demo.replica()
    yield pg_demo, rep
    dbmod.forget(rep.url("oversight"))
    rep.cleanup()
    pg_demo.replicas.remove(rep)


@pytest.fixture
def split(cluster, monkeypatch):
    """OVERSIGHT_DB_URL = the primary, OVERSIGHT_DB_READ_URL = the replica; every statement counted per server."""
    pg, rep = cluster
    purl, rurl = pg.url("oversight"), rep.url("oversight")
    monkeypatch.setenv("OVERSIGHT_DB_URL", purl)
    monkeypatch.setenv("OVERSIGHT_DB_READ_URL", rurl)
    primary, replica = dbmod.get_engine(purl), dbmod.read_engine(rurl)
    dbmod._ready.add(str(primary.url))  # migrated and seeded by pg_demo
    seen: dict[str, list[str]] = {"primary": [], "replica": []}
    hooks = []
    for name, eng in (("primary", primary), ("replica", replica)):
        def before(conn, cursor, statement, parameters, context, executemany, _name=name):
            seen[_name].append(statement)
        event.listen(eng, "before_cursor_execute", before)
        hooks.append((eng, before))
    clear_caches()
    clear_cache()
    I.forget_points()
    yield pg, rep, primary, replica, seen
    for eng, fn in hooks:
        event.remove(eng, "before_cursor_execute", fn)
    clear_caches()
    clear_cache()
    I.forget_points()


def test_reader_is_the_replica_and_writers_the_primary(split):
    pg, rep, primary, replica, _ = split
    assert dbmod.reader() is replica and dbmod.get_engine() is primary
    assert replica.url.port == rep.port and primary.url.port == pg.port
    assert rep.in_recovery() and not pg.in_recovery()
    with pytest.raises(DBAPIError) as e, replica.begin() as c:  # the replica refuses writes
        c.execute(S.audit_log.insert().values(at=dt.datetime.now(), username="x", event="export", detail="{}"))
    assert isinstance(e.value.orig, psycopg.errors.ReadOnlySqlTransaction)
    audit.record("export", "writer", {"fmt": "csv"})  # exports and every other audit write: the primary
    with primary.connect() as c:
        assert c.execute(select(S.audit_log.c.event).order_by(S.audit_log.c.id.desc()).limit(1)).scalar() == "export"


@pytest.mark.parametrize("app_name,user,page", PAGES, ids=[f"{a}-{p}" for a, _, p in PAGES])
def test_every_page_reads_from_the_replica(split, app_name, user, page):
    pg, rep, primary, replica, seen = split
    first = pages_for(app_name, user)[0].file
    at = app(app_name, user, page=None if page == first else page)
    if page == "enterprise.py":  # without an id the page is a search: open the first enterprise it lists
        at.query_params["enterprise"] = "1"
        at.run()
    assert not at.exception, at.exception
    assert not [e.value for e in at.error], [e.value for e in at.error]
    assert len(at.metric) + len(at.dataframe) + len(at.get("plotly_chart")) + len(page_html(at)) > 0
    reads = [s for s in seen["replica"] if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert reads, "the page's queries ran on the replica"
    on_primary = [s for s in seen["primary"] if not AUDIT_INSERT.match(s)]
    assert not on_primary, f"statements other than audit writes went to the primary: {on_primary[:3]}"
    assert any(AUDIT_INSERT.match(s) for s in seen["primary"]), "the page view was audited on the primary"


def test_the_item_a_form_acts_on_is_read_from_the_primary(split):
    """A replica may lag behind the step just taken: the warning a desk form acts on (its state and version, its
    history) comes from the primary, the desk's list from the replica."""
    pg, rep, primary, replica, seen = split
    with primary.connect() as c:
        wid = c.execute(select(S.warnings.c.id).where(S.warnings.c.closed_at.is_(None))
                        .order_by(S.warnings.c.id.desc()).limit(1)).scalar_one()
    at = app("leadership", "duty", page="handling.py", params={"warning": str(wid)})
    assert not at.exception, at.exception
    assert any("warning_steps" in s for s in seen["primary"]), "the history came from the primary"
    assert any("FROM warnings" in s and s.lstrip().upper().startswith("SELECT") for s in seen["primary"])
    seen["primary"].clear(), seen["replica"].clear()
    clear_caches()
    at = app("leadership", "duty", page="handling.py")
    assert not at.exception, at.exception
    assert any("FROM warnings" in s for s in seen["replica"]), "the desk's list came from the replica"
    assert not [s for s in seen["primary"] if "FROM warnings" in s]


def test_pages_keep_working_while_the_primary_is_down(split):
    """With the primary stopped, signed-in pages still render every figure: they come from the replica."""
    pg, rep, primary, replica, seen = split
    pg.stop()
    try:
        for page in ("overview.py", "enforcement.py", "risk.py"):
            clear_caches()
            at = app("leadership", "leader", page=None if page == "overview.py" else page)
            assert not at.exception, at.exception
            assert not at.error, [e.value for e in at.error]
            assert at.metric and all(m.value not in ("", "—") for m in at.metric[:3])
    finally:
        pg.start()


def test_sign_in_and_lockout_write_to_the_primary(split):
    pg, rep, primary, replica, seen = split

    def attempts(user: str) -> list[str]:
        with primary.connect() as c:
            return list(c.execute(select(S.audit_log.c.event).where(S.audit_log.c.username == user)
                                  .order_by(S.audit_log.c.id)).scalars())

    before = attempts("nanjing")
    at = app("leadership")
    at.text_input[0].input("nanjing")
    at.text_input[1].input("wrong-password")
    at.button[0].click().run()
    assert not at.exception and any("错误" in e.value or "密码" in e.value for e in at.error)
    at.text_input[0].input("nanjing")
    at.text_input[1].input("nanjing-demo")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.session_state["oversight_user"].username == "nanjing"
    assert attempts("nanjing")[len(before):][:2] == ["login_failed", "login"]
    # the replica receives the audit entries through replication, never by a write of its own
    pg.wait_for_replay(rep)
    with replica.connect() as c:
        n = c.execute(select(func.count()).select_from(S.audit_log).where(S.audit_log.c.username == "nanjing")).scalar()
    assert n == len(attempts("nanjing"))


def test_a_reading_written_to_the_primary_reaches_the_pages_after_replay(split):
    pg, rep, primary, replica, seen = split
    W, MP, PS = S.warnings, S.monitoring_points, S.point_state
    with primary.connect() as c:  # a normal point with a high-high alarm and no open warning
        open_pts = select(W.c.point_id).where(W.c.closed_at.is_(None), W.c.point_id.is_not(None))
        p = c.execute(select(MP.c.id, MP.c.high_high_alarm, MP.c.city_adcode).join(PS, PS.c.point_id == MP.c.id)
                      .where(PS.c.status == "normal", MP.c.high_high_alarm.is_not(None), MP.c.id.not_in(open_pts))
                      .order_by(MP.c.id).limit(1)).one()
    province = Scope(region=320000)
    pg.wait_for_replay(rep)
    open_before = warnings.summary(province, engine=replica)["open"]
    at = app("leadership", "leader")
    shown_before = number(metrics(at)["未消警预警"])
    assert shown_before == open_before

    res = I.ingest([(p.id, dt.datetime.now().replace(microsecond=0), float(p.high_high_alarm) * 1.2 + 1)],
                   engine=primary)
    assert res.accepted == 1 and not res.rejected
    assert warnings.summary(province, engine=primary)["open"] == open_before + 1
    pg.wait_for_replay(rep)
    assert warnings.summary(province, engine=replica)["open"] == open_before + 1
    with replica.connect() as c:
        assert c.execute(select(func.count()).select_from(S.readings).where(S.readings.c.point_id == p.id)
                         .where(S.readings.c.value > p.high_high_alarm)).scalar() >= 1
    clear_caches()  # the pages' shared cache keeps a result up to a minute; a new one reads the replica again
    at = app("leadership", "leader")
    assert not at.exception
    assert number(metrics(at)["未消警预警"]) == open_before + 1
