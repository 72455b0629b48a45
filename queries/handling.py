"""预警处置: people close the loop on every warning — the handling desk, each warning's history, the steps
签收 → 核查 → 处置 → 消警 (and 督办), the deadlines by level (处置时限) and the timeliness figures. No Streamlit.

Flow and rules
--------------
A warning is raised and pushed by the monitoring network (``queries.ingest``); people then take its steps, only in
this order:

    签收 ack → 核查 verify (result 属实 confirmed | 误报 false_alarm | 设备故障 device_fault, and a note)
             → 处置 handle (the measures taken) → 消警 close (a reason)

A 误报 or 设备故障 result may close directly after 核查 (or be handled first). 督办 escalate (a note) may be taken
on any open warning, any number of times; it changes no state. Who may take which step (``STEP_ROLES``):

    ack       officer (in its binding), duty (anywhere; a bound duty account in its binding)
    verify    officer
    handle    officer
    close     officer
    escalate  duty
    leader, city, writer, admin: read only (admin edits the deadlines)

Deadlines (``handling_deadlines``, minutes from the warning's raising, by its current level): 签收 by
``ack_minutes``, 核查 by ``verify_minutes``, 消警 by ``close_minutes`` (处置 falls under the close deadline). A
warning is 超时 (overdue) when the milestone it waits for — 签收 if not acknowledged, else 核查 if not verified, else
消警 — is past its deadline. The product's defaults (``seed.reference.DEFAULT_DEADLINES``) are not national rules.

Writes: each step is ONE transaction holding a conditional ``UPDATE warnings … WHERE id = ? AND version = ? AND
<the state the step needs> AND <the actor's region>`` (``version`` + 1, the step's columns, ``touched_at`` on the
first step by a person), the ``warning_steps`` row and the ``audit_log`` entry ``warning_step``. The page submits
the ``version`` it drew: if someone took a step since (a double click, a second browser, the simulator), nothing
is written and ``Conflict`` says so with the current state. A warning outside the actor's region, a
nonexistent one and a malformed id get the very same ``OutOfScope`` message, and the attempt is audited
(``step_refused``); so is a step the actor's role may not take (``NotPermitted``). Bad input (``InvalidInput``:
missing result, empty note where one is required, a note over ``NOTE_MAX`` characters) writes nothing. A
database failure in the middle rolls everything back (``StepFailed``). Notes are stored as typed (HTML and
script included): pages show them as text.

API for the pages
-----------------
Who acts: ``Actor(username, role, binding)``; ``actor_of(user)`` takes any object with those attributes (the
signed-in user of ``pages.common``).

Reads (scoped like every query: ``Scope`` with the user's binding, narrowed or refused by ``queries.scope``):
- ``desk(scope, now=…, limit=…, level=…, overdue_only=…)`` → DataFrame of open warnings in the scope (region and
  industry; the period and as-of are ignored: the desk is live), 重大 first then oldest first. Columns: ``id, code,
  level, level_name, type, type_name, title, enterprise_id, enterprise, city, county, raised_at, age_min, state,
  state_name, next_step, next_step_name, next_steps, deadline_step, deadline_name, deadline_at, minutes_left``
  (negative: 超时), ``overdue, verify_result, result_name, escalated_at, touched, version``.
- ``desk_summary(scope, now=…)`` → ``{open, overdue, overdue_by_level: {1..4}, overdue_major}`` (live; the banner
  for the duty role: ``overdue_major`` = overdue 重大/较大).
- ``state(warning_id, scope, now=…)`` → one warning's current state (the keys above plus ``acknowledged_at,
  verified_at, handled_at, closed_at, close_reason``); ``ScopeError`` outside the scope.
- ``history(warning_id, scope)`` → DataFrame of its steps, oldest first: ``id, step, step_name, result,
  result_name, note, actor, actor_name, actor_role, role_name, at, version``; as-of aware; ``ScopeError`` outside
  the scope (not audited, like every read).
- ``enterprise_steps(enterprise_id, scope, limit=20)`` → the latest steps on one enterprise's warnings, newest
  first (``warning_id, code, level, level_name, title`` + the history columns); ``ScopeError`` outside the scope.
- ``allowed_steps(actor, st)`` → the steps ``actor`` may take now on a state ``st`` (for the buttons).
- ``annotate(df, now=…)`` → any list of warnings (``queries.warnings.listing``, the wall's rolling list) with
  ``state, state_name, deadline_step, deadline_name, deadline_at, minutes_left, overdue`` added (超时 marks).
- ``deadlines()`` → DataFrame ``level, level_name, ack_minutes, verify_minutes, close_minutes, version,
  updated_by, updated_at``.
- figures: ``timeliness(scope, now=…)`` → ``{ack_due, ack_timely, ack_timely_rate, close_due, close_timely,
  close_timely_rate, open, overdue}``; ``timeliness_by_region(scope, now=…)`` → the same per child region
  (``adcode, name`` first; counties of a city, cities of the province). Their 口径: ``FIGURES`` (declared
  below ``timeliness``; ``queries.figures`` puts them in the catalogue as ``warnings.ack_timely_rate``,
  ``warnings.close_timely_rate``, ``warnings.overdue``).

Writes (default engine: the primary database, ``queries.db.get_engine()``):
- ``take_step(warning_id, step, actor, version=…, result=None, note="")`` → ``StepResult`` (``warning_id, step,
  version, at, message, state``); ``acknowledge``, ``verify``, ``handle``, ``close``, ``escalate`` are shorthands.
- ``set_deadlines(level, ack_minutes, verify_minutes, close_minutes, actor, version=…)`` (admin; positive whole
  minutes, ack ≤ verify ≤ close, at most ``MAX_DEADLINE_MINUTES``; version-checked; audited ``deadline_update``).
Refusals raise ``HandlingError`` subclasses whose ``str()`` is the Chinese message for the page.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import DateTime, Engine, and_, case, func, insert, literal, not_, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from queries import audit, db, memo
from queries.base import count_where, frame, gathered, one_place, pct, per_child, plus_minutes, prepare, row
from queries.figure_defs import PERIOD, declare, fig
from queries.labels import HANDLING_STATES, LEVEL_NAMES, ROLE_NAMES, STEP_NAMES, VERIFY_RESULTS, WARNING_TYPES
from queries.memo import shared
from queries.regions import PROVINCE
from queries.scope import Scope, ScopeError, resolve
from queries.writes import (  # noqa: F401 - the write vocabulary, re-exported for pages and tests
    Actor, Conflict, InvalidInput, NotPermitted, OutOfScope, WriteError, WriteFailed, actor_of, refuse,
)
from seed.schema import enterprises as E, handling_deadlines as HD, users as U, warning_steps as WS, warnings as W

STEPS = ("ack", "verify", "handle", "close", "escalate")
STEP_ROLES = {"ack": frozenset({"officer", "duty"}), "verify": frozenset({"officer"}),
              "handle": frozenset({"officer"}), "close": frozenset({"officer"}), "escalate": frozenset({"duty"})}
DEADLINE_ROLES = frozenset({"admin"})
NOTE_MAX = 2000  # characters; the database refuses longer notes too
NOTE_LABELS = {"ack": "签收说明", "verify": "核查情况", "handle": "处置措施", "close": "消警理由", "escalate": "督办意见"}
NOTE_REQUIRED = frozenset({"verify", "handle", "close", "escalate"})
DIRECT_CLOSE = frozenset({"false_alarm", "device_fault"})  # results that may close without 处置
MAX_DEADLINE_MINUTES = 30 * 24 * 60
DEADLINE_NAMES = {"ack": "签收时限", "verify": "核查时限", "close": "消警时限"}
OUT_OF_SCOPE = "该预警不存在或不在您的权限范围内"
STEP_EVENT, REFUSED_EVENT, DEADLINE_EVENT, DEADLINE_REFUSED = ("warning_step", "step_refused", "deadline_update",
                                                              "deadline_refused")
EVENTS = (STEP_EVENT, REFUSED_EVENT, DEADLINE_EVENT, DEADLINE_REFUSED)  # what this module appends to audit_log

# --- who acts, what went wrong: shared by every write a person makes (queries.writes) -----------------------------

HandlingError = WriteError
StepFailed = WriteFailed  # the database failed in the middle of the step: nothing was written


@dataclass(frozen=True)
class StepResult:
    warning_id: int
    step: str
    version: int  # the warning's version after the step (what the page submits next)
    at: dt.datetime
    message: str
    state: dict = field(default_factory=dict)


# --- deadlines ----------------------------------------------------------------------------------------------------

@shared
def deadline_map(engine: Engine) -> dict[int, tuple[int, int, int]]:
    """level → (ack, verify, close) minutes."""
    with engine.connect() as c:
        rows = c.execute(select(HD.c.level, HD.c.ack_minutes, HD.c.verify_minutes, HD.c.close_minutes)).all()
    out = {int(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in rows}
    if set(out) != {1, 2, 3, 4}:
        from seed.reference import DEFAULT_DEADLINES

        out = {**DEFAULT_DEADLINES, **out}  # a deleted row falls back to the product's default
    return out


def deadlines(*, engine: Engine | None = None) -> pd.DataFrame:
    """The deadline table (处置时限), one row per level."""
    eng = engine or db.reader()
    df = frame(select(HD).order_by(HD.c.level), eng)
    df.insert(1, "level_name", [LEVEL_NAMES[int(v)] for v in df["level"]])
    return df


def _minutes(v: Any, what: str) -> int:
    if isinstance(v, bool):
        raise InvalidInput(f"{what}必须是正整数分钟")
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, str) and v.strip().isascii() and v.strip().isdigit() and len(v.strip()) <= 9:
        v = int(v.strip())
    if not isinstance(v, int) or v <= 0:
        raise InvalidInput(f"{what}必须是正整数分钟")
    if v > MAX_DEADLINE_MINUTES:
        raise InvalidInput(f"{what}不能超过 {MAX_DEADLINE_MINUTES} 分钟（30 天）")
    return v


def set_deadlines(level: int, ack_minutes: Any, verify_minutes: Any, close_minutes: Any, actor: Actor, *,
                  version: Any, engine: Engine | None = None, now: dt.datetime | None = None) -> dict:
    """Change one level's deadlines (admin only). Returns the new row. ``version`` is the row's version the page
    showed: a change made meanwhile is refused (``Conflict``), never overwritten."""
    eng = engine or db.get_engine()
    now = (now or dt.datetime.now()).replace(microsecond=0)
    if actor.role not in DEADLINE_ROLES:
        refuse(eng, actor, DEADLINE_REFUSED, {"level": str(level)[:8], "reason": "role"}, now)
        raise NotPermitted("只有管理员可以修改处置时限")
    if isinstance(level, bool) or level not in (1, 2, 3, 4):
        raise InvalidInput("预警等级必须是 1–4（重大、较大、一般、低）")
    ack = _minutes(ack_minutes, "签收时限")
    ver = _minutes(verify_minutes, "核查时限")
    clo = _minutes(close_minutes, "消警时限")
    if not ack <= ver <= clo:
        raise InvalidInput("时限须满足：签收时限 ≤ 核查时限 ≤ 消警时限")
    v = _version(version)
    try:
        with eng.begin() as conn:
            before = conn.execute(select(HD).where(HD.c.level == level)).mappings().first()
            r = conn.execute(update(HD).where(HD.c.level == level, HD.c.version == v)
                             .values(ack_minutes=ack, verify_minutes=ver, close_minutes=clo, version=HD.c.version + 1,
                                     updated_by=actor.username[:32], updated_at=now)
                             .returning(*HD.c)).mappings().first()
            if r is None:
                raise Conflict("处置时限已被他人修改，页面已显示最新设置，请确认后再修改",
                               dict(before) if before else None, "stale")
            audit.append(conn, DEADLINE_EVENT, actor.username, {
                "level": level, "version": r["version"],
                "before": [before["ack_minutes"], before["verify_minutes"], before["close_minutes"]] if before else None,
                "after": [ack, ver, clo]}, now)
            return dict(r)
    except HandlingError:
        raise
    except DBAPIError as e:
        raise StepFailed("数据库暂时无法完成本次修改，处置时限未作任何改动，请稍后重试") from e


# --- state ----------------------------------------------------------------------------------------------------

def _dt(v):
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, str):
        return dt.datetime.fromisoformat(v)
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    return v


def state_key(acknowledged_at, verified_at, handled_at, closed_at) -> str:
    """new | acknowledged | verified | handled | closed."""
    if closed_at is not None:
        return "closed"
    if handled_at is not None:
        return "handled"
    if verified_at is not None:
        return "verified"
    if acknowledged_at is not None:
        return "acknowledged"
    return "new"


def next_steps(state: str, verify_result: str | None) -> list[str]:
    """The steps that may come next in the order 签收 → 核查 → 处置 → 消警 (督办 aside)."""
    if state == "new":
        return ["ack"]
    if state == "acknowledged":
        return ["verify"]
    if state == "verified":
        return ["handle", "close"] if verify_result in DIRECT_CLOSE else ["handle"]
    if state == "handled":
        return ["close"]
    return []


def _describe(w: dict, dl: dict[int, tuple[int, int, int]], now: dt.datetime) -> dict:
    """A warning row → its handling state: state, next step, next deadline, minutes left, overdue."""
    raised = _dt(w["raised_at"])
    acked, verified, handled, closed = (_dt(w.get(k)) for k in ("acknowledged_at", "verified_at", "handled_at",
                                                                 "closed_at"))
    st = state_key(acked, verified, handled, closed)
    nxt = next_steps(st, w.get("verify_result"))
    ack_m, ver_m, close_m = dl[int(w["level"])]
    if st == "closed":
        dstep, due = None, None
    elif acked is None:
        dstep, due = "ack", raised + dt.timedelta(minutes=ack_m)
    elif verified is None:
        dstep, due = "verify", raised + dt.timedelta(minutes=ver_m)
    else:
        dstep, due = "close", raised + dt.timedelta(minutes=close_m)
    left = round((due - now).total_seconds() / 60.0, 1) if due is not None else None
    res = w.get("verify_result")
    return {
        "state": st, "state_name": HANDLING_STATES[st], "next_steps": nxt,
        "next_step": nxt[0] if nxt else None, "next_step_name": STEP_NAMES[nxt[0]] if nxt else "",
        "deadline_step": dstep, "deadline_name": DEADLINE_NAMES.get(dstep, ""), "deadline_at": due,
        "minutes_left": left, "overdue": bool(left is not None and left < 0),
        "result_name": VERIFY_RESULTS.get(res, "") if res else "",
        "age_min": round((now - raised).total_seconds() / 60.0, 1),
    }


_STATE_COLS = (W.c.id, W.c.code, W.c.level, W.c.type, W.c.title, W.c.enterprise_id, W.c.city_adcode,
               W.c.county_adcode, W.c.raised_at, W.c.pushed_at, W.c.acknowledged_at, W.c.verified_at, W.c.handled_at,
               W.c.closed_at, W.c.verify_result, W.c.close_reason, W.c.escalated_at, W.c.touched_at, W.c.version)


def _full_state(w: dict, ref, dl, now: dt.datetime) -> dict:
    out = dict(w)
    for k in ("raised_at", "pushed_at", "acknowledged_at", "verified_at", "handled_at", "closed_at", "escalated_at",
              "touched_at"):
        out[k] = _dt(out.get(k))
    out["level_name"] = LEVEL_NAMES[int(w["level"])]
    out["type_name"] = WARNING_TYPES.get(w["type"], w["type"])
    out["city"] = ref.name(int(w["city_adcode"]))
    out["county"] = ref.name(int(w["county_adcode"]))
    out["touched"] = out.get("touched_at") is not None
    out.update(_describe(out, dl, now))
    return out


def allowed_steps(actor: Actor, st: dict) -> list[str]:
    """The steps ``actor`` may take now on the warning whose state is ``st`` (``state()`` or a desk row), in
    order; escalation last. The scope was checked when ``st`` was read (the desk lists only the user's region)."""
    out = [s for s in st.get("next_steps") or [] if actor.role in STEP_ROLES[s]]
    if st.get("state") != "closed" and actor.role in STEP_ROLES["escalate"]:
        out.append("escalate")
    return out


def state(warning_id: Any, scope: Scope, *, engine: Engine | None = None, now: dt.datetime | None = None) -> dict:
    """One warning's current handling state (live), with its enterprise's name; ``ScopeError`` if it does not
    exist or lies outside the scope."""
    eng, rs = prepare(scope, engine)
    wid = _parse_id(warning_id)
    if wid is None:
        raise ScopeError(OUT_OF_SCOPE)
    w = row(select(*_STATE_COLS, E.c.name.label("enterprise")).select_from(W.join(E, E.c.id == W.c.enterprise_id))
            .where(W.c.id == wid, rs.region_filter(W)), eng)
    if not w:
        raise ScopeError(OUT_OF_SCOPE)
    return _full_state(w, rs.ref, deadline_map(eng), memo.moment(now))


# --- the desk -----------------------------------------------------------------------------------------------------

DESK_COLUMNS = ["id", "code", "level", "level_name", "type", "type_name", "title", "enterprise_id", "enterprise",
                "city", "county", "raised_at", "age_min", "state", "state_name", "next_step", "next_step_name",
                "next_steps", "deadline_step", "deadline_name", "deadline_at", "minutes_left", "overdue",
                "verify_result", "result_name", "escalated_at", "touched", "version"]


def _live_region(rs):
    return and_(rs.region_filter(W), rs.industry_filter(W))


def desk(scope: Scope, *, engine: Engine | None = None, now: dt.datetime | None = None, limit: int = 500,
         level: int | None = None, overdue_only: bool = False) -> pd.DataFrame:
    """Open warnings in the scope's region and industry (live; period and as-of ignored): 超时 first (what is late
    is what the desk is for), then 重大 first, then oldest first; each with its state, next step, next deadline and
    minutes left (negative: 超时). At most ``limit`` rows (the late, most severe and oldest); ``level`` keeps one
    level; ``overdue_only`` only 超时 ones."""
    eng, rs = prepare(scope, engine)
    now = memo.moment(now)
    late = _overdue_at(literal(now, DateTime), deadline_map(eng), eng)
    cond = and_(W.c.closed_at.is_(None), _live_region(rs))
    if level is not None:
        cond = and_(cond, W.c.level == int(level))
    if overdue_only:
        cond = and_(cond, late)
    stmt = (select(*_STATE_COLS, E.c.name.label("enterprise"))
            .select_from(W.join(E, E.c.id == W.c.enterprise_id)).where(cond)
            .order_by(case((late, 0), else_=1), W.c.level, W.c.raised_at, W.c.id)
            .limit(max(1, min(int(limit), 5000))))
    df = frame(stmt, eng)
    if df.empty:
        return pd.DataFrame({c: [] for c in DESK_COLUMNS})
    dl = deadline_map(eng)
    recs = [_full_state(r, rs.ref, dl, now) for r in df.to_dict("records")]
    out = pd.DataFrame(recs)
    for c in ("raised_at", "deadline_at", "escalated_at"):
        out[c] = pd.to_datetime(out[c])
    return out[DESK_COLUMNS]


ANNOTATIONS = ["state", "state_name", "deadline_step", "deadline_name", "deadline_at", "minutes_left", "overdue"]


def annotate(df: pd.DataFrame, *, engine: Engine | None = None, now: dt.datetime | None = None) -> pd.DataFrame:
    """Any list of warnings (e.g. ``queries.warnings.listing``, the wall's rolling list) with its handling state
    and deadline added: ``ANNOTATIONS`` columns, judged at ``now`` (a listing taken as of a past time: pass that
    time). Needs the columns ``level, raised_at, acknowledged_at, verified_at, closed_at`` (``handled_at`` and
    ``verify_result`` when present). A copy; the input is left as it is."""
    out = df.copy()
    if out.empty:
        for c in ANNOTATIONS:
            out[c] = []
        return out
    dl = deadline_map(engine or db.reader())
    now = memo.moment(now)
    recs = [_describe({"handled_at": None, "verify_result": None, **r}, dl, now) for r in out.to_dict("records")]
    for c in ANNOTATIONS:
        out[c] = [r[c] for r in recs]
    out["deadline_at"] = pd.to_datetime(out["deadline_at"])
    return out


_DEADLINE_EXPRS: dict[tuple, tuple] = {}


def _deadline_exprs(dl, eng) -> tuple:
    """SQL: each warning's (ack, verify, close) deadlines by its level under the deadline table ``dl`` — built once
    per table and database kind and shared by every statement (an expression is immutable): the comparisons' dozen
    moments each compared with the same three, which building anew for every moment made ~a third of the batch's
    time in Python."""
    key = (eng.dialect.name, tuple(sorted(dl.items())))
    got = _DEADLINE_EXPRS.get(key)
    if got is None:
        got = tuple(plus_minutes(W.c.raised_at, case({lv: dl[lv][k] for lv in dl}, value=W.c.level), eng)
                    for k in range(3))
        if len(_DEADLINE_EXPRS) > 64:  # (the table is edited rarely: a handful of versions in a process's life)
            _DEADLINE_EXPRS.clear()
        _DEADLINE_EXPRS[key] = got
    return got


def _overdue_at(T, dl, eng):
    """SQL: a warning open at ``T`` whose awaited milestone is past its deadline at ``T`` (see the module doc)."""
    ack_dl, ver_dl, close_dl = _deadline_exprs(dl, eng)
    acked = and_(W.c.acknowledged_at.is_not(None), W.c.acknowledged_at <= T)
    verified = and_(W.c.verified_at.is_not(None), W.c.verified_at <= T)
    return or_(and_(not_(acked), ack_dl < T), and_(not_(verified), ver_dl < T), close_dl < T)


def desk_summary(scope: Scope, *, engine: Engine | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Open and overdue warnings in the scope's region and industry now: ``open``, ``open_by_level`` {1..4},
    ``overdue``, ``overdue_by_level`` {1..4} and ``overdue_major`` (overdue 重大 and 较大: the duty role's banner)."""
    eng, rs = prepare(scope, engine)
    now = memo.moment(now)
    late = _overdue_at(literal(now, DateTime), deadline_map(eng), eng)

    n = count_where

    r = row(select(func.count().label("open"), *[n(and_(late, W.c.level == lv), f"l{lv}") for lv in (1, 2, 3, 4)],
                   *[n(W.c.level == lv, f"o{lv}") for lv in (1, 2, 3, 4)])
            .where(W.c.closed_at.is_(None), _live_region(rs)), eng)
    by = {lv: int(r[f"l{lv}"]) for lv in (1, 2, 3, 4)}
    return {"open": int(r["open"]), "open_by_level": {lv: int(r[f"o{lv}"]) for lv in (1, 2, 3, 4)},
            "overdue": sum(by.values()), "overdue_by_level": by, "overdue_major": by[1] + by[2]}


# --- history --------------------------------------------------------------------------------------------------------

HISTORY_COLUMNS = ["id", "step", "step_name", "result", "result_name", "note", "actor", "actor_name", "actor_role",
                   "role_name", "at", "version"]


def history(warning_id: Any, scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    """Every step of one warning (who, when, result, note), oldest first; steps recorded after the scope's as-of
    time are left out. ``ScopeError`` if the warning does not exist or lies outside the scope."""
    eng, rs = prepare(scope, engine)
    wid = _parse_id(warning_id)
    if wid is None or not row(select(W.c.id).where(W.c.id == wid, rs.region_filter(W), rs.recorded_filter(W)), eng):
        raise ScopeError(OUT_OF_SCOPE)
    cond = [WS.c.warning_id == wid]
    if rs.as_of is not None:
        cond.append(WS.c.recorded_at <= rs.as_of)
    df = frame(select(WS.c.id, WS.c.step, WS.c.result, WS.c.note, WS.c.actor, U.c.display_name.label("actor_name"),
                      WS.c.actor_role, WS.c.at, WS.c.version)
               .select_from(WS.outerjoin(U, U.c.username == WS.c.actor)).where(*cond)
               .order_by(WS.c.at, WS.c.version, WS.c.id), eng)
    if df.empty:
        return pd.DataFrame({c: [] for c in HISTORY_COLUMNS})
    df["at"] = pd.to_datetime(df["at"])
    df["step_name"] = [STEP_NAMES.get(s, s) for s in df["step"]]
    df["result_name"] = [VERIFY_RESULTS.get(r, "") if isinstance(r, str) else "" for r in df["result"]]
    df["role_name"] = [ROLE_NAMES.get(r, r) for r in df["actor_role"]]
    df["actor_name"] = [n if isinstance(n, str) and n else ("系统模拟" if a == "system" else a)
                        for n, a in zip(df["actor_name"], df["actor"])]
    return df[HISTORY_COLUMNS]


def enterprise_steps(enterprise_id: Any, scope: Scope, *, engine: Engine | None = None,
                     limit: int = 20) -> pd.DataFrame:
    """The most recent handling steps on one enterprise's warnings (newest first; the enterprise file):
    ``warning_id, code, level, level_name, title`` and the ``HISTORY_COLUMNS`` of each step. Steps recorded after
    the scope's as-of time are left out; ``ScopeError`` if the enterprise does not exist or lies outside the scope."""
    eng, rs = prepare(scope, engine)
    eid = _parse_id(enterprise_id)
    if eid is None or not row(select(E.c.id).where(E.c.id == eid, rs.region_filter(E)), eng):
        raise ScopeError("该企业不存在或不在您的权限范围内")
    cond = [W.c.enterprise_id == eid, rs.region_filter(W)]
    if rs.as_of is not None:
        cond.append(WS.c.recorded_at <= rs.as_of)
    cols = ["warning_id", "code", "level", "level_name", "title", *HISTORY_COLUMNS]
    df = frame(select(WS.c.warning_id, W.c.code, W.c.level, W.c.title, WS.c.id, WS.c.step, WS.c.result, WS.c.note,
                      WS.c.actor, U.c.display_name.label("actor_name"), WS.c.actor_role, WS.c.at, WS.c.version)
               .select_from(WS.join(W, W.c.id == WS.c.warning_id).outerjoin(U, U.c.username == WS.c.actor))
               .where(*cond).order_by(WS.c.at.desc(), WS.c.id.desc()).limit(max(1, min(int(limit), 500))), eng)
    if df.empty:
        return pd.DataFrame({c: [] for c in cols})
    df["at"] = pd.to_datetime(df["at"])
    df["level_name"] = [LEVEL_NAMES[int(v)] for v in df["level"]]
    df["step_name"] = [STEP_NAMES.get(s, s) for s in df["step"]]
    df["result_name"] = [VERIFY_RESULTS.get(r, "") if isinstance(r, str) else "" for r in df["result"]]
    df["role_name"] = [ROLE_NAMES.get(r, r) for r in df["actor_role"]]
    df["actor_name"] = [n if isinstance(n, str) and n else ("系统模拟" if a == "system" else a)
                        for n, a in zip(df["actor_name"], df["actor"])]
    return df[cols]


# --- steps ---------------------------------------------------------------------------------------------------------

INT_MAX = 2**31 - 1  # ids and versions are INTEGER columns


def _parse_id(v: Any) -> int | None:
    """A warning id from a page or a URL: a positive whole number (ASCII digits) an INTEGER column can hold;
    else None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, str):
        s = v.strip()
        v = int(s) if s.isascii() and s.isdigit() and len(s) <= 10 else None
    if isinstance(v, int):
        return v if 0 < v <= INT_MAX else None
    return None


def _version(v: Any) -> int:
    if isinstance(v, str) and v.strip().isascii() and v.strip().isdigit() and len(v.strip()) <= 10:
        v = int(v.strip())
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= INT_MAX:
        raise InvalidInput("页面状态无效，请刷新页面后重试")
    return v


def clean_note(text: Any, step: str) -> str:
    """A note as stored: control characters removed (line breaks and tabs kept, CR LF → LF), trimmed; required for
    核查 / 处置 / 消警 / 督办; at most ``NOTE_MAX`` characters (longer is refused, never cut). HTML stays as typed."""
    label = NOTE_LABELS[step]
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise InvalidInput(f"{label}必须是文字")
    s = text.replace("\r\n", "\n").replace("\r", "\n")
    s = "".join(ch for ch in s if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")).strip()
    if step in NOTE_REQUIRED and not s:
        raise InvalidInput(f"请填写{label}")
    if len(s) > NOTE_MAX:
        raise InvalidInput(f"{label}不能超过 {NOTE_MAX} 字（当前 {len(s)} 字），请精简后再提交")
    return s


def _expected(step: str):
    """The state a step needs (SQL), beside the version check."""
    open_ = W.c.closed_at.is_(None)
    if step == "ack":
        return and_(open_, W.c.acknowledged_at.is_(None))
    if step == "verify":
        return and_(open_, W.c.acknowledged_at.is_not(None), W.c.verified_at.is_(None))
    if step == "handle":
        return and_(open_, W.c.verified_at.is_not(None), W.c.handled_at.is_(None))
    if step == "close":
        return and_(open_, or_(W.c.handled_at.is_not(None),
                               and_(W.c.verified_at.is_not(None), W.c.verify_result.in_(sorted(DIRECT_CLOSE)))))
    return open_  # escalate


def _values(step: str, now: dt.datetime, result: str | None, note: str) -> dict:
    v: dict[str, Any] = {"version": W.c.version + 1, "touched_at": func.coalesce(W.c.touched_at, now)}
    if step == "ack":
        v["acknowledged_at"] = now
    elif step == "verify":
        v.update(verified_at=now, verify_result=result)
    elif step == "handle":
        v["handled_at"] = now
    elif step == "close":
        v.update(closed_at=now, close_reason=note)
    else:
        v["escalated_at"] = func.coalesce(W.c.escalated_at, now)
    return v


def _refuse(eng: Engine, actor: Actor, step: str, raw_id: Any, reason: str, now: dt.datetime) -> None:
    refuse(eng, actor, REFUSED_EVENT, {"warning": str(raw_id)[:40], "step": str(step)[:10], "reason": reason}, now)


def _last_step(conn, wid: int) -> dict | None:
    r = conn.execute(select(WS.c.step, WS.c.actor, WS.c.at, U.c.display_name)
                     .select_from(WS.outerjoin(U, U.c.username == WS.c.actor))
                     .where(WS.c.warning_id == wid).order_by(WS.c.version.desc(), WS.c.id.desc()).limit(1)).first()
    return dict(r._mapping) if r else None


def _conflict(conn, wid: int, step: str, version: int, rs, dl, now) -> Conflict:
    cur = conn.execute(select(*_STATE_COLS, E.c.name.label("enterprise"))
                       .select_from(W.join(E, E.c.id == W.c.enterprise_id)).where(W.c.id == wid)).mappings().first()
    st = _full_state(dict(cur), rs.ref, dl, now)
    if st["version"] != version:
        last = _last_step(conn, wid)
        who = ""
        if last:
            name = last["display_name"] or ("系统模拟" if last["actor"] == "system" else last["actor"])
            at = _dt(last["at"])
            who = f"（{name} 于 {at:%m-%d %H:%M} {STEP_NAMES.get(last['step'], last['step'])}）"
        return Conflict(f"该预警在您打开页面后已被处理{who}，当前状态为「{st['state_name']}」。页面已显示最新状态，"
                        f"请确认后再操作；您的「{STEP_NAMES[step]}」未被记录。", st, "stale")
    if st["state"] == "closed":
        msg = f"该预警已消警，不能再{STEP_NAMES[step]}。"
    else:
        need = "、".join(STEP_NAMES[s] for s in st["next_steps"]) or "无"
        msg = (f"该预警当前状态为「{st['state_name']}」，下一步应为「{need}」，不能直接{STEP_NAMES[step]}；"
               "请按 签收 → 核查 → 处置 → 消警 的顺序办理（核查为误报或设备故障的可直接消警）。")
    return Conflict(msg, st, "order")


def take_step(warning_id: Any, step: str, actor: Actor, *, version: Any, result: str | None = None,
              note: Any = "", engine: Engine | None = None, now: dt.datetime | None = None) -> StepResult:
    """Take one handling step on one warning for ``actor``, if the warning still has the ``version`` the page
    drew. One transaction: the conditional UPDATE of the warning, the ``warning_steps`` row, the audit entry.

    Refusals (nothing of the step is written): ``InvalidInput`` (bad input), ``NotPermitted`` (role; audited),
    ``OutOfScope`` (nonexistent, malformed or outside the actor's region — one message; audited), ``Conflict``
    (stale version or out of order; ``.current`` holds the state now), ``StepFailed`` (database error)."""
    eng = engine or db.get_engine()
    now = (now or dt.datetime.now()).replace(microsecond=0)
    if step not in STEPS:
        raise InvalidInput("未知的处置步骤")
    if actor.role not in STEP_ROLES[step]:
        _refuse(eng, actor, step, warning_id, "role", now)
        raise NotPermitted(f"{ROLE_NAMES.get(actor.role, actor.role)}账号不能{STEP_NAMES[step]}预警"
                           f"（{STEP_NAMES[step]}由{'、'.join(ROLE_NAMES[r] for r in sorted(STEP_ROLES[step]))}办理）")
    if step == "verify":
        if not isinstance(result, str) or result not in VERIFY_RESULTS:
            raise InvalidInput("请选择核查结果：属实、误报或设备故障")
    elif result is not None:
        raise InvalidInput(f"{STEP_NAMES[step]}不需要核查结果")
    text = clean_note(note, step)
    v = _version(version)
    wid = _parse_id(warning_id)
    failed = f"数据库暂时无法完成本次操作，「{STEP_NAMES[step]}」未被记录（预警未作任何改动），请稍后重试"
    try:
        rs = resolve(Scope(region=actor.binding or PROVINCE, binding=actor.binding), eng)
        dl = deadline_map(eng)
    except ScopeError:
        _refuse(eng, actor, step, warning_id, "bad_binding", now)
        raise OutOfScope(OUT_OF_SCOPE) from None
    except DBAPIError as e:
        raise StepFailed(failed) from e
    if wid is None:
        _refuse(eng, actor, step, warning_id, "out_of_scope", now)
        raise OutOfScope(OUT_OF_SCOPE)
    refused = False
    try:
        with eng.begin() as conn:
            # the UPDATE comes first: on SQLite it takes the write lock at once, so what is read after is current
            w = conn.execute(update(W).where(W.c.id == wid, W.c.version == v, _expected(step), rs.region_filter(W))
                             .values(**_values(step, now, result, text))
                             .returning(*_STATE_COLS)).mappings().first()
            if w is None:
                if conn.execute(select(W.c.id).where(W.c.id == wid, rs.region_filter(W))).first() is None:
                    audit.append(conn, REFUSED_EVENT, actor.username, {
                        "warning": str(warning_id)[:40], "step": step, "reason": "out_of_scope", "role": actor.role,
                        "binding": actor.binding}, now)
                    refused = True
                else:
                    raise _conflict(conn, wid, step, v, rs, dl, now)
            else:
                sid = conn.execute(insert(WS).values(
                    warning_id=wid, step=step, result=result if step == "verify" else None, note=text,
                    actor=actor.username[:32], actor_role=actor.role[:10], at=now, version=w["version"],
                    recorded_at=now).returning(WS.c.id)).scalar_one()
                audit.append(conn, STEP_EVENT, actor.username, {
                    "warning": wid, "code": w["code"], "step": step, "result": result, "version": w["version"],
                    "step_id": sid, "role": actor.role, "binding": actor.binding}, now)
    except HandlingError:
        raise
    except IntegrityError as e:  # another step took this version at the same moment
        with eng.connect() as conn:
            raise _conflict(conn, wid, step, v, rs, dl, now) from e
    except DBAPIError as e:
        raise StepFailed(failed) from e
    if refused:
        raise OutOfScope(OUT_OF_SCOPE)
    w = dict(w)
    try:
        ent = row(select(E.c.name).where(E.c.id == w["enterprise_id"]), eng).get("name", "")
    except DBAPIError:  # the step is committed; only the enterprise's name for the answer is missing
        ent = ""
    st = _full_state({**w, "enterprise": ent}, rs.ref, dl, now)
    label = f"（{VERIFY_RESULTS[result]}）" if step == "verify" else ""
    return StepResult(wid, step, int(w["version"]), now, f"已{STEP_NAMES[step]}{label}：{w['code']}", st)


def acknowledge(warning_id: Any, actor: Actor, *, version: Any, note: Any = "", **kw) -> StepResult:
    return take_step(warning_id, "ack", actor, version=version, note=note, **kw)


def verify(warning_id: Any, actor: Actor, *, version: Any, result: str, note: Any, **kw) -> StepResult:
    return take_step(warning_id, "verify", actor, version=version, result=result, note=note, **kw)


def handle(warning_id: Any, actor: Actor, *, version: Any, measures: Any, **kw) -> StepResult:
    return take_step(warning_id, "handle", actor, version=version, note=measures, **kw)


def close(warning_id: Any, actor: Actor, *, version: Any, reason: Any, **kw) -> StepResult:
    return take_step(warning_id, "close", actor, version=version, note=reason, **kw)


def escalate(warning_id: Any, actor: Actor, *, version: Any, note: Any, **kw) -> StepResult:
    return take_step(warning_id, "escalate", actor, version=version, note=note, **kw)


# --- figures: timeliness ------------------------------------------------------------------------------------------

def _timeliness_columns(rs, eng, T):
    dl = deadline_map(eng)
    ack_dl, _, close_dl = _deadline_exprs(dl, eng)
    acked = and_(W.c.acknowledged_at.is_not(None), W.c.acknowledged_at <= T)
    closed = and_(W.c.closed_at.is_not(None), W.c.closed_at <= T)

    n = count_where

    period = [n(or_(acked, ack_dl < T), "ack_due"), n(and_(acked, W.c.acknowledged_at <= ack_dl), "ack_timely"),
              n(or_(closed, close_dl < T), "close_due"), n(and_(closed, W.c.closed_at <= close_dl), "close_timely")]
    return period, _live_columns(T, dl, eng)


def _live_columns(T, dl, eng, cond=None, suffix: str = ""):
    """``open`` and ``overdue`` at ``T`` (of the rows that also meet ``cond``), labelled with ``suffix``."""
    open_at = and_(W.c.raised_at <= T, or_(W.c.closed_at.is_(None), W.c.closed_at > T),
                   *([cond] if cond is not None else []))

    def n(cond, name):

        return count_where(cond, name + suffix)

    return [n(open_at, "open"), n(and_(open_at, _overdue_at(T, dl, eng)), "overdue")]


def _cutoff(rs, now) -> dt.datetime:
    return rs.as_of or memo.moment(now)


@shared
def timeliness(scope: Scope, *, engine: Engine | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """签收及时率, 处置及时率 (warnings raised in the period, judged at the as-of time or now) and 超时未处置
    (open at that time and past the deadline of the milestone they wait for). Their 口径: ``FIGURES`` below."""
    eng, rs = prepare(scope, engine)
    T = literal(_cutoff(rs, now), DateTime)
    period, live = _timeliness_columns(rs, eng, T)
    p = row(select(*period).where(rs.where(W, "raised_at")), eng)
    out = {k: int(p[k] or 0) for k in ("ack_due", "ack_timely", "close_due", "close_timely")}
    out["ack_timely_rate"] = pct(out["ack_timely"], out["ack_due"])
    out["close_timely_rate"] = pct(out["close_timely"], out["close_due"])
    return out | _live_figures(row(select(*live).where(rs.where(W)), eng))


def _live_figures(o) -> dict[str, int]:
    return {"open": int(o["open"] or 0), "overdue": int(o["overdue"] or 0)}


def open_counts(scope: Scope, *, engine: Engine | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """``timeliness``' moment figures alone: warnings open and 超时未处置 at the as-of time (or now) — what the
    tiles' comparisons ask at a dozen earlier moments, without the period's counts."""
    eng, rs = prepare(scope, engine)
    _, live = _timeliness_columns(rs, eng, literal(_cutoff(rs, now), DateTime))
    return _live_figures(row(select(*live).where(rs.where(W)), eng))


def open_counts_many(scopes: list[Scope], *, engine: Engine | None = None, now: dt.datetime | None = None,
                     partial: bool = False) -> list[dict[str, int] | None]:
    """``[open_counts(s, now=now) for s in scopes]`` in one statement for the scopes of the first one's place
    (region and industry): the comparisons' dozen earlier moments of 超时未处置, one pass over the warnings open at
    any of them with each moment's counts in columns of their own. Another place is ``open_counts(s)``, or with
    ``partial`` None."""
    if not scopes:
        return []
    eng, resolved, batch = one_place(scopes, engine)
    dl = deadline_map(eng)
    times = {i: _cutoff(resolved[i], now) for i in batch}
    cols = [c for j, i in enumerate(batch)
            for c in _live_columns(literal(times[i], DateTime), dl, eng, resolved[i].where(W), f"_{j}")]
    first = resolved[0]  # the rows any of them can count: the place's warnings not closed by the earliest moment
    got = row(select(*cols).where(first.region_filter(W), first.industry_filter(W),
                                  or_(W.c.closed_at.is_(None), W.c.closed_at > min(times.values()))), eng)
    out: list[dict[str, int] | None] = [None] * len(scopes)
    for j, i in enumerate(batch):
        out[i] = _live_figures({"open": got[f"open_{j}"], "overdue": got[f"overdue_{j}"]})
    return [r if r is not None or partial else open_counts(s, engine=eng, now=now) for s, r in zip(scopes, out)]


open_counts.many = open_counts_many  # type: ignore[attr-defined]


# the 口径 of the figures (queries.figures assembles the catalogue from these declarations)
FIGURES = declare("warnings", timeliness, basis="period", moment_source=open_counts, figures=[
    fig("ack_timely_rate", "签收及时率", "%", PERIOD + "产生的预警中，在签收时限内签收的 ÷（截至截止时间已签收的 + 已过签收时限"
        "仍未签收的）；时限按预警当前等级、自产生时起算，取当前处置时限表", better="up", base="ack_due"),
    fig("close_timely_rate", "处置及时率", "%", PERIOD + "产生的预警中，在消警时限内消警的 ÷（截至截止时间已消警的 + 已过消警"
        "时限仍未消警的）；时限按预警当前等级、自产生时起算，取当前处置时限表", better="up", base="close_due"),
    fig("overdue", "超时未处置预警", "条", "截至当前（或截止时间）尚未消警、且所处环节已超过时限的预警数：未签收的超过签收时限，"
        "已签收未核查的超过核查时限，已核查未消警的超过消警时限（处置计入消警时限）", better="down", basis="cutoff",
        short="超时未处置", moment=True),
])


def timeliness_by_region(scope: Scope, *, engine: Engine | None = None,
                         now: dt.datetime | None = None) -> pd.DataFrame:
    """``timeliness`` per child region (cities of the province, counties of a city; a county: itself):
    ``adcode, name, ack_due, ack_timely, ack_timely_rate, close_due, close_timely, close_timely_rate, open,
    overdue``."""
    eng, rs = prepare(scope, engine)
    T = literal(_cutoff(rs, now), DateTime)
    period, live = _timeliness_columns(rs, eng, T)
    g = rs.group_column(W)
    acc = gathered([select(g.label("k"), *period).where(rs.where(W, "raised_at")).group_by(g),
                    select(g.label("k"), *live).where(rs.where(W)).group_by(g)], eng)
    df = per_child(rs, acc, ("ack_due", "ack_timely", "close_due", "close_timely", "open", "overdue"))
    df["ack_timely_rate"] = [pct(a, b) for a, b in zip(df["ack_timely"], df["ack_due"])]
    df["close_timely_rate"] = [pct(a, b) for a, b in zip(df["close_timely"], df["close_due"])]
    return df[["adcode", "name", "ack_due", "ack_timely", "ack_timely_rate", "close_due", "close_timely",
               "close_timely_rate", "open", "overdue"]]


__all__ = ["Actor", "actor_of", "HandlingError", "InvalidInput", "NotPermitted", "OutOfScope", "Conflict",
           "StepFailed", "StepResult", "desk", "desk_summary", "state", "history", "enterprise_steps", "allowed_steps", "annotate",
           "take_step", "acknowledge", "verify", "handle", "close", "escalate", "deadlines", "set_deadlines", "timeliness",
           "timeliness_by_region", "open_counts", "FIGURES", "STEP_ROLES", "NOTE_MAX"]
