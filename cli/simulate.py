"""The simulator's stand-in for the people who handle warnings (used by ``oversight feed``): acknowledge → verify
on site → close (消警) with the demo data's timing. Never part of a real write path.

It steps back for people: a warning a person has taken a step on (``warnings.touched_at``, set by
``queries.handling``) is never moved again, and each simulated move is a conditional UPDATE on the version it read
(a person's step taken meanwhile wins; the simulated one is dropped). Its steps are recorded in ``warning_steps``
as the actor ``system`` (role ``system``), so a warning's history is whole. ``oversight feed --no-handling`` does
not run it at all."""
from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import Engine, insert, select, update

from queries.ingest import lock_writers, writer_engine
from seed.schema import point_state as PS, warning_steps as WS, warnings as W

ACK_MEAN_MIN = {1: 4, 2: 12, 3: 35, 4: 90}  # the demo data's mean minutes to acknowledge
ACTOR = "system"
CLOSE_REASON = "点位恢复正常，予以消警"


def lifecycle_plan(warning_id: int, level: int) -> tuple[float, float | None, float]:
    """Minutes from push to acknowledgement, from acknowledgement to on-site verification (None for level 4,
    which is closed without a visit) and from the previous step to closing; deterministic per warning."""
    r = random.Random(warning_id * 1_000_003 + 17)
    ack = r.expovariate(1 / ACK_MEAN_MIN.get(level, 90)) + 0.5
    verify = r.uniform(0.5, 6) * 60 if level <= 3 else None
    close = r.uniform(0.3, 10) * 60
    return ack, verify, close


def advance_lifecycle(now: dt.datetime | None = None, *, engine: Engine | None = None, speed: float = 1.0) -> dict:
    """Move open warnings nobody has touched along acknowledge → verify on site → (handle and) close when their
    (simulated) time has come.

    ``speed`` compresses the handling times (60: an hour of handling takes a minute). A warning is not closed
    while its point is still abnormal (in alarm, or offline for an offline warning); it then closes at the
    first call after the point recovers. Timestamps never precede the previous step or the last occurrence.
    A verified warning is 属实 (设备故障 for equipment and offline warnings, which close without 处置); 处置 is
    recorded at the close.
    """
    eng = writer_engine(engine)
    now = (now or dt.datetime.now()).replace(microsecond=0)
    speed = max(float(speed), 1e-6)
    stmt = (select(W.c.id, W.c.level, W.c.type, W.c.raised_at, W.c.last_seen_at, W.c.pushed_at, W.c.acknowledged_at,
                   W.c.verified_at, W.c.verify_result, W.c.version, PS.c.status)
            .select_from(W.outerjoin(PS, PS.c.point_id == W.c.point_id))
            .where(W.c.closed_at.is_(None), W.c.touched_at.is_(None)))
    counts = {"acknowledged": 0, "verified": 0, "closed": 0, "skipped": 0}
    with eng.begin() as conn:
        lock_writers(conn)
        steps: list[dict] = []
        for wid, level, typ, raised, last_seen, pushed, acked, verified, result, version, status in \
                conn.execute(stmt).all():
            ack_m, ver_m, close_m = lifecycle_plan(wid, level)
            base = pushed or raised
            ch: dict[str, Any] = {}
            moves: list[tuple] = []  # (step, at, result)
            if acked is None:
                t = base + dt.timedelta(minutes=ack_m / speed)
                if t > now:
                    continue
                acked = ch["acknowledged_at"] = t
                moves.append(("ack", t, None))
            if ver_m is not None and verified is None:
                t = acked + dt.timedelta(minutes=ver_m / speed)
                if t <= now:
                    verified = ch["verified_at"] = t
                    result = ch["verify_result"] = "device_fault" if typ in ("equipment", "offline") else "confirmed"
                    moves.append(("verify", t, result))
            if ver_m is None or verified is not None:
                abnormal = (status == "offline") if typ == "offline" else (status == "alarm")
                t = (verified or acked) + dt.timedelta(minutes=close_m / speed)
                if t <= now and not abnormal:
                    t = min(now, max(t, last_seen or t))
                    if verified is not None and result not in ("false_alarm", "device_fault"):
                        ch["handled_at"] = t
                        moves.append(("handle", t, None))
                    ch["closed_at"] = t
                    ch["close_reason"] = CLOSE_REASON
                    moves.append(("close", t, None))
            if not moves:
                continue
            done = conn.execute(update(W).where(W.c.id == wid, W.c.version == version, W.c.touched_at.is_(None),
                                                W.c.closed_at.is_(None))
                                .values(**ch, version=version + len(moves))).rowcount
            if done != 1:  # a person took a step since it was read: theirs stands
                counts["skipped"] += 1
                continue
            for k, (step, at, res) in enumerate(moves, 1):
                steps.append(dict(warning_id=wid, step=step, result=res, note=CLOSE_REASON if step == "close" else "",
                                  actor=ACTOR, actor_role=ACTOR, at=at, version=version + k, recorded_at=now))
            counts["acknowledged"] += "acknowledged_at" in ch
            counts["verified"] += "verified_at" in ch
            counts["closed"] += "closed_at" in ch
        if steps:
            conn.execute(insert(WS), steps)
    return counts
