"""The simulator's stand-in for the people who handle warnings (used by ``oversight feed``): acknowledge → verify
on site → close (消警) with the demo data's timing. Never part of a real write path."""
from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import Engine, bindparam, select, update

from queries.ingest import lock_writers, writer_engine
from seed.schema import point_state as PS, warnings as W

ACK_MEAN_MIN = {1: 4, 2: 12, 3: 35, 4: 90}  # the demo data's mean minutes to acknowledge


def lifecycle_plan(warning_id: int, level: int) -> tuple[float, float | None, float]:
    """Minutes from push to acknowledgement, from acknowledgement to on-site verification (None for level 4,
    which is closed without a visit) and from the previous step to closing; deterministic per warning."""
    r = random.Random(warning_id * 1_000_003 + 17)
    ack = r.expovariate(1 / ACK_MEAN_MIN.get(level, 90)) + 0.5
    verify = r.uniform(0.5, 6) * 60 if level <= 3 else None
    close = r.uniform(0.3, 10) * 60
    return ack, verify, close


def advance_lifecycle(now: dt.datetime | None = None, *, engine: Engine | None = None, speed: float = 1.0) -> dict:
    """Move open warnings along acknowledge → verify on site → close when their (simulated) time has come.

    ``speed`` compresses the handling times (60: an hour of handling takes a minute). A warning is not closed
    while its point is still abnormal (in alarm, or offline for an offline warning); it then closes at the
    first call after the point recovers. Timestamps never precede the previous step or the last occurrence.
    """
    eng = writer_engine(engine)
    now = (now or dt.datetime.now()).replace(microsecond=0)
    speed = max(float(speed), 1e-6)
    stmt = (select(W.c.id, W.c.level, W.c.type, W.c.raised_at, W.c.last_seen_at, W.c.pushed_at, W.c.acknowledged_at,
                   W.c.verified_at, PS.c.status)
            .select_from(W.outerjoin(PS, PS.c.point_id == W.c.point_id)).where(W.c.closed_at.is_(None)))
    changes = []
    counts = {"acknowledged": 0, "verified": 0, "closed": 0}
    with eng.begin() as conn:
        lock_writers(conn)
        for wid, level, typ, raised, last_seen, pushed, acked, verified, status in conn.execute(stmt).all():
            ack_m, ver_m, close_m = lifecycle_plan(wid, level)
            base = pushed or raised
            ch: dict[str, Any] = {}
            if acked is None:
                t = base + dt.timedelta(minutes=ack_m / speed)
                if t > now:
                    continue
                acked = ch["acknowledged_at"] = t
                counts["acknowledged"] += 1
            if ver_m is not None and verified is None:
                t = acked + dt.timedelta(minutes=ver_m / speed)
                if t <= now:
                    verified = ch["verified_at"] = t
                    counts["verified"] += 1
            if ver_m is None or verified is not None:
                abnormal = (status == "offline") if typ == "offline" else (status == "alarm")
                t = (verified or acked) + dt.timedelta(minutes=close_m / speed)
                if t <= now and not abnormal:
                    ch["closed_at"] = min(now, max(t, last_seen or t))
                    counts["closed"] += 1
            if ch:
                changes.append({"_id": wid, "acknowledged_at": acked, "verified_at": verified,
                                "closed_at": ch.get("closed_at")})
        if changes:
            conn.execute(update(W).where(W.c.id == bindparam("_id"))
                         .values(acknowledged_at=bindparam("acknowledged_at"), verified_at=bindparam("verified_at"),
                                 closed_at=bindparam("closed_at")), changes)
    return counts
