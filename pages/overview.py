"""总览: the province (or the user's city) at a glance, each tile linking to its page; a map by indicator."""
import logging

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from pages.app import APPS
from pages.charts import on_phone, region_map
from pages.common import (child_label, comparisons, current_scope, drill_on_click, engine, figure_label, figure_text,
                          metric, page_header, page_link, plain, prefetch, q, tile_changes)
from pages.ui import stripe
from queries import attention, overview
from queries.labels import CREDIT_HEX, LEVEL_COLOUR_NAMES, LEVEL_HEX

scope = current_scope()
page_header("总览", scope)

PAGE_NAMES = {p.file: p.title for p in APPS["leadership"]["pages"]}  # a 需关注 item's link says where it goes


def attention_block() -> None:
    """需关注: the few things that most need attention in the scope, each with its figure and a link to its view. On
    a phone, one line that opens to the list (the key figures stay on the first screen)."""
    try:
        items = q(attention.attention, scope)
    except SQLAlchemyError:  # the rest of the page does not depend on it
        logging.getLogger(__name__).warning("需关注 unavailable", exc_info=True)
        st.caption("需关注暂时无法计算（数据库繁忙），请稍后刷新；本页其余数据不受影响。")
        return
    if on_phone():
        box = st.expander(f"需关注（{len(items)} 项）" if items else "需关注（无）", icon=":material/priority_high:")
    else:
        st.markdown("#### 需关注")
        box = st.container(border=True, key="attention")
    with box:
        if not items:
            st.caption("当前范围内没有需优先关注的事项。")
        for n, it in enumerate(items, start=1):
            with st.container(horizontal=True, vertical_alignment="center", gap="small"):
                st.markdown(f"{n}\\. {plain(it.text)}", width="stretch")
                page_link(it.page, f"{PAGE_NAMES[it.page]} →", **it.params)
        st.caption(attention.RULE)


TILES = ("warnings.open", *(f"warnings.open_level_{lv}" for lv in (1, 2, 3, 4)),
         "hazards.points_online", "hazards.points_alarm", "hazards.points_offline", "enforcement.enterprises_inspected",
         "enforcement.hazards_found",
         "enforcement.suspensions", "enforcement.cases_filed", "enforcement.joint_actions", "supervision.closed_rate",
         "risk.completion_rate", "risk.risks_major_or_above", "risk.risks_major",
         *(f"credit.{c}" for c in ("green", "blue", "yellow", "red")))
STANDING = ("supervision.open", "supervision.overdue")
MAP_KEYS = list(overview.INDICATORS)
MAP_PARAM = st.query_params.get("map") if st.query_params.get("map") in MAP_KEYS else MAP_KEYS[0]
prefetch(scope, overview.headline, comparisons(TILES), overview.supervision_block,
         overview.supervision_by_region, (overview.indicator_by_region, {"indicator": MAP_PARAM}))
prefetch(overview.standing_scope(scope), comparisons(STANDING))

attention_block()
h = q(overview.headline, scope)
w, hz, en, rk, cr = h["warnings"], h["hazards"], h["enforcement"], h["risk"], h["credit"]
ch = tile_changes(scope, TILES)


def tile(key: str, value, **kw) -> None:
    metric(key, value, changes=ch, **kw)


st.markdown("#### 未消警预警（实时）")
cols = st.columns(5)
tile("warnings.open", w["open"], where=cols[0])
for i, lv in enumerate((1, 2, 3, 4), start=1):
    with cols[i]:
        stripe(LEVEL_HEX[lv])
        tile(f"warnings.open_level_{lv}", w["open_by_level"][lv], label_suffix=f"（{LEVEL_COLOUR_NAMES[lv]}）")
page_link("warnings.py", "预警分布 →")

st.markdown("#### 重大危险源在线监测（实时）")
cols = st.columns(5)
metric("hazards.hazard_enterprises", hz["hazard_enterprises"], where=cols[0],
       extra=f"其中接入在线监测 {hz['connected_enterprises']:,} 家，接入率 {figure_text('hazards.access_rate', hz)}")
metric("hazards.hazard_sources", hz["hazard_sources"], where=cols[1])
tile("hazards.points_online", hz["points_online"], where=cols[2],
     extra=f"监测点共 {hz['points']:,} 个，在线率 {figure_text('hazards.online_rate', hz)}")
tile("hazards.points_alarm", hz["points_alarm"], where=cols[3])
tile("hazards.points_offline", hz["points_offline"], where=cols[4])
page_link("hazards.py", "重大危险源实时监测 →")

st.markdown("#### 执法专项行动（统计期内）")
cols = st.columns(5)
tile("enforcement.enterprises_inspected", en["enterprises_inspected"], where=cols[0],
       extra=f"检查 {en['inspections']:,} 家次")
tile("enforcement.hazards_found", en["hazards_found"], where=cols[1],
     extra=f"整改率 {figure_text('enforcement.rectification_rate', en)}")
tile("enforcement.suspensions", en["suspensions"], where=cols[2])
tile("enforcement.cases_filed", en["cases_filed"], where=cols[3], extra=f"罚没款 {en['fines_wan']:,} 万元")
tile("enforcement.joint_actions", en["joint_actions"], where=cols[4])
page_link("enforcement.py", "执法专项行动 →")


def supervision_block() -> None:
    """督办事项: 在办 and 超期 now (or at the view's as-of time), whenever sent; 办结率 of the orders sent in the
    period; then the same per city (per county and the city's own orders in a city view)."""
    sv = q(overview.supervision_block, scope)
    standing = tile_changes(overview.standing_scope(scope), STANDING)
    when = f"截至 {scope.as_of:%Y-%m-%d %H:%M}" if scope.as_of else "当前"
    st.markdown(f"#### 督办事项（在办、超期：{when}）")
    left, right = st.columns([2, 3])
    with left:
        a, b, c = st.columns(3)
        metric("supervision.open", sv["open"], where=a, changes=standing,
               extra=f"其中已反馈待审核办结 {sv['answered']:,} 件")
        metric("supervision.overdue", sv["overdue"], where=b, changes=standing)
        tile("supervision.closed_rate", sv, where=c,
               extra=(f"统计期内发出 {sv['sent']:,} 件，已办结 {sv['closed']:,} 件" if sv["sent"]
                      else "统计期内未发出督办"))
        page_link("supervision.py", "督办 →")
    with right:
        by = q(overview.supervision_by_region, scope)
        rate = figure_label("supervision.closed_rate") + "(%)"
        view = pd.DataFrame({
            child_label(scope): by["name"], figure_label("supervision.open"): by["open"],
            figure_label("supervision.overdue"): by["overdue"], figure_label("supervision.sent"): by["sent"],
            figure_label("supervision.closed"): by["closed"],
            rate: [f"{r:.1f}" if n else "—" for r, n in zip(by["closed_rate"], by["sent"])],
        })
        late = [bool(n) for n in by["overdue"]]
        styled = view.style.apply(lambda col: ["color:#c8102e;font-weight:600" if x else "" for x in late],
                                  subset=[figure_label("supervision.overdue")])
        st.dataframe(styled, hide_index=True, width="stretch", height=min(530, 35 * (len(view) + 1) + 3))
    extra = "；督办不分行业，所选行业不影响本栏" if scope.industry else ""
    st.caption(f"按受办地区统计：各地区的在办、超期为{when}的状态（不论何时发出，超期标红），督办件数、已办结、办结率按统计期内发出的"
               f"督办计算{extra}。")


supervision_block()

c1, c2 = st.columns(2)
with c1:
    st.markdown("#### 风险报告（截至截止时间）")
    a, b, c = st.columns(3)
    tile("risk.completion_rate", rk, where=a,
           extra=f"已完成 {rk['completed']:,} 家 / 应报规上工业企业 {rk['required']:,} 家")
    tile("risk.risks_major_or_above", rk["risks_major_or_above"], where=b)
    tile("risk.risks_major", rk["risks_major"], where=c)
    page_link("risk.py", "风险报告 →")
with c2:
    st.markdown("#### 安全信用脸谱")
    cols = st.columns(4)
    for i, c in enumerate(("green", "blue", "yellow", "red")):
        with cols[i]:
            stripe(CREDIT_HEX[c])
            tile(f"credit.{c}", cr[c])
    page_link("credit.py", "安全信用脸谱 →")

st.markdown(f"#### 各{child_label(scope)}对比地图")
ind = st.selectbox("地图指标", MAP_KEYS, format_func=lambda k: overview.INDICATORS[k][0],
                   index=MAP_KEYS.index(MAP_PARAM), key="map_indicator", placeholder="请选择")
if ind != st.query_params.get("map", MAP_KEYS[0]):
    st.query_params["map"] = ind
label, unit, _, _, worse = overview.INDICATORS[ind]
vals = q(overview.indicator_by_region, scope, indicator=ind)
ev = region_map(scope, engine(), vals, label, unit, key=f"overview_map_{scope.region}", higher_is_worse=worse,
                fit_width=820)  # (the page's width: ~820 px at 1280 px with the sidebar open)
drill_on_click(scope, ev)
st.caption("点击地图上的地区可下钻；用页面上方的地区路径返回上级。红色越深表示越需关注。")
