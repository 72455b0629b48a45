"""Ingestion of online-monitoring readings: the one integration point of the monitoring network.

A real gateway and the simulator (``oversight feed``) both come in here, either by calling :func:`ingest`
or by piping JSON lines into ``oversight ingest`` (which calls it). No Streamlit here.

``ingest(readings, engine=...)`` takes a batch of readings ``(point, ts, value)`` and, in **one transaction**:

1. validates every reading (known point by id or code, finite number, sane timestamp); invalid ones are
   rejected with a reason and never written (``strict=True`` rejects the whole batch instead);
2. inserts the readings (``recorded_at`` = now); a reading already stored (same point and ``ts``) is a
   duplicate and is skipped, so a re-sent batch is harmless;
3. updates each point's latest state in ``point_state`` (value, ``normal`` | ``alarm``, ``reading_at``);
4. raises a warning when a reading crosses a threshold (rule below), or merges it into the point's open
   warning of the same kind (a *repeat* is a new crossing after the point was back to normal:
   ``repeat_count + 1``; every abnormal reading moves ``last_seen_at`` and the peak; the level escalates if
   the new crossing is worse, never de-escalates);
5. records the SMS pushes of every new warning (and of every escalation) to the enterprise's responsible
   people and to the local regulator (who they are: ``seed.contacts``); ``pushed_at`` is set when the warning is
   raised.

Any database error rolls the whole batch back (nothing half-written) and propagates: the caller keeps the
batch and retries (``oversight feed`` buffers; ``oversight ingest`` stops reading stdin until it succeeds).

Readings older than a point's newest stored reading are stored but do not change its state or raise
warnings ("late"): state and warnings follow the newest data only.

Threshold rule (levels 1 重大/红 .. 4 低/蓝, as in the demo data and ``seed.schema``)

=====================================================  ==============  =========================
reading                                                 type            level
=====================================================  ==============  =========================
outside the sensor's physical range (e.g. level < -5 %,  ``equipment``   4 低  (设备故障)
%LEL > 105, temperature below absolute zero)
≥ high-high alarm, toxic gas (``gas_toxic``)             ``gas_leak``    1 重大
≥ high-high alarm, any other kind                        ``over_limit``  2 较大
                                                         (gas: ``gas_leak``)
≥ high alarm                                             as above        3 一般
≤ low alarm                                              ``over_limit``  4 低
=====================================================  ==============  =========================

Points that stop reporting are marked offline by :func:`detect_offline` (an ``offline`` warning, level 4 低);
the simulator's stand-in for the duty officers lives apart, in ``cli.simulate``; :func:`thin_readings` / :func:`drop_readings_before` keep the
readings table bounded.
"""
from __future__ import annotations

import datetime as dt
import math
import os
import threading
import time
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

from sqlalchemy import DateTime, Engine, bindparam, case, delete, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from queries import db
from seed.contacts import sms_recipients
from seed.schema import (
    enterprises as E, monitoring_points as MP, point_counts as PC, point_state as PS, readings as R,
    sms_pushes as SMS, warnings as W,
)

GAS_KINDS = ("gas_flammable", "gas_toxic")
# readings outside these bounds cannot be physical: the sensor or its transmission is faulty (设备故障)
PHYSICAL_RANGE: dict[str, tuple[float | None, float | None]] = {
    "level": (-5.0, 105.0),  # %
    "gas_flammable": (-5.0, 105.0),  # %LEL
    "gas_toxic": (-5.0, None),  # ppm
    "temperature": (-273.15, None),  # ℃
    "pressure": (-0.1013, None),  # MPa gauge: not below vacuum
}
FAMILY = {"over_limit": "threshold", "gas_leak": "threshold", "equipment": "equipment", "offline": "offline"}
MAX_FUTURE_S = 300  # clock skew tolerated between a gateway and the database host
MIN_TS = dt.datetime(2000, 1, 1)
PG_LOCK_KEY = 47110815  # advisory lock that serialises ingest transactions on PostgreSQL
SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite
# SQLite page cache of an ingesting connection (MiB, ``OVERSIGHT_SQLITE_INGEST_CACHE_MB``): a round writes one
# reading per point into the readings key's B-tree (~3 GB at a province's 60,000 points), touching one leaf per
# point (~240 MB); kept cached, the next round finds them there instead of reading them back (3x the rate)
SQLITE_INGEST_CACHE_MB = 512


class Reading(NamedTuple):
    """One reading: ``point`` is a point id (int) or point code (str), ``ts`` a datetime or ISO-8601 text."""

    point: int | str
    ts: dt.datetime | str
    value: float


@dataclass
class Rejected:
    index: int  # position in the batch (0-based)
    reason: str
    point: Any = None
    ts: Any = None


@dataclass
class IngestResult:
    received: int = 0
    accepted: int = 0  # valid readings
    inserted: int = 0  # newly stored
    duplicates: int = 0  # already stored (same point and ts)
    late: int = 0  # older than the point's newest reading: stored, no state change
    points_updated: int = 0
    warnings_raised: int = 0
    warnings_merged: int = 0  # repeat crossings merged into an open warning
    warnings_escalated: int = 0
    sms_pushes: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    new_warning_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.rejected

    def summary(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ("received", "accepted", "inserted", "duplicates", "late",
                                             "points_updated", "warnings_raised", "warnings_merged",
                                             "warnings_escalated", "sms_pushes")}
        out["rejected"] = len(self.rejected)
        out["seconds"] = round(self.seconds, 3)
        out["per_second"] = round(self.accepted / self.seconds) if self.seconds > 0 else None
        return out


# --- the monitoring points (cached per database) ----------------------------------------------------------

class Point:
    __slots__ = ("id", "code", "name", "kind", "normal", "low", "high", "high_high", "hazard_source_id",
                 "enterprise_id", "enterprise", "city", "county", "industry", "sector")

    def __init__(self, r):
        (self.id, self.code, self.name, self.kind, self.normal, self.low, self.high, self.high_high,
         self.hazard_source_id, self.enterprise_id, self.enterprise, self.city, self.county, self.industry,
         self.sector) = r

    def scope_columns(self) -> dict:
        return dict(city_adcode=self.city, county_adcode=self.county, industry_code=self.industry,
                    sector_code=self.sector)


class _Points:
    def __init__(self, rows):
        self.by_id = {r[0]: Point(r) for r in rows}
        self.by_code = {p.code: p.id for p in self.by_id.values()}
        self.loaded = time.monotonic()


_points_cache: dict[str, _Points] = {}
_points_lock = threading.Lock()
POINTS_TTL_S = 600


def points(engine: Engine, *, refresh: bool = False) -> _Points:
    """Every monitoring point with its thresholds and scope columns (cached for ``POINTS_TTL_S``)."""
    key = engine.url.render_as_string(hide_password=False)
    with _points_lock:
        p = _points_cache.get(key)
        if p is not None and not refresh and time.monotonic() - p.loaded < POINTS_TTL_S:
            return p
    stmt = (select(MP.c.id, MP.c.code, MP.c.name, MP.c.kind, MP.c.normal_value, MP.c.low_alarm, MP.c.high_alarm,
                   MP.c.high_high_alarm, MP.c.hazard_source_id, MP.c.enterprise_id, E.c.name, MP.c.city_adcode,
                   MP.c.county_adcode, MP.c.industry_code, MP.c.sector_code)
            .select_from(MP.join(E, E.c.id == MP.c.enterprise_id)))
    with engine.connect() as c:
        rows = c.execute(stmt).all()
    p = _Points(rows)
    with _points_lock:
        _points_cache[key] = p
    return p


def forget_points() -> None:
    with _points_lock:
        _points_cache.clear()


# --- the rule ------------------------------------------------------------------------------------------------

def classify(p: Point, value: float) -> tuple[str, int] | None:
    """``(warning type, level)`` a reading of point ``p`` raises, or ``None`` for a normal reading."""
    lo, hi = PHYSICAL_RANGE.get(p.kind, (None, None))
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        return "equipment", 4
    typ = "gas_leak" if p.kind in GAS_KINDS else "over_limit"
    if p.high_high is not None and value >= p.high_high:
        return typ, (1 if p.kind == "gas_toxic" else 2)
    if p.high is not None and value >= p.high:
        return typ, 3
    if p.low is not None and value <= p.low:
        return typ, 4
    return None


def _short(enterprise: str) -> str:
    return enterprise.replace("有限责任公司", "").replace("有限公司", "")


def title_for(p: Point, wtype: str, value: float | None = None) -> str:
    s = _short(p.enterprise)
    if wtype == "over_limit":
        low = value is not None and p.low is not None and value <= p.low
        return f"{s}{p.name}{'低于下限' if low else '超限'}"
    if wtype == "gas_leak":
        return f"{s}{p.name}报警"
    if wtype == "equipment":
        return f"{s}{p.name}监测设备故障"
    return f"{s}{p.name}监测点位离线"


# --- validation ---------------------------------------------------------------------------------------------

def parse_ts(v: Any) -> dt.datetime:
    """A naive local datetime from a datetime or ISO-8601 text; aware times are converted to local time."""
    if isinstance(v, dt.datetime):
        t = v
    elif isinstance(v, str):
        s = v.strip()
        if s.endswith(("Z", "z")):
            s = s[:-1] + "+00:00"
        t = dt.datetime.fromisoformat(s)  # ValueError if malformed
        if len(s) <= 10:  # a bare date is not a reading time
            raise ValueError("date without time")
    else:
        raise ValueError("not a timestamp")
    if t.tzinfo is not None:
        t = t.astimezone().replace(tzinfo=None)
    return t


def _unpack(r: Any) -> tuple[Any, Any, Any]:
    if isinstance(r, Mapping):
        pt = r.get("point_id", r.get("point"))
        return pt, r.get("ts"), r.get("value")
    pt, ts, v = r  # Reading or any 3-sequence
    return pt, ts, v


def _validate(readings: Iterable, pts: _Points, eng: Engine, now: dt.datetime, res: IngestResult,
              max_future_s: float) -> list[tuple[int, dt.datetime, float]]:
    valid: list[tuple[int, dt.datetime, float]] = []
    seen: set[tuple[int, dt.datetime]] = set()
    latest_ok = now + dt.timedelta(seconds=max_future_s)
    by_id, by_code = pts.by_id, pts.by_code
    ts_memo: dict[Any, dt.datetime | str] = {}  # raw timestamp -> datetime, or the reason it is bad
    reloaded = False
    reject = res.rejected.append
    i = -1
    for i, r in enumerate(readings):
        tr = type(r)
        try:
            if tr is Reading or tr is tuple or tr is list:
                pt, ts, v = r
            elif isinstance(r, Mapping):
                pt, ts, v = _unpack(r)
            else:
                pt, ts, v = r
        except (TypeError, ValueError):
            reject(Rejected(i, "not a reading (point, ts, value)"))
            continue
        # point: an id (int) or a code (str)
        tp = type(pt)
        pid = (pt if pt in by_id else None) if tp is int else by_code.get(pt.strip()) if tp is str else None
        if pid is None and (tp is int or tp is str) and not reloaded and time.monotonic() - pts.loaded > 5:
            pts = points(eng, refresh=True)  # points added since the cache was filled
            by_id, by_code = pts.by_id, pts.by_code
            reloaded = True
            pid = (pt if pt in by_id else None) if tp is int else by_code.get(pt.strip())
        if pid is None:
            reject(Rejected(i, "missing point" if pt is None else "unknown point", pt, ts))
            continue
        # value: a finite number
        tv = type(v)
        if tv is not float:
            if tv is not int:  # bool, str, None, ... are not readings
                reject(Rejected(i, "value is not a number", pt, ts))
                continue
            v = float(v)
        if not math.isfinite(v):
            reject(Rejected(i, "value is not finite", pt, ts))
            continue
        # timestamp
        if type(ts) is dt.datetime and ts.tzinfo is None:
            t = ts
            bad = None if MIN_TS <= t <= latest_ok else (
                "timestamp in the future" if t > latest_ok else "timestamp out of range")
        else:
            try:
                t = ts_memo.get(ts)
            except TypeError:  # unhashable
                t = "bad timestamp"
            if t is None:
                try:
                    t = parse_ts(ts)
                    if t > latest_ok:
                        t = "timestamp in the future"
                    elif t < MIN_TS:
                        t = "timestamp out of range"
                except (ValueError, TypeError, OverflowError, OSError):
                    t = "bad timestamp"
                ts_memo[ts] = t
            bad = t if type(t) is str else None
        if bad is not None:
            reject(Rejected(i, bad, pt, ts))
            continue
        key = (pid, t)
        if key in seen:
            reject(Rejected(i, "duplicate reading in batch", pt, ts))
            continue
        seen.add(key)
        valid.append((pid, t, v))
    res.received = i + 1
    return valid


# --- evaluation (pure: readings + state + open warnings → changes) -------------------------------------------

class _Warn:
    __slots__ = ("id", "point_id", "type", "level", "repeat", "peak", "sev", "last_seen", "raised_at", "new",
                 "dirty", "pushes")

    def __init__(self, id, point_id, type, level, repeat, peak, sev, last_seen, raised_at=None, new=False):
        self.id, self.point_id, self.type, self.level, self.repeat = id, point_id, type, level, repeat
        self.peak, self.sev, self.last_seen, self.raised_at, self.new = peak, sev, last_seen, raised_at, new
        self.dirty = False
        self.pushes: list[tuple[int, dt.datetime]] = []  # (level, at)


@dataclass
class _Plan:
    state: list[tuple[int, float, str, dt.datetime]]
    warnings: list[_Warn]
    late: int
    raised: int
    merged: int
    escalated: int


def evaluate(rows: Sequence[tuple[int, dt.datetime, float]], pts: Mapping[int, Point],
             state: Mapping[int, tuple[str, dt.datetime | None]], open_w: Mapping[tuple[int, str], _Warn],
             now: dt.datetime) -> _Plan:
    """What a batch of readings (sorted by point and time) changes: point states and warnings.

    ``state``: point id → (status, reading_at); ``open_w``: (point id, family) → the point's open warning.
    """
    open_w = dict(open_w)
    out_state = []
    touched: dict[int, _Warn] = {}
    late = raised = merged = escalated = 0
    new_seq = 0
    for pid, grp in groupby(rows, key=lambda r: r[0]):
        p = pts[pid]
        status, at = state.get(pid, (None, None))
        abnormal = status == "alarm"
        last = None
        for _, ts, v in grp:
            if at is not None and ts <= at:
                late += 1
                continue
            c = classify(p, v)
            if c is None:
                abnormal = False
                last = (v, "normal", ts)
                continue
            wtype, level = c
            fam = FAMILY[wtype]
            sev = abs(v - p.normal)
            w = open_w.get((pid, fam))
            if w is None:
                new_seq += 1
                w = _Warn(-new_seq, pid, wtype, level, 1, v, sev, ts, raised_at=ts, new=True)
                w.pushes.append((level, max(now, ts)))
                open_w[(pid, fam)] = w
                raised += 1
            else:
                if not abnormal:
                    w.repeat += 1
                    merged += 1
                if ts > w.last_seen:
                    w.last_seen = ts
                if level < w.level:
                    w.level = level
                    if w.new:  # not pushed yet: push once, at the level it ends the batch with
                        w.pushes = [(level, w.pushes[0][1])]
                    else:
                        w.pushes.append((level, max(now, ts)))
                        escalated += 1
                if w.sev is None or sev > w.sev:
                    w.peak, w.sev = v, sev
                if w.type != wtype and fam == "threshold" and level <= w.level:
                    w.type = wtype
                w.dirty = True
            touched[id(w)] = w
            abnormal = True
            last = (v, "alarm", ts)
        if last is not None:
            out_state.append((pid, last[0], last[1], last[2]))
    return _Plan(out_state, list(touched.values()), late, raised, merged, escalated)


# --- database plumbing ------------------------------------------------------------------------------------------

def _is_pg(conn) -> bool:
    return conn.dialect.name == "postgresql"


def lock_writers(conn) -> None:
    if _is_pg(conn):
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_LOCK_KEY})")
    else:
        try:
            mb = int(float(os.environ.get("OVERSIGHT_SQLITE_INGEST_CACHE_MB", SQLITE_INGEST_CACHE_MB)))
        except ValueError:
            mb = SQLITE_INGEST_CACHE_MB
        conn.exec_driver_sql(f"PRAGMA cache_size=-{max(mb, 1) * 1024}")


def _insert_readings(conn, rows: Sequence[tuple[int, dt.datetime, float]], now: dt.datetime) -> int:
    # exec_driver_sql: one bulk statement, and driver errors still arrive as SQLAlchemy's (OperationalError, …)
    if _is_pg(conn):
        return conn.exec_driver_sql(
            "INSERT INTO readings (point_id, ts, value, recorded_at) "
            "SELECT p, t, v, %s FROM unnest(%s::int4[], %s::timestamp[], %s::float8[]) AS u(p, t, v) "
            "ON CONFLICT DO NOTHING",
            (now, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])).rowcount
    rec = now.strftime(SQLITE_TS)
    fmt = _ts_formatter()
    return conn.exec_driver_sql("INSERT OR IGNORE INTO readings (point_id, ts, value, recorded_at) VALUES (?, ?, ?, ?)",
                                [(p, fmt(t), v, rec) for p, t, v in rows]).rowcount


def _ts_formatter():
    """``datetime -> SQLite text`` memoised (a batch mostly shares a handful of timestamps)."""
    memo: dict[dt.datetime, str] = {}

    def fmt(t: dt.datetime) -> str:
        s = memo.get(t)
        if s is None:
            s = memo[t] = t.strftime(SQLITE_TS)
        return s
    return fmt


def _load_state(conn, pids: set[int]) -> dict[int, tuple[str, dt.datetime | None]]:
    stmt = select(PS.c.point_id, PS.c.status, PS.c.reading_at)
    if len(pids) <= 500:
        stmt = stmt.where(PS.c.point_id.in_(sorted(pids)))
    return {r[0]: (r[1], r[2]) for r in conn.execute(stmt) if r[0] in pids}


def _load_open(conn, pids: set[int], pts: Mapping[int, Point]) -> dict[tuple[int, str], _Warn]:
    stmt = (select(W.c.id, W.c.point_id, W.c.type, W.c.level, W.c.repeat_count, W.c.peak_value, W.c.last_seen_at)
            .where(W.c.closed_at.is_(None), W.c.point_id.is_not(None)).order_by(W.c.id))
    if len(pids) <= 500:
        stmt = stmt.where(W.c.point_id.in_(sorted(pids)))
    out: dict[tuple[int, str], _Warn] = {}
    for wid, pid, typ, level, rep, peak, last in conn.execute(stmt):
        if pid not in pids:
            continue
        p = pts.get(pid)
        sev = abs(peak - p.normal) if (peak is not None and p is not None) else None
        out[(pid, FAMILY.get(typ, typ))] = _Warn(wid, pid, typ, level, rep, peak, sev, last)  # newest wins
    return out


def _upsert_state(conn, rows: Sequence[tuple[int, float, str, dt.datetime]], now: dt.datetime,
                  existing: Mapping[int, Any]) -> None:
    if not rows:
        return
    missing = [r for r in rows if r[0] not in existing]
    if _is_pg(conn):
        if missing:
            conn.exec_driver_sql(
                "INSERT INTO point_state (point_id, value, status, reading_at, updated_at) "
                "SELECT p, v, s, NULL, %s FROM unnest(%s::int4[], %s::float8[], %s::text[]) AS u(p, v, s) "
                "ON CONFLICT DO NOTHING",
                (now, [r[0] for r in missing], [r[1] for r in missing], [r[2] for r in missing]))
        conn.exec_driver_sql(
            "UPDATE point_state AS s SET value = u.v, status = u.s, reading_at = u.t, updated_at = %s "
            "FROM unnest(%s::int4[], %s::float8[], %s::text[], %s::timestamp[]) AS u(p, v, s, t) "
            "WHERE s.point_id = u.p AND (s.reading_at IS NULL OR s.reading_at < u.t)",
            (now, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]))
        return
    upd = now.strftime(SQLITE_TS)
    fmt = _ts_formatter()
    if missing:
        conn.exec_driver_sql("INSERT OR IGNORE INTO point_state (point_id, value, status, reading_at, updated_at) "
                             "VALUES (?, ?, ?, NULL, ?)", [(p, v, st, upd) for p, v, st, _ in missing])
    conn.exec_driver_sql(
        "UPDATE point_state SET value = ?, status = ?, reading_at = ?, updated_at = ? "
        "WHERE point_id = ? AND (reading_at IS NULL OR reading_at < ?)",
        [(v, st, ts, upd, p, ts) for p, v, st, ts in ((p, v, st, fmt(t)) for p, v, st, t in rows)])


def _reserve_ids(conn, n: int) -> list[int]:
    """``n`` fresh warning ids. Inside the ingest transaction: the advisory lock (PostgreSQL) or the write lock
    already taken (SQLite) keeps concurrent ingesters from handing out the same ids."""
    if n <= 0:
        return []
    if _is_pg(conn):
        rows = conn.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('warnings', 'id')) FROM generate_series(1, {int(n)})").all()
        return [int(r[0]) for r in rows]
    top = conn.execute(select(W.c.id).order_by(W.c.id.desc()).limit(1)).scalar() or 0
    return list(range(top + 1, top + 1 + n))


def _write_warnings(conn, ws: Sequence[_Warn], pts: Mapping[int, Point], now: dt.datetime) -> tuple[list[int], int]:
    new = [w for w in ws if w.new]
    ids = _reserve_ids(conn, len(new))
    rows = []
    for w, wid in zip(new, ids):
        w.id = wid
        p = pts[w.point_id]
        rows.append(dict(id=wid, code=f"YJ{w.raised_at:%Y%m%d}{wid:06d}", point_id=p.id,
                         hazard_source_id=p.hazard_source_id, enterprise_id=p.enterprise_id, level=w.level,
                         type=w.type, title=title_for(p, w.type, w.peak)[:128],
                         peak_value=None if w.peak is None else round(float(w.peak), 3), repeat_count=w.repeat,
                         raised_at=w.raised_at, last_seen_at=w.last_seen, pushed_at=w.pushes[0][1],
                         acknowledged_at=None, verified_at=None, closed_at=None, **p.scope_columns(),
                         recorded_at=now))
    if rows:
        conn.execute(insert(W), rows)
    upd = [dict(_id=w.id, level=w.level, type=w.type, repeat_count=w.repeat,
                peak_value=None if w.peak is None else round(float(w.peak), 3), last_seen_at=w.last_seen)
           for w in ws if not w.new and w.dirty]
    if upd:
        conn.execute(update(W).where(W.c.id == bindparam("_id"))
                     .values(level=bindparam("level"), type=bindparam("type"),
                             repeat_count=bindparam("repeat_count"), peak_value=bindparam("peak_value"),
                             last_seen_at=bindparam("last_seen_at")), upd)
    sms = []
    for w in ws:
        p = pts[w.point_id]
        for level, at in w.pushes:
            for kind, who, phone in sms_recipients(p, level):
                sms.append(dict(warning_id=w.id, recipient_kind=kind, recipient=who, phone=phone, sent_at=at,
                                status="delivered", recorded_at=now))
    if sms:
        conn.execute(insert(SMS), sms)
    return ids, len(sms)


# --- the integration point ------------------------------------------------------------------------------------

def writer_engine(engine: Engine | None) -> Engine:
    return engine or db.ensure_database()


def ingest(readings: Iterable[Reading | tuple | Mapping], *, engine: Engine | None = None,
           now: dt.datetime | None = None, strict: bool = False, max_future_s: float = MAX_FUTURE_S) -> IngestResult:
    """Store a batch of readings and everything they imply, in one transaction (see the module docstring).

    ``readings``: :class:`Reading` tuples ``(point, ts, value)`` (point = id or code, ts = datetime or ISO-8601)
    or mappings with ``point`` / ``point_id``, ``ts`` and ``value``. Returns an :class:`IngestResult`; invalid
    readings are listed in ``result.rejected`` with their position and reason. Database errors propagate after
    the transaction was rolled back.
    """
    t0 = time.perf_counter()
    eng = writer_engine(engine)
    now = (now or dt.datetime.now()).replace(microsecond=0)
    res = IngestResult()
    pts = points(eng)
    valid = _validate(readings, pts, eng, now, res, max_future_s)
    pts = points(eng)  # may have been refreshed during validation
    res.accepted = len(valid)
    if not valid or (strict and res.rejected):
        if strict:
            res.accepted = 0
        res.seconds = time.perf_counter() - t0
        return res
    valid.sort(key=lambda r: (r[0], r[1]))
    pids = {r[0] for r in valid}
    with eng.begin() as conn:
        lock_writers(conn)
        res.inserted = _insert_readings(conn, valid, now)  # SQLite: takes the write lock first
        state = _load_state(conn, pids)
        open_w = _load_open(conn, pids, pts.by_id)
        plan = evaluate(valid, pts.by_id, state, open_w, now)
        _upsert_state(conn, plan.state, now, state)
        ids, n_sms = _write_warnings(conn, plan.warnings, pts.by_id, now)
    res.duplicates = res.accepted - res.inserted
    res.late = plan.late
    res.points_updated = len(plan.state)
    res.warnings_raised, res.warnings_merged, res.warnings_escalated = plan.raised, plan.merged, plan.escalated
    res.sms_pushes = n_sms
    res.new_warning_ids = ids
    res.seconds = time.perf_counter() - t0
    return res


# --- offline detection --------------------------------------------------------------------------------------

def detect_offline(now: dt.datetime | None = None, *, engine: Engine | None = None, after_s: float = 60.0) -> dict:
    """Mark points whose newest reading is older than ``after_s`` as offline and raise (or merge) an ``offline``
    warning (level 4 低) with its SMS pushes. A point comes back online with its next reading."""
    eng = writer_engine(engine)
    now = (now or dt.datetime.now()).replace(microsecond=0)
    cutoff = now - dt.timedelta(seconds=after_s)
    pts = points(eng)
    went = []
    with eng.begin() as conn:
        lock_writers(conn)
        cand = conn.execute(select(PS.c.point_id).where(PS.c.status != "offline",
                                                        (PS.c.reading_at < cutoff) | PS.c.reading_at.is_(None))).all()
        stmt = (update(PS).where(PS.c.point_id == bindparam("_pid"), PS.c.status != "offline",
                                 (PS.c.reading_at < cutoff) | PS.c.reading_at.is_(None))
                .values(status="offline", updated_at=now))
        for (pid,) in cand:
            if pid in pts.by_id and conn.execute(stmt, {"_pid": pid}).rowcount:
                went.append(pid)
        if not went:
            return {"offline": 0, "warnings_raised": 0, "warnings_merged": 0}
        open_w = _load_open(conn, set(went), pts.by_id)
        ws, raised, merged = [], 0, 0
        for pid in went:
            w = open_w.get((pid, "offline"))
            if w is None:
                w = _Warn(-pid, pid, "offline", 4, 1, None, None, now, raised_at=now, new=True)
                w.pushes.append((4, now))
                raised += 1
            else:
                w.repeat += 1
                w.last_seen = max(w.last_seen, now)
                w.dirty = True
                merged += 1
            ws.append(w)
        _write_warnings(conn, ws, pts.by_id, now)
    return {"offline": len(went), "warnings_raised": raised, "warnings_merged": merged}


# --- the points' states over time ------------------------------------------------------------------------------

POINT_COUNTS_EVERY = dt.timedelta(hours=1)  # how often the feed and the gateway count the points' states
POINT_COUNTS_KEEP = dt.timedelta(days=35)  # what is kept: the tiles compare with 24 h and 7 days, trend over 12 days


def record_point_counts(now: dt.datetime | None = None, *, engine: Engine | None = None) -> int:
    """Count the monitoring points' current states (point_state) by county, sector and industry into point_counts
    at ``now`` (to the minute; a second count in the same minute replaces the first), and drop the counts older
    than ``POINT_COUNTS_KEEP``. One transaction. Returns the rows written."""
    eng = writer_engine(engine)
    now = (now or dt.datetime.now()).replace(second=0, microsecond=0)
    keys = [MP.c.county_adcode, MP.c.sector_code, MP.c.industry_code, MP.c.city_adcode]
    sel = (select(literal(now, DateTime).label("taken_at"), *keys, func.count().label("points"),
                  func.sum(case((PS.c.status == "alarm", 1), else_=0)).label("alarm"),
                  func.sum(case((PS.c.status == "offline", 1), else_=0)).label("offline"))
           .select_from(MP.join(PS, PS.c.point_id == MP.c.id)).group_by(*keys))
    try:
        with eng.begin() as conn:
            conn.execute(delete(PC).where((PC.c.taken_at == now) | (PC.c.taken_at < now - POINT_COUNTS_KEEP)))
            return conn.execute(insert(PC).from_select(["taken_at", "county_adcode", "sector_code", "industry_code",
                                                        "city_adcode", "points", "alarm", "offline"], sel)).rowcount
    except IntegrityError:  # another writer (the feed and a gateway) counted the same minute: its count stands
        return 0


# --- the handling lifecycle (simulated duty officers) ---------------------------------------------------------

# --- keeping the readings table bounded ----------------------------------------------------------------------

def thin_readings(start: dt.datetime, end: dt.datetime, *, engine: Engine | None = None, keep_s: int = 60) -> int:
    """Delete readings with ``start <= ts < end`` except the first ``keep_s`` seconds of every hour (an hourly
    sample is kept, like the demo data's 60-minute resolution). Uses the primary key (point, ts) per point."""
    eng = writer_engine(engine)
    pids = sorted(points(eng).by_id)
    keep_s = int(max(1, min(keep_s, 3599)))
    with eng.begin() as conn:
        if _is_pg(conn):
            return conn.exec_driver_sql(
                "DELETE FROM readings WHERE point_id = ANY(%s::int4[]) AND ts >= %s AND ts < %s AND NOT "
                "(extract(minute FROM ts) = 0 AND extract(second FROM ts) < %s)", (pids, start, end, keep_s)).rowcount
        s, e = start.strftime(SQLITE_TS), end.strftime(SQLITE_TS)
        return conn.exec_driver_sql(
            "DELETE FROM readings WHERE point_id = ? AND ts >= ? AND ts < ? AND NOT "
            "(strftime('%M', ts) = '00' AND CAST(strftime('%S', ts) AS INTEGER) < ?)",
            [(p, s, e, keep_s) for p in pids]).rowcount


def drop_readings_before(before: dt.datetime, *, engine: Engine | None = None) -> int:
    """Delete every reading older than ``before`` (retention)."""
    eng = writer_engine(engine)
    pids = sorted(points(eng).by_id)
    with eng.begin() as conn:
        if _is_pg(conn):
            return conn.exec_driver_sql("DELETE FROM readings WHERE point_id = ANY(%s::int4[]) AND ts < %s",
                                        (pids, before)).rowcount
        b = before.strftime(SQLITE_TS)
        return conn.exec_driver_sql("DELETE FROM readings WHERE point_id = ? AND ts < ?",
                                    [(p, b) for p in pids]).rowcount


__all__ = ["Reading", "IngestResult", "Rejected", "ingest", "classify", "evaluate", "detect_offline",
           "record_point_counts", "thin_readings", "drop_readings_before", "points", "parse_ts",
           "sms_recipients", "title_for"]
