"""督办: supervision orders. 待办 (what waits for the user: orders of their area to reply to, their own answered
orders to close; by deadline, 超期 in red), 已发出 (the orders they sent) and every order they may see, with a state
filter. ?order=<id> opens one order: its subject (with a link to the view or object it is about), 批示, deadline,
state, the full history (send, replies, returns, close: who, when, text) and the forms of the actions the user may
take now (反馈; 办结 or 退回). Every action posts the version the page drew (``queries.supervision``); an action
someone took meanwhile is refused with the current state. Sending happens where the subject is shown
(``pages.supervision_ui.send_button``: the topic pages' header, a lagging campaign, an enterprise, a warning)."""
import pandas as pd
import streamlit as st

from pages.app import pages_for
from pages.common import PAGES_DIR, current_scope, engine, metric, plain, primary, set_params, tile_changes, user
from pages.supervision_ui import ALL_TAB, DB_ERRORS, TAB_KEY, TAB_REGION, as_text, nav_changed, region_label
from pages.ui import LATE_COLOUR, duration_text, flagged, how_many, when
from queries import supervision as SV
from queries.labels import SUPERVISION_STATES
from queries.regions import PROVINCE, reference
from queries.scope import Scope, ScopeError

LIST_LIMIT = 500
DB_DOWN = "数据库暂时不可用，本次操作未保存。请稍后重试。"
FLASH = "sv_flash"  # what the last action said, shown once after the rerun that redraws the order
POSTED = "sv_posted"  # (order, action, version) posted in this session: a form never posts twice
SUBMIT = {"reply": "提交反馈", "close": "办结", "return": "退回"}
ACTION_NAMES = {"reply": "反馈", "close": "办结", "return": "退回"}
TILE_WIDTH = "stretch"  # the row wraps two by two on a 390 px phone


def actor() -> SV.Actor:
    return SV.actor_of(user())


def _left(state: str, hours, overdue: bool) -> str:
    """What the deadline means now: 剩 2天3小时 / 超期 5小时 for an order waiting for its reply."""
    if state == "answered":
        return "已反馈"
    if state == "closed":
        return "已办结"
    if hours is None or pd.isna(hours):
        return "—"
    text = duration_text(float(hours) * 60)
    return f"超期 {text}" if overdue else f"剩 {text}"


def _state(state_name: str, overdue: bool) -> str:
    return f"{state_name}（超期）" if overdue else state_name


# --- one order ------------------------------------------------------------------------------------------------------

def _flash() -> None:
    said = st.session_state.pop(FLASH, None)
    if said:
        kind, text = said
        {"ok": st.success, "conflict": st.warning}.get(kind, st.error)(plain(text))


def _post(oid: int, action: str, version: int) -> None:
    """The form's callback: runs once per click, before the page is drawn again, with the version the page DREW
    (bound when the form was drawn) and the form's text. What happened is said once on the redrawn page."""
    ss = st.session_state
    key = (oid, action, version)
    posted = ss.setdefault(POSTED, set())
    if key in posted:  # this very form was already posted (the version check would refuse it anyway)
        return
    text = ss.get(f"sv_{action}_{oid}_{version}") or ""
    try:
        if action == "reply":
            r = SV.reply(actor(), oid, text, version=version)
        elif action == "return":
            r = SV.return_(actor(), oid, text, version=version)
        else:
            r = SV.close(actor(), oid, version=version, note=text)
    except SV.Conflict as e:
        posted.add(key)
        ss[FLASH] = ("conflict", str(e))
    except SV.WriteFailed:
        ss[FLASH] = ("error", DB_DOWN)
    except SV.SupervisionError as e:  # bad input, not permitted, out of scope: the form keeps what was typed
        ss[FLASH] = ("error", str(e))
    except DB_ERRORS:
        ss[FLASH] = ("error", DB_DOWN)
    else:
        posted.add(key)
        ss[FLASH] = ("ok", r.message)
        nav_changed()


def _action_form(o: dict, action: str) -> None:
    oid, version = int(o["id"]), int(o["version"])
    with st.form(f"sv_{action}_form_{oid}_{version}", clear_on_submit=False, border=True):
        if action == "reply":
            label, limit = f"反馈内容（不超过 {SV.REPLY_MAX:,} 字）", SV.REPLY_MAX
        elif action == "return":
            label, limit = f"退回理由（不超过 {SV.INSTRUCTION_MAX:,} 字）", SV.INSTRUCTION_MAX
        else:
            label, limit = "办结意见（可不填）", SV.INSTRUCTION_MAX
        st.text_area(label, max_chars=limit, height=140 if action == "reply" else 100,
                     key=f"sv_{action}_{oid}_{version}")
        if action == "return":
            st.caption("退回后督办回到“在办”，受办地区须重新反馈。")
        st.form_submit_button(SUBMIT[action], type="primary" if action != "return" else "secondary",
                              on_click=_post, args=(oid, action, version))


def _subject_link(o: dict) -> None:
    """The view or object the order is about, as a link (if the user's role may open that page)."""
    files = {p.url_path: p.file for p in pages_for("leadership", user().role)}
    kind, ref = o["subject_kind"], o["subject_ref"]
    if kind == "view":
        params = SV.view_params(o)
        file, label = files.get(params.pop("page", "")), "打开督办时的视图 →"
    elif kind == "campaign":
        file, label, params = files.get("enforcement"), "打开专项行动 →", {"campaign": ref,
                                                                         "region": str(o["region_adcode"])}
    elif kind == "enterprise":
        file, label, params = files.get("enterprise"), "打开企业档案 →", {"enterprise": ref}
    elif kind == "warning":
        file, label, params = files.get("handling") or files.get("warnings"), "打开预警 →", {"warning": ref}
    else:
        return
    if not file:
        st.caption("督办事项所在页面不对您的账号开放。")
        return
    st.page_link(PAGES_DIR / file, label=label, query_params=params or None)
    if kind == "view" and params.get("as_of"):
        st.caption(f"视图按督办时的数据截止时间 {plain(params['as_of'])} 显示。")


def _history(o: dict) -> None:
    st.markdown("#### 办理记录")
    h = SV.events(int(o["id"]), actor(), engine=primary())
    for r in h.itertuples(index=False):
        with st.container(border=True):
            st.markdown(f"**{when(r.at, seconds=True)}** · **{plain(r.kind_name)}** · "
                        f"{plain(r.actor_name)}（{plain(r.role_name)}）")
            if r.kind == "send" and r.text == o["instruction"]:
                st.caption("批示见上。")
            elif isinstance(r.text, str) and r.text:
                st.text(as_text(r.text))


def _no_action_note(o: dict, a: SV.Actor) -> str:
    mine = o["issuer"] == a.username
    if o["state"] == "closed":
        return "该督办已办结。"
    if o["state"] == "answered":
        return "受办地区已反馈，等待发出督办的领导审核办结或退回。"
    if mine:
        return "等待受办地区反馈。反馈后您可审核办结或退回。"
    if a.role in SV.REPLY_ROLES:
        return "您的账号不能反馈此督办。"
    return "您的账号可以查看本督办，但不能办理（由受办地区的监管人员或市级账号反馈，发出督办的领导办结）。"


def detail_view(raw) -> None:
    if st.button("← 返回督办列表", key="sv_back", type="tertiary"):
        set_params(order=None)
        st.rerun()
    a = actor()
    try:
        o = SV.order(raw, a, engine=primary())
    except ScopeError:  # nonexistent, not visible and malformed ids: one message
        st.error(SV.OUT_OF_SCOPE)
        return
    _flash()
    st.markdown(f"### {plain(o['code'])} · {plain(o['subject_title'])}")
    st.caption(f"督办事项类别：{plain(o['subject_kind_name'])} · 发出：{plain(o['issuer_name'])}"
               f"（{plain(o['issuer_role_name'])}） · {when(o['created_at'])}"
               + (f" · 已退回 {int(o['returned_count'])} 次" if o["returned_count"] else ""))
    with st.container(horizontal=True, gap="small", key="sv_order_tiles"):
        st.metric("状态", _state(o["state_name"], o["overdue"]), border=True, width=TILE_WIDTH,
                  help="在办 → 已反馈 → 办结；已反馈的可退回重办")
        st.metric("督办对象", plain(o["region_name"]), border=True, width=TILE_WIDTH)
        st.metric("办理期限", when(o["deadline"])[:10], border=True, width=TILE_WIDTH,
                  help=f"{when(o['deadline'])} 前须反馈")
        st.metric("剩余时间", _left(o["state"], o["hours_left"], o["overdue"]), border=True, width=TILE_WIDTH,
                  help="在办督办距办理期限的时间；超过期限仍未反馈为超期")
    if o["overdue"]:
        st.error(f"已超期：办理期限为 {when(o['deadline'])}，仍未反馈（{_left(o['state'], o['hours_left'], True)}）。")
    c1, c2 = st.columns([3, 2], gap="large")
    with c1:
        st.markdown("#### 批示")
        with st.container(border=True):
            st.text(as_text(o["instruction"]))
        _subject_link(o)
        _history(o)
    with c2:
        st.markdown("#### 办理")
        actions = SV.allowed_actions(a, o)
        if not actions:
            st.info(_no_action_note(o, a))
        elif len(actions) == 1:
            st.markdown(f"##### {ACTION_NAMES[actions[0]]}")
            _action_form(o, actions[0])
        else:
            for tab, act in zip(st.tabs([ACTION_NAMES[x] for x in actions]), actions):
                with tab:
                    _action_form(o, act)


# --- the lists ------------------------------------------------------------------------------------------------------

def _table(df: pd.DataFrame, key: str, *, todo: bool = False) -> None:
    """Orders as a table (超期 in red); selecting a row opens the order."""
    late = [bool(x) for x in df["overdue"]]
    view = pd.DataFrame({
        **({"待办": df["action_name"]} if todo else {}),
        "督办编号": df["code"],
        "状态": [_state(n, o) for n, o in zip(df["state_name"], late)],
        "剩余时间": [_left(s, h, o) for s, h, o in zip(df["state"], df["hours_left"], late)],
        "督办对象": df["region_name"], "办理期限": df["deadline"], "督办事项": df["subject_title"],
        "发出人": df["issuer_name"], "发出时间": df["created_at"],
    })
    red = [LATE_COLOUR if x else None for x in late]
    config = {c: flagged(view, c, red) for c in ("状态", "剩余时间")}
    sel = st.dataframe(view, hide_index=True, width="stretch", height=min(460, 35 * (len(df) + 1) + 3),
                       on_select="rerun", selection_mode="single-row", key=key,
                       column_config={**config, "督办事项": st.column_config.TextColumn(width="medium"),
                                      "办理期限": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                                      "发出时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
    rows = sel.selection.rows if sel and sel.selection else []
    if rows:
        set_params(order=int(df.iloc[rows[0]]["id"]))
        st.rerun()


def _how_many(df: pd.DataFrame, total: int | None = None) -> str:
    """How many orders a bounded list holds: its total where it is known, else whether it stopped at the limit."""
    if total is not None:
        return how_many(total, len(df), "件")
    if len(df) >= LIST_LIMIT:
        return f"列出前 {len(df):,} 件（最多 {LIST_LIMIT:,} 件）"
    return f"共 {len(df):,} 件"


def list_view(scope: Scope) -> None:
    a = actor()
    u = user()
    eng = engine()
    area = Scope(region=u.binding or PROVINCE, binding=u.binding)
    c = SV.counts(a, engine=eng)
    s = SV.summary(area, engine=eng)
    where = reference(eng).name(area.region)
    # the tiles in a row that wraps two by two on a phone (columns would stack them one by one above the list)
    with st.container(horizontal=True, gap="small", key="sv_tiles"):
        st.metric("待我办理", f"{c['todo']:,} 件", border=True, width=TILE_WIDTH,
                  help="待您反馈的督办（本地区在办）和您发出、已反馈待您审核办结的督办")
        if a.role in SV.REPLY_ROLES:  # (a leader replies to nothing: a 0 here read as "nothing is overdue")
            st.metric("超期待我反馈", f"{c['overdue']:,} 件", border=True, width=TILE_WIDTH,
                      help="待您反馈、已超过办理期限的督办")
        ch = tile_changes(area, ("supervision.open", "supervision.overdue"))
        metric("supervision.open", s["open"], width=TILE_WIDTH, extra=f"{where}，按受办地区，当前", changes=ch)
        metric("supervision.overdue", s["overdue"], width=TILE_WIDTH, extra=f"{where}，按受办地区，当前", changes=ch)
    labels, kinds = [], []
    if a.role in SV.SEND_ROLES | SV.REPLY_ROLES:
        labels.append("待办")  # (a label that holds a count would make a new widget, and close the tab, as it moves)
        kinds.append("todo")
    if a.role in SV.SEND_ROLES:
        labels.append("已发出")
        kinds.append("sent")
    labels.append(ALL_TAB)
    kinds.append("all")
    # only the open tab's list is read and drawn (each is up to LIST_LIMIT orders, read live); a link that filters
    # the full list by region opens on it, once (the user may then open another tab). The labels and the default
    # stay the same whatever the counts and the filter: either, changed, would make the tabs a new widget and
    # close the open tab.
    if scope.region != area.region and st.session_state.get(TAB_REGION) != scope.region:
        st.session_state[TAB_KEY] = ALL_TAB
    st.session_state[TAB_REGION] = scope.region
    tabs = st.tabs(labels, key=TAB_KEY, on_change="rerun")
    for tab, kind in zip(tabs, kinds):
        if tab.open is False:
            continue
        with tab:
            if kind == "todo":
                df = SV.inbox(a, engine=eng, limit=LIST_LIMIT)
                if df.empty:
                    st.info("没有待您办理的督办。")
                    continue
                _table(df, "sv_inbox", todo=True)
                st.caption(f"{_how_many(df, c['todo'])}，按办理期限排列，超期标红。“待反馈”：本地区须在期限前反馈；"
                           "“待审核办结”：您发出的督办已反馈，请审核办结或退回。选中一行查看和办理。")
            elif kind == "sent":
                df = SV.outbox(a, engine=eng, limit=LIST_LIMIT)
                if df.empty:
                    st.info("您尚未发出督办。可在各专题页面的地区栏、专项行动、企业档案或预警详情中发出督办单。")
                    continue
                _table(df, "sv_outbox")
                st.caption(f"{_how_many(df)}：在办、已反馈、办结依次排列，各按办理期限。选中一行查看。")
            else:
                c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
                states = ["all", *SUPERVISION_STATES]
                picked = c1.segmented_control("状态", states, default="all", key="sv_state", persist_state="page",
                                              format_func=lambda k: SUPERVISION_STATES.get(k, "全部"))
                state = picked if picked in SUPERVISION_STATES else None
                region = _region_filter(c2, area.region, scope.region)
                df = SV.listing(a, engine=eng, state=state, region=None if region == area.region else region,
                                limit=LIST_LIMIT)
                if df.empty:
                    st.info("没有" + (f"“{SUPERVISION_STATES[state]}”的" if state else "") + "督办。")
                    continue
                _table(df, f"sv_all_{state}_{region}")
                st.caption(f"{_how_many(df)}，最新发出的在前：发往本地区的督办和您发出的督办"
                           + ("" if region == area.region else f"（仅发往{region_label(region)}的）") + "。选中一行查看。")


def _region_filter(where, base: int, current: int) -> int:
    """The 受办地区 filter of the full list (kept in the URL as ``region``, like every page's region)."""
    ref = reference(engine())
    opts = [base] + [d.adcode for d in sorted(ref.children(base), key=lambda d: d.adcode)]
    if current not in opts:
        opts.append(current)
    pick = where.selectbox("受办地区", opts, index=opts.index(current), key=f"sv_region_{current}",
                           format_func=lambda x: "全部地区" if x == base else region_label(x), placeholder="请选择")
    if pick != current:
        set_params(region=None if pick == base else pick)
        st.rerun()
    return pick


st.markdown("## 督办")
if user() is None:
    st.stop()
raw = st.query_params.get("order")
if raw is not None and str(raw).strip() != "":
    detail_view(raw)
else:
    list_view(current_scope())  # the URL's region (validated against the user's binding) filters the full list
