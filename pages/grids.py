"""网格化监管: grids of three kinds, enterprises filed per the grid registry, coverage, per region and per grid."""
import streamlit as st

from pages.charts import bar, region_map
from pages.common import child_label, current_scope, drill_on_click, engine, figure, metric, page_header, q
from pages.ui import stripe
from queries import grids, overview
from queries.labels import GRID_KINDS

KINDS = list(GRID_KINDS)  # zongzhi, yingji, anquan
KIND_HEX = {"zongzhi": "#5b8def", "yingji": "#f08c00", "anquan": "#2e9d48"}
TOP_N = 50

scope = current_scope()
page_header("网格化监管", scope)
s = q(grids.summary, scope)
st.caption("网格数为截至截止时间（统计期末，或数据截止时间，取较早者）已设立的网格；实有企业建档数取自网格台账"
           "（安全生产监管网格登记），入格企业为平台企业库中已落入网格的企业。")

st.markdown("#### 网格设置")
cols = st.columns(4)
for i, k in enumerate(KINDS):
    with cols[i]:
        stripe(KIND_HEX[k])
        metric(f"grids.{k}", s[k])
with cols[3]:
    stripe(None)
    metric("grids.enterprises_filed", s["enterprises_filed"], extra="统计范围与平台企业库不同")

st.markdown("#### 覆盖情况")
cols = st.columns(4)
metric("platform.enterprises", s["enterprises"], where=cols[0], extra="本地区（本行业）")
metric("grids.in_grid", s["in_grid"], where=cols[1])
metric("grids.grid_coverage", s, where=cols[2])
per_grid = figure("grids.filed_per_grid").value_of(s)  # (one decimal; none without a supervision grid)
metric("grids.filed_per_grid", "—" if per_grid is None else f"{per_grid:,.1f} 家", where=cols[3])

p = q(overview.platform, scope)
st.markdown("#### 平台数据汇集")
cols = st.columns(4)
metric("platform.data_sources", p["data_sources"], where=cols[0], extra="区县视图显示所在市的成员单位")
metric("platform.key_enterprises", p["key_enterprises"], where=cols[1])
metric("platform.above_scale", p["above_scale"], where=cols[2])

kid = child_label(scope)
reg = q(grids.by_region, scope)
left, right = st.columns([3, 2])
with left:
    st.markdown(f"#### 各{kid}网格内实有企业建档")
    ev = region_map(scope, engine(), reg.rename(columns={"enterprises_filed": "value"})[["adcode", "value"]],
                    "实有企业建档", "家", key=f"grids_map_{scope.region}", higher_is_worse=False, height=500)
    drill_on_click(scope, ev)
    st.caption(f"颜色越深，网格台账建档企业越多。点击{kid}可下钻；用页面上方的地区路径返回上级。")
with right:
    st.markdown(f"#### 各{kid}网格数（按类型）")
    ev = bar(reg, "name", KINDS, [GRID_KINDS[k] for k in KINDS], colors=[KIND_HEX[k] for k in KINDS],
             key=f"grids_bar_{scope.region}", height=500, yaxis_title="网格数（个）")
    drill_on_click(scope, ev)
    st.caption(f"点击柱子可下钻到该{kid}。")

st.markdown(f"#### 各{kid}网格与建档情况")
st.dataframe(reg[["name", *KINDS, "enterprises_filed", "filed_per_grid", "platform_enterprises"]], hide_index=True,
             width="stretch", height=38 + 35 * len(reg), column_config={
                 "name": st.column_config.TextColumn(kid),
                 **{k: st.column_config.NumberColumn(f"{GRID_KINDS[k]}（个）", format="localized") for k in KINDS},
                 "enterprises_filed": st.column_config.NumberColumn("实有企业建档（家）", format="localized"),
                 "filed_per_grid": st.column_config.NumberColumn("每个监管网格建档（家）", format="%.1f"),
                 "platform_enterprises": st.column_config.NumberColumn("平台企业（家）", format="localized"),
             })
st.caption("每个监管网格建档 = 实有企业建档 ÷ 安全生产监管网格数。")

st.markdown("#### 建档企业最多的网格")
want = st.query_params.get("kind", "anquan")
kind = st.segmented_control("网格类型", KINDS, format_func=GRID_KINDS.get,
                            default=want if want in KINDS else "anquan", key="grids_top_kind") or "anquan"
if kind != want:
    st.query_params["kind"] = kind
top = q(grids.top_grids, scope, kind=kind, limit=TOP_N)
if top.empty:
    st.info(f"当前查询条件下没有{GRID_KINDS[kind]}。")
else:
    st.dataframe(top[["code", "name", "county", "enterprises_filed", "established_on"]], hide_index=True,
                 width="stretch", column_config={
                     "code": st.column_config.TextColumn("网格编码"),
                     "name": st.column_config.TextColumn("网格名称", width="medium"),
                     "county": st.column_config.TextColumn("区县"),
                     "enterprises_filed": st.column_config.NumberColumn("实有企业建档（家）", format="localized"),
                     "established_on": st.column_config.DateColumn("设立日期", format="YYYY-MM-DD"),
                 })
    note = "" if kind == "anquan" else f"网格台账只在安全生产监管网格登记实有企业建档，{GRID_KINDS[kind]}按编码列出。"
    st.caption(f"列出前 {len(top):,} 个{GRID_KINDS[kind]}，按建档企业数由多到少。{note}")
