"""总览: the province (or the user's city) at a glance, each tile linking to its page; a map by indicator."""
import streamlit as st

from pages.charts import region_map
from pages.common import drill_on_click, child_label, current_scope, engine, fmt, page_header, page_link, q
from queries import overview
from queries.labels import CREDIT_HEX, CREDIT_NAMES, LEVEL_HEX, LEVEL_NAMES

scope = current_scope()
page_header("总览", scope)
h = q(overview.headline, scope)
w, hz, en, rk, cr = h["warnings"], h["hazards"], h["enforcement"], h["risk"], h["credit"]

st.markdown("#### 未消警预警（实时）")
cols = st.columns(5)
cols[0].metric("未消警预警合计", fmt(w["open"], "条"), border=True)
for i, lv in enumerate((1, 2, 3, 4), start=1):
    with cols[i]:
        st.markdown(f"<div style='height:6px;background:{LEVEL_HEX[lv]};border-radius:3px'></div>",
                    unsafe_allow_html=True)
        st.metric(f"{LEVEL_NAMES[lv]}（{'红橙黄蓝'[lv - 1]}）", fmt(w["open_by_level"][lv], "条"), border=True)
page_link("warnings.py", "预警分布 →")

st.markdown("#### 重大危险源在线监测（实时）")
cols = st.columns(5)
cols[0].metric("重大危险源企业", fmt(hz["hazard_enterprises"], "家"), border=True,
               help=f"其中接入在线监测 {hz['connected_enterprises']:,} 家，接入率 {hz['access_rate']}%")
cols[1].metric("重大危险源", fmt(hz["hazard_sources"], "个"), border=True)
cols[2].metric("在线监测点", fmt(hz["points"] - hz["points_offline"], "个"), border=True,
               help=f"监测点共 {hz['points']:,} 个，在线率 {hz['online_rate']}%")
cols[3].metric("报警监测点", fmt(hz["points_alarm"], "个"), border=True)
cols[4].metric("离线监测点", fmt(hz["points_offline"], "个"), border=True)
page_link("hazards.py", "重大危险源实时监测 →")

st.markdown("#### 执法专项行动（统计期内）")
cols = st.columns(5)
cols[0].metric("检查企业", fmt(en["enterprises_inspected"], "家"), border=True,
               help=f"检查 {en['inspections']:,} 家次")
cols[1].metric("排查隐患", fmt(en["hazards_found"], "个"), border=True, help=f"整改率 {en['rectification_rate']}%")
cols[2].metric("责令停产停业整顿", fmt(en["suspensions"], "家"), border=True)
cols[3].metric("立案查处", fmt(en["cases_filed"], "起"), border=True, help=f"罚没款 {en['fines_wan']:,} 万元")
cols[4].metric("联合执法", fmt(en["joint_actions"], "次"), border=True)
page_link("enforcement.py", "执法专项行动 →")

c1, c2 = st.columns(2)
with c1:
    st.markdown("#### 风险报告（截至统计期末）")
    a, b = st.columns(2)
    a.metric("完成上报率", fmt(rk["completion_rate"], "%"), border=True,
             help=f"已完成 {rk['completed']:,} 家 / 应报规上工业企业 {rk['required']:,} 家")
    b.metric("较大以上风险 / 重大风险", f"{rk['risks_major_or_above']:,} / {rk['risks_major']:,} 条", border=True)
    page_link("risk.py", "风险报告 →")
with c2:
    st.markdown("#### 安全信用脸谱")
    cols = st.columns(4)
    for i, c in enumerate(("green", "blue", "yellow", "red")):
        with cols[i]:
            st.markdown(f"<div style='height:6px;background:{CREDIT_HEX[c]};border-radius:3px'></div>",
                        unsafe_allow_html=True)
            st.metric(CREDIT_NAMES[c], fmt(cr[c], "家"), border=True)
    page_link("credit.py", "安全信用脸谱 →")

st.markdown(f"#### 各{child_label(scope)}对比地图")
keys = list(overview.INDICATORS)
ind = st.selectbox("地图指标", keys, format_func=lambda k: overview.INDICATORS[k][0],
                   index=keys.index(st.query_params.get("map", "open_warnings"))
                   if st.query_params.get("map") in keys else 0, key="map_indicator")
if ind != st.query_params.get("map", "open_warnings"):
    st.query_params["map"] = ind
label, unit, _, _, worse = overview.INDICATORS[ind]
vals = q(overview.indicator_by_region, scope, indicator=ind)
ev = region_map(scope, engine(), vals, label, unit, key=f"overview_map_{scope.region}", higher_is_worse=worse)
drill_on_click(scope, ev)
st.caption("点击地图上的地区可下钻；用页面上方的地区路径返回上级。红色越深表示越需关注。")
