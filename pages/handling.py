"""预警处置: the handling desk. Open warnings in the user's region, 重大 first then oldest first, each with its state,
next step and the time left to its next deadline (超时 marked); ?warning=<id> opens one warning: its details, its
full history and the forms of the steps the user may take now (签收 → 核查 → 处置 → 消警, 督办). Every step posts
the version the page drew (``queries.handling.take_step``); a step someone took meanwhile is refused with the
current state. Leaders read; officers and the duty room act (``queries.handling.STEP_ROLES``)."""
import pandas as pd
import streamlit as st
from sqlalchemy.exc import DBAPIError, OperationalError

from pages.common import (
    current_scope, engine, metric, page_header, page_link, plain, primary, set_params, url_id, user,
)
from pages.supervision_ui import warning_duban
from pages.ui import (LATE_COLOUR, flagged, how_many, level_chip, level_column, level_labels, step_history,
                      time_left, when)
from queries import handling
from queries.labels import LEVEL_NAMES, STEP_NAMES, VERIFY_RESULTS
from queries.scope import ScopeError

DESK_LIMIT = 300
DB_DOWN = "数据库暂时不可用，本步未保存。请稍后重试。"
FLASH = "desk_flash"  # what the last step said, shown once after the rerun that redraws the warning
POSTED = "desk_posted"  # (warning, step, version) posted in this session: a form never posts twice
FORM_ERROR = "desk_form_error"  # (warning, step, message): bad input, said once inside the form it came from
SUBMIT = {"ack": "签收", "verify": "提交核查", "handle": "提交处置", "close": "消警", "escalate": "督办"}


def _flash() -> None:
    said = st.session_state.pop(FLASH, None)
    if said:
        kind, text = said
        {"ok": st.success, "conflict": st.warning}.get(kind, st.error)(plain(text))


def _post(wid: int, step: str, version: int) -> None:
    """The form's callback: runs once per click, before the page is drawn again, with the version the page DREW
    (bound when the form was drawn) and the form's values. What happened is said once on the redrawn page."""
    key = (wid, step, version)
    posted = st.session_state.setdefault(POSTED, set())
    if key in posted:  # this very form was already posted (the version check would refuse it anyway)
        return
    result = st.session_state.get(f"desk_result_{wid}_{version}") if step == "verify" else None
    note = st.session_state.get(f"desk_note_{step}_{wid}_{version}") or ""
    try:
        r = handling.take_step(wid, step, handling.actor_of(user()), version=version, result=result, note=note)
    except handling.Conflict as e:
        posted.add(key)
        cur = e.current or {}
        st.session_state[FLASH] = ("conflict", f"{e}（当前状态：{cur.get('state_name', '—')}）")
    except handling.InvalidInput as e:  # said beside the button pressed; the form keeps what was typed
        st.session_state[FORM_ERROR] = (wid, step, str(e))
    except (handling.NotPermitted, handling.OutOfScope) as e:
        st.session_state[FLASH] = ("error", str(e))
    except (handling.StepFailed, OperationalError, DBAPIError):
        st.session_state[FLASH] = ("error", DB_DOWN)
    else:
        posted.add(key)
        st.session_state[FLASH] = ("ok", r.message)


def _step_form(w: dict, step: str, error: tuple | None = None) -> None:
    """The form of ``step``; ``error``: what the last press of a button said of bad input (said in its form)."""
    wid, version = int(w["id"]), int(w["version"])
    with st.form(f"desk_{step}_{wid}_{version}", clear_on_submit=False, border=True):
        if step == "verify":
            st.radio("核查结果", list(VERIFY_RESULTS), format_func=VERIFY_RESULTS.get, horizontal=True, index=None,
                     key=f"desk_result_{wid}_{version}")
        label = handling.NOTE_LABELS[step] + ("" if step in handling.NOTE_REQUIRED else "（可不填）")
        st.text_area(label, max_chars=handling.NOTE_MAX, height=100, key=f"desk_note_{step}_{wid}_{version}")
        if step == "verify":
            st.caption("核查为误报或设备故障的，可不经处置直接消警。")
        if step == "escalate":
            st.caption("「督办」记入本预警的处置记录、提醒属地加快处置；需要属地限期书面反馈的，请用「督办该预警」发出督办单"
                       "（在“督办”页跟踪反馈和办结）。")
        if error and error[:2] == (wid, step):
            st.error(plain(error[2]))
        st.form_submit_button(SUBMIT[step], type="primary" if step != "escalate" else "secondary",
                              on_click=_post, args=(wid, step, version))


def _history(wid: int, scope) -> None:
    st.markdown("#### 处置记录")
    h = handling.history(wid, scope, engine=primary())
    if h.empty:
        st.caption("尚无处置记录。")
    step_history(h)


def detail_view(scope, wid: int, error: tuple | None = None) -> None:
    if st.button("← 返回预警处置", key="desk_back", type="tertiary"):
        set_params(warning=None)
        st.rerun()
    try:
        w = handling.state(wid, scope, engine=primary())
    except ScopeError as e:
        st.error(plain(str(e)))
        return
    _flash()
    st.markdown(f"### {plain(w['title'])}")
    st.markdown(f"{level_chip(int(w['level']))}&nbsp;&nbsp;预警编号 {plain(w['code'])} · {plain(w['type_name'])} · "
                f"{plain(w['enterprise'])} · {plain(w['city'])} {plain(w['county'])}", unsafe_allow_html=True)
    cols = st.columns(4)
    cols[0].metric("当前状态", w["state_name"] + (f"（{w['result_name']}）" if w.get("result_name") else ""),
                   border=True)
    cols[1].metric("下一步", w["next_step_name"] or "—", border=True, help="按 签收 → 核查 → 处置 → 消警 的顺序办理")
    cols[2].metric(w["deadline_name"] or "时限", when(w["deadline_at"])[5:] or "—", border=True,
                   help=f"按预警等级的处置时限，自预警产生时起算：{when(w['deadline_at'])}")
    cols[3].metric("剩余时间", time_left(w["minutes_left"]), border=True)
    if w["overdue"]:
        st.error(f"已超时：{w['deadline_name']}为 {when(w['deadline_at'])}，{time_left(w['minutes_left'])}。")
    st.caption(f"产生时间 {when(w['raised_at'], seconds=True)}"
               + (f" · 已督办（{when(w['escalated_at'])}）" if w.get("escalated_at") else ""))
    # (keyed: on a phone, where the columns stack, the form to act comes first: pages/static/cockpit.css)
    c1, c2 = st.container(key="desk_detail").columns([3, 2], gap="large")
    with c1:
        _history(wid, scope)
        page_link("warnings.py", "预警详情（监测值、短信推送） →", warning=wid)
        page_link("enterprise.py", "企业档案 →", enterprise=w["enterprise_id"])
        warning_duban(scope, w)
    with c2:
        st.markdown("#### 办理")
        if w["state"] == "closed":
            st.info("该预警已消警，处置闭环已完成。")
            return
        steps = handling.allowed_steps(handling.actor_of(user()), w)
        if not steps:
            st.info("您的账号可以查看本预警的处置情况，但不能办理（签收、核查、处置、消警由属地监管人员办理，"
                    "值班室可签收和督办）。")
            return
        if len(steps) == 1:
            st.markdown(f"##### {STEP_NAMES[steps[0]]}")
            _step_form(w, steps[0], error)
        else:
            for tab, step in zip(st.tabs([STEP_NAMES[s] for s in steps]), steps):
                with tab:
                    _step_form(w, step, error)


def desk_view(scope) -> None:
    s = handling.desk_summary(scope, engine=engine())
    cols = st.columns(4)
    metric("warnings.open", s["open"], where=cols[0], extra="处置台按实时状态，不使用统计期")
    metric("warnings.overdue", s["overdue"], where=cols[1], extra="按当前时间")
    cols[2].metric("超时重大/较大", f"{s['overdue_major']:,} 条", border=True, help="超时未处置预警中的重大和较大预警")
    c = cols[3]
    level = c.selectbox("等级", [None, 1, 2, 3, 4], format_func=lambda v: "全部等级" if v is None else LEVEL_NAMES[v],
                        placeholder="全部等级", key="desk_level")
    only_late = c.toggle("只看超时", key="desk_late")
    df = handling.desk(scope, engine=engine(), limit=DESK_LIMIT, level=level, overdue_only=only_late)
    if df.empty:
        st.info("当前范围内没有" + ("超时的" if only_late else "") + "未消警预警。")
        return
    view = pd.DataFrame({  # what to act on first stays visible on a phone: level, time left, next step, enterprise
        "等级": df["level_name"], "剩余时间": [time_left(m) for m in df["minutes_left"]], "下一步": df["next_step_name"],
        "企业": df["enterprise"],
        "状态": [n + (f"（{r}）" if r else "") for n, r in zip(df["state_name"], df["result_name"])],
        "区县": df["county"], "预警编号": df["code"],
        "时限": [f"{n} {when(t)}" if n else "—" for n, t in zip(df["deadline_name"], df["deadline_at"])],
        "产生时间": df["raised_at"], "督办": ["已督办" if pd.notna(t) else "" for t in df["escalated_at"]],
    })
    left_config = flagged(view, "剩余时间", [LATE_COLOUR if x else None for x in df["overdue"].astype(bool)])
    view["等级"] = level_labels(df["level"])
    sel = st.dataframe(view, hide_index=True, width="stretch", height=min(520, 35 * (len(df) + 1) + 3), on_select="rerun",
                       selection_mode="single-row", key=f"desk_list_{scope.region}_{scope.industry}_{level}_{only_late}",
                       column_config={"等级": level_column(),
                                      "剩余时间": left_config,
                                      "产生时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
    # how many there are (the list is bounded): the summary's counts of the same open warnings
    total = ((s["overdue_by_level"] if only_late else s["open_by_level"])[level] if level is not None
             else s["overdue"] if only_late else s["open"])
    st.caption(f"{how_many(total, len(df), '条', '最紧急')}：超时在前，再按等级（重大在前），同等级按产生时间（最早在前）。"
               "“剩余时间”为距所处环节时限的时间，超时标红。选中一行办理或查看处置记录。")
    rows = sel.selection.rows if sel and sel.selection else []
    if rows:
        set_params(warning=int(df.iloc[rows[0]]["id"]))
        st.rerun()


scope = current_scope()
page_header("预警处置", scope)
wid = url_id("warning", "预警", "返回预警处置", "desk_bad_back")
# what a press said of bad input: drawn by the run right after the press, in its form, or never (not on a later visit)
error = st.session_state.pop(FORM_ERROR, None)
if wid is not None:
    detail_view(scope, wid, error)
else:
    desk_view(scope)
