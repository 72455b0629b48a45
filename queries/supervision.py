"""督办: leaders' supervision orders (督办单) — sent to a city or a county with a subject, an instruction (批示) and a
deadline, answered by the addressee, returned or closed by the issuer — and the work on the lists (核查, 整改通知,
整改复查 of the risk key-control list and of the “不放心” list). No Streamlit.

Flow and rules
--------------
An order's states::

    在办 open --reply--> 已反馈 answered --close--> 办结 closed
                              \\--return (a reason)--> 在办 open (again; ``returned_count`` + 1)

Who (``Actor(username, role, binding)`` of ``queries.handling``; the signed-in user through ``actor_of``):

    send    leader without a binding: any city or county of the province; a leader bound to a region: within it;
            city (a city's leader account): the counties of its city; duty: only about a warning (subject kind
            ``warning``), the addressee's region holding the warning (a bound duty account: in its binding)
    reply   officer and city accounts, for orders addressed to their area (a city account: its city and its
            counties; a county officer: its county), never to an order they sent themselves
    return, close   the issuer only (an order in state 已反馈)
    read    everyone sees the orders addressed to their area (a county order is visible to its city's accounts
            too; an unbound account: the whole province) and the orders they sent; nothing else — writers read

Writes: each is ONE transaction holding a conditional ``UPDATE supervision_orders … WHERE id = ? AND version = ?
AND <the state the action needs> AND <the actor's authority>`` (send: the INSERT), the ``supervision_events`` row
and the ``audit_log`` entry (``duban_send``, ``duban_reply``, ``duban_return``, ``duban_close``). The page submits the
``version`` it drew: a step taken meanwhile (double click, second browser, someone else) writes nothing and
``Conflict`` says so with the current state. An order that is neither visible to the actor nor existing, and a
malformed id, get the very same ``OutOfScope`` message (audited ``duban_refused``); a visible order the actor may
not act on, or an action the role may not take, gets ``NotPermitted`` (audited). Bad input (``InvalidInput``:
empty or over-long text — 批示 and return reasons ≤ ``INSTRUCTION_MAX``, replies ≤ ``REPLY_MAX`` characters —, a
deadline in the past or more than a year ahead, an addressee that is not a city or a county, an unknown subject)
writes nothing. A database failure in the middle rolls everything back (``WriteFailed``). Text is stored as typed
(HTML and script included, control characters removed): pages show it as text.

A 督办 is 超期 (overdue) while it waits for the addressee's reply (在办) past its deadline.

API for the pages
-----------------
Subjects (what the order is about): ``Subject(kind, ref, title)``; ``view_subject(page, scope, title, as_of=…)``
(the exact view the leader saw: page + region + industry + period + as-of, as a link), ``campaign_subject(id)``,
``enterprise_subject(id)``, ``warning_subject(id)``, ``text_subject(title)`` (the title of an entity is read from
the database when the order is sent). ``view_params(order)`` → the view's URL parameters for ``st.query_params``
(``page`` separate).

Writes (default engine: the primary database):
- ``send(actor, addressee, subject, instruction, deadline)`` → ``Result`` (``order_id, code, version, at, message,
  order``); addressee: an adcode (int or text) or a region name; deadline: a date (end of that day), a datetime or
  ISO text.
- ``reply(actor, order_id, text, version=…)``, ``return_(actor, order_id, reason, version=…)``,
  ``close(actor, order_id, version=…, note="")`` → ``Result``.
Reads (live; the actor's visibility as above):
- ``inbox(actor, now=…)`` → DataFrame of what the actor has to do: orders to reply to (在办, addressed to its area,
  for officer and city accounts) and its own orders answered and waiting to be closed; sorted by deadline;
  columns ``ORDER_COLUMNS`` + ``action`` (reply | close) + ``action_name``.
- ``counts(actor, now=…)`` → ``{todo, overdue, to_reply, to_close}`` (the navigation badge).
- ``outbox(actor, now=…, state=None)`` → the orders the actor sent, 在办 then 已反馈 then 办结, by deadline.
- ``listing(actor, now=…, state=None, region=None)`` → every order visible to the actor (the readers' list).
- ``order(order_id, actor, now=…)`` → one order (dict, ``ORDER_COLUMNS``); ``events(order_id, actor)`` → its
  send / reply / return / close, oldest first (``EVENT_COLUMNS``); ``ScopeError`` (``OutOfScope``) outside.
- ``allowed_actions(actor, order)`` → the actions the actor may take now (buttons).
Figures (scoped by the addressee's region like every query; ``Scope`` with the user's binding):
- ``summary(scope, now=…)`` → ``{sent, closed, closed_rate, open, answered, overdue}``; ``by_region(scope, now=…)``
  the same per child region (a city's own orders: a row ``<city>（市本级）``). 口径: ``FIGURES`` below ``summary``
  (catalogue keys ``supervision.sent``, ``supervision.closed``, ``supervision.closed_rate``, ``supervision.open``,
  ``supervision.overdue``).

List checks (the risk key-control list: ``list_kind='key_control'``, entry = ``risk_reports.id`` on the list; the
“不放心” list: ``'watchlist'``, entry = ``watchlist_entries.id``); officer and city accounts, in their area:
- ``verify_entry(actor, list_kind, entry_id, finding, verified_on, note="")`` (finding ``substantiated`` 属实 |
  ``unfounded`` 不属实; once per entry) → ``CheckResult``;
- ``issue_notice(actor, list_kind, entry_id, notice_no, deadline, version=…)`` (属实 only; once);
- ``follow_up(actor, list_kind, entry_id, rectified_on, version=…)`` (整改完成, after the notice);
- ``check_state(list_kind, entry_id, scope)``; ``entries(list_kind, scope)`` the list with its checks as they stand
  now (``state``, ``state_name``, ``overdue`` from ``check_status``: 待核查 → 属实 | 不属实; 属实 → 已下达整改通知 →
  整改完成; 超期: a notice past its deadline); ``entry(list_kind, entry_id, scope)`` one entry (any period);
- ``check_rates(list_kind, scope)`` → ``{entries, verified, substantiated, unfounded, noticed, rectified,
  verified_rate, rectified_rate}`` (核查率 = verified ÷ entries, 整改完成率 = rectified ÷ substantiated; entries of the
  period as the list's pages count them, the work done by the cut-off); ``check_rates_by_region``. Catalogue:
  ``supervision.key_control_verified_rate`` / ``…_rectified_rate`` (source ``key_control_checks``) and
  ``supervision.watchlist_verified_rate`` / ``…_rectified_rate`` (``watchlist_checks``).
Refusals raise ``SupervisionError`` subclasses whose ``str()`` is the Chinese message for the page.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pandas as pd
from sqlalchemy import DateTime, Engine, and_, case, func, insert, literal, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from queries import audit, db
from queries.base import count_where, frame, name_children, one_place, pct, prepare, row
from queries.figure_defs import PERIOD, declare, fig
from queries.writes import (  # noqa: F401 - the write vocabulary, re-exported for pages and tests
    Actor, Conflict, InvalidInput, NotPermitted, OutOfScope, WriteError, WriteFailed, actor_of, refuse,
)
from queries.labels import (CHECK_FINDINGS, LIST_KINDS, ROLE_NAMES, SUBJECT_KINDS, SUPERVISION_EVENTS,
                            SUPERVISION_STATES)
from queries import memo
from queries.memo import shared
from queries.regions import PROVINCE
from queries.scope import Scope, ScopeError, resolve
from seed.schema import campaigns as C, enterprises as E, list_checks as LC, risk_reports as RR
from seed.schema import supervision_events as SE, supervision_orders as SO, users as U
from seed.schema import warnings as W, watchlist_entries as WL

INSTRUCTION_MAX = 2000  # 批示 and return reasons; the database refuses longer instructions too
REPLY_MAX = 5000  # replies; the database refuses longer event texts too
TITLE_MAX = 200
NOTE_MAX = 2000
NOTICE_NO_MAX = 40
MAX_DEADLINE_DAYS = 366
REPLY_ROLES = frozenset({"officer", "city"})
SEND_ROLES = frozenset({"leader", "city", "duty"})
CHECK_ROLES = frozenset({"officer", "city"})
VIEW_KEYS = ("page", "region", "industry", "from", "to", "as_of")
OUT_OF_SCOPE = "该督办不存在或不在您的权限范围内"
ENTRY_OUT_OF_SCOPE = "该名单条目不存在或不在您的权限范围内"
SEND_EVENT, REPLY_EVENT, RETURN_EVENT, CLOSE_EVENT, REFUSED_EVENT = ("duban_send", "duban_reply", "duban_return",
                                                                    "duban_close", "duban_refused")
CHECK_EVENT, CHECK_REFUSED = "list_check", "check_refused"
EVENTS = (SEND_EVENT, REPLY_EVENT, RETURN_EVENT, CLOSE_EVENT, REFUSED_EVENT, CHECK_EVENT, CHECK_REFUSED)
INT_MAX = 2**31 - 1


# --- what went wrong --------------------------------------------------------------------------------------------

SupervisionError = WriteError  # what went wrong: shared by every write a person makes (queries.writes)


@dataclass(frozen=True)
class Result:
    order_id: int
    code: str
    version: int  # the order's version after the action (what the page submits next)
    at: dt.datetime
    message: str
    order: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Subject:
    kind: str  # view | campaign | enterprise | warning | text
    ref: Any = ""  # the entity's id, or the view's link (a dict or its query string)
    title: str = ""  # required for view and text; read from the database for the others


def view_subject(page: str, scope: Scope, title: str, *, as_of: dt.datetime | None = None) -> Subject:
    """The exact view a leader sees: the page with its region, industry, period and the as-of time of the moment
    (the scope's as-of, else ``as_of``, else now)."""
    t = scope.as_of or as_of or dt.datetime.now()
    ref = {"page": page, "region": str(scope.region), "industry": scope.industry or "",
           "from": scope.date_from.isoformat() if scope.date_from else "",
           "to": scope.date_to.isoformat() if scope.date_to else "",
           "as_of": t.replace(microsecond=0).isoformat(sep=" ")}
    return Subject("view", ref, title)


def campaign_subject(campaign_id: Any) -> Subject:
    return Subject("campaign", campaign_id)


def enterprise_subject(enterprise_id: Any) -> Subject:
    return Subject("enterprise", enterprise_id)


def warning_subject(warning_id: Any) -> Subject:
    return Subject("warning", warning_id)


def text_subject(title: str) -> Subject:
    return Subject("text", "", title)


def view_params(order: dict) -> dict[str, str]:
    """The URL parameters of a view order's subject (``page`` included; empty ones left out); {} otherwise."""
    if order.get("subject_kind") != "view":
        return {}
    return {k: v for k, v in parse_qsl(order.get("subject_ref") or "") if k in VIEW_KEYS and v}


# --- input ------------------------------------------------------------------------------------------------------

def _parse_id(v: Any) -> int | None:
    """An id from a page or a URL: a positive whole number (ASCII digits) an INTEGER column holds; else None."""
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


def clean_text(text: Any, label: str, max_len: int, *, required: bool = True, multiline: bool = True) -> str:
    """Text as stored: control characters removed (line breaks and tabs kept where ``multiline``; CR LF → LF),
    trimmed; refused when empty (``required``) or longer than ``max_len`` (never cut). HTML stays as typed."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise InvalidInput(f"{label}必须是文字")
    s = text.replace("\r\n", "\n").replace("\r", "\n")
    keep = "\n\t" if multiline else ""
    s = "".join(ch for ch in s if ch in keep or unicodedata.category(ch) not in ("Cc", "Cs")).strip()
    if required and not s:
        raise InvalidInput(f"请填写{label}")
    if len(s) > max_len:
        raise InvalidInput(f"{label}不能超过 {max_len} 字（当前 {len(s)} 字），请精简后再提交")
    return s


def _to_datetime(v: Any, label: str) -> dt.datetime:
    if isinstance(v, str):
        s = v.strip()
        try:
            v = dt.date.fromisoformat(s) if len(s) == 10 else dt.datetime.fromisoformat(s)
        except ValueError:
            raise InvalidInput(f"{label}格式不正确（应为 YYYY-MM-DD 或 YYYY-MM-DD HH:MM）") from None
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone().replace(tzinfo=None)
        return v.replace(microsecond=0)
    if isinstance(v, dt.date):
        return dt.datetime.combine(v, dt.time(23, 59, 59))
    raise InvalidInput(f"请填写{label}")


def _to_date(v: Any, label: str) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            raise InvalidInput(f"{label}格式不正确（应为 YYYY-MM-DD）") from None
    raise InvalidInput(f"请填写{label}")


def _actor_scope(actor: Actor, eng: Engine):
    return resolve(Scope(region=actor.binding or PROVINCE, binding=actor.binding), eng)


def _visible(actor: Actor, rs):
    """SQL: the orders ``actor`` may see: addressed to its area, or sent by it."""
    return or_(rs.region_filter(SO), SO.c.issuer == actor.username[:32])


def _refuse(eng: Engine, actor: Actor, action: str, raw: Any, reason: str, now: dt.datetime,
            event: str = REFUSED_EVENT) -> None:
    refuse(eng, actor, event, {"target": str(raw)[:40], "action": str(action)[:12], "reason": reason}, now)


# --- reading orders ---------------------------------------------------------------------------------------------

ORDER_COLUMNS = ["id", "code", "issuer", "issuer_name", "issuer_role", "issuer_role_name", "region_adcode",
                 "region_name", "city_adcode", "county_adcode", "subject_kind", "subject_kind_name", "subject_ref",
                 "subject_title", "instruction", "deadline", "state", "state_name", "version", "created_at",
                 "answered_at", "closed_at", "returned_count", "overdue", "hours_left"]
EVENT_COLUMNS = ["id", "kind", "kind_name", "text", "actor", "actor_name", "actor_role", "role_name", "at",
                 "version"]
_COLS = (SO.c.id, SO.c.code, SO.c.issuer, U.c.display_name.label("issuer_name"), SO.c.issuer_role,
         SO.c.region_adcode, SO.c.city_adcode, SO.c.county_adcode, SO.c.subject_kind, SO.c.subject_ref,
         SO.c.subject_title, SO.c.instruction, SO.c.deadline, SO.c.state, SO.c.version, SO.c.created_at,
         SO.c.answered_at, SO.c.closed_at, SO.c.returned_count)
_FROM = SO.outerjoin(U, U.c.username == SO.c.issuer)


def _dt(v):
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, str):
        return dt.datetime.fromisoformat(v)
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    return v


def _describe(r: dict, ref, now: dt.datetime) -> dict:
    out = dict(r)
    for k in ("deadline", "created_at", "answered_at", "closed_at"):
        out[k] = _dt(out.get(k))
    out["issuer_name"] = out.get("issuer_name") or out["issuer"]
    out["issuer_role_name"] = ROLE_NAMES.get(out["issuer_role"], out["issuer_role"])
    out["region_name"] = ref.name(int(out["region_adcode"]))
    out["subject_kind_name"] = SUBJECT_KINDS.get(out["subject_kind"], out["subject_kind"])
    out["state_name"] = SUPERVISION_STATES.get(out["state"], out["state"])
    left = (out["deadline"] - now).total_seconds() / 3600.0
    out["hours_left"] = round(left, 1) if out["state"] != "closed" else None
    out["overdue"] = bool(out["state"] == "open" and left < 0)
    out["county_adcode"] = None if out.get("county_adcode") is None or pd.isna(out["county_adcode"]) \
        else int(out["county_adcode"])
    return out


def _frame(stmt, eng: Engine, now: dt.datetime, extra: list[str] | None = None) -> pd.DataFrame:
    """The orders of ``stmt`` described (``_describe``), one DataFrame built once from the rows (not a DataFrame of
    the rows turned back into records: that was half of the 督办 page's warm run)."""
    cols = ORDER_COLUMNS + (extra or [])
    with eng.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    if not rows:
        return pd.DataFrame({c: [] for c in cols})
    from queries.regions import reference

    ref = reference(eng)
    described = [_describe(r, ref, now) for r in rows]
    out = pd.DataFrame({c: [d[c] for d in described] for c in cols})
    for c in ("deadline", "created_at", "answered_at", "closed_at"):
        out[c] = pd.to_datetime(out[c])
    return out


def _now(now: dt.datetime | None) -> dt.datetime:
    return (now or dt.datetime.now()).replace(microsecond=0)


def _limit(limit: int) -> int:
    return max(1, min(int(limit), 5000))


def inbox(actor: Actor, *, engine: Engine | None = None, now: dt.datetime | None = None,
          limit: int = 500) -> pd.DataFrame:
    """What ``actor`` has to do, by deadline (overdue first among equals): orders to reply to (在办, addressed to
    its area; officer and city accounts) and its own answered orders waiting to be closed."""
    eng = engine or db.reader()
    now = memo.moment(now)
    rs = _actor_scope(actor, eng)
    me = actor.username[:32]
    to_reply = and_(SO.c.state == "open", rs.region_filter(SO), SO.c.issuer != me) \
        if actor.role in REPLY_ROLES else literal(False)
    to_close = and_(SO.c.state == "answered", SO.c.issuer == me)
    action = case((to_close, "close"), else_="reply").label("action")
    stmt = (select(*_COLS, action).select_from(_FROM).where(or_(to_reply, to_close))
            .order_by(SO.c.deadline, SO.c.id).limit(_limit(limit)))
    df = _frame(stmt, eng, now, ["action"])
    df["action_name"] = [{"reply": "待反馈", "close": "待审核办结"}.get(a, a) for a in df["action"]]
    return df


def counts(actor: Actor, *, engine: Engine | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """The navigation badge: ``todo`` (= ``to_reply`` + ``to_close``) and ``overdue`` (to reply, past the
    deadline)."""
    eng = engine or db.reader()
    now = memo.moment(now)
    rs = _actor_scope(actor, eng)
    me = actor.username[:32]
    to_reply = and_(SO.c.state == "open", rs.region_filter(SO), SO.c.issuer != me) \
        if actor.role in REPLY_ROLES else literal(False)
    to_close = and_(SO.c.state == "answered", SO.c.issuer == me)

    n = count_where

    r = row(select(n(to_reply, "to_reply"), n(to_close, "to_close"),
                   n(and_(to_reply, SO.c.deadline < literal(now, DateTime)), "overdue"))
            .where(or_(to_reply, to_close)), eng)
    out = {k: int(r.get(k) or 0) for k in ("to_reply", "to_close", "overdue")}
    out["todo"] = out["to_reply"] + out["to_close"]
    return out


_STATE_ORDER = case({"open": 0, "answered": 1, "closed": 2}, value=SO.c.state)


def _state_filter(state: str | None):
    if state is None:
        return literal(True)
    if state not in SUPERVISION_STATES:
        raise InvalidInput("未知的督办状态")
    return SO.c.state == state


def outbox(actor: Actor, *, engine: Engine | None = None, now: dt.datetime | None = None, state: str | None = None,
           limit: int = 500) -> pd.DataFrame:
    """The orders ``actor`` sent: 在办, then 已反馈, then 办结, each by deadline."""
    eng = engine or db.reader()
    stmt = (select(*_COLS).select_from(_FROM).where(SO.c.issuer == actor.username[:32], _state_filter(state))
            .order_by(_STATE_ORDER, SO.c.deadline, SO.c.id).limit(_limit(limit)))
    return _frame(stmt, eng, memo.moment(now))


def listing(actor: Actor, *, engine: Engine | None = None, now: dt.datetime | None = None, state: str | None = None,
            region: int | None = None, limit: int = 500) -> pd.DataFrame:
    """Every order visible to ``actor`` (optionally of one state, addressed within ``region``), newest first."""
    eng = engine or db.reader()
    rs = _actor_scope(actor, eng)
    cond = [_visible(actor, rs), _state_filter(state)]
    if region is not None:
        cond.append(resolve(Scope(region=region, binding=actor.binding), eng).region_filter(SO))
    stmt = (select(*_COLS).select_from(_FROM).where(*cond).order_by(SO.c.created_at.desc(), SO.c.id.desc())
            .limit(_limit(limit)))
    return _frame(stmt, eng, memo.moment(now))


def _order_row(conn, oid: int, cond=None) -> dict | None:
    stmt = select(*_COLS).select_from(_FROM).where(SO.c.id == oid)
    if cond is not None:
        stmt = stmt.where(cond)
    r = conn.execute(stmt).mappings().first()
    return dict(r) if r else None


def order(order_id: Any, actor: Actor, *, engine: Engine | None = None, now: dt.datetime | None = None) -> dict:
    """One order (``ORDER_COLUMNS``); ``OutOfScope`` (a ``ScopeError``) when it does not exist or is not visible."""
    eng = engine or db.reader()
    oid = _parse_id(order_id)
    rs = _actor_scope(actor, eng)
    if oid is None:
        raise OutOfScope(OUT_OF_SCOPE)
    with eng.connect() as conn:
        r = _order_row(conn, oid, _visible(actor, rs))
    if r is None:
        raise OutOfScope(OUT_OF_SCOPE)
    return _describe(r, rs.ref, memo.moment(now))


def events(order_id: Any, actor: Actor, *, engine: Engine | None = None) -> pd.DataFrame:
    """An order's send, replies, returns and close, oldest first (``EVENT_COLUMNS``)."""
    eng = engine or db.reader()
    order(order_id, actor, engine=eng)  # visibility
    df = frame(select(SE.c.id, SE.c.kind, SE.c.text, SE.c.actor, U.c.display_name.label("actor_name"),
                      SE.c.actor_role, SE.c.at, SE.c.version)
               .select_from(SE.outerjoin(U, U.c.username == SE.c.actor))
               .where(SE.c.order_id == _parse_id(order_id)).order_by(SE.c.version, SE.c.id), eng)
    if df.empty:
        return pd.DataFrame({c: [] for c in EVENT_COLUMNS})
    df["at"] = pd.to_datetime(df["at"])
    df["kind_name"] = [SUPERVISION_EVENTS.get(k, k) for k in df["kind"]]
    df["role_name"] = [ROLE_NAMES.get(r, r) for r in df["actor_role"]]
    df["actor_name"] = [n if isinstance(n, str) and n else a for n, a in zip(df["actor_name"], df["actor"])]
    return df[EVENT_COLUMNS]


def allowed_actions(actor: Actor, o: dict) -> list[str]:
    """The actions ``actor`` may take now on the order ``o`` (as ``order`` or a list row returned it)."""
    out = []
    mine = o.get("issuer") == actor.username
    if o.get("state") == "open" and actor.role in REPLY_ROLES and not mine:
        out.append("reply")
    if o.get("state") == "answered" and mine:
        out += ["close", "return"]
    return out


# --- sending ------------------------------------------------------------------------------------------------------

def _addressee(v: Any, ref) -> int:
    if isinstance(v, bool):
        v = None
    d = ref.divisions.get(v) if isinstance(v, int) else (ref.find(v) if isinstance(v, str) and v.strip() else None)
    if d is None or d.level not in ("city", "county"):
        raise InvalidInput("督办对象必须是本省的一个市或县（市、区）")
    return d.adcode


def _may_send_to(actor: Actor, adcode: int, ref) -> str | None:
    """None when ``actor`` may address ``adcode``; else the reason (Chinese)."""
    if actor.role == "leader" or actor.role == "duty":
        if actor.binding is None or ref.contains(actor.binding, adcode):
            return None
        return f"账号仅限{ref.name(actor.binding)}，不能向{ref.name(adcode)}发出督办"
    if actor.role == "city":
        d = ref.divisions[adcode]
        if actor.binding is not None and d.level == "county" and ref.contains(actor.binding, adcode):
            return None
        where = ref.name(actor.binding) if actor.binding in ref.divisions else "本市"
        return f"市级账号只能向{where}所辖县（市、区）发出督办"
    return f"{ROLE_NAMES.get(actor.role, actor.role)}账号不能发出督办"


def _subject(conn, subject: Any, adcode: int, ref) -> tuple[str, str, str]:
    """(kind, ref, title) as stored; ``InvalidInput`` for an unknown or mismatched subject."""
    if not isinstance(subject, Subject) or subject.kind not in SUBJECT_KINDS:
        raise InvalidInput("督办事项无效：请从页面选择事项或填写事项名称")
    kind = subject.kind
    if kind in ("view", "text"):
        title = clean_text(subject.title, "督办事项名称", TITLE_MAX, multiline=False)
        if kind == "text":
            return kind, "", title
        raw = subject.ref if isinstance(subject.ref, dict) else dict(parse_qsl(str(subject.ref or "")))
        params = {k: clean_text(str(raw.get(k) or ""), "页面参数", 40, required=False, multiline=False)
                  for k in VIEW_KEYS}
        if not params["page"] or not params["page"].replace("_", "").isascii() or \
                not params["page"].replace("_", "").isalnum():
            raise InvalidInput("督办事项的页面无效")
        link = urlencode([(k, params[k]) for k in VIEW_KEYS])
        if len(link) > 500:
            raise InvalidInput("督办事项的页面参数过长")
        return kind, link, title
    eid = _parse_id(subject.ref)
    name = {"campaign": "专项行动", "enterprise": "企业", "warning": "预警"}[kind]
    d = ref.divisions[adcode]
    if eid is not None:
        if kind == "campaign":
            r = conn.execute(select(C.c.name).where(C.c.id == eid)).first()
            title = r and r[0]
        else:
            t = E if kind == "enterprise" else W
            where = t.c.county_adcode == adcode if d.level == "county" else t.c.city_adcode == adcode
            cols = (E.c.name,) if kind == "enterprise" else (W.c.code, W.c.title)
            r = conn.execute(select(*cols).where(t.c.id == eid, where)).first()
            title = r and " ".join(str(x) for x in r)
        if title:
            return kind, str(eid), str(title)[:TITLE_MAX]
    raise InvalidInput(f"督办的{name}不存在或不在{ref.name(adcode)}")


def _next_code(conn, year: int) -> str:
    prefix = f"DB-{year}-"
    last = conn.execute(select(SO.c.code).where(SO.c.code.startswith(prefix, autoescape=True))
                        .order_by(func.length(SO.c.code).desc(), SO.c.code.desc()).limit(1)).scalar()
    n = int(last[len(prefix):]) + 1 if last and last[len(prefix):].isdigit() else 1
    return f"{prefix}{n:04d}"


def send(actor: Actor, addressee: Any, subject: Subject, instruction: Any, deadline: Any, *,
         engine: Engine | None = None, now: dt.datetime | None = None) -> Result:
    """Send one 督办 (rules in the module doc). One transaction: the order, its ``send`` event, the audit entry."""
    eng = engine or db.get_engine()
    now = _now(now)
    if actor.role not in SEND_ROLES:
        _refuse(eng, actor, "send", addressee, "role", now)
        raise NotPermitted(f"{ROLE_NAMES.get(actor.role, actor.role)}账号不能发出督办（督办由省级领导、市级领导发出，"
                           "值班室可就预警督办）")
    failed = "数据库暂时无法完成本次操作，督办未发出，请稍后重试"
    try:
        from queries.regions import reference

        ref = reference(eng)
    except DBAPIError as e:
        raise WriteFailed(failed) from e
    adcode = _addressee(addressee, ref)
    why = _may_send_to(actor, adcode, ref)
    if why is not None:
        _refuse(eng, actor, "send", adcode, "authority", now)
        raise NotPermitted(why)
    if actor.role == "duty" and (not isinstance(subject, Subject) or subject.kind != "warning"):
        _refuse(eng, actor, "send", adcode, "role", now)
        raise NotPermitted("值班室只能就预警发出督办")
    text = clean_text(instruction, "批示", INSTRUCTION_MAX)
    due = _to_datetime(deadline, "办理期限")
    if due <= now:
        raise InvalidInput("办理期限必须晚于当前时间")
    if due > now + dt.timedelta(days=MAX_DEADLINE_DAYS):
        raise InvalidInput("办理期限不能超过一年")
    d = ref.divisions[adcode]
    city = d.city if d.level == "county" else adcode
    county = adcode if d.level == "county" else None
    for attempt in range(5):
        try:
            with eng.begin() as conn:
                kind, sref, title = _subject(conn, subject, adcode, ref)
                code = _next_code(conn, now.year)
                oid = conn.execute(insert(SO).values(
                    code=code, issuer=actor.username[:32], issuer_role=actor.role[:10], issuer_region=actor.binding,
                    region_adcode=adcode, city_adcode=city, county_adcode=county, subject_kind=kind,
                    subject_ref=sref, subject_title=title, instruction=text, deadline=due, state="open", version=1,
                    created_at=now, answered_at=None, closed_at=None, returned_count=0, recorded_at=now)
                                   .returning(SO.c.id)).scalar_one()
                conn.execute(insert(SE).values(order_id=oid, kind="send", text=text, actor=actor.username[:32],
                                               actor_role=actor.role[:10], at=now, version=1, recorded_at=now))
                audit.append(conn, SEND_EVENT, actor.username, {
                    "order": oid, "code": code, "region": adcode, "subject": kind, "ref": sref[:80],
                    "deadline": due, "role": actor.role, "binding": actor.binding}, now)
                o = _order_row(conn, oid)
            break
        except SupervisionError:
            raise
        except IntegrityError as e:  # another order took this code at the same moment: take the next one
            if attempt == 4:
                raise WriteFailed(failed) from e
        except DBAPIError as e:
            raise WriteFailed(failed) from e
    od = _describe(o, ref, now)
    return Result(oid, code, 1, now, f"已向{ref.name(adcode)}发出督办：{code}", od)


# --- reply, return, close ----------------------------------------------------------------------------------------

_ACTIONS = {  # action: (the state it needs, event, event kind, label)
    "reply": ("open", REPLY_EVENT, "reply", "反馈"),
    "return": ("answered", RETURN_EVENT, "return", "退回"),
    "close": ("answered", CLOSE_EVENT, "close", "办结"),
}


def _act(action: str, actor: Actor, order_id: Any, version: Any, text: str, *, engine: Engine | None,
         now: dt.datetime | None) -> Result:
    eng = engine or db.get_engine()
    now = _now(now)
    need, event, kind, label = _ACTIONS[action]
    if action == "reply" and actor.role not in REPLY_ROLES:
        _refuse(eng, actor, action, order_id, "role", now)
        raise NotPermitted(f"{ROLE_NAMES.get(actor.role, actor.role)}账号不能反馈督办（由监管人员或市级账号反馈本地区的督办）")
    v = _version(version)
    oid = _parse_id(order_id)
    failed = f"数据库暂时无法完成本次操作，「{label}」未被记录（督办未作任何改动），请稍后重试"
    try:
        rs = _actor_scope(actor, eng)
    except ScopeError:
        _refuse(eng, actor, action, order_id, "bad_binding", now)
        raise OutOfScope(OUT_OF_SCOPE) from None
    except DBAPIError as e:
        raise WriteFailed(failed) from e
    if oid is None:
        _refuse(eng, actor, action, order_id, "out_of_scope", now)
        raise OutOfScope(OUT_OF_SCOPE)
    me = actor.username[:32]
    may = and_(rs.region_filter(SO), SO.c.issuer != me) if action == "reply" else SO.c.issuer == me
    values: dict[str, Any] = {"version": SO.c.version + 1}
    if action == "reply":
        values.update(state="answered", answered_at=now)
    elif action == "return":
        values.update(state="open", answered_at=None, returned_count=SO.c.returned_count + 1)
    else:
        values.update(state="closed", closed_at=now)
    refused = None
    try:
        with eng.begin() as conn:
            # the UPDATE first: on SQLite it takes the write lock at once, so what is read after is current
            o = conn.execute(update(SO).where(SO.c.id == oid, SO.c.version == v, SO.c.state == need, may)
                             .values(**values).returning(SO.c.id, SO.c.code, SO.c.version)).mappings().first()
            if o is None:
                cur = _order_row(conn, oid, _visible(actor, rs))
                if cur is None:
                    refused = ("out_of_scope", OutOfScope(OUT_OF_SCOPE))
                elif conn.execute(select(SO.c.id).where(SO.c.id == oid, may)).first() is None:
                    msg = "不能反馈自己发出的督办" if action == "reply" else f"只有发出该督办的领导可以{label}"
                    refused = ("not_issuer" if action != "reply" else "own_order", NotPermitted(msg))
                else:
                    raise _conflict(cur, action, v, rs.ref, now)
                audit.append(conn, REFUSED_EVENT, actor.username, {
                    "target": str(order_id)[:40], "action": action, "reason": refused[0], "role": actor.role,
                    "binding": actor.binding}, now)
            else:
                conn.execute(insert(SE).values(order_id=oid, kind=kind, text=text, actor=me,
                                               actor_role=actor.role[:10], at=now, version=o["version"],
                                               recorded_at=now))
                audit.append(conn, event, actor.username, {
                    "order": oid, "code": o["code"], "version": o["version"], "role": actor.role,
                    "binding": actor.binding}, now)
                cur = _order_row(conn, oid)
    except SupervisionError:
        raise
    except IntegrityError as e:  # another action took this version at the same moment
        with eng.connect() as conn:
            raise _conflict(_order_row(conn, oid), action, v, rs.ref, now) from e
    except DBAPIError as e:
        raise WriteFailed(failed) from e
    if refused:
        raise refused[1]
    od = _describe(cur, rs.ref, now)
    return Result(oid, od["code"], int(od["version"]), now, f"已{label}：{od['code']}", od)


def _conflict(cur: dict, action: str, version: int, ref, now) -> Conflict:
    od = _describe(cur, ref, now)
    label = _ACTIONS[action][3]
    if od["version"] != version:
        return Conflict(f"该督办在您打开页面后已有新的办理，当前状态为「{od['state_name']}」。页面已显示最新状态，请确认后再"
                        f"操作；您的「{label}」未被记录。", od, "stale")
    return Conflict(f"该督办当前状态为「{od['state_name']}」，不能{label}。", od, "state")


def reply(actor: Actor, order_id: Any, text: Any, *, version: Any, engine: Engine | None = None,
          now: dt.datetime | None = None) -> Result:
    """The addressee's answer (在办 → 已反馈); text ≤ ``REPLY_MAX`` characters."""
    return _act("reply", actor, order_id, version, clean_text(text, "反馈内容", REPLY_MAX), engine=engine, now=now)


def return_(actor: Actor, order_id: Any, reason: Any, *, version: Any, engine: Engine | None = None,
            now: dt.datetime | None = None) -> Result:
    """The issuer sends the answer back (已反馈 → 在办) with a reason."""
    return _act("return", actor, order_id, version, clean_text(reason, "退回理由", INSTRUCTION_MAX), engine=engine,
                now=now)


def close(actor: Actor, order_id: Any, *, version: Any, note: Any = "", engine: Engine | None = None,
          now: dt.datetime | None = None) -> Result:
    """The issuer closes the order (已反馈 → 办结); an optional note."""
    return _act("close", actor, order_id, version, clean_text(note, "办结意见", INSTRUCTION_MAX, required=False),
                engine=engine, now=now)


# --- figures ------------------------------------------------------------------------------------------------------

def _figure_columns(rs, T, suffix: str = ""):
    def n(cond, name):
        return count_where(cond, name + suffix)

    created = and_(SO.c.created_at <= T, rs.recorded_filter(SO))
    in_period = and_(created, rs.period_filter(SO.c.created_at))
    closed = and_(SO.c.closed_at.is_not(None), SO.c.closed_at <= T)
    open_ = and_(created, ~closed)
    answered = and_(SO.c.answered_at.is_not(None), SO.c.answered_at <= T)
    return [n(in_period, "sent"), n(and_(in_period, closed), "closed"), n(open_, "open"),
            n(and_(open_, answered), "answered"), n(and_(open_, ~answered, SO.c.deadline < T), "overdue")]


def _cutoff(rs, now) -> dt.datetime:
    """The moment the figures are taken at: the scope's cut-off, but never later than now (a period that runs
    past today counts no order overdue that is not overdue yet)."""
    at = memo.moment(now)
    return min(rs.cutoff, at) if rs.cutoff else at


def _fill(d: dict) -> dict:
    out = {k: int(d.get(k) or 0) for k in ("sent", "closed", "open", "answered", "overdue")}
    out["closed_rate"] = pct(out["closed"], out["sent"])
    return out


@shared
def summary(scope: Scope, *, engine: Engine | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """督办 in the scope (by the addressee's region): ``sent`` and ``closed`` (sent in the period, closed by the
    cut-off), ``closed_rate``, ``open`` (not closed at the cut-off, whenever sent), ``answered`` (of those, answered),
    ``overdue`` (of those, waiting for the reply past the deadline). 口径: ``FIGURES`` below."""
    eng, rs = prepare(scope, engine)
    T = literal(_cutoff(rs, now), DateTime)
    return _fill(row(select(*_figure_columns(rs, T)).where(rs.region_filter(SO)), eng))


def summaries(scopes: list[Scope], *, engine: Engine | None = None, now: dt.datetime | None = None,
              partial: bool = False) -> list[dict[str, Any] | None]:
    """``[summary(s, now=now) for s in scopes]`` in one statement for the scopes of the first one's region (one
    pass over its orders, each scope's figures in columns of their own: the comparisons' dozen moments of 在办 and
    超期 and the periods of 办结率, instead of a statement each). A scope of another region is ``summary(s)``, or
    with ``partial`` None."""
    if not scopes:
        return []
    eng, resolved, batch = one_place(scopes, engine, industry=False)  # orders have no industry
    cols = [c for j, i in enumerate(batch)
            for c in _figure_columns(resolved[i], literal(_cutoff(resolved[i], now), DateTime), f"_{j}")]
    got = row(select(*cols).where(resolved[0].region_filter(SO)), eng)
    out: list[dict[str, Any] | None] = [None] * len(scopes)
    for j, i in enumerate(batch):
        out[i] = _fill({k: got[f"{k}_{j}"] for k in ("sent", "closed", "open", "answered", "overdue")})
    return [r if r is not None or partial else summary(s, engine=eng, now=now) for s, r in zip(scopes, out)]


summary.many = summaries  # type: ignore[attr-defined]


FIGURES = declare("supervision", summary, basis="period", figures=[
    fig("sent", "督办件数", "件", PERIOD + "发出的督办单数（按受办地区统计）", better=None),
    fig("closed", "已办结督办", "件", PERIOD + "发出、截至截止时间已由发出人审核办结的督办单数", better="up"),
    fig("closed_rate", "督办办结率", "%", PERIOD + "发出的督办单中，截至截止时间已办结的 ÷ 发出的督办单数", better="up", base="sent",
        short="办结率"),
    fig("open", "在办督办", "件", "截至截止时间（或当前）已发出、尚未办结的督办单数（含已反馈待审核的），不论何时发出",
        better="down", basis="cutoff", short="督办在办", moment=True),
    fig("overdue", "超期督办", "件", "截至截止时间（或当前）尚未办结、且超过办理期限仍未反馈的督办单数（退回重办的以最近一次"
        "反馈为准）", better="down", basis="cutoff", short="督办超期", moment=True),
])


def by_region(scope: Scope, *, engine: Engine | None = None, now: dt.datetime | None = None) -> pd.DataFrame:
    """``summary`` per child region (cities of the province, counties of a city; a county: itself); at a city, the
    orders addressed to the city itself are a row ``<city>（市本级）`` (adcode: the city's) after its counties.
    Columns ``adcode, name, sent, closed, closed_rate, open, answered, overdue``."""
    eng, rs = prepare(scope, engine)
    T = literal(_cutoff(rs, now), DateTime)
    g = rs.group_column(SO)
    df = frame(select(g.label("adcode"), *_figure_columns(rs, T)).where(rs.region_filter(SO)).group_by(g), eng)
    own = df[df["adcode"].isna()] if not df.empty else df
    df = df[df["adcode"].notna()].astype({"adcode": int}) if not df.empty else df
    out = name_children(df, rs)
    cols = ["adcode", "name", "sent", "closed", "closed_rate", "open", "answered", "overdue"]
    rows = [dict(r, **_fill(r)) for r in out.to_dict("records")]
    if rs.level == "city" and not own.empty:
        rows.append({"adcode": rs.city, "name": f"{rs.ref.name(rs.city)}（市本级）", **_fill(own.iloc[0].to_dict())})
    return pd.DataFrame(rows, columns=cols) if rows else pd.DataFrame({c: [] for c in cols})


# --- list checks --------------------------------------------------------------------------------------------------

CHECK_COLUMNS = ["id", "list_kind", "entry_id", "enterprise_id", "city_adcode", "county_adcode", "finding",
                 "verified_on", "verified_by", "verify_note", "notice_no", "notice_deadline", "noticed_by",
                 "rectified_on", "followed_by", "version", "updated_at"]


@dataclass(frozen=True)
class CheckResult:
    list_kind: str
    entry_id: int
    version: int
    message: str
    check: dict = field(default_factory=dict)


def _list_kind(kind: Any) -> str:
    if kind not in LIST_KINDS:
        raise InvalidInput("未知的名单")
    return kind


def _entry_table(kind: str):
    return (RR, RR.c.key_control.is_(True)) if kind == "key_control" else (WL, literal(True))


def _check_row(conn, kind: str, eid: int) -> dict | None:
    r = conn.execute(select(LC).where(LC.c.list_kind == kind, LC.c.entry_id == eid)).mappings().first()
    return dict(r) if r else None


def _check_prelude(actor: Actor, kind: Any, entry_id: Any, action: str, eng: Engine, now: dt.datetime):
    kind = _list_kind(kind)
    if actor.role not in CHECK_ROLES:
        _refuse(eng, actor, action, entry_id, "role", now, CHECK_REFUSED)
        raise NotPermitted(f"{ROLE_NAMES.get(actor.role, actor.role)}账号不能办理名单核查（由监管人员或市级账号办理本地区的名单）")
    try:
        rs = _actor_scope(actor, eng)
    except ScopeError:
        _refuse(eng, actor, action, entry_id, "bad_binding", now, CHECK_REFUSED)
        raise OutOfScope(ENTRY_OUT_OF_SCOPE) from None
    except DBAPIError as e:
        raise WriteFailed("数据库暂时无法完成本次操作，请稍后重试") from e
    eid = _parse_id(entry_id)
    t, on_list = _entry_table(kind)
    entry = None
    if eid is not None:
        try:
            entry = row(select(t.c.id, t.c.enterprise_id, t.c.city_adcode, t.c.county_adcode)
                        .where(t.c.id == eid, on_list, rs.region_filter(t)), eng)
        except DBAPIError as e:
            raise WriteFailed("数据库暂时无法完成本次操作，请稍后重试") from e
    if not entry:
        _refuse(eng, actor, action, entry_id, "out_of_scope", now, CHECK_REFUSED)
        raise OutOfScope(ENTRY_OUT_OF_SCOPE)
    return kind, eid, entry


def verify_entry(actor: Actor, list_kind: Any, entry_id: Any, finding: Any, verified_on: Any, note: Any = "", *,
                 engine: Engine | None = None, now: dt.datetime | None = None) -> CheckResult:
    """On-site verification of one list entry (属实 / 不属实, the date, by the actor); once per entry."""
    eng = engine or db.get_engine()
    now = _now(now)
    kind, eid, entry = _check_prelude(actor, list_kind, entry_id, "verify", eng, now)
    if finding not in CHECK_FINDINGS:
        raise InvalidInput("请选择核查结论：属实或不属实")
    day = _to_date(verified_on, "核查日期")
    if not dt.date(2000, 1, 1) <= day <= now.date():
        raise InvalidInput("核查日期不能晚于今天")
    text = clean_text(note, "核查情况", NOTE_MAX, required=False)
    try:
        with eng.begin() as conn:
            conn.execute(insert(LC).values(
                list_kind=kind, entry_id=eid, enterprise_id=entry["enterprise_id"], city_adcode=entry["city_adcode"],
                county_adcode=entry["county_adcode"], finding=finding, verified_on=day,
                verified_by=actor.username[:32], verify_note=text, version=1, updated_at=now, recorded_at=now))
            audit.append(conn, CHECK_EVENT, actor.username, {"list": kind, "entry": eid, "action": "verify",
                                                             "finding": finding, "version": 1, "role": actor.role}, now)
            c = _check_row(conn, kind, eid)
    except IntegrityError as e:  # verified already (or at the same moment)
        with eng.connect() as conn:
            cur = _check_row(conn, kind, eid)
        raise Conflict("该条目已核查（页面已显示最新状态），您的核查未被记录", cur, "stale") from e
    except DBAPIError as e:
        raise WriteFailed("数据库暂时无法完成本次操作，核查未被记录，请稍后重试") from e
    return CheckResult(kind, eid, 1, f"已记录核查结论：{CHECK_FINDINGS[finding]}", c)


def _check_update(actor: Actor, kind: str, eid: int, version: Any, need, values: dict, action: str, label: str,
                  eng: Engine, now: dt.datetime) -> CheckResult:
    v = _version(version)
    try:
        with eng.begin() as conn:
            r = conn.execute(update(LC).where(LC.c.list_kind == kind, LC.c.entry_id == eid, LC.c.version == v, need)
                             .values(**values, version=LC.c.version + 1, updated_at=now)
                             .returning(LC.c.version)).first()
            if r is None:
                cur = _check_row(conn, kind, eid)
                if cur is None:
                    raise Conflict(f"该条目尚未核查，不能{label}", None, "state")
                if cur["version"] != v:
                    raise Conflict(f"该条目在您打开页面后已有新的办理，您的「{label}」未被记录", cur, "stale")
                raise Conflict(f"该条目当前不能{label}（{label}须在核查属实、下达整改通知后依次办理，且只办理一次）", cur,
                               "state")
            audit.append(conn, CHECK_EVENT, actor.username, {"list": kind, "entry": eid, "action": action,
                                                             "version": r[0], "role": actor.role}, now)
            c = _check_row(conn, kind, eid)
    except SupervisionError:
        raise
    except DBAPIError as e:
        raise WriteFailed(f"数据库暂时无法完成本次操作，「{label}」未被记录，请稍后重试") from e
    return CheckResult(kind, eid, int(c["version"]), f"已{label}", c)


def issue_notice(actor: Actor, list_kind: Any, entry_id: Any, notice_no: Any, deadline: Any, *, version: Any,
                 engine: Engine | None = None, now: dt.datetime | None = None) -> CheckResult:
    """The rectification notice (number, deadline) of an entry verified 属实; once."""
    eng = engine or db.get_engine()
    now = _now(now)
    kind, eid, _ = _check_prelude(actor, list_kind, entry_id, "notice", eng, now)
    no = clean_text(notice_no, "整改通知书编号", NOTICE_NO_MAX, multiline=False)
    due = _to_date(deadline, "整改期限")
    if not now.date() - dt.timedelta(days=MAX_DEADLINE_DAYS) <= due <= now.date() + dt.timedelta(days=MAX_DEADLINE_DAYS):
        raise InvalidInput("整改期限超出范围（前后一年之内）")
    need = and_(LC.c.finding == "substantiated", LC.c.notice_no.is_(None), LC.c.verified_on <= due)
    return _check_update(actor, kind, eid, version, need, {"notice_no": no, "notice_deadline": due,
                                                           "noticed_by": actor.username[:32]},
                         "notice", "下达整改通知", eng, now)


def follow_up(actor: Actor, list_kind: Any, entry_id: Any, rectified_on: Any, *, version: Any,
              engine: Engine | None = None, now: dt.datetime | None = None) -> CheckResult:
    """The follow-up check: 整改完成 on ``rectified_on`` (after the notice); once."""
    eng = engine or db.get_engine()
    now = _now(now)
    kind, eid, _ = _check_prelude(actor, list_kind, entry_id, "follow_up", eng, now)
    day = _to_date(rectified_on, "整改完成日期")
    if day > now.date():
        raise InvalidInput("整改完成日期不能晚于今天")
    need = and_(LC.c.notice_no.is_not(None), LC.c.rectified_on.is_(None), LC.c.verified_on <= day)
    return _check_update(actor, kind, eid, version, need, {"rectified_on": day, "followed_by": actor.username[:32]},
                         "follow_up", "复查确认整改完成", eng, now)


def check_state(list_kind: Any, entry_id: Any, scope: Scope, *, engine: Engine | None = None) -> dict | None:
    """The check of one entry in the scope (None: not yet verified); ``ScopeError`` outside the scope."""
    eng, rs = prepare(scope, engine)
    kind = _list_kind(list_kind)
    eid = _parse_id(entry_id)
    t, on_list = _entry_table(kind)
    if eid is None or not row(select(t.c.id).where(t.c.id == eid, on_list, rs.region_filter(t)), eng):
        raise OutOfScope(ENTRY_OUT_OF_SCOPE)
    with eng.connect() as conn:
        return _check_row(conn, kind, eid)


def _entries_filter(kind: str, rs):
    if kind == "key_control":
        return and_(rs.where(RR), rs.until_cutoff(RR.c.submitted_at), RR.c.key_control.is_(True))
    return rs.where(WL, "listed_on")


CHECK_STATES = {"pending": "待核查", "unfounded": "不属实", "substantiated": "属实，待下达整改通知",
                "noticed": "已下达整改通知", "rectified": "整改完成"}


def _blank(v: Any) -> bool:
    return v is None or (not isinstance(v, str) and pd.isna(v))


def _day(v: Any) -> dt.date | None:
    if _blank(v):
        return None
    if isinstance(v, str):
        return dt.date.fromisoformat(v[:10])
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return v.date()
    return v


def check_status(check: dict | None, *, today: dt.date | None = None) -> dict[str, Any]:
    """Where an entry's check stands (a ``list_checks`` row, or None: not verified): ``state`` (a key of
    ``CHECK_STATES``: pending → substantiated | unfounded; substantiated → noticed → rectified), ``state_name`` and
    ``overdue`` (a notice whose deadline has passed ``today`` without the follow-up confirming 整改完成)."""
    c = check or {}
    today = today or dt.date.today()
    if _blank(c.get("finding")):
        state = "pending"
    elif c["finding"] == "unfounded":
        state = "unfounded"
    elif not _blank(c.get("rectified_on")):
        state = "rectified"
    elif not _blank(c.get("notice_no")):
        state = "noticed"
    else:
        state = "substantiated"
    due = _day(c.get("notice_deadline"))
    overdue = bool(state == "noticed" and due is not None and due < today)
    return {"state": state, "state_name": CHECK_STATES[state], "overdue": overdue}


def _user_names(eng: Engine, names) -> dict[str, str]:
    """Display names of the accounts among ``names`` (a name without an account stays as it is)."""
    wanted = sorted({str(n) for n in names if not _blank(n)})
    if not wanted:
        return {}
    df = frame(select(U.c.username, U.c.display_name).where(U.c.username.in_(wanted)), eng)
    return {u: (d or u) for u, d in zip(df["username"], df["display_name"])}


_PEOPLE = ("verified_by", "noticed_by", "followed_by")


def _entry_columns(kind: str, t):
    listed = RR.c.submitted_at if kind == "key_control" else WL.c.listed_on
    own = [RR.c.zero_risk] if kind == "key_control" else [WL.c.reason, WL.c.pushed_to]
    return listed, [t.c.id.label("entry_id"), t.c.enterprise_id, E.c.name.label("enterprise"), t.c.county_adcode,
                    t.c.sector_code, listed.label("listed"), *own, LC.c.finding, LC.c.verified_on, LC.c.verified_by,
                    LC.c.notice_no, LC.c.notice_deadline, LC.c.noticed_by, LC.c.rectified_on, LC.c.followed_by,
                    LC.c.updated_at, func.coalesce(LC.c.version, 0).label("version")]


def _describe_entries(df: pd.DataFrame, rs, eng: Engine, today: dt.date | None) -> pd.DataFrame:
    df.insert(3, "county", [rs.ref.name(int(a)) for a in df["county_adcode"]])
    df.insert(4, "sector", [rs.ref.industries[s].name if s in rs.ref.industries else s for s in df["sector_code"]])
    df["finding_name"] = [CHECK_FINDINGS.get(f, "未核查") if isinstance(f, str) else "未核查" for f in df["finding"]]
    names = _user_names(eng, [v for c in _PEOPLE for v in df[c]])
    for c in _PEOPLE:
        df[f"{c}_name"] = [None if _blank(v) else names.get(v, v) for v in df[c]]
    # (only the columns check_status reads: DataFrame.to_dict of every column cost ~8 % of the risk page's run)
    status = [check_status(r, today=today)
              for r in df[["finding", "rectified_on", "notice_no", "notice_deadline"]].to_dict("records")]
    for k in ("state", "state_name", "overdue"):
        df[k] = [s[k] for s in status]
    for c in ("verified_on", "notice_deadline", "rectified_on"):
        df[c] = [_day(v) for v in df[c]]
    return df.drop(columns=["county_adcode", "sector_code"])


OVERDUE_STATE = "overdue"  # a filter of ``entries``: notices past their deadline (state noticed, ``overdue``)


def _state_sql():
    """``check_status``'s state of a list entry, in SQL (the entry's check row joined, or none: pending)."""
    return case((LC.c.finding.is_(None), "pending"), (LC.c.finding == "unfounded", "unfounded"),
                (LC.c.rectified_on.is_not(None), "rectified"), (LC.c.notice_no.is_not(None), "noticed"),
                else_="substantiated")


def _overdue_sql(today: dt.date):
    """``check_status``'s ``overdue``, in SQL."""
    return and_(_state_sql() == "noticed", LC.c.notice_deadline < today)


def _entries_from(kind: str):
    t, _ = _entry_table(kind)
    return t, t.join(E, E.c.id == t.c.enterprise_id).outerjoin(
        LC, and_(LC.c.list_kind == kind, LC.c.entry_id == t.c.id))


def entries(list_kind: Any, scope: Scope, *, engine: Engine | None = None, limit: int = 500,
            today: dt.date | None = None, state: str | None = None) -> pd.DataFrame:
    """The list's entries in the scope (as the list's pages count them), newest first, with their checks as they
    stand now: ``entry_id, enterprise_id, enterprise, county, sector, listed`` (submitted / listed on), for the
    key-control list ``zero_risk``, for the “不放心” list ``reason, pushed_to``; then ``finding, verified_on,
    verified_by, notice_no, notice_deadline, noticed_by, rectified_on, followed_by, updated_at, version`` (version 0:
    not checked yet), ``finding_name``, ``verified_by_name, noticed_by_name, followed_by_name`` (display names),
    ``state, state_name, overdue`` (``check_status``). ``state``: only the entries in that state (a key of
    ``CHECK_STATES``, or ``OVERDUE_STATE``), the newest ``limit`` of them."""
    eng, rs = prepare(scope, engine)
    kind = _list_kind(list_kind)
    today = today or dt.date.today()
    t, j = _entries_from(kind)
    listed, cols = _entry_columns(kind, t)
    where = [_entries_filter(kind, rs)]
    if state == OVERDUE_STATE:
        where.append(_overdue_sql(today))
    elif state is not None:
        if state not in CHECK_STATES:
            raise ValueError(f"unknown check state: {state!r}")
        where.append(_state_sql() == state)
    df = frame(select(*cols).select_from(j).where(*where).order_by(listed.desc(), t.c.id.desc())
               .limit(_limit(limit)), eng)
    return _describe_entries(df, rs, eng, today)


def entry_counts(list_kind: Any, scope: Scope, *, engine: Engine | None = None,
                 today: dt.date | None = None) -> dict[str, int]:
    """How many of the list's entries in the scope stand in each check state now (the states ``entries`` gives
    them): ``all``, each key of ``CHECK_STATES`` and ``OVERDUE_STATE`` — every entry, not only those a bounded
    list shows."""
    eng, rs = prepare(scope, engine)
    kind = _list_kind(list_kind)
    today = today or dt.date.today()
    t, _ = _entry_table(kind)
    # (the entries and their checks alone: the enterprises' names are the list's, not the counts')
    j = t.outerjoin(LC, and_(LC.c.list_kind == kind, LC.c.entry_id == t.c.id))
    state = _state_sql()

    n = count_where

    r = row(select(func.count().label("all"), *[n(state == s, s) for s in CHECK_STATES],
                   n(_overdue_sql(today), OVERDUE_STATE)).select_from(j).where(_entries_filter(kind, rs)), eng)
    return {k: int(v or 0) for k, v in r.items()}


def entry(list_kind: Any, entry_id: Any, scope: Scope, *, engine: Engine | None = None,
          today: dt.date | None = None) -> dict[str, Any]:
    """One entry of the list in the scope's region (whatever the period) with its check: the columns of ``entries``
    plus ``list_kind`` and ``verify_note``. A nonexistent, malformed or foreign id: ``OutOfScope``
    (``ENTRY_OUT_OF_SCOPE``, a ``ScopeError``), the same message for each."""
    eng, rs = prepare(scope, engine)
    kind = _list_kind(list_kind)
    eid = _parse_id(entry_id)
    _, on_list = _entry_table(kind)
    t, j = _entries_from(kind)
    _, cols = _entry_columns(kind, t)
    df = pd.DataFrame()
    if eid is not None:
        df = frame(select(*cols, LC.c.verify_note).select_from(j)
                   .where(t.c.id == eid, on_list, rs.region_filter(t)), eng)
    if df.empty:
        raise OutOfScope(ENTRY_OUT_OF_SCOPE)
    out = _describe_entries(df, rs, eng, today).iloc[0].to_dict()
    out["list_kind"] = kind
    out["version"] = int(out["version"])
    return {k: (None if _blank(v) else v) for k, v in out.items()}


def _rate_columns(kind: str, rs):
    n = count_where

    verified = and_(LC.c.id.is_not(None), rs.until_cutoff(LC.c.verified_on), rs.recorded_filter(LC))
    sub = and_(verified, LC.c.finding == "substantiated")
    return [func.count().label("entries"), n(verified, "verified"), n(sub, "substantiated"),
            n(and_(verified, LC.c.finding == "unfounded"), "unfounded"),
            n(and_(sub, LC.c.notice_no.is_not(None)), "noticed"),
            n(and_(sub, LC.c.rectified_on.is_not(None), rs.until_cutoff(LC.c.rectified_on)), "rectified")]


def _rates(d: dict) -> dict:
    out = {k: int(d.get(k) or 0) for k in ("entries", "verified", "substantiated", "unfounded", "noticed",
                                           "rectified")}
    out["verified_rate"] = pct(out["verified"], out["entries"])
    out["rectified_rate"] = pct(out["rectified"], out["substantiated"])
    return out


@shared
def check_rates(list_kind: Any, scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """核查率 and 整改完成率 of a list in the scope (see the module doc)."""
    eng, rs = prepare(scope, engine)
    kind = _list_kind(list_kind)
    t, _ = _entry_table(kind)
    j = t.outerjoin(LC, and_(LC.c.list_kind == kind, LC.c.entry_id == t.c.id))
    return _rates(row(select(*_rate_columns(kind, rs)).select_from(j).where(_entries_filter(kind, rs)), eng))


def check_rates_by_region(list_kind: Any, scope: Scope, *, engine: Engine | None = None) -> pd.DataFrame:
    """``check_rates`` per child region: ``adcode, name`` first."""
    eng, rs = prepare(scope, engine)
    kind = _list_kind(list_kind)
    t, _ = _entry_table(kind)
    g = rs.group_column(t)
    j = t.outerjoin(LC, and_(LC.c.list_kind == kind, LC.c.entry_id == t.c.id))
    df = frame(select(g.label("adcode"), *_rate_columns(kind, rs)).select_from(j)
               .where(_entries_filter(kind, rs)).group_by(g), eng)
    out = name_children(df, rs)
    cols = ["adcode", "name", "entries", "verified", "substantiated", "unfounded", "noticed", "rectified",
            "verified_rate", "rectified_rate"]
    return pd.DataFrame([dict(r, **_rates(r)) for r in out.to_dict("records")], columns=cols)


def key_control_checks(scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """``check_rates`` of the risk key-control list (the catalogue's source of its 核查率 and 整改完成率)."""
    return check_rates("key_control", scope, engine=engine)


FIGURES += declare("supervision", key_control_checks, basis="cutoff", figures=[
    fig("key_control_verified_rate", "重点管控清单核查率", "%", "截至截止时间纳入风险报告重点管控清单的报告中，已现场核查（属实"
        "或不属实）的 ÷ 清单报告数", better="up", field="verified_rate", short="管控清单核查率",
        base="entries"),
    fig("key_control_rectified_rate", "重点管控清单整改完成率", "%", "重点管控清单中现场核查属实（瞒报漏报）的报告，截至截止时间"
        "经复查确认整改完成的 ÷ 核查属实数", better="up", field="rectified_rate", short="管控清单整改完成率",
        base="substantiated"),
])


def watchlist_checks(scope: Scope, *, engine: Engine | None = None) -> dict[str, Any]:
    """``check_rates`` of the “不放心” list (the catalogue's source of its 核查率 and 整改完成率)."""
    return check_rates("watchlist", scope, engine=engine)


FIGURES += declare("supervision", watchlist_checks, basis="period", figures=[
    fig("watchlist_verified_rate", "“不放心”名单核查率", "%", PERIOD + "列入“不放心”名单的企业中，截至截止时间已现场核查"
        "（属实或不属实）的 ÷ 列入数", better="up", field="verified_rate", short="不放心名单核查率",
        base="entries"),
    fig("watchlist_rectified_rate", "“不放心”名单整改完成率", "%", PERIOD + "列入“不放心”名单、现场核查属实的企业中，截至截止"
        "时间经复查确认整改完成的 ÷ 核查属实数", better="up", field="rectified_rate", short="不放心名单整改完成率",
        base="substantiated"),
])


__all__ = ["Actor", "actor_of", "SupervisionError", "InvalidInput", "NotPermitted", "OutOfScope", "Conflict",
           "WriteFailed", "Result", "Subject", "view_subject", "campaign_subject", "enterprise_subject",
           "warning_subject", "text_subject", "view_params", "send", "reply", "return_", "close", "inbox", "counts",
           "outbox", "listing", "order", "events", "allowed_actions", "summary", "by_region", "FIGURES",
           "CheckResult", "verify_entry", "issue_notice", "follow_up", "check_state", "entries", "entry",
           "check_status", "CHECK_STATES", "check_rates", "check_rates_by_region", "key_control_checks",
           "watchlist_checks", "INSTRUCTION_MAX", "REPLY_MAX"]
