"""cli.feed: the simulated monitoring network, its buffering through database outages, and the two CLI commands
(``oversight feed``, ``oversight ingest``), on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
import time

import numpy as np
import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import OperationalError

from cli import main as oversight
from queries import ingest as I
from seed import schema as S
from cli.feed import Feed, SimConfig, Simulator
from tests import ingest_util as U
from tests.dbcache import PG_ADMIN, fresh_url

R, W, PS = S.readings, S.warnings, S.point_state
N_EXTRA = 200


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def net(request, tmp_path_factory):
    if request.param == "postgresql" and not U.pg_available():
        pytest.skip("PostgreSQL not reachable")
    url = fresh_url(request.param, tmp_path_factory.mktemp("feed"), "oversight_feed")
    request.addfinalizer(lambda: U.drop(url))
    return U.build(url, extra_points=N_EXTRA)


@pytest.fixture
def eng(net):
    U.reset(net)
    return net


class Clock:
    def __init__(self, start: dt.datetime):
        self.t = start.timestamp()

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


def make_feed(eng, clock, **cfg) -> Feed:
    f = Feed(eng, SimConfig(interval=10, **cfg), clock=clock, sleep=clock.sleep, verbose=False, dense_minutes=0,
             keep_days=0, log=lambda m: None)
    f.start(wait=False)
    return f


def tick(feed: Feed, clock: Clock, k: int, produced: dict) -> bool:
    """Run the feed's cycle for tick ``k`` (10 s apart, from T0 + 10 s); remember what it produced."""
    clock.t = (U.T0 + dt.timedelta(seconds=10 * k)).timestamp()
    ts = dt.datetime.fromtimestamp(clock.t)
    step = feed.sim.step

    def spy(ts_):
        ids, vals = step(ts_)
        produced[ts_] = dict(zip(ids.tolist(), vals.tolist()))
        return ids, vals

    feed.sim.step = spy
    try:
        return feed.cycle(ts)
    finally:
        feed.sim.step = step


def stored(eng) -> dict:
    with eng.connect() as c:
        return {(r[0], r[1]): r[2] for r in c.execute(select(R.c.point_id, R.c.ts, R.c.value))}


# --- the simulator ------------------------------------------------------------------------------------------------

def test_simulator_values_crossings_and_outages(net):
    pts = [I.points(net).by_id[k] for k in sorted(I.points(net).by_id)]
    quiet = Simulator(pts, set(), SimConfig(interval=10, alarm_rate=0, fault_rate=0, offline_rate=0))
    ids, vals = quiet.step(U.T0)
    assert len(ids) == len(pts)  # every online point reports
    normal = np.array([p.normal for p in pts])
    assert np.all(np.abs(vals - normal) <= 0.2 * normal + 1e-9)  # quiet: values drift around normal
    assert not any(I.classify(p, v) for p, v in zip(pts, vals))

    busy = Simulator(pts, {pts[0].id}, SimConfig(interval=10, alarm_rate=2000, offline_rate=500, offline_mean_h=0.02,
                                                 long_offline_mean_h=0.02))
    crossings, online_counts, seen_off, came_back = 0, [], set(), set()
    was_off = {pts[0].id}
    for k in range(40):
        ids, vals = busy.step(U.T0 + dt.timedelta(seconds=10 * k))
        on = set(ids.tolist())
        online_counts.append(len(on))
        off = {p.id for p in pts} - on
        seen_off |= off
        came_back |= (was_off - off)
        was_off = off
        by = {p.id: p for p in pts}
        crossings += sum(1 for i, v in zip(ids.tolist(), vals.tolist()) if I.classify(by[i], v))
    assert crossings > 0, "threshold crossings happen"
    assert len(set(online_counts)) > 1 and seen_off and came_back, "points go offline and come back"
    assert pts[0].id in came_back or pts[0].id not in was_off  # the point offline at start can return


def test_realistic_default_rates(net):
    """With the default rates, a crossing per point per ~100 days: on 30,000 points about 300 a day."""
    cfg = SimConfig()
    per_tick = cfg.alarm_rate * cfg.interval / 86400
    assert 0.005 <= cfg.alarm_rate <= 0.05
    assert 30_000 * per_tick * 8640 == pytest.approx(300, rel=0.01)


# --- feed cycles, lifecycle ---------------------------------------------------------------------------------------

def test_feed_writes_every_reading_and_moves_warnings(eng):
    clock = Clock(U.T0)
    feed = make_feed(eng, clock, alarm_rate=300, offline_rate=0)
    feed.lifecycle_speed = 3600.0
    produced: dict = {}
    for k in range(1, 31):
        assert tick(feed, clock, k, produced)
    got = stored(eng)
    want = {(pid, ts): v for ts, vals in produced.items() for pid, v in vals.items()}
    assert len(got) == len(want) == 30 * (len(U.POINTS) + N_EXTRA)
    assert all(got[k] == pytest.approx(v) for k, v in want.items())
    with eng.connect() as c:
        n_w = c.execute(select(func.count()).select_from(W)).scalar()
        closed = c.execute(select(func.count()).select_from(W).where(W.c.closed_at.is_not(None))).scalar()
        newest = c.execute(select(func.max(PS.c.reading_at))).scalar()
    assert n_w > 0 and closed > 0, "crossings raise warnings and the (compressed) lifecycle closes some"
    assert newest == dt.datetime.fromtimestamp(clock.t)


def test_the_feed_counts_the_points_states_every_hour(eng):
    """The tiles' 24 h and 7 day comparisons of 报警/离线 read the points' states counted hourly (point_counts)."""
    from seed.schema import point_counts as PC

    clock = Clock(U.T0)
    feed = make_feed(eng, clock, alarm_rate=300, offline_rate=0)
    produced: dict = {}
    for k in range(1, 7):  # a minute of ticks: one count, at the first
        assert tick(feed, clock, k, produced)
    first = (U.T0 + dt.timedelta(seconds=10)).replace(second=0, microsecond=0)
    with eng.connect() as c:
        assert [r[0] for r in c.execute(select(PC.c.taken_at).distinct())] == [first]
        assert c.execute(select(func.sum(PC.c.points))).scalar() == c.execute(
            select(func.count()).select_from(PS)).scalar()
    assert tick(feed, clock, 6 * 61, produced)  # an hour later: the next count, equal to the state then
    with eng.connect() as c:
        taken = c.execute(select(func.max(PC.c.taken_at))).scalar()
        kept = c.execute(select(func.sum(PC.c.points), func.sum(PC.c.alarm), func.sum(PC.c.offline))
                         .where(PC.c.taken_at == taken)).one()
        state = dict(c.execute(select(PS.c.status, func.count()).group_by(PS.c.status)).all())
    assert taken > first
    assert tuple(kept) == (sum(state.values()), state.get("alarm", 0), state.get("offline", 0))


# --- buffering through outages ----------------------------------------------------------------------------------

def _outage_hook(eng, state: dict):
    def before(conn, cursor, statement, parameters, context, executemany):
        if state["down"]:
            raise OperationalError(statement[:40], None, Exception("server closed the connection unexpectedly"))
    event.listen(eng, "before_cursor_execute", before)
    return before


def test_feed_buffers_while_the_database_fails_and_catches_up(eng):
    clock = Clock(U.T0)
    feed = make_feed(eng, clock, alarm_rate=50, offline_rate=0)
    produced: dict = {}
    state = {"down": False}
    hook = _outage_hook(eng, state)
    try:
        assert tick(feed, clock, 1, produced)
        state["down"] = True
        for k in range(2, 8):
            assert tick(feed, clock, k, produced) is False  # buffered, no exception
        assert feed.buffered == 6 * (len(U.POINTS) + N_EXTRA) and feed.outage_since is not None
        state["down"] = False
        assert tick(feed, clock, 8, produced)
    finally:
        event.remove(eng, "before_cursor_execute", hook)
    assert feed.buffered == 0 and feed.outage_since is None and feed.lost == 0
    got = stored(eng)
    want = {(pid, ts) for ts, vals in produced.items() for pid in vals}
    assert set(got) == want, "no reading lost, none duplicated"
    with eng.connect() as c:
        assert c.execute(select(func.max(PS.c.reading_at))).scalar() == U.T0 + dt.timedelta(seconds=80)


def test_buffer_cap_drops_the_oldest_and_says_so(eng):
    clock = Clock(U.T0)
    feed = make_feed(eng, clock, alarm_rate=0, offline_rate=0)
    feed.buffer_max = 3 * (len(U.POINTS) + N_EXTRA)
    logs = []
    feed.log = logs.append
    state = {"down": True}
    hook = _outage_hook(eng, state)
    try:
        for k in range(1, 6):
            tick(feed, clock, k, {})
    finally:
        event.remove(eng, "before_cursor_execute", hook)
    assert feed.lost == 2 * (len(U.POINTS) + N_EXTRA) and any("buffer full" in m for m in logs)
    # the next tick joins the full buffer (the oldest goes), then everything left is written
    assert tick(feed, clock, 6, {}) and U.count(eng, R) == 3 * (len(U.POINTS) + N_EXTRA)
    assert feed.lost == 3 * (len(U.POINTS) + N_EXTRA)


def test_real_outage_and_recovery(eng, tmp_path):
    """A real outage: PostgreSQL refuses connections (ALLOW_CONNECTIONS false, sessions terminated); SQLite is
    locked by another process's exclusive transaction. The feed buffers, then catches up when the database is back."""
    url = eng.url.render_as_string(hide_password=False)
    if eng.dialect.name == "postgresql":
        feng = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 2})
        name = eng.url.database
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")

        def down():
            with admin.connect() as c:
                c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
                c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n "
                               "AND pid <> pg_backend_pid()"), {"n": name})

        def up():
            with admin.connect() as c:
                c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    else:
        feng = create_engine(url, connect_args={"timeout": 0.2})
        holder = {}

        def down():
            c = sqlite3.connect(url.split("///", 1)[1], timeout=1, isolation_level=None)
            c.execute("BEGIN EXCLUSIVE")
            holder["c"] = c

        def up():
            holder["c"].execute("ROLLBACK")
            holder["c"].close()
    clock = Clock(U.T0)
    feed = make_feed(feng, clock, alarm_rate=50, offline_rate=0)
    produced: dict = {}
    try:
        assert tick(feed, clock, 1, produced)
        down()
        t0 = time.monotonic()
        for k in range(2, 5):
            assert tick(feed, clock, k, produced) is False
        assert time.monotonic() - t0 < 30
    finally:
        up()
    for k in range(5, 7):
        assert tick(feed, clock, k, produced)
    feng.dispose()
    if eng.dialect.name == "postgresql":
        admin.dispose()
    got = stored(eng)
    assert set(got) == {(pid, ts) for ts, vals in produced.items() for pid in vals}
    assert feed.lost == 0 and feed.buffered == 0


# --- the CLI -----------------------------------------------------------------------------------------------------

@pytest.fixture
def cli_db(eng, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_DB_URL", eng.url.render_as_string(hide_password=False))
    return eng


def test_cli_ingest_json_lines(cli_db, monkeypatch, capsys):
    now = dt.datetime.now().replace(microsecond=0)
    lines = [
        json.dumps({"point": "MPT0001", "ts": (now - dt.timedelta(seconds=20)).isoformat(), "value": 131.5}),
        json.dumps({"point_id": 2, "ts": (now - dt.timedelta(seconds=20)).isoformat(), "value": 1.1}),
        "this is not json",
        json.dumps({"point": "MPT9999", "ts": now.isoformat(), "value": 1}),
        json.dumps({"point": "MPT0003", "ts": "not a time", "value": 1}),
        "",
        json.dumps([1, 2, 3]),
        json.dumps({"point": "MPT0001", "ts": (now - dt.timedelta(seconds=10)).isoformat(), "value": 85.0}),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    rc = oversight.main(["ingest", "--max-wait", "0.2"])
    out, err = capsys.readouterr()
    assert rc == 1  # some lines were rejected
    rejects = {json.loads(x)["line"]: json.loads(x)["reason"] for x in err.strip().splitlines() if x.startswith("{")}
    assert rejects == {3: "invalid JSON", 4: "unknown point", 5: "bad timestamp", 7: "not a JSON object"}
    total = json.loads(out.strip().splitlines()[-1])["total"]
    assert total["inserted"] == 3 and total["warnings_raised"] == 1 and total["rejected"] == 4
    assert U.count(cli_db, R) == 3 and U.count(cli_db, W) == 1


def test_cli_ingest_clean_input_exits_zero(cli_db, monkeypatch, capsys):
    now = dt.datetime.now().replace(microsecond=0)
    body = "".join(json.dumps({"point_id": p, "ts": now.isoformat(), "value": U.POINTS[p - 1][3]}) + "\n"
                   for p in range(1, 6))
    monkeypatch.setattr("sys.stdin", io.StringIO(body))
    assert oversight.main(["ingest", "--batch", "2", "--quiet"]) == 0
    assert U.count(cli_db, R) == 5
    assert json.loads(capsys.readouterr().out.strip())["total"]["inserted"] == 5


def test_cli_feed_once(cli_db, capsys):
    before = U.count(cli_db, R)
    assert oversight.main(["feed", "--once", "--interval", "5", "--dense-minutes", "0", "--keep-days", "0",
                           "--quiet"]) == 0
    assert U.count(cli_db, R) - before == len(U.POINTS) + N_EXTRA
    with cli_db.connect() as c:
        newest = c.execute(select(func.max(PS.c.reading_at))).scalar()
    assert abs((dt.datetime.now() - newest).total_seconds()) < 30


def test_thinning_keeps_an_hourly_sample(eng):
    hour = (U.T0 - dt.timedelta(hours=3)).replace(minute=0, second=0)
    rows = [(1, hour + dt.timedelta(seconds=10 * k), 85.0) for k in range(0, 720)]  # two hours every 10 s
    I.ingest(rows, engine=eng, now=U.T0)
    deleted = I.thin_readings(hour, hour + dt.timedelta(hours=2), engine=eng, keep_s=10)
    assert deleted == 718
    with eng.connect() as c:
        left = [r[0] for r in c.execute(select(R.c.ts).where(R.c.point_id == 1).order_by(R.c.ts))]
    assert left == [hour, hour + dt.timedelta(hours=1)]
    assert I.drop_readings_before(hour + dt.timedelta(minutes=30), engine=eng) == 1


def test_housekeeping_thins_only_what_the_feed_wrote(eng):
    """Readings older than the feed's first tick (seeded or imported history, e.g. a province's 24 h at one a
    minute) survive the feed's thinning; the feed's own readings beyond the dense window are thinned."""
    start = (U.T0 + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    history = [(1, start - dt.timedelta(minutes=m), 85.0) for m in range(1, 121)]  # two hours at one a minute
    I.ingest(history, engine=eng, now=start)
    clock = Clock(start)
    f = Feed(eng, SimConfig(interval=10), clock=clock, sleep=clock.sleep, verbose=False, dense_minutes=1,
             keep_days=0, log=lambda m: None)
    f.start(wait=False)
    f.run(duration=180)  # three minutes of ticks; the first minute ends up beyond the dense window
    with eng.connect() as c:
        old = c.execute(select(func.count()).select_from(R)
                        .where(R.c.point_id == 1, R.c.ts < start)).scalar()
        mine = [r[0] for r in c.execute(select(R.c.ts).where(R.c.point_id == 1, R.c.ts >= start,
                                                             R.c.ts < start + dt.timedelta(minutes=2)))]
    assert old == 120  # the history is untouched
    assert mine == [start]  # the feed's first two minutes (12 readings) thinned to the hourly sample at hh:00:00
