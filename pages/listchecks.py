"""The work on a list, as 风险报告 (the key-control list) and 执法专项行动 (the “不放心” list) show it: each entry with
its check state (待核查 / 属实 / 不属实 / 已下达整改通知 with its number, deadline and 超期 / 整改完成), the list's 核查率
and 整改完成率 for the scope and per city or county (catalogue figures), and, for the entry selected
(``?entry=<id>``), its check record and the form of the next step: on-site verification (属实 / 不属实, date,
note), for 属实 the rectification notice (number, deadline), then the follow-up check (整改完成 date).

Officer and city accounts act in their area (``queries.supervision.CHECK_ROLES``); everyone else reads. Every form
posts the version the page drew from a form callback (``queries.supervision.verify_entry`` / ``issue_notice`` /
``follow_up``); what happened is said once on the redrawn page; a form is never posted twice; a step someone took
meanwhile is refused with the current state. The list and the rates are read live (not through the shared cache),
so a step shows at once."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.exc import DBAPIError, OperationalError

from pages.common import (
    child_label, engine, figure_help, figure_label, fmt, metric, page_link, parse_id, plain, primary, rate_column,
    scope_token, set_params, user,
)
from pages.ui import LATE_COLOUR, flagged, how_many, when
from queries import supervision as SV
from queries.scope import Scope, ScopeError

PARAM = "entry"  # ?entry=<id>: the selected entry of the page's list
DB_DOWN = "数据库暂时不可用，本次办理未保存。请稍后重试。"
FLASH = "lc_flash"  # (list kind, entry id, kind of message, text): said once after the rerun
POSTED = "lc_posted"  # (list kind, entry, action, version) posted in this session: a form never posts twice
NONCE = "lc_table_nonce"  # bumped when an entry is opened or closed: the table is drawn anew, without a selection
ALL = "all"
OVERDUE = SV.OVERDUE_STATE
SUBMIT = {"verify": "提交核查结论", "notice": "下达整改通知", "follow_up": "复查确认整改完成"}
STEP_TITLES = {"verify": "现场核查", "notice": "下达整改通知", "follow_up": "整改复查"}
NEXT_STEP = {"pending": "verify", "substantiated": "notice", "noticed": "follow_up"}


# the two lists: what the page calls them and the catalogue figures of their rates
LISTS: dict[str, dict[str, Any]] = {
    "key_control": {"key": "kc", "title": "重点管控清单", "listed": "提交时间", "unit": "家",
                    "verified": "supervision.key_control_verified_rate",
                    "rectified": "supervision.key_control_rectified_rate"},
    "watchlist": {"key": "wl", "title": "“不放心”企业名单", "listed": "列入日期", "unit": "家",
                  "verified": "supervision.watchlist_verified_rate",
                  "rectified": "supervision.watchlist_rectified_rate"},
}


def _missing(v: Any) -> bool:
    return v is None or (not isinstance(v, str) and pd.isna(v))


def _day(v: Any) -> str:
    return "—" if _missing(v) else str(v)[:10]


def state_text(state_name: str, overdue: bool) -> str:
    return f"{state_name}（超期）" if overdue else state_name


# --- rates ------------------------------------------------------------------------------------------------------

def rates(kind: str, scope: Scope) -> dict:
    """核查率 and 整改完成率 of the list for the scope (catalogue figures), and per child region in an expander.
    Returns ``queries.supervision.check_rates``."""
    spec = LISTS[kind]
    r = SV.check_rates(kind, scope, engine=engine())
    u = spec["unit"]
    cols = st.columns(4)
    metric(spec["verified"], r, where=cols[0],
           extra=f"已核查 {r['verified']:,} {u}（属实 {r['substantiated']:,}，不属实 {r['unfounded']:,}）÷ "
                 f"清单 {r['entries']:,} {u}")
    metric(spec["rectified"], r, where=cols[1],
           extra=f"整改完成 {r['rectified']:,} {u} ÷ 核查属实 {r['substantiated']:,} {u}；"
                 f"已下达整改通知 {r['noticed']:,} {u}")
    cols[2].metric("截至截止时间未核查", fmt(r["entries"] - r["verified"], u), border=True,
                   help=f"{spec['title']}中截至截止时间尚未现场核查的条目数")
    cols[3].metric("核查属实尚未整改完成", fmt(r["substantiated"] - r["rectified"], u), border=True,
                   help="截至截止时间核查属实、尚未经复查确认整改完成的条目数")
    kids = child_label(scope)
    with st.expander(f"各{kids}核查率、整改完成率"):
        reg = SV.check_rates_by_region(kind, scope, engine=engine())
        pcol = lambda key: rate_column(figure_label(key), help=figure_help(key))  # noqa: E731
        st.dataframe(reg[["name", "entries", "verified", "verified_rate", "substantiated", "rectified",
                          "rectified_rate"]], hide_index=True, key=f"{spec['key']}_rates_{scope_token(scope)}",
                     column_config={"name": kids, "entries": f"清单条目（{u}）", "verified": f"已核查（{u}）",
                                    "verified_rate": pcol(spec["verified"]), "substantiated": f"核查属实（{u}）",
                                    "rectified": f"整改完成（{u}）", "rectified_rate": pcol(spec["rectified"])})
    return r


# --- the list ---------------------------------------------------------------------------------------------------

def _filters(counts: dict[str, int]) -> dict[str, str]:
    """The state filter's choices with how many entries stand in each (all of them, not only those listed)."""
    out = {ALL: f"全部（{counts['all']:,}）"}
    for s, name in SV.CHECK_STATES.items():
        out[s] = f"{name}（{counts[s]:,}）"
    out[OVERDUE] = f"整改超期（{counts[SV.OVERDUE_STATE]:,}）"
    return out


def entry_list(kind: str, scope: Scope, *, limit: int = 500) -> pd.DataFrame:
    """The list with each entry's check state as it stands now; a state filter (read from the database: the list
    shows the newest ``limit`` entries of the chosen state, the filter counts every entry); selecting a row opens the
    entry (``?entry=<id>``). Returns the entries drawn."""
    spec = LISTS[kind]
    k = spec["key"]
    today = dt.date.today()  # (one day for the counts and the list, whenever midnight falls)
    counts = SV.entry_counts(kind, scope, engine=engine(), today=today)
    if not counts["all"]:
        st.info(f"当前范围内{spec['title']}为空。")
        return pd.DataFrame()
    opts = _filters(counts)
    pick = st.columns([2, 5])[0].selectbox("办理状态", list(opts), format_func=opts.get, key=f"{k}_state_filter",
                                           placeholder="请选择")
    shown = SV.entries(kind, scope, engine=engine(), limit=limit, state=None if pick == ALL else pick, today=today)
    if shown.empty:
        st.info("没有处于该办理状态的条目。")
        return shown
    table = pd.DataFrame({  # what to act on first: the enterprise, its state and the deadline
        "企业": shown["enterprise"],
        "办理状态": [state_text(n, o) for n, o in zip(shown["state_name"], shown["overdue"])],
        "整改期限": [_day(v) for v in shown["notice_deadline"]],
        "区县": shown["county"], "行业": shown["sector"], spec["listed"]: shown["listed"],
        **({"“零风险”报告": shown["zero_risk"].astype(bool)} if kind == "key_control" else
           {"列入原因": shown["reason"]}),
        "核查日期": [_day(v) for v in shown["verified_on"]],
        "核查人": [v if not _missing(v) else "—" for v in shown["verified_by_name"]],
        "整改通知书": [v if not _missing(v) else "—" for v in shown["notice_no"]],
        "整改完成日期": [_day(v) for v in shown["rectified_on"]],
    })
    # the state says 超期 and is red (a label's colour goes with its text: the same deadline can be past for an
    # entry still waiting and for one already rectified, so the deadline itself is not coloured)
    state = flagged(table, "办理状态", [LATE_COLOUR if x else None for x in shown["overdue"].astype(bool)],
                    width="medium")
    nonce = st.session_state.get(NONCE, 0)
    listed_col = (st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm") if kind == "key_control"
                  else st.column_config.DateColumn(format="YYYY-MM-DD"))
    sel = st.dataframe(table, hide_index=True, on_select="rerun", selection_mode="single-row",
                       height=min(400, 35 * (len(table) + 1) + 3), key=f"{k}_list_{scope_token(scope)}_{pick}_{nonce}",
                       column_config={spec["listed"]: listed_col, "办理状态": state,
                                      "“零风险”报告": st.column_config.CheckboxColumn("“零风险”报告")})
    total = counts[pick]  # (the filter's keys are the counts': all, each state, overdue)
    which = "" if pick == ALL else SV.CHECK_STATES.get(pick, "整改超期")
    st.caption(f"{which}{how_many(total, len(shown), '条', '最近')}。办理状态为当前状态（不随截止时间回溯），整改期限已过仍未复查确认整改完成的标红"
               "“超期”；核查率、整改完成率按截止时间统计。选中一行（点击行首方框）查看核查记录并办理。")
    rows = sel.selection.rows if sel and sel.selection else []
    if rows:
        st.session_state[NONCE] = nonce + 1
        set_params(**{PARAM: int(shown.iloc[rows[0]]["entry_id"])})
        st.rerun()
    return shown


# --- one entry: its record and the next step's form --------------------------------------------------------------

def _flash(kind: str, eid: int) -> None:
    said = st.session_state.get(FLASH)
    if said and said[0] == kind and said[1] == eid:
        del st.session_state[FLASH]
        _, _, how, text = said
        {"ok": st.success, "conflict": st.warning}.get(how, st.error)(plain(text))


def _post(kind: str, eid: int, action: str, version: int) -> None:
    """A form's callback: runs once per click, before the page is drawn again, with the version the page DREW and
    the form's values. What happened is said once on the redrawn page."""
    key = (kind, eid, action, version)
    posted = st.session_state.setdefault(POSTED, set())
    if key in posted:  # this very form was already posted (the version check would refuse it anyway)
        return
    k = f"{LISTS[kind]['key']}_{action}_{eid}_{version}"
    get = st.session_state.get
    actor = SV.actor_of(user())
    try:
        if action == "verify":
            r = SV.verify_entry(actor, kind, eid, get(f"{k}_finding"), get(f"{k}_day"), get(f"{k}_note") or "")
        elif action == "notice":
            r = SV.issue_notice(actor, kind, eid, get(f"{k}_no") or "", get(f"{k}_due"), version=version)
        else:
            r = SV.follow_up(actor, kind, eid, get(f"{k}_day"), version=version)
    except SV.Conflict as e:
        posted.add(key)
        now = SV.check_status(e.current)["state_name"] if e.current else "待核查"
        st.session_state[FLASH] = (kind, eid, "conflict", f"{e}（当前状态：{now}）")
    except (SV.InvalidInput, SV.NotPermitted, SV.OutOfScope) as e:
        st.session_state[FLASH] = (kind, eid, "error", str(e))  # the form keeps what was typed
    except (SV.WriteFailed, OperationalError, DBAPIError):
        st.session_state[FLASH] = (kind, eid, "error", DB_DOWN)
    else:
        posted.add(key)
        st.session_state[FLASH] = (kind, eid, "ok", r.message)


def _form(kind: str, e: dict, action: str) -> None:
    eid, version = int(e["entry_id"]), int(e["version"])
    k = f"{LISTS[kind]['key']}_{action}_{eid}_{version}"
    today = dt.date.today()
    verified = e.get("verified_on") or dt.date(2000, 1, 1)
    with st.form(k, clear_on_submit=False, border=True):
        if action == "verify":
            st.radio("核查结论", list(SV.CHECK_FINDINGS), format_func=SV.CHECK_FINDINGS.get, horizontal=True,
                     index=None, key=f"{k}_finding")
            st.date_input("核查日期", value=today, min_value=dt.date(2000, 1, 1), max_value=today,
                          format="YYYY-MM-DD", key=f"{k}_day")
            st.text_area("核查情况（可不填）", max_chars=SV.NOTE_MAX, height=100, key=f"{k}_note")
            st.caption("核查属实的，随后下达整改通知并复查整改情况；不属实的，核查即办结。")
        elif action == "notice":
            st.text_input("整改通知书编号", max_chars=SV.NOTICE_NO_MAX, key=f"{k}_no",
                          placeholder="如：宿应急责改〔2026〕12号")
            earliest = max(verified, today - dt.timedelta(days=SV.MAX_DEADLINE_DAYS))
            st.date_input("整改期限", value=max(today + dt.timedelta(days=30), verified), min_value=earliest,
                          max_value=today + dt.timedelta(days=SV.MAX_DEADLINE_DAYS), format="YYYY-MM-DD",
                          key=f"{k}_due")
        else:
            st.date_input("整改完成日期", value=max(today, verified), min_value=verified, max_value=max(today, verified),
                          format="YYYY-MM-DD", key=f"{k}_day")
            st.caption("经复查确认整改完成的日期；复查后本条目办结。")
        st.form_submit_button(SUBMIT[action], type="primary", on_click=_post, args=(kind, eid, action, version))


def _record(e: dict) -> None:
    """The entry's check so far: each step with its date and who took it; the verification note as text."""
    if e["state"] == "pending":
        st.caption("尚未现场核查。")
        return
    with st.container(border=True):
        st.markdown(f"**现场核查** · {plain(e['finding_name'])} · {_day(e['verified_on'])} · "
                    f"{plain(e.get('verified_by_name') or e.get('verified_by') or '—')}")
        if e.get("verify_note"):
            st.text(e["verify_note"])
    if e.get("notice_no"):
        with st.container(border=True):
            late = "（超期）" if e["overdue"] else ""
            st.markdown(f"**整改通知** · {plain(e['notice_no'])} · 整改期限 {_day(e['notice_deadline'])}{late} · "
                        f"{plain(e.get('noticed_by_name') or e.get('noticed_by') or '—')}")
            if e["overdue"]:
                st.error(f"整改期限 {_day(e['notice_deadline'])} 已过，尚未复查确认整改完成。")
    if e.get("rectified_on"):
        with st.container(border=True):
            st.markdown(f"**整改复查** · 整改完成 {_day(e['rectified_on'])} · "
                        f"{plain(e.get('followed_by_name') or e.get('followed_by') or '—')}")
    st.caption(f"最近办理：{when(e.get('updated_at'))}")


def entry_panel(kind: str, scope: Scope) -> None:
    """The entry of ``?entry=<id>`` (if any): its record and, for an officer or city account in its area, the form of
    its next step; everyone else reads. A malformed, nonexistent or foreign id: one message, and the rest of the page
    stays."""
    raw = st.query_params.get(PARAM)
    if raw is None or str(raw).strip() == "":
        return
    spec = LISTS[kind]
    k = spec["key"]

    def close_button() -> None:
        if st.button("关闭", key=f"{k}_close", type="tertiary"):
            st.session_state[NONCE] = st.session_state.get(NONCE, 0) + 1
            set_params(**{PARAM: None})
            st.rerun()

    eid = parse_id(raw)
    try:
        e = SV.entry(kind, eid if eid is not None else raw, scope, engine=primary())
    except ScopeError:
        st.error(SV.ENTRY_OUT_OF_SCOPE)
        close_button()
        return
    with st.container(border=True):
        head, end = st.columns([6, 1])
        head.markdown(f"##### {plain(e['enterprise'])}")
        with end:
            close_button()
        listed = when(e["listed"]) if kind == "key_control" else _day(e["listed"])
        what = ("“零风险”报告" if e.get("zero_risk") else "疑似瞒报漏报") if kind == "key_control" else \
            f"列入原因：{e.get('reason') or '—'}；推送：{e.get('pushed_to') or '—'}"
        st.caption(f"{spec['title']} · {plain(e['county'])} · {plain(e['sector'])} · {spec['listed']} {listed} · "
                   f"{plain(what)}")
        _flash(kind, int(e["entry_id"]))
        st.markdown(f"当前状态：**{plain(state_text(e['state_name'], e['overdue']))}**")
        left, right = st.columns([3, 2], gap="large")
        with left:
            _record(e)
            page_link("enterprise.py", "企业档案 →", enterprise=int(e["enterprise_id"]))
        with right:
            step = NEXT_STEP.get(e["state"])
            if step is None:
                st.info("该条目的核查已办结。")
                return
            u = user()
            if u is None or u.role not in SV.CHECK_ROLES:
                st.info("您的账号可以查看核查情况，但不能办理（名单核查、整改通知和复查由属地监管人员或市级账号办理）。")
                return
            st.markdown(f"**{STEP_TITLES[step]}**")
            _form(kind, e, step)


def section(kind: str, scope: Scope) -> pd.DataFrame:
    """Rates, the list and the selected entry: the whole block a page shows."""
    rates(kind, scope)
    df = entry_list(kind, scope)
    entry_panel(kind, scope)
    return df
