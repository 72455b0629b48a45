"""执法专项行动: campaigns against time and target, the period's enforcement figures, by region / sector /
department / month, the “不放心” list with its checks (核查, 整改通知, 复查: pages/listchecks.py, with its 核查率 and
整改完成率), supervision work orders, joint actions and the enterprises with most hazards."""
import pandas as pd
import streamlit as st

from pages import listchecks
from pages.charts import bar, region_map
from pages.common import (
    child_label, current_scope, drill_on_click, engine, figure, fmt, forget_refused, map_values, metric,
    open_enterprise, page_header, parse_id, picked_custom, plain, prefetch, q, q_or_stop, rate_column,
    rates_of_nothing, say_refused, scope_token, set_params, tile_changes, topic_keys,
)
from pages.supervision_ui import may_send, send_button, send_flash
from pages.ui import LATE_COLOUR, flagged
from queries import enforcement
from queries import supervision as SV
from queries.scope import resolve

CHECKLIST_KINDS = {"common": "共性问题", "individual": "个性重点事项"}
# the map's indicators (catalogue figures by region) and whether a darker colour means more attention
MAP_WORSE = {"hazards_found": True, "enterprises_inspected": False, "cases_filed": True, "suspensions": True,
             "rectification_rate": False}
MAP_INDICATORS = {c: (figure(f"enforcement.{c}").label, figure(f"enforcement.{c}").unit, worse)
                  for c, worse in MAP_WORSE.items()}  # column: (label, unit, higher_is_worse)



def campaign_duban(camps: pd.DataFrame, event) -> None:
    """A row of the campaign table marked 进度滞后, selected: 督办 it to the lagging region (the region in view; at
    the province, a city's own campaign goes to that city)."""
    rows = event.selection.rows if event and getattr(event, "selection", None) else []
    if not rows:
        if bool(camps["behind"].any()) and may_send(SV.campaign_subject(0)):
            st.caption("选中表中“进度滞后”的专项行动，可就其向滞后地区发出督办单。")
        return
    r = camps.iloc[rows[0]]
    if not bool(r["behind"]):
        st.caption(f"所选专项行动“{plain(r['name'])}”进度正常（完成进度不低于时间进度）。")
        return
    to = scope.region if rs.level != "province" else (None if pd.isna(r["city_adcode"]) else int(r["city_adcode"]))
    cid = int(r["id"])
    ctx = f"campaign_{cid}"
    where = rs.ref.name(scope.region) if rs.level != "province" else r["region_name"]
    title = f"{r['name']}（{where}：完成进度 {float(r['progress_pct']):.1f}%，时间进度 {float(r['time_pct']):.1f}%）"
    with st.container(horizontal=True, vertical_alignment="center"):
        st.caption(f"“{plain(r['name'])}”进度滞后：完成进度 {float(r['progress_pct']):.1f}%，"
                   f"时间进度 {float(r['time_pct']):.1f}%。")
        send_button(ctx, SV.campaign_subject(cid), title, default=to, label="督办该专项行动",
                    help="向进度滞后的地区发出督办单（专项行动、批示、办理期限）")
    send_flash(ctx)


scope = current_scope()
page_header("执法专项行动", scope)
rs = resolve(scope, engine())
tok = scope_token(scope)
prefetch(scope, enforcement.campaigns, enforcement.summary, enforcement.by_region, enforcement.by_sector,
         enforcement.by_department, enforcement.by_month, enforcement.work_orders, enforcement.joint_actions,
         enforcement.enterprises)

ch = tile_changes(scope, topic_keys("enforcement"))


def tile(col, key: str, value, **kw) -> None:
    """A catalogue figure's metric in column ``col``, with its change and trend."""
    metric(key, value, where=col, changes=ch, **kw)


st.caption("“统计期内”指统计期（侧栏选择）内发生、并在数据截止时间前录入系统的业务量；专项行动进度为截至截止时间"
           "（或数据截止时间，取较早者）的累计数。")

# --- campaigns ---------------------------------------------------------------------------------------------
st.markdown("#### 专项行动进度")
camps = q(enforcement.campaigns, scope)
if camps.empty:
    st.info("当前范围内没有专项行动。")
else:
    ids = [int(i) for i in camps["id"]]
    names = {int(i): f"{r} · {n}" for i, r, n in zip(camps["id"], camps["region_name"], camps["name"])}
    own = [int(i) for i, c in zip(camps["id"], camps["city_adcode"])
           if (pd.isna(c) if rs.level == "province" else pd.notna(c))]
    default = own[0] if own else ids[0]
    raw = st.query_params.get("campaign")
    cur, msg = default, None
    if raw:
        cur = parse_id(raw)
        if cur not in ids:
            msg = f"链接中的专项行动“{plain(raw, 20)}”不存在或不在当前查看范围内，已显示默认专项行动。"
            cur = default
    say_refused("campaign", msg)
    table = camps.assign(behind=camps["behind"].map({True: "进度滞后", False: "正常"}))
    behind = flagged(table, "behind", [LATE_COLOUR if b else None for b in camps["behind"].astype(bool)], label="对比",
                     help="完成进度低于时间进度时为“进度滞后”")
    lagging = st.dataframe(
        # (what a phone shows of it, the first columns: the campaign, behind or not, its progress)
        table[["name", "behind", "progress_pct", "time_pct", "region_name", "target_inspections", "inspections",
               "start_on", "end_on"]],
        hide_index=True, key=f"enf_camps_{tok}", on_select="rerun", selection_mode="single-row",
        column_config={
            "region_name": "组织地区", "name": "专项行动", "start_on": "开始日期", "end_on": "结束日期",
            "target_inspections": st.column_config.NumberColumn("目标检查（家次）", format="localized"),
            "inspections": st.column_config.NumberColumn("已检查（家次）", format="localized",
                                                         help="截至截止时间，本范围内该行动的检查家次"),
            "progress_pct": rate_column("完成进度", help="已检查家次 ÷ 目标检查家次（目标为整个行动的目标）"),
            "time_pct": rate_column("时间进度", help="已过天数 ÷ 行动总天数"),
            "behind": behind,
        })
    campaign_duban(camps, lagging)
    sel = st.selectbox("选择专项行动（查看检查清单）", ids, index=ids.index(cur), format_func=lambda i: names[i],
                       key=f"enf_campaign_{scope.region}_{cur}", placeholder="请选择")
    if str(sel) != st.query_params.get("campaign"):
        st.query_params["campaign"] = str(sel)
    if sel != cur and forget_refused("campaign"):  # a campaign chosen: the message about the link goes
        st.rerun()
    prof = q_or_stop(enforcement.campaign_profile, scope, sel)
    crow = camps[camps["id"] == sel].iloc[0]
    c = st.columns(6)
    c[0].metric("剖析研判重点行业", fmt(prof["key_industries"], "个"), border=True,
                help="该专项行动剖析研判的重点行业数")
    c[1].metric("共性问题", fmt(prof["common_items"], "项"), border=True, help="检查清单中各行业共有的共性问题条目数")
    c[2].metric("个性重点事项", fmt(prof["individual_items"], "项"), border=True,
                help="检查清单中按行业列出的个性重点事项条目数")
    c[3].metric("参与部门", fmt(prof["departments"], "个"), border=True, help="参与该专项行动的部门数")
    c[4].metric("行动完成进度", fmt(float(crow["progress_pct"]), "%"), border=True,
                help=f"已检查 {int(crow['inspections']):,} 家次 ÷ 目标 {int(crow['target_inspections']):,} 家次")
    c[5].metric("行动时间进度", fmt(float(crow["time_pct"]), "%"), border=True,
                help=f"{crow['start_on']} 至 {crow['end_on']}，按截止时间计算的已过天数占比")
    ck = q_or_stop(enforcement.checklist, scope, sel)
    with st.expander(f"检查清单（{len(ck):,} 项）及统计期内对应发现的隐患", expanded=False):
        st.dataframe(ck.assign(kind=ck["kind"].map(CHECKLIST_KINDS))[["kind", "sector_name", "text", "hazards_found"]],
                     hide_index=True, key=f"enf_checklist_{tok}_{sel}", height=320,
                     column_config={"kind": "类别", "sector_name": "行业", "text": "检查事项",
                                    "hazards_found": st.column_config.NumberColumn("发现隐患（个）", format="localized")})
    reports = q_or_stop(enforcement.campaign_reports, scope, sel)
    st.markdown(f"##### 各地月报（各地上报，自行动开始至{'截止时间' if scope.date_to else '今'}累计）")
    if reports.empty or int(reports["reports"].sum()) == 0:
        st.info("该专项行动尚无各地上报的月报。管理员可在“数据导入”页导入“专项行动月报”。")
    else:
        num = lambda label, h=None: st.column_config.NumberColumn(label, format="localized", help=h)  # noqa: E731
        st.dataframe(
            reports[["name", "reports", "due", "reported_pct", "latest_month", "enterprises_checked", "inspections",
                     "system_inspections", "hidden_hazards", "major_hazards", "rectified", "suspensions", "cases",
                     "fines_wan"]],
            hide_index=True, key=f"enf_reports_{tok}_{sel}",
            column_config={
                "name": "地区", "reports": num("已报（县·月）", "已上报月报的县（市、区）·月份数"),
                "due": num("应报（县·月）", "行动开始至截止时间，各县（市、区）每月一份"),
                "reported_pct": rate_column("上报率"),
                "latest_month": "最近上报月份", "enterprises_checked": num("检查企业（家）"),
                "inspections": num("检查（次）", "月报数"),
                "system_inspections": num("系统记录检查（家次）", "执法系统中记录的该行动检查家次，供与月报核对"),
                "hidden_hazards": num("发现隐患（个）"), "major_hazards": num("重大隐患（个）"),
                "rectified": num("已整改（个）"), "suspensions": num("责令停产停业（家）"), "cases": num("立案（起）"),
                "fines_wan": st.column_config.NumberColumn("罚款（万元）", format="%.2f"),
            })

# --- period tiles ------------------------------------------------------------------------------------------
s = q(enforcement.summary, scope)
st.markdown("#### 检查、隐患与处罚（统计期内）")
c = st.columns(4)
tile(c[0], "enforcement.enterprises_inspected", s["enterprises_inspected"], extra=f"检查 {s['inspections']:,} 家次")
tile(c[1], "enforcement.inspections", s["inspections"], unit="")  # the label carries the unit (家次)
tile(c[2], "enforcement.hazards_found", s["hazards_found"])
tile(c[3], "enforcement.major_hazards", s["major_hazards"])
c = st.columns(4)
tile(c[0], "enforcement.hazards_rectified", s["hazards_rectified"])
tile(c[1], "enforcement.rectification_rate", s)
tile(c[2], "enforcement.suspensions", s["suspensions"])
tile(c[3], "enforcement.cases_filed", s["cases_filed"], extra=f"其中全流程线上办理 {s['cases_online']:,} 起")
c = st.columns(4)
tile(c[0], "enforcement.fines_wan", s["fines_wan"], extra=f"作出处罚决定 {s['cases_decided']:,} 起", unit_in_label=True)
tile(c[1], "enforcement.avg_fine_wan", s, unit_in_label=True)
tile(c[2], "enforcement.transferred_judicial", s["transferred_judicial"])
tile(c[3], "enforcement.joint_actions", s["joint_actions"], extra=f"检查企业 {s['joint_action_enterprises']:,} 家次")
st.markdown("#### 曝光、惩戒与“不放心”名单（统计期内）")
c = st.columns(4)
tile(c[0], "enforcement.exposures", s["exposures"])
tile(c[1], "enforcement.joint_punishments", s["joint_punishments"])
tile(c[2], "enforcement.blacklisted", s["blacklisted"])
tile(c[3], "enforcement.watchlist", s["watchlist"])

# --- by region ---------------------------------------------------------------------------------------------
kids = child_label(scope)
st.markdown(f"#### 各{kids}对比")
reg = q(enforcement.by_region, scope)
keys = list(MAP_INDICATORS)
ind = st.segmented_control("地图指标", keys, default=keys[0], format_func=lambda k: MAP_INDICATORS[k][0],
                           key=f"enf_map_ind_{scope.region}") or keys[0]
label, unit, worse = MAP_INDICATORS[ind]
left, right = st.columns([5, 6])
with left:
    ev = region_map(scope, engine(), map_values(reg, f"enforcement.{ind}"), label, unit,
                    key=f"enf_map_{scope.region}_{ind}", higher_is_worse=worse, height=500,
                    fit_width=360)  # (a 5:6 column: ~365 px at 1280 px with the sidebar open)
with right:
    ev_bar = bar(reg, "name", ["enterprises_inspected", "hazards_found"], ["检查企业（家）", "排查隐患（个）"],
                 key=f"enf_region_bar_{scope.region}", colors=["#1e78ff", "#f08c00"], height=500)
drill_on_click(scope, ev, ev_bar)
st.caption(f"点击地图上的{kids}或柱子可下钻；用页面上方的地区路径返回上级。" +
           ("地图颜色越深越需关注。" if worse else "地图绿色越深表示该指标越好。"))
with st.expander(f"各{kids}明细"):
    st.dataframe(rates_of_nothing(reg, "enforcement.rectification_rate").drop(columns=["adcode"]), hide_index=True,
                 key=f"enf_region_tbl_{tok}", column_config={
        "name": kids, "inspections": "检查（家次）", "enterprises_inspected": "检查企业（家）",
        "hazards_found": "排查隐患（个）", "hazards_rectified": "已整改（个）", "suspensions": "停产停业整顿（家）",
        "cases_filed": "立案（起）", "fines_wan": st.column_config.NumberColumn("罚没款（万元）", format="%.2f"),
        "rectification_rate": rate_column("整改率")})

# --- by sector / department --------------------------------------------------------------------------------
left, right = st.columns(2)
with left:
    st.markdown("#### 各行业")
    sec = q(enforcement.by_sector, scope)
    ev_sec = bar(sec, "sector_name", ["enterprises_inspected", "hazards_found"], ["检查企业（家）", "排查隐患（个）"],
                 key=f"enf_sector_{scope.region}_{scope.industry}", custom="sector", horizontal=True,
                 colors=["#1e78ff", "#f08c00"], height=max(300, 28 * len(sec) + 80))
    code = picked_custom(ev_sec)
    if isinstance(code, str) and code != scope.industry:
        set_params(industry=code)
        st.rerun()
    st.caption("点击行业柱子可按该行业筛选全页（侧栏“行业”可恢复全部行业）。")
with right:
    st.markdown("#### 各检查部门")
    dep = q(enforcement.by_department, scope)
    top = int(dep["inspections"].max()) if not dep.empty else 1
    st.dataframe(dep, hide_index=True, key=f"enf_dept_{tok}", height=max(300, 28 * len(sec) + 80),
                 column_config={
                     "department": "检查部门",
                     "inspections": st.column_config.ProgressColumn("检查（家次）", format="localized", min_value=0,
                                                                    max_value=top),
                     "enterprises_inspected": st.column_config.NumberColumn("检查企业（家）", format="localized")})

# --- by month ----------------------------------------------------------------------------------------------
st.markdown("#### 按月趋势（统计期内）")
mon = q(enforcement.by_month, scope)
mon = mon.assign(label=[f"{m[:4]}年{m[5:]}月" for m in mon["month"]])  # a category axis (plotly reads 2021-01 as a date)
left, right = st.columns(2)
with left:
    bar(mon, "label", ["inspections", "hazards_found"], ["检查（家次）", "排查隐患（个）"], key=f"enf_month_a_{tok}",
        custom=None, selectable=False, colors=["#1e78ff", "#f08c00"], height=300)
with right:
    bar(mon, "label", ["cases_filed", "suspensions"], ["立案查处（起）", "责令停产停业整顿（家）"], key=f"enf_month_b_{tok}",
        custom=None, selectable=False, colors=["#7a4cc2", "#e02020"], height=300)

# --- watch-list, work orders, joint actions ----------------------------------------------------------------
st.markdown("#### 数字监督工单（统计期内生成）")
if scope.industry:
    st.caption("数字监督工单不分行业：本栏为所选地区的全部工单，不受所选行业影响。")
wo = q(enforcement.work_orders, scope)
c = st.columns(6)
tile(c[0], "enforcement.work_orders", wo["total"])
for i, part in enumerate(("reminder", "supervision", "closed", "overdue", "closed_rate"), start=1):
    tile(c[i], f"enforcement.work_orders_{part}", wo)

st.markdown("#### “不放心”企业名单及核查整改")
st.caption("统计期内列入“不放心”名单（金陵安全联检）的企业，由属地监管人员或市级账号现场核查；核查属实的下达整改通知，"
           "到期复查确认整改完成。列入原因、推送部门见列表与所选条目。")
listchecks.section("watchlist", scope)

st.markdown("#### 联合（联动）执法")
if scope.industry:
    st.caption("联合执法不分行业：本栏为所选地区的全部联合执法，不受所选行业影响。")
ja = q(enforcement.joint_actions, scope)
if ja.empty:
    st.info("统计期内没有联合执法行动。")
else:
    st.dataframe(ja[["action_on", "name", "county", "departments", "enterprises_checked"]], hide_index=True,
                 key=f"enf_joint_{tok}", column_config={
                     "action_on": "日期", "name": "行动", "county": "区县", "departments": "参与部门",
                     "enterprises_checked": st.column_config.NumberColumn("检查企业（家次）", format="localized")})

# --- enterprises -------------------------------------------------------------------------------------------
st.markdown("#### 隐患最多的企业（统计期内）")
ent = q(enforcement.enterprises, scope)
if ent.empty:
    st.info("统计期内没有发现隐患的企业。")
else:
    ev_ent = st.dataframe(
        ent[["name", "county", "sector", "hazards_found", "major_hazards", "hazards_open", "uscc"]], hide_index=True,
        key=f"enf_ent_{tok}", on_select="rerun", selection_mode="single-row", height=360,
        column_config={"name": "企业", "county": "区县", "sector": "行业", "hazards_found": "排查隐患（个）",
                       "major_hazards": "重大事故隐患（个）", "hazards_open": "未整改（个）",
                       "uscc": "统一社会信用代码"})
    st.caption("选中一行（点击行首方框）即打开该企业的企业档案。")
    open_enterprise(ev_ent, ent["id"].tolist())
