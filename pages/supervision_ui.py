"""督办 fragments the pages share (a module, not a page script: importing it draws nothing).

- ``send_button(ctx, subject, title, …)``: a button that opens the send form (a dialog: addressee — the cities and
  counties the user may send to —, the subject, 批示, deadline) for one subject; only for the roles that may send
  (``queries.supervision.SEND_ROLES``; the duty room about warnings only) and only where an addressee is possible.
  The form posts once (a double click sends one order); a refusal or a database failure is said inside the form,
  which keeps what was typed; a sent order closes the form and ``send_flash(ctx)`` says so once, with a link to it.
- ``header_action``: the button of every topic page's region header (registered by ``pages.app`` with
  ``pages.common.add_header_action``): the subject is the view on screen (``view_subject``: page, region,
  industry, period, as-of).
- ``nav_title(user)``: the navigation's title of the 督办 page with the number of orders waiting for the user
  (``counts``), cached for a few seconds and left out whenever the database does not answer.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from typing import Any, Callable, Iterable

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from pages.common import PAGES_DIR, engine, plain, user
from queries import db
from queries import supervision as SV
from queries.labels import SUBJECT_KINDS
from queries.regions import reference
from queries.scope import Scope, ScopeError, resolve

PAGE_FILE = "supervision.py"  # the 督办 page
NAV_TITLE = "督办"
SEND_LABEL = "发督办单"
SEND_ICON = ":material/assignment_late:"
OPEN = "sv_send_open"  # (ctx, page) of the send form now open: one at a time
NONCE = "sv_send_nonce"  # {ctx: nonce}: the open form's widget keys; a new opening starts empty
POSTED = "sv_send_posted"  # nonces of forms that sent: a form never sends twice
FLASH = "sv_send_flash"  # {ctx: (message, order id)}: said once after the rerun that closes the form
ERROR = "sv_send_error"  # {ctx: message}: said inside the open form
DB_DOWN = "数据库暂时不可用，督办未发出。请稍后重试。"
# the 督办 list's tabs (pages/supervision.py): the open one's label is kept in the session under TAB_KEY
TAB_KEY, ALL_TAB = "sv_tab", "全部督办"
TAB_REGION = "sv_tab_region"  # the region the list was last drawn for (a link filtering it opens 全部督办 once)
DB_ERRORS = (SQLAlchemyError, OSError)
# a page that shows one object (?warning=, ?enterprise=) offers that object's 督办, not the header's view
OBJECT_PARAMS = ("warning", "enterprise")


# --- who may send to whom -------------------------------------------------------------------------------------------

def addressees(actor: SV.Actor, within: Iterable[int] | None = None) -> list[int]:
    """The cities and counties ``actor`` may send a 督办 to (``queries.supervision`` decides again on sending),
    cities in adcode order each followed by its counties; ``within``: only these (a subject's own regions)."""
    if actor.role not in SV.SEND_ROLES:
        return []
    ref = reference(engine())
    out = []
    for c in sorted(ref.cities(), key=lambda d: d.adcode):
        for d in [c, *sorted(ref.children(c.adcode), key=lambda d: d.adcode)]:
            if actor.role in ("leader", "duty"):
                ok = actor.binding is None or ref.contains(actor.binding, d.adcode)
            else:  # a city account: the counties of its city
                ok = actor.binding is not None and d.level == "county" and ref.contains(actor.binding, d.adcode)
            if ok:
                out.append(d.adcode)
    if within is not None:
        keep = set(within)
        out = [a for a in out if a in keep]
    return out


def as_text(value: Any) -> str:
    """Stored text for ``st.text``: control and format characters (bidi overrides, zero-width, escape sequences)
    shown as escapes (``\\u202e``), line breaks and tabs kept; everything else exactly as typed."""
    import unicodedata

    s = "" if value is None else str(value)
    return "".join(ch if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
                   else ch.encode("unicode_escape").decode("ascii") for ch in s)


def region_label(adcode: int) -> str:
    ref = reference(engine())
    d = ref.divisions.get(adcode)
    if d is None:
        return str(adcode)
    return d.name if d.level != "county" else f"{ref.name(d.city)} · {d.name}"


def may_send(subject: SV.Subject):
    """The signed-in user as an actor if they may send about ``subject``, else None."""
    u = user()
    if u is None or u.role not in SV.SEND_ROLES:
        return None
    if u.role == "duty" and subject.kind != "warning":
        return None
    return SV.actor_of(u)


# --- the send form --------------------------------------------------------------------------------------------------

def send_button(ctx: str, subject: SV.Subject, title: str, *, within: Iterable[int] | None = None,
                default: int | Iterable[int | None] | None = None, label: str = SEND_LABEL,
                help: str | None = None) -> bool:
    """The button that opens the send form about ``subject`` (``title``: what the form shows as the subject; for a
    view or free text, the editable title). ``ctx`` names this place on the page (one open form at a time);
    ``default``: the preferred addressee(s), the first the user may send to is chosen. False (nothing drawn) when
    the user may not send about it or there is nobody to send to."""
    actor = may_send(subject)
    if actor is None:
        return False
    try:
        options = addressees(actor, within)
    except DB_ERRORS:
        return False
    if not options:
        return False
    prefs = [default] if default is None or isinstance(default, int) else list(default)
    first = next((p for p in prefs if p in options), None)
    st.button(label, key=f"sv_send_btn_{ctx}", icon=SEND_ICON, on_click=_open, args=(ctx,),
              help=help or "向市、县（市、区）发出督办单：批示、办理期限，受办地区反馈后由您审核办结")
    if _is_open(ctx):
        _send_dialog(ctx, subject, title, options, first)
    return True


def _is_open(ctx: str) -> bool:
    """The form at ``ctx`` is open on this page (one left open on a page the user went away from stays shut) and
    has not sent yet."""
    ss = st.session_state
    return ss.get(OPEN) == (ctx, ss.get("oversight_page_path")) and \
        ss.get(NONCE, {}).get(ctx) not in ss.get(POSTED, set())


def _open(ctx: str) -> None:
    st.session_state[OPEN] = (ctx, st.session_state.get("oversight_page_path"))
    st.session_state.setdefault(NONCE, {})[ctx] = secrets.token_hex(6)
    st.session_state.setdefault(ERROR, {}).pop(ctx, None)


def _dismiss() -> None:
    st.session_state.pop(OPEN, None)


@st.dialog("发督办单", width="large", on_dismiss=_dismiss)
def _send_dialog(ctx: str, subject: SV.Subject, title: str, options: list[int], first: int | None) -> None:
    if not _is_open(ctx):  # sent (the callback closed it): close the dialog, the page says so
        st.rerun()
    nonce = st.session_state.get(NONCE, {}).get(ctx) or "0"
    err = st.session_state.get(ERROR, {}).get(ctx)
    with st.form(f"sv_send_form_{nonce}", border=False):
        if subject.kind in ("view", "text"):
            st.text_input("督办事项", value=title[:SV.TITLE_MAX], max_chars=SV.TITLE_MAX, key=f"sv_title_{nonce}")
            if subject.kind == "view":
                st.caption("督办单附带本页当前视图（页面、地区、行业、统计期和此刻的截止时间）的链接，受办地区打开即见您所见。")
        else:
            st.markdown(f"**督办事项**（{SUBJECT_KINDS.get(subject.kind, '')}）：{plain(title)}")
        st.selectbox("督办对象", options, index=options.index(first) if first in options else None,
                     format_func=region_label, placeholder="请选择市或县（市、区）", key=f"sv_to_{nonce}")
        st.text_area(f"批示（不超过 {SV.INSTRUCTION_MAX:,} 字）", max_chars=SV.INSTRUCTION_MAX, height=140,
                     key=f"sv_text_{nonce}", placeholder="例如：请核实有关情况，提出整改措施，按期反馈。")
        today = dt.date.today()
        st.date_input("办理期限", value=today + dt.timedelta(days=7), min_value=today,
                      max_value=today + dt.timedelta(days=SV.MAX_DEADLINE_DAYS - 1), format="YYYY-MM-DD",
                      key=f"sv_due_{nonce}", help="到期日当天 24 时前须反馈；最长一年")
        if err:
            st.error(plain(err))
        st.form_submit_button("发出督办", type="primary", on_click=_post, args=(ctx, subject, nonce))


def _post(ctx: str, subject: SV.Subject, nonce: str) -> None:
    """The form's callback: runs once per click, before the page is drawn again."""
    ss = st.session_state
    posted = ss.setdefault(POSTED, set())
    if nonce in posted:  # this very form has sent already (a double click)
        return
    errors = ss.setdefault(ERROR, {})
    flash = ss.setdefault(FLASH, {})
    to = ss.get(f"sv_to_{nonce}")
    if to is None:
        errors[ctx] = "请选择督办对象（市或县（市、区））"
        return
    if subject.kind in ("view", "text"):
        subject = dataclasses.replace(subject, title=ss.get(f"sv_title_{nonce}") or "")
    try:
        r = SV.send(SV.actor_of(user()), to, subject, ss.get(f"sv_text_{nonce}") or "", ss.get(f"sv_due_{nonce}"))
    except SV.WriteFailed:
        errors[ctx] = DB_DOWN
        return
    except SV.SupervisionError as e:  # bad input, not permitted: the form keeps what was typed
        errors[ctx] = str(e)
        return
    except DB_ERRORS:
        errors[ctx] = DB_DOWN
        return
    # Sent. From here no access to st.session_state itself: each is a point where Streamlit may stop the run for a
    # newer request, which would leave the form open over a sent order; the containers taken above say it all
    # (a posted form is closed: _is_open).
    posted.add(nonce)
    errors.pop(ctx, None)
    flash[ctx] = (r.message, r.order_id)
    nav_changed()


def send_flash(ctx: str) -> None:
    """What the send form at ``ctx`` did, once: the order sent, with a link to it."""
    said = st.session_state.get(FLASH, {}).pop(ctx, None)
    if said:
        message, oid = said
        st.success(plain(message), icon=":material/check_circle:")
        order_link(oid, "查看督办单 →")


def order_link(oid: int, label: str) -> None:
    try:
        st.page_link(PAGES_DIR / PAGE_FILE, label=label, query_params={"order": str(int(oid))})
    except Exception:  # noqa: BLE001 - the page is not registered for this role: no link
        pass


def warning_duban(scope: Scope, w: dict) -> bool:
    """督办该预警 on a warning's detail (预警分布 and the handling desk): to the city or the county that holds it."""
    wid, city, county = int(w["id"]), int(w["city_adcode"]), int(w["county_adcode"])
    ctx = f"warning_{wid}"
    drawn = send_button(ctx, SV.warning_subject(wid), f"{w['code']} {w['title']}", within=[city, county],
                        default=[scope.region, city, county], label="督办该预警",
                        help="就该预警向所在市或县（市、区）发出督办单，要求限期反馈处置情况")
    send_flash(ctx)
    return drawn


# --- the topic pages' header ----------------------------------------------------------------------------------------

def view_title(title: str, scope: Scope) -> str:
    """The title of a view order: the page, region, industry, period and as-of on screen."""
    desc = resolve(scope, engine()).describe()
    parts = [title, reference(engine()).name(scope.region)]
    if scope.industry:
        parts.append(desc["industry_name"])
    if desc["from"]:
        parts.append(f"{desc['from']} 至 {desc['to']}")
    if desc["as_of"]:
        parts.append(f"截至 {desc['as_of']}")
    return " · ".join(str(p) for p in parts)[:SV.TITLE_MAX]


def header_action(title: str, scope: Scope) -> Callable[[], None] | None:
    """The region header's 发督办单: about the view on screen (registered by pages.app for every topic page)."""
    if any(st.query_params.get(k) for k in OBJECT_PARAMS):
        return None
    page = st.session_state.get("oversight_page_path")
    if not page:
        return None
    subject = SV.view_subject(page, scope, "")
    try:
        subject = dataclasses.replace(subject, title=view_title(title, scope))
    except (ScopeError,) + DB_ERRORS:
        return None
    ctx = f"view_{page}"
    if not send_button(ctx, subject, subject.title, default=scope.region,
                       help="就本页当前视图（地区、行业、统计期）向市、县（市、区）发出督办单"):
        return None
    return lambda: send_flash(ctx)


# --- the navigation ---------------------------------------------------------------------------------------------

NAV_TTL = 10  # seconds: the title's count is at most this old (one's own actions refresh it at once)


@st.cache_data(ttl=NAV_TTL, max_entries=5000, show_spinner=False)
def _counts(db_url: str, username: str, role: str, binding: int | None) -> dict[str, int]:
    return SV.counts(SV.Actor(username, role, binding), engine=engine())


def waiting(u: Any) -> dict[str, int] | None:
    """``counts`` of the signed-in user (cached a few seconds); None while the database does not answer."""
    if u is None or u.role not in SV.SEND_ROLES | SV.REPLY_ROLES:
        return {"todo": 0, "overdue": 0, "to_reply": 0, "to_close": 0}
    try:
        return _counts(db.read_url(), u.username, u.role, u.binding)
    except (ScopeError,) + DB_ERRORS:
        return None


def nav_title(u: Any, *, live: bool = True) -> str:
    """督办（3）: the number of orders waiting for ``u``; plain 督办 when none, or when the database is not
    answering (``live`` False: known to be down, not even asked)."""
    c = waiting(u) if live else None
    n = int(c["todo"]) if c else 0
    return f"{NAV_TITLE}（{n}）" if n else NAV_TITLE


def nav_changed() -> None:
    """After one's own action: the next navigation counts afresh."""
    _counts.clear()
