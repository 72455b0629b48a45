"""``oversight bench``: how fast every page of every app is, and what of that is SQL.

For each page: the AppTest script-run time cold (caches cleared) and warm (second run), the scripts compiled once
per process as a server compiles them (``cli/apptest.py``) and the page drawn once, untimed, before its caches are
cleared (a server has imported what it draws with long before; ``warm_process``), and ``sql_ms``, the raw
time of the SQL statements the cold run issued, replayed directly against the database. Also ``oversight
figures`` time, the handling desk's query and each step of one warning (``queries.handling``), the 督办 queries
(``queries.supervision``: inbox, badge counts, listing) of a leader and a city account and the 督办 page, ingest
throughput (if the ingest module exists) and the process's peak memory. The database gets ``--orders`` 督办
(10,000) bulk-inserted first if it holds fewer (``ensure_orders``); ``--only supervision`` times just the 督办 part
and the pages that show 督办 figures (overview, wall).

The benchmark runs against its own database (``data/bench_<scale>.db`` or PostgreSQL ``oversight_bench_<scale>``),
seeded on first use, because the ingest part writes readings. Machines are shared and noisy: compare figures
from one run.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_USER = {"leadership": "leader", "wallscreen": "duty", "briefing": "writer"}


def bench_url(db: str, scale: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{ROOT / 'data' / f'bench_{scale}.db'}"
    base = os.environ.get("OVERSIGHT_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    return base.rsplit("/", 1)[0] + f"/oversight_bench_{scale}"


def prepare_db(url: str, scale: str = "demo"):
    from sqlalchemy import create_engine, text

    from queries.db import get_engine, is_seeded
    from seed.demo import seed_demo
    from seed.migrate import upgrade

    if url.startswith("postgresql"):
        name = url.rsplit("/", 1)[1]
        admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            if not c.execute(text("select 1 from pg_database where datname = :n"), {"n": name}).first():
                c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    eng = get_engine(url)
    upgrade(eng)
    if not is_seeded(eng):
        if scale != "demo":
            from seed.province import SCALES, seed_province

            print(f"seeding the {scale}-scale benchmark database (about 90 M rows or more; see README) …",
                  file=sys.stderr)
            seed_province(eng, density=SCALES[scale])
        else:
            print("seeding the benchmark database …", file=sys.stderr)
            seed_demo(eng)
    return eng


class SqlRecorder:
    """Collects the statements an engine executes (for replaying them without the app around them)."""

    def __init__(self, engine):
        from sqlalchemy import event

        from queries import db as dbmod

        self.engine, self.statements, self._on = engine, [], False
        # the pages read through the reader's engine (its own pool on PostgreSQL), the writes through the primary
        reader = dbmod.read_engine(engine.url.render_as_string(hide_password=False))
        for eng in {id(e): e for e in (engine, reader)}.values():
            event.listen(eng, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        # (not the transaction control a query function issues for itself, e.g. ``queries.base.one_snapshot``'s
        # BEGIN on SQLite: the replay runs every statement on one connection, outside any transaction)
        if self._on and not executemany and statement.strip().upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            self.statements.append((statement, parameters))

    def __enter__(self):
        self.statements, self._on = [], True
        return self

    def __exit__(self, *exc):
        self._on = False

    def replay_ms(self) -> float:
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            t0 = time.perf_counter()
            for stmt, params in self.statements:
                cur.execute(stmt, params)
                cur.fetchall() if cur.description else None
            return (time.perf_counter() - t0) * 1000
        finally:
            raw.close()


def warm_process(at) -> None:
    """Before a page's timed cold run: the page once, untimed, then every cache of results and drawings emptied.
    A cold view on a server is one whose cached results have expired, in a process that drew the page long before:
    what the page imports on its first draw (plotly's validators of each property it sets, pydeck, the column
    types of its tables) was imported then. Without this run the bench charged those imports to whichever page
    drew a kind of chart first (the warnings page's first run in a process: 823 ms, its next cold runs 295 ms on
    the demo database). The maps' decks and the topics' first days (``queries.change``, kept 10 minutes) are
    emptied too, so a cold run reads every figure and builds its map anew. What stays warm, as on a server: the
    regions' reference, the database's buffers and SQLAlchemy's compiled statements."""
    import streamlit as st

    from pages import charts
    from queries import change

    at.run()
    st.cache_data.clear()
    change.forget_first_days()
    with charts._decks_lock:
        charts._decks.clear()


def bench_pages(engine, db: str, scale: str, only_app: str | None = None, runs: int = 1) -> list[dict]:
    """Every page of every app (or of ``only_app``): ``runs`` cold runs (each after ``warm_process``), ``runs`` warm
    runs and ``runs`` replays of the cold run's statements; the medians, and the cold runs one by one
    (``cold_runs``). One run of a page on this shared machine moves ±30 % from one minute to the next: the median of
    three is what the page costs, not what the machine did at that moment."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from cli.apptest import compile_now
    from pages.app import APPS, pages_for

    rec = SqlRecorder(engine)
    out = []
    runs = max(1, int(runs))
    for app, spec in APPS.items():
        if only_app and app != only_app:
            continue
        user = APP_USER[app]
        for page in pages_for(app, user):
            st.cache_data.clear()
            at = AppTest.from_file(str(ROOT / "dashboards" / f"{app}.py"), default_timeout=300)
            at.session_state["authentication_status"] = True
            at.session_state["username"] = user
            at.session_state["logout"] = None
            at.run()  # router + default page (not timed)
            at.switch_page(f"../pages/{page.file}")
            compile_now(ROOT / "pages" / page.file)
            colds, warms = [], []
            for _ in range(runs):
                warm_process(at)
                with rec:
                    t0 = time.perf_counter()
                    at.run()
                    colds.append((time.perf_counter() - t0) * 1000)
            for _ in range(runs):
                t0 = time.perf_counter()
                at.run()
                warms.append((time.perf_counter() - t0) * 1000)
            sqls = [rec.replay_ms() for _ in range(runs)]
            cold, warm, sql = (statistics.median(v) for v in (colds, warms, sqls))
            out.append({"app": app, "page": page.url_path, "db": db, "scale": scale, "cold_ms": round(cold, 1),
                        "warm_ms": round(warm, 1), "sql_ms": round(sql, 1), "statements": len(rec.statements),
                        "exception": bool(at.exception), "runs": runs,
                        "cold_runs": [round(c, 1) for c in colds]})
            print(f"  {app:<11}{page.url_path:<12} cold {cold:8.1f} ms  warm {warm:7.1f} ms  "
                  f"sql {sql:8.1f} ms ({len(rec.statements)} statements)"
                  + (f"  cold runs {', '.join(f'{c:.0f}' for c in colds)}" if runs > 1 else ""), file=sys.stderr)
    return out


def bench_figures(engine) -> float:
    from queries import figures
    from queries.scope import Scope

    t0 = time.perf_counter()
    figures.as_json(Scope(region=320900, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 2, 28)), engine=engine)
    return round((time.perf_counter() - t0) * 1000, 1)


BENCH_ORDERS = 10_000  # 督办 in the benchmark database (a province's year of orders, generously)
BENCH_CITY_USER = "yancheng"  # the city account the 督办 benchmark reads as (a demo account of every seed)
_INSTRUCTIONS = ("请对辖区重点企业开展一次全面排查，并将排查整治情况按期反馈。", "请核实本地区有关数据并说明原因，提出针对性措施。",
                 "专项行动进度滞后，请于期限内报送整改推进情况及下一步措施。", "该预警超过处置时限，请立即组织现场核查处置并反馈。")
_REPLY, _RETURN, _CLOSE = "已组织专项检查，问题已整改到位。", "反馈内容不够具体，请补充整改措施和完成时限。", "同意办结。"


def ensure_orders(engine, n: int = BENCH_ORDERS, *, seed: int = 2021, now: dt.datetime | None = None) -> int:
    """Bulk-insert 督办 into the benchmark database until it holds ``n`` (none if it does): spread over every city and
    county (a third to cities, the rest to counties), sent over the last year by the provincial leader, the city
    accounts (to their counties) and the duty room (about a warning of the city), with deadlines 3–30 days after
    sending; about a quarter 在办 (half of them overdue), some 已反馈 and the rest 办结, one in ten returned once,
    each with its send / reply / return / close events. Returns how many were added."""
    import random

    from sqlalchemy import func, select

    from queries.regions import reference
    from seed.bulk import insert_rows, reset_sequences
    from seed.schema import supervision_events as SE, supervision_orders as SO, users as U, warnings as W

    with engine.connect() as c:
        have = c.execute(select(func.count()).select_from(SO)).scalar()
        if have >= n:
            return 0
        next_id = (c.execute(select(func.max(SO.c.id))).scalar() or 0) + 1
        next_event = (c.execute(select(func.max(SE.c.id))).scalar() or 0) + 1
        codes = [r[0] for r in c.execute(select(SO.c.code))]
        accounts = {r.region_adcode: r.username for r in c.execute(select(U.c.username, U.c.region_adcode)
                                                                  .where(U.c.role == "city"))}
        warnings = {}
        for city in accounts.keys() | {d.adcode for d in reference(engine).cities()}:
            warnings[city] = [r[0] for r in c.execute(select(W.c.id).where(W.c.city_adcode == city)
                                                      .order_by(W.c.id.desc()).limit(50))]
    ref = reference(engine)
    cities = [d.adcode for d in ref.cities()]
    counties = [d.adcode for city in cities for d in ref.children(city)]
    seq: dict[int, int] = {}
    for code in codes:  # DB-<year>-<number>: continue each year's numbering
        parts = code.split("-")
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            seq[int(parts[1])] = max(seq.get(int(parts[1]), 0), int(parts[2]))
    r = random.Random(seed)
    now = (now or dt.datetime.now()).replace(microsecond=0)
    orders, events = [], []
    for i in range(n - have):
        oid = next_id + i
        to_city = r.random() < 1 / 3
        region = r.choice(cities) if to_city else r.choice(counties)
        city = region if to_city else ref.divisions[region].city
        roll = r.random()
        if roll < 0.05 and warnings.get(city):
            issuer, role, binding, kind = "duty", "duty", None, "warning"
            ref_id, title = str(r.choice(warnings[city])), "预警处置督办"
        elif roll < 0.30 and not to_city and city in accounts:
            issuer, role, binding, kind = accounts[city], "city", city, "text"
            ref_id, title = "", "辖区重点企业全面排查"
        else:
            issuer, role, binding = "leader", "leader", None
            kind = r.choice(("text", "view"))
            ref_id = f"page=enforcement&region={region}&industry=&from=&to=&as_of=" if kind == "view" else ""
            title = "执法专项行动" if kind == "view" else "辖区重点企业全面排查"
        created = now - dt.timedelta(seconds=r.randrange(3600, 365 * 86400))
        deadline = (created + dt.timedelta(days=r.randint(3, 30))).replace(hour=23, minute=59, second=59)
        late = deadline < now
        x = r.random()
        outcome = ("closed" if x < 0.75 else "answered" if x < 0.82 else "open") if late else \
            ("open" if x < 0.5 else "answered" if x < 0.75 else "closed")
        replier = (accounts.get(city), "city") if city in accounts and r.random() < 0.5 else ("system", "officer")
        steps = [] if outcome == "open" else ["reply"]
        if steps and r.random() < 0.1:
            steps += ["return", "reply"]
        if outcome == "closed":
            steps.append("close")
        t = created
        span = max(60.0, (min(deadline, now) - created).total_seconds())
        trail = [("send", created, issuer, role, r.choice(_INSTRUCTIONS))]
        for step in steps:
            t = min(now, t + dt.timedelta(seconds=r.uniform(0.05, 0.3) * span))
            who = (issuer, role) if step in ("return", "close") else replier
            trail.append((step, t.replace(microsecond=0), who[0], who[1],
                          {"reply": _REPLY, "return": _RETURN, "close": _CLOSE}[step]))
        answered = next((e[1] for e in reversed(trail) if e[0] == "reply"), None)
        closed = trail[-1][1] if outcome == "closed" else None
        year = created.year
        seq[year] = seq.get(year, 0) + 1
        orders.append((oid, f"DB-{year}-{seq[year]:04d}", issuer, role, binding, region, city,
                       None if to_city else region, kind, ref_id, title, trail[0][4], deadline, outcome, len(trail),
                       created, answered, closed, steps.count("return"), created))
        for v, (kind_, at, actor, arole, text) in enumerate(trail, 1):
            events.append((next_event + len(events), oid, kind_, text, actor or "system", arole, at, v, at))
    with engine.begin() as c:
        insert_rows(c, SO, ["id", "code", "issuer", "issuer_role", "issuer_region", "region_adcode", "city_adcode",
                            "county_adcode", "subject_kind", "subject_ref", "subject_title", "instruction", "deadline",
                            "state", "version", "created_at", "answered_at", "closed_at", "returned_count",
                            "recorded_at"], orders)
        insert_rows(c, SE, ["id", "order_id", "kind", "text", "actor", "actor_role", "at", "version", "recorded_at"],
                    events)
        reset_sequences(c, [SO, SE])
    print(f"  督办: added {len(orders):,} orders and {len(events):,} events (now {n:,})", file=sys.stderr)
    return len(orders)


def time_page(app: str, user: str, file: str) -> dict:
    """One page of an app as ``user``: AppTest script run cold (caches cleared) and warm (the second run), ms."""
    from streamlit.testing.v1 import AppTest

    from cli.apptest import compile_now

    at = AppTest.from_file(str(ROOT / "dashboards" / f"{app}.py"), default_timeout=300)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = user
    at.session_state["logout"] = None
    at.run()  # router + the role's home page (not timed)
    at.switch_page(f"../pages/{file}")
    compile_now(ROOT / "pages" / file)
    warm_process(at)
    t0 = time.perf_counter()
    at.run()
    cold = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    at.run()
    warm = (time.perf_counter() - t0) * 1000
    return {"cold_ms": round(cold, 1), "warm_ms": round(warm, 1), "exception": bool(at.exception)}


SUPERVISION_PAGE = "supervision.py"  # the 督办 page (pages/supervision.py): timed when the app registers it


def bench_supervision(engine, runs: int = 5, *, page: bool = True) -> dict:
    """督办 as a provincial leader and as a city account (``BENCH_CITY_USER``) read it: ``queries.supervision.inbox``
    (the to-do list), ``counts`` (the navigation badge) and ``listing`` (every visible order, the readers' list),
    each cold (its first call, on fresh connections) and warm (the median of ``runs`` calls); the database's order
    count; and the 督办 page cold / warm for both when ``pages/supervision.py`` exists and the app registers it for
    the role. ``inbox_warm_ms`` (the target) is the slowest warm query. Reads only."""
    import statistics

    from sqlalchemy import func, select

    from queries import supervision
    from seed.schema import supervision_orders as SO, users as U

    with engine.connect() as c:
        orders = c.execute(select(func.count()).select_from(SO)).scalar()
        city = c.execute(select(U.c.region_adcode).where(U.c.username == BENCH_CITY_USER)).scalar()
    actors = {"leader": supervision.Actor("leader", "leader", None),
              "city": supervision.Actor(BENCH_CITY_USER, "city", city or 320900)}
    fns = {"inbox": supervision.inbox, "counts": supervision.counts, "listing": supervision.listing}
    out: dict = {"orders": orders, "queries": {}}
    engine.dispose()  # cold: fresh connections
    for who, a in actors.items():
        for name, fn in fns.items():
            t0 = time.perf_counter()
            res = fn(a, engine=engine)
            cold = (time.perf_counter() - t0) * 1000
            warm = []
            for _ in range(runs):
                t0 = time.perf_counter()
                fn(a, engine=engine)
                warm.append((time.perf_counter() - t0) * 1000)
            out["queries"][f"{who}.{name}"] = {"rows": len(res) if name != "counts" else res["todo"],
                                               "cold_ms": round(cold, 1),
                                               "warm_ms": round(statistics.median(warm), 1)}
    q = out["queries"]
    out["inbox_rows"] = q["leader.inbox"]["rows"] + q["city.inbox"]["rows"]
    out["inbox_cold_ms"] = max(v["cold_ms"] for v in q.values())
    out["inbox_warm_ms"] = max(v["warm_ms"] for v in q.values())
    out["pages"] = {}
    if page and (ROOT / "pages" / SUPERVISION_PAGE).exists():
        from pages.app import pages_for

        for who, user, role in (("leader", "leader", "leader"), ("city", BENCH_CITY_USER, "city")):
            if any(p.file == SUPERVISION_PAGE for p in pages_for("leadership", role)):
                out["pages"][who] = time_page("leadership", user, SUPERVISION_PAGE)
    for k, v in q.items():
        print(f"  督办 {k:<15} {v['rows']:>5} rows: cold {v['cold_ms']:7.1f} ms, warm {v['warm_ms']:6.1f} ms",
              file=sys.stderr)
    for k, v in out["pages"].items():
        print(f"  督办 page ({k}): cold {v['cold_ms']:.1f} ms, warm {v['warm_ms']:.1f} ms", file=sys.stderr)
    if not out["pages"]:
        print(f"  督办 page: pages/{SUPERVISION_PAGE} is not registered yet (not timed)", file=sys.stderr)
    return out


def bench_handling(engine, runs: int = 5) -> dict | None:
    """The handling desk's query for the whole province (``queries.handling.desk``: cold, then the median of
    ``runs`` warm calls) and each step of one open warning taken through to 消警 by an officer of its city (one
    transaction each: conditional update, step row, audit entry). Writes to the benchmark database (one warning
    gets closed); None when no warning is open."""
    import statistics

    from sqlalchemy import select

    from queries import handling
    from queries.scope import Scope
    from seed.schema import warnings as W

    t0 = time.perf_counter()
    df = handling.desk(Scope(), engine=engine)
    cold = (time.perf_counter() - t0) * 1000
    warm = []
    for _ in range(runs):
        t0 = time.perf_counter()
        handling.desk(Scope(), engine=engine)
        warm.append((time.perf_counter() - t0) * 1000)
    out = {"desk_rows": len(df), "desk_cold_ms": round(cold, 1), "desk_warm_ms": round(statistics.median(warm), 1),
           "steps": {}}
    with engine.connect() as c:
        w = c.execute(select(W.c.id, W.c.city_adcode).where(W.c.closed_at.is_(None), W.c.acknowledged_at.is_(None))
                      .order_by(W.c.id.desc()).limit(1)).first()
    if w is None:
        return out
    officer = handling.Actor("bench-officer", "officer", int(w.city_adcode))
    version = handling.state(w.id, Scope(binding=officer.binding), engine=engine)["version"]
    for step, kw in (("ack", {}), ("verify", {"result": "confirmed", "note": "基准测试：现场核查属实"}),
                     ("handle", {"note": "基准测试：处置措施"}), ("close", {"note": "基准测试：予以消警"})):
        t0 = time.perf_counter()
        r = handling.take_step(w.id, step, officer, version=version, engine=engine, **kw)
        out["steps"][step] = round((time.perf_counter() - t0) * 1000, 1)
        version = r.version
    out["step_max_ms"] = max(out["steps"].values())
    print(f"  handling desk {out['desk_rows']} rows: cold {cold:.1f} ms, warm {out['desk_warm_ms']} ms; steps "
          + ", ".join(f"{k} {v} ms" for k, v in out["steps"].items()), file=sys.stderr)
    return out


def bench_ingest(engine, rounds: int = 5, limit: int | None = None) -> dict | None:
    """Sustained readings per second through ``queries.ingest.ingest``: ``rounds`` rounds of one reading for
    every monitoring point (as the gateways send a round a minute), one batch per round, each round one second
    newer than the newest reading already stored, so every reading is new and moves its point's state (a rerun
    never measures duplicates). Reports the overall rate of stored readings and the slowest round."""
    from sqlalchemy import func, select

    from queries import ingest
    from seed.schema import monitoring_points as MP, point_state as PS

    with engine.connect() as c:
        stmt = select(MP.c.id, MP.c.normal_value).order_by(MP.c.id)
        pts = c.execute(stmt.limit(limit) if limit else stmt).all()
        newest = c.execute(select(func.max(PS.c.reading_at))).scalar()
    if isinstance(newest, str):
        newest = dt.datetime.fromisoformat(newest)
    now = dt.datetime.now().replace(microsecond=0)
    base = max(newest.replace(microsecond=0), now - dt.timedelta(minutes=1)) if newest else now
    per_round = []
    total = 0
    t_all = time.perf_counter()
    for i in range(rounds):
        ts = base + dt.timedelta(seconds=i + 1)
        batch = [ingest.Reading(point=p, ts=ts, value=float(v)) for p, v in pts]
        t0 = time.perf_counter()
        res = ingest.ingest(batch, engine=engine)
        per_round.append(time.perf_counter() - t0)
        total += res.inserted
    s = time.perf_counter() - t_all
    return {"readings": total, "rounds": rounds, "per_round": len(pts), "seconds": round(s, 3),
            "readings_per_s": round(total / s), "slowest_round_per_s": round(len(pts) / max(per_round))}


def bench_wall_refresh(runs: int = 6) -> dict:
    """The wall screen's live refresh, per view (each pinned with ``?view=``): the wall page rerun with the live
    (short-TTL) caches expired, as the live fragment finds them every refresh; the other caches stay warm. An
    upper bound of the fragment's own rerun (the AppTest rerun also draws the page chrome). Median and worst of
    ``runs`` per view; ``median_ms`` is the slowest view's median."""
    import statistics

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from pages import common, wallkit

    st.cache_data.clear()
    views, failed = {}, False
    for view in wallkit.VIEWS:
        at = AppTest.from_file(str(ROOT / "dashboards" / "wallscreen.py"), default_timeout=300)
        at.session_state["authentication_status"] = True
        at.session_state["username"] = APP_USER["wallscreen"]
        at.session_state["logout"] = None
        at.query_params["view"] = view
        at.run()
        at.run()  # warm: the non-live data of the view are cached
        times = []
        for _ in range(runs):
            for _t, runner in common._TTL_RUNNERS:
                runner.clear()
            t0 = time.perf_counter()
            at.run()
            times.append((time.perf_counter() - t0) * 1000)
        failed = failed or bool(at.exception)
        views[view] = {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}
    worst = max(views.values(), key=lambda v: v["median_ms"])
    return {"median_ms": worst["median_ms"], "max_ms": max(v["max_ms"] for v in views.values()), "runs": runs,
            "views": views, "exception": failed}


OVERHEAD_FLOOR_MS = 100.0
TARGETS = {"warm_ms": 300, "cold_ms": 2000, "cold_over_sql": 2.0, "wall_refresh_ms": 200, "ingest_per_s": 20000,
           "desk_warm_ms": 300, "step_ms": 200, "inbox_warm_ms": 300}


def _drawn(p: dict, name: str) -> list[dict]:
    """A page that raised is a missed target (its times are those of a page that stopped early), never a met one."""
    return [{"target": f"{name} drawn without an exception", "value": "exception", "limit": "none",
             "ok": False}] if p.get("exception") else []


def check_targets(result: dict, targets: dict = TARGETS) -> list[dict]:
    """Each province-scale target (README, Measurements) against a result: {target, value, limit, ok}."""
    out = []
    for p in result["pages"]:
        name = f"{p['app']}/{p['page']}"
        out += _drawn(p, name)
        out.append({"target": f"{name} warm ms", "value": p["warm_ms"], "limit": targets["warm_ms"],
                    "ok": p["warm_ms"] <= targets["warm_ms"]})
        out.append({"target": f"{name} cold ms", "value": p["cold_ms"], "limit": targets["cold_ms"],
                    "ok": p["cold_ms"] <= targets["cold_ms"]})
        # our overhead (cold − sql) must not dominate: ≤ the SQL's own time (cold ≤ 2 × sql), with an allowance
        # of 100 ms for pages whose SQL is negligible (a 5 ms query cannot pay for drawing a chart)
        over = p["cold_ms"] - p["sql_ms"]
        lim = max(p["sql_ms"] * (targets["cold_over_sql"] - 1), OVERHEAD_FLOOR_MS)
        out.append({"target": f"{name} overhead (cold − sql) ms", "value": round(over, 1), "limit": round(lim, 1),
                    "ok": over <= lim})
    if result.get("wall_refresh"):
        v = result["wall_refresh"]["median_ms"]
        out += _drawn(result["wall_refresh"], "wall live refresh")
        out.append({"target": "wall live refresh ms (median)", "value": v, "limit": targets["wall_refresh_ms"],
                    "ok": v <= targets["wall_refresh_ms"]})
    if result.get("handling"):
        h = result["handling"]
        out.append({"target": "handling desk query warm ms", "value": h["desk_warm_ms"],
                    "limit": targets["desk_warm_ms"], "ok": h["desk_warm_ms"] <= targets["desk_warm_ms"]})
        if h.get("steps"):
            out.append({"target": "handling step ms (slowest of ack, verify, handle, close)", "value": h["step_max_ms"],
                        "limit": targets["step_ms"], "ok": h["step_max_ms"] <= targets["step_ms"]})
    if result.get("supervision"):
        sv = result["supervision"]
        v = sv["inbox_warm_ms"]
        out.append({"target": "督办 inbox query warm ms", "value": v, "limit": targets["inbox_warm_ms"],
                    "ok": v <= targets["inbox_warm_ms"]})
        for who, p in (sv.get("pages") or {}).items():
            out += _drawn(p, f"督办 page ({who})")
            out.append({"target": f"督办 page ({who}) warm ms", "value": p["warm_ms"], "limit": targets["warm_ms"],
                        "ok": p["warm_ms"] <= targets["warm_ms"]})
    if result.get("ingest"):
        v = result["ingest"]["readings_per_s"]
        out.append({"target": "ingest readings/s (sustained)", "value": v, "limit": targets["ingest_per_s"],
                    "ok": v >= targets["ingest_per_s"]})
    return out


# the cold-page targets for pages that read pre-summed cells (README, Measurements): every page cold within the
# database's limit and warm ≤ 150 ms at province scale; on the three-times scale every page cold ≤ 1.3 × its
# province time (a baseline record of the same database)
COLD_TARGETS = {"cold_ms": {"postgres": 500, "sqlite": 800}, "warm_ms": 150, "growth": 1.3}


def check_cold_targets(result: dict, baseline: dict | None = None, targets: dict = COLD_TARGETS) -> list[dict]:
    """The cold-page targets against a result (and, with ``baseline``, the growth from it): {target, value, limit,
    ok}."""
    out = []
    cold = targets["cold_ms"].get(result.get("db"), min(targets["cold_ms"].values()))
    base = {(p["app"], p["page"]): p for p in (baseline or {}).get("pages", [])}
    for p in result["pages"]:
        name = f"{p['app']}/{p['page']}"
        out += _drawn(p, name)
        out.append({"target": f"{name} cold ms", "value": p["cold_ms"], "limit": cold, "ok": p["cold_ms"] <= cold})
        out.append({"target": f"{name} warm ms", "value": p["warm_ms"], "limit": targets["warm_ms"],
                    "ok": p["warm_ms"] <= targets["warm_ms"]})
        b = base.get((p["app"], p["page"]))
        if b and b["cold_ms"] > 0 and not b.get("exception"):  # (a baseline page that raised is no reference)
            g = round(p["cold_ms"] / b["cold_ms"], 2)
            out.append({"target": f"{name} cold × of {baseline.get('scale', 'baseline')}", "value": g,
                        "limit": targets["growth"], "ok": g <= targets["growth"]})
    return out


def load_baseline(path: str, db: str) -> tuple[dict | None, str]:
    """A record written by ``--out`` to judge growth against (checked before any timing): (record, "") or (None,
    why not)."""
    try:
        rec = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return None, f"cannot be read as a benchmark record ({type(e).__name__})"
    pages = rec.get("pages") if isinstance(rec, dict) else None
    if not isinstance(pages, list) or not pages:
        return None, "not a benchmark record (no pages)"
    for p in pages:
        if not (isinstance(p, dict) and isinstance(p.get("app"), str) and isinstance(p.get("page"), str)
                and isinstance(p.get("cold_ms"), (int, float)) and not isinstance(p.get("cold_ms"), bool)):
            return None, "not a benchmark record (a page without app, page and a numeric cold_ms)"
    if rec.get("db") != db:
        return None, f"measured on {rec.get('db')}, this run measures {db}: growth means the same database"
    return rec, ""


def run(args) -> int:
    import logging

    from queries import db as dbmod
    from cli.output import out_refused, save_out

    if (rc := out_refused(args.out)) is not None:  # before minutes of timing, not after
        return rc
    if not 1 <= args.runs <= 50:
        print(f"--runs {args.runs}: give 1 to 50 runs of each page", file=sys.stderr)
        return 2
    url = args.db_url or bench_url(args.db, args.scale)
    db = "postgres" if url.startswith("postgresql") else "sqlite"  # what is measured, whatever --db says
    baseline = None
    if getattr(args, "baseline", None):
        if args.only:
            print("--baseline judges the page run; --only supervision has none", file=sys.stderr)
            return 2
        baseline, why = load_baseline(args.baseline, db)
        if baseline is None:
            print(f"--baseline {args.baseline}: {why}", file=sys.stderr)
            return 2

    # AppTest outside a server logs "No runtime found" / "missing ScriptRunContext" on every cached call
    os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from streamlit import logger as st_logger

    st_logger.set_log_level("error")
    from cli.apptest import as_a_server_does

    as_a_server_does()  # each page script compiled once, as a server does (not once per timed run)

    os.environ["OVERSIGHT_DB_URL"] = url
    os.environ.pop("OVERSIGHT_DB_READ_URL", None)
    eng = prepare_db(url, args.scale)
    dbmod._ready.add(str(eng.url))
    ensure_orders(eng, args.orders)
    if args.only == "supervision":
        return run_supervision(args, eng)
    t0 = time.perf_counter()
    pages = bench_pages(eng, db, args.scale, args.app, runs=args.runs)
    result = {
        "db": db, "scale": args.scale, "at": dt.datetime.now().isoformat(sep=" ", timespec="seconds"),
        "runs": args.runs, "pages": pages,
        "figures_ms": bench_figures(eng),
        "wall_refresh": None if args.app not in (None, "wallscreen") else bench_wall_refresh(),
        "handling": None if args.app not in (None, "leadership") else bench_handling(eng),
        "supervision": None if args.app not in (None, "leadership") else bench_supervision(eng),
        "ingest": None if args.no_ingest else bench_ingest(eng, rounds=args.ingest_rounds),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(f"\n{'app':<11}{'page':<12}{'cold ms':>10}{'warm ms':>10}{'sql ms':>10}")
    for p in pages:
        print(f"{p['app']:<11}{p['page']:<12}{p['cold_ms']:>10.1f}{p['warm_ms']:>10.1f}{p['sql_ms']:>10.1f}"
              + ("  (raised an exception)" if p["exception"] else ""))
    print(f"figures: {result['figures_ms']} ms; handling: {result['handling']}; "
          f"wall live refresh: {result['wall_refresh']}; "
          f"ingest: {result['ingest']}; peak RSS {result['peak_rss_mib']} MiB")
    result["targets"] = check_targets(result)
    result["cold_targets"] = check_cold_targets(result, baseline)
    for title, key in (("targets", "targets"), ("cold-page targets", "cold_targets")):
        missed = [t for t in result[key] if not t["ok"]]
        print(f"{title}: {len(result[key]) - len(missed)} of {len(result[key])} met"
              + "".join(f"\n  missed: {t['target']}: {t['value']} (limit {t['limit']})" for t in missed))
    if args.out:
        if (rc := save_out(args.out, json.dumps(result, ensure_ascii=False, indent=2))) is not None:
            return rc
        print(f"wrote {args.out}")
    raised = [*pages, *([result["wall_refresh"]] if result["wall_refresh"] else []),
              *((result["supervision"] or {}).get("pages") or {}).values()]
    return 1 if any(p.get("exception") for p in raised) else 0


def run_supervision(args, eng) -> int:
    """``--only supervision``: the 督办 queries (and page), and the pages that show 督办 figures (the cockpit's
    overview as a leader and as a city account, the wall screen as the duty room), cold and warm."""
    from cli.output import save_out

    t0 = time.perf_counter()
    sv = bench_supervision(eng)
    surfaces = {f"overview ({who})": time_page("leadership", user, "overview.py")
                for who, user in (("leader", "leader"), ("city", BENCH_CITY_USER))}
    surfaces["wall (duty)"] = time_page("wallscreen", "duty", "wall.py")
    for k, v in surfaces.items():
        print(f"  {k:<18} cold {v['cold_ms']:8.1f} ms  warm {v['warm_ms']:7.1f} ms", file=sys.stderr)
    result = {"db": "postgres" if eng.dialect.name == "postgresql" else "sqlite", "scale": args.scale,
              "at": dt.datetime.now().isoformat(sep=" ", timespec="seconds"),
              "supervision": sv, "surfaces": surfaces, "seconds": round(time.perf_counter() - t0, 1)}
    result["targets"] = check_targets({"pages": [], "supervision": sv}) + [
        t for k, v in surfaces.items() for t in _drawn(v, k)] + [
        {"target": f"{k} warm ms", "value": v["warm_ms"], "limit": TARGETS["warm_ms"],
         "ok": v["warm_ms"] <= TARGETS["warm_ms"]} for k, v in surfaces.items()]
    missed = [t for t in result["targets"] if not t["ok"]]
    print(f"targets: {len(result['targets']) - len(missed)} of {len(result['targets'])} met"
          + "".join(f"\n  missed: {t['target']}: {t['value']} (limit {t['limit']})" for t in missed))
    if args.out:
        if (rc := save_out(args.out, json.dumps(result, ensure_ascii=False, indent=2))) is not None:
            return rc
        print(f"wrote {args.out}")
    return 1 if any(v["exception"] for v in surfaces.values()) or \
        any(v["exception"] for v in sv["pages"].values()) else 0


def register_cli(sub) -> None:
    p = sub.add_parser("bench", help="time every page of every app (AppTest cold/warm) and its raw SQL")
    p.add_argument("--scale", choices=["demo", "province", "province3"], default="demo",
                   help="province3: three times the province's enterprises and inspections, the same readings")
    p.add_argument("--baseline", help="a record written by --out (e.g. the province's, same database): each page's "
                                      "cold time is judged against its time there (≤ 1.3 ×)")
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--db-url", help="benchmark this database instead (it must be seeded or empty)")
    p.add_argument("--app", choices=list(APP_USER), help="only this app")
    p.add_argument("--no-ingest", action="store_true", help="skip the ingest throughput (it writes readings)")
    p.add_argument("--ingest-rounds", type=int, default=5, help="rounds of one reading per point (default 5)")
    p.add_argument("--orders", type=int, default=BENCH_ORDERS,
                   help=f"督办 the benchmark database holds: bulk-inserted first if fewer (default {BENCH_ORDERS:,})")
    p.add_argument("--only", choices=["supervision"],
                   help="only this part: supervision = the 督办 queries and page, the overview and the wall")
    p.add_argument("--runs", type=int, default=3,
                   help="cold and warm runs of each page (default 3): each page's figures are their medians")
    p.add_argument("--out", help="write the results as JSON")
    p.set_defaults(fn=run)
