"""The live monitoring feed: ``oversight feed`` (a simulator of the province's monitoring network) and
``oversight ingest`` (JSON lines from a real gateway). Both write through :func:`queries.ingest.ingest`.

``oversight feed`` every ``--interval`` seconds produces one reading for every online monitoring point (values
drift around each point's normal value; now and then a point crosses a threshold, sometimes repeatedly; sensors
fail; points go offline and come back), ingests them, marks silent points offline, moves open warnings nobody has
touched through acknowledge → verify → close (``cli.simulate``; ``--no-handling``: never, people handle every
warning), and keeps the readings table bounded (dense for the last hour, hourly after).
When the database is unreachable it keeps the readings in memory and writes them, oldest first, when the
database is back: no reading is lost (up to ``--buffer-max`` readings, about 1.8 hours of the demo network).

``oversight ingest`` reads JSON lines from stdin, one reading per line::

    {"point": "MP00001230001", "ts": "2021-03-13T10:00:00+08:00", "value": 86.2}
    {"point_id": 17, "ts": "2021-03-13 10:00:00", "value": 0.81}

and writes them in batches (``--batch`` lines, or whatever arrived within ``--max-wait`` seconds). Rejected
lines are reported on stderr as JSON with their line number and reason; a summary per batch goes to stdout.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import queue
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from cli import simulate
from queries import ingest as I
from seed.schema import point_state as PS

OUTAGE_ERRORS = (DBAPIError, OSError)


def _log(msg: str) -> None:
    print(f"{dt.datetime.now():%H:%M:%S} {msg}", file=sys.stderr, flush=True)


# --- the simulated network -------------------------------------------------------------------------------------

@dataclass
class SimConfig:
    interval: float = 10.0
    alarm_rate: float = 0.01  # threshold crossings per point per day (national 2022: ~4,500 a day / 440,000 points)
    repeat_p: float = 0.3  # a crossing is followed by another one on the same point within minutes
    fault_rate: float = 0.0005  # sensor faults (physically impossible values) per point per day
    offline_rate: float = 0.002  # outages per point per day
    offline_mean_h: float = 2.0  # mean length of a new outage
    long_offline_mean_h: float = 72.0  # mean remaining length of the outages found at start
    seed: int = 20210313


class Simulator:
    """One reading per online point per tick, vectorised over the whole network (numpy)."""

    def __init__(self, pts: list[I.Point], offline: set[int], cfg: SimConfig):
        self.cfg = cfg
        self.rng = np.random.default_rng(cfg.seed)
        n = len(pts)
        self.n = n
        self.ids = np.array([p.id for p in pts], dtype=np.int64)
        nan = float("nan")
        self.normal = np.array([p.normal for p in pts], dtype=float)
        self.low = np.array([nan if p.low is None else p.low for p in pts], dtype=float)
        self.high = np.array([nan if p.high is None else p.high for p in pts], dtype=float)
        self.hh = np.array([nan if p.high_high is None else p.high_high for p in pts], dtype=float)
        self.can_fault = np.array([p.kind in I.PHYSICAL_RANGE for p in pts])
        self.fault_value = np.array([(I.PHYSICAL_RANGE.get(p.kind, (0, None))[0] or 0) - 10.0 for p in pts])
        self.phase = self.rng.uniform(0, 2 * math.pi, n)
        self.period = self.rng.uniform(3, 12, n) * 3600.0
        self.offline = np.array([p.id in offline for p in pts])
        self.long_off = self.offline.copy()
        self.exc_left = np.zeros(n, dtype=np.int64)  # ticks left in an excursion (threshold crossing / fault)
        self.exc_value = np.zeros(n)
        self.wait = np.full(n, -1, dtype=np.int64)  # ticks until a repeat crossing (-1: none planned)

    def _p(self, per_day: float) -> float:
        return min(1.0, per_day * self.cfg.interval / 86400.0)

    def _targets(self, idx: np.ndarray) -> np.ndarray:
        """Excursion values for the points ``idx``: mostly above the high alarm, some above high-high, some low."""
        u = self.rng.random(len(idx))
        hi, hh, lo = self.high[idx], self.hh[idx], self.low[idx]
        mid = hi + (hh - hi) * self.rng.uniform(0.1, 0.8, len(idx))
        over = hh * self.rng.uniform(1.02, 1.2, len(idx))
        under = lo * self.rng.uniform(0.4, 0.95, len(idx))
        return np.where(u < 0.72, mid, np.where(u < 0.87, over, np.where(np.isnan(lo), mid, under)))

    def step(self, ts: dt.datetime) -> tuple[np.ndarray, np.ndarray]:
        """Advance one tick; ``(point ids, values)`` of the points online at ``ts``."""
        c, rng, n = self.cfg, self.rng, self.n
        # outages: new ones start, running ones end
        back = self.offline & (rng.random(n) < np.where(self.long_off, c.interval / (c.long_offline_mean_h * 3600),
                                                         c.interval / (c.offline_mean_h * 3600)))
        self.offline[back] = False
        self.long_off[back] = False
        self.offline |= (~self.offline) & (rng.random(n) < self._p(c.offline_rate))
        # excursions: running ones tick down; planned repeats and new crossings start
        active = self.exc_left > 0
        self.exc_left[active] -= 1
        ended = active & (self.exc_left == 0)
        plan = ended & (rng.random(n) < c.repeat_p)
        self.wait[plan] = rng.geometric(min(1.0, c.interval / 60.0), int(plan.sum()))
        waiting = self.wait > 0
        self.wait[waiting] -= 1
        again = waiting & (self.wait == 0)
        self.wait[again] = -1
        idle = self.exc_left == 0
        new = idle & (again | (rng.random(n) < self._p(c.alarm_rate)))
        fault = idle & ~new & self.can_fault & (rng.random(n) < self._p(c.fault_rate))
        ni = np.flatnonzero(new & ~again)
        if len(ni):
            self.exc_value[ni] = self._targets(ni)
        dur = rng.geometric(min(1.0, c.interval / 120.0), n)  # about two minutes
        self.exc_left[new] = dur[new]
        fi = np.flatnonzero(fault)
        self.exc_value[fi] = self.fault_value[fi]
        self.exc_left[fault] = np.minimum(dur[fault], 6)
        # values
        t = ts.timestamp()
        base = self.normal * (1 + 0.05 * np.sin(2 * math.pi * t / self.period + self.phase)
                              + 0.015 * rng.standard_normal(n))
        excursion = self.exc_value * (1 + 0.01 * rng.standard_normal(n))
        vals = np.where(self.exc_left > 0, excursion, base)
        vals = np.round(np.where(self.exc_left > 0, vals, np.maximum(vals, 0)), 3)
        on = ~self.offline
        return self.ids[on], vals[on]


# --- the feed loop ----------------------------------------------------------------------------------------------

def _load_network(engine: Engine) -> tuple[list[I.Point], set[int]]:
    pts = I.points(engine, refresh=True)
    with engine.connect() as c:
        off = {r[0] for r in c.execute(select(PS.c.point_id).where(PS.c.status == "offline"))}
    return [pts.by_id[k] for k in sorted(pts.by_id)], off


class Feed:
    """Simulate, buffer, ingest, and keep house. ``clock`` / ``sleep`` are injectable for tests."""

    def __init__(self, engine: Engine, cfg: SimConfig | None = None, *, lifecycle_speed: float = 1.0,
                 handling: bool = True,
                 offline_after_s: float | None = None, buffer_max: int = 20_000_000, batch_max: int = 200_000,
                 dense_minutes: float = 60, keep_days: float = 30, log: Callable[[str], None] = _log,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
                 verbose: bool = True):
        self.engine = engine
        self.cfg = cfg or SimConfig()
        self.lifecycle_speed = lifecycle_speed
        self.handling = handling  # False (--no-handling): people handle every warning, the simulator none
        self.offline_after_s = offline_after_s or max(3 * self.cfg.interval, 30.0)
        self.buffer: deque[tuple[dt.datetime, np.ndarray, np.ndarray]] = deque()
        self.buffered = 0
        self.buffer_max = buffer_max
        self.batch_max = batch_max
        self.dense_minutes = dense_minutes
        self.keep_days = keep_days
        self.log, self.clock, self.sleep, self.verbose = log, clock, sleep, verbose
        self.sim: Simulator | None = None
        self.written = 0
        self.lost = 0
        self.outage_since: float | None = None
        self.last_result: I.IngestResult | None = None
        self._thinned_to: dt.datetime | None = None
        self._first_tick: dt.datetime | None = None
        self._next_thin = 0.0
        self._next_drop = 0.0
        self._next_count = 0.0
        self.cycles = 0

    # -- start ---------------------------------------------------------------------------------------------
    def start(self, *, wait: bool = True, retry_s: float = 5.0) -> None:
        """Load the network from the database (waiting for it if it is not reachable yet)."""
        while True:
            try:
                pts, off = _load_network(self.engine)
                break
            except OUTAGE_ERRORS as e:
                if not wait:
                    raise
                self.log(f"database unreachable at start ({type(e).__name__}); retrying in {retry_s:.0f} s")
                self.sleep(retry_s)
        self.sim = Simulator(pts, off, self.cfg)
        self.log(f"feed: {len(pts):,} monitoring points ({len(off):,} offline), every {self.cfg.interval:g} s")

    # -- one tick ----------------------------------------------------------------------------------------------
    def produce(self, ts: dt.datetime) -> int:
        if self._first_tick is None:
            self._first_tick = ts
        ids, vals = self.sim.step(ts)
        self.buffer.append((ts, ids, vals))
        self.buffered += len(ids)
        while self.buffered > self.buffer_max and len(self.buffer) > 1:
            _, old, _ = self.buffer.popleft()
            self.buffered -= len(old)
            self.lost += len(old)
            self.log(f"buffer full: dropped the oldest {len(old):,} readings ({self.lost:,} lost so far)")
        return len(ids)

    def flush(self, now: dt.datetime | None = None) -> bool:
        """Write the buffer, oldest first, one transaction per batch. False if the database is unreachable."""
        while self.buffer:
            take, n = 0, 0
            for _, ids, _ in self.buffer:
                if take and n + len(ids) > self.batch_max:
                    break
                take += 1
                n += len(ids)
            rows = []
            for k in range(take):
                ts, ids, vals = self.buffer[k]
                rows.extend(zip(ids.tolist(), [ts] * len(ids), vals.tolist()))
            try:
                res = I.ingest(rows, engine=self.engine, now=now)
            except IntegrityError as e:  # the batch itself cannot be stored: drop it, loudly
                self.log(f"batch of {n:,} readings refused by the database and dropped: {e.orig!r}")
                self.lost += n
                res = None
            except OUTAGE_ERRORS as e:
                if self.outage_since is None:
                    self.outage_since = self.clock()
                    self.log(f"database unreachable ({type(e).__name__}: {str(e).splitlines()[0][:120]}); "
                             f"buffering readings in memory")
                return False
            for _ in range(take):
                _, ids, _ = self.buffer.popleft()
                self.buffered -= len(ids)
            if res is not None:
                self.written += res.inserted
                self.last_result = res
                if res.rejected:
                    self.log(f"{len(res.rejected):,} simulated readings rejected, e.g. {res.rejected[0]}")
            if self.outage_since is not None and not self.buffer:
                self.log(f"database back after {self.clock() - self.outage_since:.0f} s; buffer written")
                self.outage_since = None
        return True

    def housekeeping(self, now: dt.datetime) -> dict:
        out = {}
        try:
            out["offline"] = I.detect_offline(now, engine=self.engine, after_s=self.offline_after_s)
            if self.handling:
                out["lifecycle"] = simulate.advance_lifecycle(now, engine=self.engine, speed=self.lifecycle_speed)
            mono = self.clock()
            if self.dense_minutes and mono >= self._next_thin:
                # thin only what this feed wrote: history from the seed or an import (a province's 24 h at one
                # reading a minute) is not the simulator's to thin
                hi = now - dt.timedelta(minutes=self.dense_minutes)
                lo = self._thinned_to or self._first_tick or hi
                if hi > lo:
                    out["thinned"] = I.thin_readings(lo, hi, engine=self.engine,
                                                     keep_s=int(max(1, self.cfg.interval)))
                    self._thinned_to = hi
                self._next_thin = mono + 60  # a minute's worth at a time: short write transactions
            if mono >= self._next_count:  # the points' states, for the tiles' 24 h and 7 day comparisons
                out["counted"] = I.record_point_counts(now, engine=self.engine)
                self._next_count = mono + I.POINT_COUNTS_EVERY.total_seconds()
            if self.keep_days and mono >= self._next_drop:
                out["dropped"] = I.drop_readings_before(now - dt.timedelta(days=self.keep_days), engine=self.engine)
                self._next_drop = mono + 3600
        except OUTAGE_ERRORS as e:
            self.log(f"housekeeping skipped: database unreachable ({type(e).__name__})")
        return out

    def cycle(self, ts: dt.datetime) -> bool:
        """Produce the readings of tick ``ts``, write everything buffered, keep house. True if all was written."""
        t0 = time.perf_counter()
        n = self.produce(ts)
        now = dt.datetime.fromtimestamp(self.clock())
        ok = self.flush(now)
        hk = self.housekeeping(now) if ok else {}
        self.cycles += 1
        if self.verbose or not ok or self.cycles % 30 == 1:
            r = self.last_result
            if ok and r is not None:
                lc = hk.get("lifecycle", {})
                off = hk.get("offline", {})
                self.log(f"{ts:%H:%M:%S} {n:,} readings; written {r.inserted:,} in {r.seconds:.2f} s; "
                         f"warnings +{r.warnings_raised + off.get('warnings_raised', 0)} "
                         f"(merged {r.warnings_merged}); offline +{off.get('offline', 0)}; "
                         f"closed {lc.get('closed', 0)}; cycle {time.perf_counter() - t0:.2f} s")
            elif not ok:
                self.log(f"{ts:%H:%M:%S} {n:,} readings buffered ({self.buffered:,} waiting)")
        return ok

    # -- the loop ------------------------------------------------------------------------------------------------
    def run(self, *, once: bool = False, duration: float | None = None) -> int:
        if self.sim is None:
            self.start()
        iv = self.cfg.interval
        began = self.clock()
        nxt = math.floor(began / iv) * iv  # ticks on the interval grid: a reading at hh:00:00 exists
        while True:
            now = self.clock()
            if now < nxt:
                self.sleep(nxt - now)
                continue
            # produce every tick that is due (after a stall, the missed ones too)
            due = []
            while nxt <= self.clock():
                due.append(dt.datetime.fromtimestamp(nxt))
                nxt += iv
            for ts in due[:-1]:
                self.produce(ts)
            ok = self.cycle(due[-1])
            if once:
                return 0 if ok else 1
            if duration is not None and self.clock() - began >= duration:
                if self.buffer:
                    self.flush(dt.datetime.fromtimestamp(self.clock()))
                if self.buffer:
                    self.log(f"stopping with {self.buffered:,} readings not written (database unreachable)")
                    return 1
                return 0


# --- CLI --------------------------------------------------------------------------------------------------------

def cmd_feed(args) -> int:
    from queries.db import ensure_database, get_engine

    cfg = SimConfig(interval=args.interval, alarm_rate=args.alarm_rate, offline_rate=args.offline_rate,
                    seed=args.seed)
    try:
        eng = ensure_database()
    except OUTAGE_ERRORS as e:
        _log(f"database unreachable ({type(e).__name__}); the feed waits for it")
        eng = get_engine()
    feed = Feed(eng, cfg, lifecycle_speed=args.lifecycle_speed, handling=not args.no_handling,
                buffer_max=args.buffer_max,
                dense_minutes=args.dense_minutes, keep_days=args.keep_days, verbose=not args.quiet)
    try:
        return feed.run(once=args.once, duration=args.duration)
    except KeyboardInterrupt:
        if feed.buffer:
            feed.flush()
        return 0


def _reader(stream, q: queue.Queue) -> None:
    for line in stream:
        q.put(line)
    q.put(None)


def _ingest_with_retry(batch: list, engine, strict: bool, max_retry_s: float | None):
    delay, waited = 1.0, 0.0
    while True:
        try:
            return I.ingest(batch, engine=engine, strict=strict)
        except IntegrityError:
            raise
        except OUTAGE_ERRORS as e:
            if max_retry_s is not None and waited >= max_retry_s:
                raise
            _log(f"database unreachable ({type(e).__name__}); retrying in {delay:.0f} s (stdin paused)")
            time.sleep(delay)
            waited += delay
            delay = min(delay * 2, 30.0)


def cmd_ingest(args) -> int:
    from queries.db import ensure_database

    eng = ensure_database()
    q: queue.Queue = queue.Queue(maxsize=max(1000, args.batch * 4))
    threading.Thread(target=_reader, args=(sys.stdin, q), daemon=True).start()
    line_no = 0
    counted = None  # when the points' states were last counted (monotonic)
    total = {"lines": 0, "accepted": 0, "inserted": 0, "rejected": 0, "warnings_raised": 0, "sms_pushes": 0}
    eof = False
    while not eof:
        batch, lines = [], []
        first = None
        while len(batch) < args.batch:
            timeout = None if first is None else max(0.0, args.max_wait - (time.monotonic() - first))
            try:
                line = q.get(timeout=timeout)
            except queue.Empty:
                break
            if line is None:
                eof = True
                break
            line_no += 1
            if not line.strip():
                continue
            first = first or time.monotonic()
            try:
                obj = json.loads(line)
            except ValueError:
                total["rejected"] += 1
                print(json.dumps({"line": line_no, "reason": "invalid JSON"}, ensure_ascii=False), file=sys.stderr)
                continue
            if not isinstance(obj, dict):
                total["rejected"] += 1
                print(json.dumps({"line": line_no, "reason": "not a JSON object"}), file=sys.stderr)
                continue
            batch.append(obj)
            lines.append(line_no)
        if not batch:
            continue
        total["lines"] += len(batch)
        res = _ingest_with_retry(batch, eng, args.strict, args.max_retry)
        for r in res.rejected:
            print(json.dumps({"line": lines[r.index], "reason": r.reason, "point": r.point,
                              "ts": r.ts if isinstance(r.ts, (str, int, float, type(None))) else str(r.ts)},
                             ensure_ascii=False, default=str), file=sys.stderr)
        for k in ("accepted", "inserted", "warnings_raised", "sms_pushes"):
            total[k] += getattr(res, k)
        total["rejected"] += len(res.rejected)
        if not args.quiet:
            print(json.dumps(res.summary(), ensure_ascii=False), flush=True)
        if args.offline_after:
            I.detect_offline(engine=eng, after_s=args.offline_after)
        if counted is None or time.monotonic() - counted >= I.POINT_COUNTS_EVERY.total_seconds():
            counted = time.monotonic()  # the points' states, for the tiles' 24 h and 7 day comparisons
            try:
                I.record_point_counts(engine=eng)
            except OUTAGE_ERRORS as e:  # a count missed is an hour without a comparison, not a reason to stop
                print(json.dumps({"point_counts": "skipped", "reason": type(e).__name__}), file=sys.stderr)
    print(json.dumps({"total": total}, ensure_ascii=False), flush=True)
    return 1 if total["rejected"] else 0


def register_cli(sub) -> None:
    s = sub.add_parser("feed", help="simulate the monitoring network: readings for every online point, every interval")
    s.add_argument("--interval", type=float, default=10.0, help="seconds between readings (default 10)")
    s.add_argument("--once", action="store_true", help="write one round of readings and stop")
    s.add_argument("--duration", type=float, default=None, metavar="S", help="stop after S seconds")
    s.add_argument("--alarm-rate", type=float, default=SimConfig.alarm_rate,
                   help="threshold crossings per point per day (default %(default)s)")
    s.add_argument("--offline-rate", type=float, default=SimConfig.offline_rate,
                   help="outages per point per day (default %(default)s)")
    s.add_argument("--lifecycle-speed", type=float, default=1.0,
                   help="compress warning handling times (60: an hour of handling takes a minute)")
    s.add_argument("--no-handling", action="store_true",
                   help="simulate no handling of warnings: people take every step (acknowledge … close)")
    s.add_argument("--buffer-max", type=int, default=20_000_000,
                   help="readings kept in memory while the database is unreachable (default %(default)s)")
    s.add_argument("--dense-minutes", type=float, default=60,
                   help="keep every reading this long, then one per hour (0: keep all)")
    s.add_argument("--keep-days", type=float, default=30, help="delete readings older than this (0: never)")
    s.add_argument("--seed", type=int, default=SimConfig.seed)
    s.add_argument("--quiet", action="store_true", help="log every 30th cycle only")
    s.set_defaults(fn=cmd_feed)

    s = sub.add_parser("ingest", help="read readings as JSON lines from stdin and write them (gateway integration)")
    s.add_argument("--batch", type=int, default=5000, help="lines per transaction (default 5000)")
    s.add_argument("--max-wait", type=float, default=1.0,
                   help="write what has arrived after this many seconds even if the batch is not full")
    s.add_argument("--strict", action="store_true", help="reject a whole batch if any line in it is invalid")
    s.add_argument("--offline-after", type=float, default=None, metavar="S",
                   help="after each batch, mark points silent for S seconds as offline")
    s.add_argument("--max-retry", type=float, default=None, metavar="S",
                   help="give up after the database has been unreachable this long (default: wait forever)")
    s.add_argument("--quiet", action="store_true", help="no per-batch summary on stdout")
    s.set_defaults(fn=cmd_ingest)


__all__ = ["SimConfig", "Simulator", "Feed", "register_cli", "cmd_feed", "cmd_ingest"]
