"""Province-scale data: about a million enterprises, 60,000 monitoring points with 24 h of
readings at one a minute (about 86 million rows), a year of enforcement, risk reports and credit ratings.

``oversight seed --scale province [--fraction F]``. The rows come from the demo generator's functions
(``seed.demo``) run with province-sized city profiles, a one-year enforcement window and calibration targets
scaled with them (the bulletin's exact figures are a property of the demo data only), plus two generators of
this module: a credit rating for every above-scale enterprise, and the per-minute readings, made with numpy
per block of points and streamed to the database (COPY on PostgreSQL, ``executemany`` in large transactions on
SQLite) so that the 86 million rows never sit in memory.

Unlike the demo seed this is not one transaction: everything except the readings is loaded in one
transaction (secondary indexes and the derived-column triggers dropped around the load, the derived columns of
``seed.derived`` computed once after it), then the readings in transactions of
about five million rows. An interrupted run leaves a partial database: run it again.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import math
import time

import numpy as np
from sqlalchemy import Engine, insert, text

from seed import derived
from seed import demo, schema as S
from seed.bulk import insert_rows, reset_sequences
from seed.reference import CALIBRATION, CITIES, HIGH_RISK_SECTORS, RISK_REPORT_SECTORS

ENTERPRISES = 1_000_000
HAZARD_ENTERPRISES = 1_200
POINTS_PER_ENTERPRISE = 50
INSPECTIONS_PER_YEAR = 600_000
ENFORCEMENT_START = dt.date(2020, 7, 1)  # one year of enforcement: 2020-07-01 .. 2021-06-30
READINGS_MINUTES = 24 * 60  # one reading a minute for 24 h
READINGS_COMMIT_ROWS = 5_000_000
POINTS_PER_BLOCK = 1_000
# the province-sized scales: name -> density (``profiles``); ``province3`` holds three times the province's
# enterprises and inspections (so about three times its enforcement, risk-report and credit rows) with the same
# monitoring network and readings — does a page's cold time grow with the facts?
SCALES = {"province": 1.0, "province3": 3.0}

# mean of the demo's monthly inspection factors over the year (season, spring campaign) — measured from the
# demo generator's rules: Feb ×0.65, Jun/Nov/Dec ×1.15, Jan–Apr 2021 ×1.5
_SEASON_MEAN = (0.65 + 3 * 1.15 + 8 * 1.0 + 0.65 * 0.5 + 3 * 0.5) / 12


def _spread(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to ``weights`` summing to ``total`` (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    out = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - out))[: total - out.sum()]:
        out[i] += 1
    return [int(x) for x in out]


def profiles(fraction: float = 1.0, density: float = 1.0) -> tuple[dict, dict]:
    """Province-sized city profiles and calibration targets (``fraction`` < 1 for a quick dry run; ``density`` > 1
    multiplies the enterprises and the inspections — so the enforcement, risk-report and credit rows — but not the
    major-hazard enterprises, their monitoring points or readings: ``SCALES``)."""
    demo_ents = sum(p.enterprises for p in CITIES.values())
    f_ent = ENTERPRISES * fraction * density / demo_ents
    demo_insp = sum(p.insp_per_month for p in CITIES.values()) * 12 * _SEASON_MEAN
    f_insp = INSPECTIONS_PER_YEAR * fraction * density / demo_insp
    hz = _spread(max(13 * 4, round(HAZARD_ENTERPRISES * fraction)), [p.hazard_enterprises for p in CITIES.values()])
    ents = _spread(round(ENTERPRISES * fraction * density), [p.enterprises for p in CITIES.values()])
    out = {}
    for (code, p), n_hz, n_ent in zip(CITIES.items(), hz, ents):
        out[code] = dataclasses.replace(
            p, enterprises=n_ent, hazard_enterprises=max(4, n_hz), points_per_enterprise=POINTS_PER_ENTERPRISE,
            insp_per_month=max(20, round(p.insp_per_month * f_insp)),
            data_sources=p.data_sources, grids=tuple(max(5, round(g * min(1.0, f_ent))) for g in p.grids))
    nj = out[demo.NANJING]
    # the demo files 4,720 Nanjing cases over 2020-01 .. 2021-03 whatever the size: enough inspections to file
    # them from, even in a small dry run
    nj = out[demo.NANJING] = dataclasses.replace(nj, insp_per_month=max(800, nj.insp_per_month))
    cal = dict(CALIBRATION)
    cal.update(
        N2=round(nj.enterprises * nj.key_share), N4=nj.hazard_enterprises * POINTS_PER_ENTERPRISE,
        N9=round(CALIBRATION["N9"] * f_ent),
        Y2=max(50, round(CALIBRATION["Y2"] * f_insp)), Y3=max(80, round(CALIBRATION["Y3"] * f_insp)),
        Y4=max(2, round(CALIBRATION["Y4"] * f_insp)), Y5=max(10, round(CALIBRATION["Y5"] * f_insp)),
        S1=max(5, round(CALIBRATION["S1"] * f_ent)), S2=max(20, round(CALIBRATION["S2"] * f_ent)),
        S4=(max(10, round(CALIBRATION["S4"][0] * f_ent)), max(1, round(CALIBRATION["S4"][1] * f_ent))),
        N5=min(CALIBRATION["N5"], round(4720 * 0.9)), N6=max(5, round(CALIBRATION["N6"] * min(1.0, f_ent))),
        N7=max(5, round(CALIBRATION["N7"] * min(1.0, f_ent))),
        Y6=tuple(max(1, round(x * min(1.0, f_ent))) for x in CALIBRATION["Y6"]),
    )
    return out, cal


@contextlib.contextmanager
def _demo_parameters(cities: dict, cal: dict):
    """Run the demo generator's functions with province profiles (restored afterwards)."""
    saved = {k: getattr(demo, k) for k in ("CITIES", "CAL", "DATA_START", "READING_MINUTES")}
    demo.CITIES, demo.CAL, demo.DATA_START, demo.READING_MINUTES = cities, cal, ENFORCEMENT_START, 60
    try:
        yield
    finally:
        for k, v in saved.items():
            setattr(demo, k, v)


def gen_credit_all_above(g: demo.Gen, ents) -> None:
    """A safety-credit rating for every above-scale enterprise (and a 2021 re-rating for 30 % of them)."""
    colours = ["green", "blue", "yellow", "red"]
    score_of = {"green": (90, 100), "blue": (80, 90), "yellow": (70, 80), "red": (50, 70)}
    for city, prof in demo.CITIES.items():
        c = prof.compliance
        p = np.asarray([demo.COLOUR_P["green"] * (0.5 + c), demo.COLOUR_P["blue"], demo.COLOUR_P["yellow"] * (1.5 - c),
                        demo.COLOUR_P["red"] * (1.6 - c)])
        p = list(p / p.sum())
        for e in ents[city]:
            if not e.above:
                continue
            col = g.r.choices(colours, weights=p)[0]
            d = dt.date(2020, 6, 1) + dt.timedelta(days=g.r.randrange(0, 213))
            g.add(S.credit_ratings, enterprise_id=e.id, colour=col, score=round(g.r.uniform(*score_of[col]), 1),
                  rated_on=d, **demo._scope(e), recorded_at=g.recorded(d, False))
            if g.r.random() < 0.3:
                col2 = colours[max(0, min(3, colours.index(col) + g.r.randrange(-1, 2)))]
                d2 = dt.date(2021, 1, 4) + dt.timedelta(days=g.r.randrange(0, 170))
                g.add(S.credit_ratings, enterprise_id=e.id, colour=col2,
                      score=round(g.r.uniform(*score_of[col2]), 1), rated_on=d2, **demo._scope(e),
                      recorded_at=g.recorded(d2, False))


def _flush(conn, g: demo.Gen, counts: dict, progress) -> None:
    """Write every table the generator holds rows for, in dependency order, and free the rows."""
    for t in S.metadata.sorted_tables:
        rows = g.rows.get(t.name)
        if not rows:
            continue
        counts[t.name] = counts.get(t.name, 0) + insert_rows(conn, t, g.cols[t.name], rows)
        g.rows[t.name] = []
        if progress:
            progress(t.name, counts[t.name])


def _point_series(g: demo.Gen) -> tuple[np.ndarray, ...]:
    """Per point: id, normal value, high alarm, status, newest reading time, newest value (from point_state)."""
    mp_cols = g.cols["monitoring_points"]
    i_id, i_norm, i_high = mp_cols.index("id"), mp_cols.index("normal_value"), mp_cols.index("high_alarm")
    meta = {r[i_id]: (r[i_norm], r[i_high]) for r in g.rows["monitoring_points"]}
    ps_cols = g.cols["point_state"]
    j_id, j_val, j_st, j_at = (ps_cols.index(c) for c in ("point_id", "value", "status", "reading_at"))
    st = sorted(g.rows["point_state"], key=lambda r: r[j_id])
    ids = np.asarray([r[j_id] for r in st], dtype=np.int64)
    normal = np.asarray([meta[r[j_id]][0] for r in st])
    high = np.asarray([meta[r[j_id]][1] or meta[r[j_id]][0] * 2 for r in st])
    status = np.asarray([r[j_st] for r in st], dtype=object)
    at = [r[j_at] for r in st]
    last = np.asarray([r[j_val] for r in st])
    return ids, normal, high, status, at, last


def stream_readings(engine: Engine, g: demo.Gen, series, bar=None) -> tuple[int, float]:
    """24 h of readings at one a minute for every point, ending at each point's newest reading (point_state),
    written in blocks of points. Returns (rows, seconds)."""
    t0 = time.perf_counter()
    ids, normal, high, status, at, last = series
    end = max(at)
    first = end - dt.timedelta(minutes=READINGS_MINUTES - 1)
    stamps = [first + dt.timedelta(minutes=m) for m in range(READINGS_MINUTES)]
    pg = engine.dialect.name == "postgresql"
    ts_txt = [t.strftime("%Y-%m-%d %H:%M:%S") for t in stamps] if pg else \
        [t.strftime("%Y-%m-%d %H:%M:%S.%f") for t in stamps]
    rng = np.random.default_rng(g.seed + 7)
    tgrid = np.arange(READINGS_MINUTES) / READINGS_MINUTES * 2 * math.pi
    all_stops = np.clip([int((t - first).total_seconds() // 60) + 1 for t in at], 1, READINGS_MINUTES)
    if bar is not None:
        bar.reset(total=int(all_stops.sum()))
    total, pending = 0, 0
    conn = engine.connect()
    tx = conn.begin()
    try:
        for b in range(0, len(ids), POINTS_PER_BLOCK):
            sl = slice(b, b + POINTS_PER_BLOCK)
            n = len(ids[sl])
            phase = rng.uniform(0, 2 * math.pi, n)
            vals = normal[sl, None] * (1 + 0.08 * np.sin(tgrid[None, :] + phase[:, None])
                                       + 0.03 * rng.standard_normal((n, READINGS_MINUTES)))
            vals = np.round(np.maximum(vals, 0), 3)
            # each point's series ends at its newest reading (offline points stopped earlier) with its value
            stop = all_stops[sl]
            alarm = status[sl] == "alarm"
            for k in np.flatnonzero(alarm):
                s = stop[k]
                vals[k, max(0, s - 3):s] = np.round(high[sl][k] * (1.05 + 0.1 * rng.random(min(3, s))), 3)
            vals[np.arange(n), stop - 1] = last[sl]
            raw = conn.connection.driver_connection
            if pg:
                with raw.cursor() as cur, cur.copy("COPY readings (point_id, ts, value, recorded_at) FROM STDIN") as cp:
                    for k in range(n):
                        pid, s = int(ids[sl][k]), int(stop[k])
                        cp.write("".join(f"{pid}\t{t}\t{v!r}\t{t}\n" for t, v in zip(ts_txt[:s], vals[k, :s].tolist())))
            else:
                cur = raw.cursor()
                sql = "INSERT INTO readings (point_id, ts, value, recorded_at) VALUES (?, ?, ?, ?)"
                for k in range(n):
                    pid, s = int(ids[sl][k]), int(stop[k])
                    cur.executemany(sql, ((pid, t, v, t) for t, v in zip(ts_txt[:s], vals[k, :s].tolist())))
                cur.close()
            rows = int(stop.sum())
            total += rows
            pending += rows
            if bar is not None:
                bar.update(rows)
            if pending >= READINGS_COMMIT_ROWS:
                tx.commit()
                tx = conn.begin()
                pending = 0
        tx.commit()
    finally:
        conn.close()
    return total, time.perf_counter() - t0


def seed_province(engine: Engine, seed: int = demo.DEFAULT_SEED, anchor: dt.datetime | None = None, *,
                  fraction: float = 1.0, density: float = 1.0, progress=None, users: bool = True,
                  readings: bool = True, readings_bar=None) -> dict:
    """Replace the database's contents with province-scale data. Returns a summary (rows per table, seconds)."""
    t0 = time.perf_counter()
    started = dt.datetime.now().replace(microsecond=0)
    anchor = (anchor or dt.datetime.now()).replace(microsecond=0)
    cities, cal = profiles(fraction, density)
    g = demo.Gen(seed, anchor)
    counts: dict[str, int] = {}
    t_gen = 0.0
    with _demo_parameters(cities, cal), engine.begin() as conn:
        derived.drop_triggers(conn)  # no per-row triggers during the load: one set-based refresh at the end
        if conn.dialect.name == "postgresql":  # DELETE of ~90 M rows would take minutes
            names = ", ".join(f'"{t.name}"' for t in S.metadata.sorted_tables if t.name != "alembic_version")
            conn.execute(text(f"TRUNCATE {names}"))
        else:
            demo.clear(conn)
        tables = [t for t in S.metadata.sorted_tables if t.name not in ("alembic_version", "seed_runs", "audit_log")]
        for t in tables:
            for ix in t.indexes:
                ix.drop(conn)

        def step(fn, *a):
            nonlocal t_gen
            t1 = time.perf_counter()
            out = fn(*a)
            t_gen += time.perf_counter() - t1
            return out

        by_city = step(demo.gen_reference, g)
        anquan = step(demo.gen_grids_and_sources, g, by_city)
        _flush(conn, g, counts, progress)
        ents = step(demo.gen_enterprises, g, by_city, anquan)
        _flush(conn, g, counts, progress)
        step(demo.gen_monitoring, g, ents)
        g.rows["readings"] = []  # the demo's hourly series; the per-minute series is streamed below
        series = _point_series(g)
        _flush(conn, g, counts, progress)
        camps = step(demo.gen_campaigns, g)
        step(demo.gen_enforcement, g, ents, camps)
        _flush(conn, g, counts, progress)
        step(demo.gen_risk_reports, g, ents)
        _flush(conn, g, counts, progress)
        step(gen_credit_all_above, g, ents)
        step(demo.gen_training, g, ents)
        if users:
            step(demo.gen_users, g)
        _flush(conn, g, counts, progress)
        del ents, by_city, anquan
        t1 = time.perf_counter()
        derived.refresh(conn)
        derived.create_triggers(conn)
        t_derived = time.perf_counter() - t1
        for t in tables:  # built once over the final rows (the refresh updates every inspection)
            for ix in t.indexes:
                ix.create(conn)
        reset_sequences(conn, S.metadata.sorted_tables)
    t_tables = time.perf_counter() - t0
    t_read = 0.0
    if readings:
        counts["readings"], t_read = stream_readings(engine, g, series, readings_bar)
    total = sum(counts.values())
    with engine.begin() as conn:
        label = next((k for k, v in SCALES.items() if v == density), f"prov{density:g}")
        short = label.replace("province", "prov")  # a dry run: its share, e.g. prov×0.1, prov3×0.1
        conn.execute(insert(S.seed_runs).values(scale=label if fraction == 1 else f"{short}×{fraction:g}"[:12],
                                                seed=seed, started_at=started, anchor_at=g.anchor,
                                                seconds=round(time.perf_counter() - t0, 2), rows=total))
    t1 = time.perf_counter()
    derived.compact(engine)  # (with the planner's statistics)
    return {"rows": counts, "total_rows": total, "generate_s": round(t_gen, 2), "tables_s": round(t_tables, 2),
            "derived_s": round(t_derived, 2),
            "readings_s": round(t_read, 2), "analyze_s": round(time.perf_counter() - t1, 2),
            "seconds": round(time.perf_counter() - t0, 2), "anchor": g.anchor.isoformat(sep=" ")}
