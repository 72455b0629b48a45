"""重大危险源实时监测: hazard enterprises, sources (GB 18218 一级..四级) and monitoring points by live state, per
child region (map + bar, click drills down) and per enterprise; one enterprise's points (?enterprise=<id>) with the
latest value against its thresholds and a 24-hour trend of a chosen point."""

import pandas as pd
import streamlit as st

from pages.charts import bar, line, region_map
from pages.common import (
    child_label, comparisons, current_scope, drill_on_click, engine, figure, fmt, map_values, metric, page_header,
    page_link, plain, prefetch, q, q_or_stop, rate_column, rates_of_nothing, set_params, tile_changes, url_id,
)
from pages.ui import POINT_STATUS_HEX, flagged, how_many, when
from queries import hazards
from queries.labels import HAZARD_LEVELS, POINT_KINDS, POINT_STATUS

LIVE_NOTE = ("“实时”指各监测点最近一次上传的状态（正常 / 报警 / 离线），不受侧边栏统计期影响；"
             "各指标的口径见指标名称旁的“?”。")


def enterprise_view(scope, eid: int) -> None:
    o = q_or_stop(hazards.enterprise_overview, scope, eid)
    pts = q(hazards.enterprise_points, scope, eid)
    if st.button("← 返回地区总览", key="hz_back", type="tertiary"):
        set_params(enterprise=None, point=None)
        st.rerun()
    st.markdown(f"### {plain(o['name'])}")
    st.caption(f"{plain(o['city'])} · {plain(o['county'])} · {plain(o['sector'] or '—')} · "
               f"统一社会信用代码 {plain(o['uscc'] or '—')} · 最新读数时间 {when(o['newest_reading'])}")
    cols = st.columns(6)
    metric("hazards.hazard_sources", o["hazard_sources"], where=cols[0],
           extra="该企业（GB 18218-2018 分级）：" + "，".join(
               f"{HAZARD_LEVELS[lv]} {o[f'level_{lv}']} 个" for lv in (1, 2, 3, 4)))
    metric("hazards.points", o["points"], where=cols[1], extra="该企业接入在线监测的监测点")
    metric("hazards.points_normal", o["points_normal"], where=cols[2], extra="该企业的监测点")
    metric("hazards.points_alarm", o["points_alarm"], where=cols[3])
    metric("hazards.points_offline", o["points_offline"], where=cols[4], extra="超时未上传读数即为离线")
    metric("hazards.online_rate", o, where=cols[5])
    page_link("enterprise.py", "企业档案 →", enterprise=eid)

    st.markdown("#### 监测点最新读数与阈值（实时，报警、离线在前）")
    if pts.empty:
        st.info("该企业暂无接入在线监测的监测点。")
        return
    view = pd.DataFrame({
        "编号": pts["code"], "监测点": pts["name"], "类型": pts["kind"].map(POINT_KINDS).fillna(pts["kind"]),
        "所属危险源": pts["hazard_source"], "危险源等级": pts["hazard_level"].map(HAZARD_LEVELS),
        "最新值": pd.to_numeric(pts["value"]), "单位": pts["unit"], "低报阈值": pd.to_numeric(pts["low_alarm"]),
        "高报阈值": pd.to_numeric(pts["high_alarm"]), "高高报阈值": pd.to_numeric(pts["high_high_alarm"]),
        "状态": pts["status"].map(POINT_STATUS),
        "读数时间": pd.to_datetime(pts["reading_at"]),
    })
    status_config = flagged(view, "状态", [None if s == "normal" else POINT_STATUS_HEX.get(s) for s in pts["status"]])
    number = st.column_config.NumberColumn(format="%.2f")
    st.dataframe(view, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(view)), placeholder="—",
                 column_config={"状态": status_config,
                                **{c: number for c in ("最新值", "低报阈值", "高报阈值", "高高报阈值")},
                                "读数时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
    st.caption("状态：报警为红色，离线为灰色。阈值为空表示该点未设置该级报警。")

    st.markdown("#### 单点 24 小时趋势")
    ids = [int(i) for i in pts["id"]]
    labels = {int(r.id): f"{r.name}（{r.code}，{POINT_STATUS.get(r.status, r.status)}）"
              for r in pts.itertuples()}
    try:
        cur = int(st.query_params.get("point", ids[0]))
    except ValueError:
        cur = ids[0]
    if cur not in labels:
        cur = ids[0]
    pid = st.selectbox("选择监测点", ids, index=ids.index(cur), format_func=labels.get, key=f"hz_point_{eid}_{cur}",
                       placeholder="请选择")
    if pid != cur:  # the URL is the state: write the choice back and rerun with a widget keyed by it
        set_params(point=pid)
        st.rerun()
    p = pts[pts["id"] == pid].iloc[0]
    trend = q(hazards.point_trend, scope, pid)
    if trend.empty:
        st.info("该监测点最近 24 小时没有读数（离线）。")
        return
    hl = [(float(p[c]), name, colour) for c, name, colour in (
        ("low_alarm", "低报", "#1e78ff"), ("high_alarm", "高报", "#f08c00"), ("high_high_alarm", "高高报", "#e02020"))
        if p[c] is not None and not pd.isna(p[c])]
    line(trend, "ts", ["value"], [f"{p['name']}（{p['unit']}）"], key=f"hz_trend_{pid}", hlines=hl,
         colors=[POINT_STATUS_HEX.get(p["status"], "#1e78ff")], yaxis_title=p["unit"])
    st.caption("趋势为该点最新读数前 24 小时的逐时读数；虚线为报警阈值。")


REGION_TILES = ("hazards.online_rate", "hazards.points_alarm", "hazards.points_offline")


def region_view(scope) -> None:
    prefetch(scope, hazards.summary, comparisons(REGION_TILES), hazards.by_region, hazards.enterprises)
    s = q(hazards.summary, scope)
    st.caption(f"{LIVE_NOTE} 最新读数时间：{when(s['newest_reading'])}")
    cols = st.columns(4)
    metric("hazards.hazard_enterprises", s["hazard_enterprises"], where=cols[0])
    metric("hazards.connected_enterprises", s["connected_enterprises"], where=cols[1])
    metric("hazards.access_rate", s, where=cols[2])
    metric("hazards.hazard_sources", s["hazard_sources"], where=cols[3],
           extra=f"其中接入在线监测 {s['connected_sources']:,} 个")
    cols = st.columns(4)
    ch = tile_changes(scope, REGION_TILES)
    metric("hazards.points", s["points"], where=cols[0])
    metric("hazards.online_rate", s, where=cols[1], changes=ch)
    metric("hazards.points_alarm", s["points_alarm"], where=cols[2], changes=ch)
    metric("hazards.points_offline", s["points_offline"], where=cols[3], extra="超时未上传读数即为离线", changes=ch)
    st.markdown("##### 重大危险源分级（GB 18218-2018）")
    cols = st.columns(4)
    rule = {1: "R ≥ 100", 2: "50 ≤ R < 100", 3: "10 ≤ R < 50", 4: "R < 10"}
    for i, lv in enumerate((1, 2, 3, 4)):
        cols[i].metric(f"{HAZARD_LEVELS[lv]}重大危险源", fmt(s[f"level_{lv}"], "个"), border=True,
                       help=f"{HAZARD_LEVELS[lv]}：{rule[lv]}（R 为辨识指标）")

    kid = child_label(scope)
    st.markdown(f"#### 各{kid}监测点状态（实时）")
    reg = q(hazards.by_region, scope)
    attention = {"points_alarm": True, "points_offline": True, "online_rate": False, "access_rate": False,
                 "hazard_enterprises": True}  # a darker colour means more attention
    options = {c: (figure(f"hazards.{c}").label, figure(f"hazards.{c}").unit, w) for c, w in attention.items()}
    c1, c2 = st.columns([3, 2])
    with c1:
        ind = st.selectbox("地图指标", list(options), format_func=lambda k: options[k][0], key="hz_map_ind",
                           placeholder="请选择")
        label, unit, worse = options[ind]
        ev = region_map(scope, engine(), map_values(reg, f"hazards.{ind}"), label, unit,
                        key=f"hz_map_{scope.region}", higher_is_worse=worse, height=460)
        drill_on_click(scope, ev)
    with c2:
        ev = bar(reg, "name", ["points_alarm", "points_offline"], ["报警", "离线"], key=f"hz_bar_{scope.region}",
                 colors=[POINT_STATUS_HEX["alarm"], POINT_STATUS_HEX["offline"]], stacked=True, height=520,
                 yaxis_title="监测点（个）")
        drill_on_click(scope, ev)
    st.caption(f"点击地图上的{kid}或柱子可下钻；用页面上方的地区路径返回上级。")
    shown = rates_of_nothing(reg, "hazards.access_rate", "hazards.online_rate")
    table = shown[["name", "hazard_enterprises", "connected_enterprises", "access_rate", "hazard_sources", "points",
                   "points_normal", "points_alarm", "points_offline", "online_rate"]].rename(columns={
        "name": kid, "hazard_enterprises": "重大危险源企业", "connected_enterprises": "接入企业", "access_rate": "接入率(%)",
        "hazard_sources": "重大危险源", "points": "监测点", "points_normal": "正常", "points_alarm": "报警",
        "points_offline": "离线", "online_rate": "在线率(%)"})
    st.dataframe(table, hide_index=True, width="stretch", height=min(500, 38 + 35 * len(table)),
                 column_config={"接入率(%)": rate_column("接入率"), "在线率(%)": rate_column("在线率")})

    st.markdown("#### 重大危险源企业（报警、离线在前）")
    ent = q(hazards.enterprises, scope)
    if ent.empty:
        st.info("当前范围内没有重大危险源企业。")
        return
    view = pd.DataFrame({  # (the first columns, what a phone shows: the enterprise and what the list is sorted by)
        "企业": ent["name"], "报警": ent["points_alarm"], "离线": ent["points_offline"], "监测点": ent["points"],
        "区县": ent["county"], "行业": ent["sector"], "重大危险源": ent["hazard_sources"],
        "最高等级": ent["top_level"].map(HAZARD_LEVELS), "已接入": ent["connected"].astype(bool),
    })
    sel = st.dataframe(view, hide_index=True, width="stretch", height=380, on_select="rerun",
                       selection_mode="single-row", key=f"hz_ent_{scope.region}_{scope.industry}")
    rows = sel.selection.rows if sel and sel.selection else []
    if rows:
        set_params(enterprise=int(ent.iloc[rows[0]]["id"]), point=None)
        st.rerun()
    # the list is bounded; the count is the summary's (the same enterprises: those with hazard sources in scope)
    total = s["hazard_enterprises"]
    listed = how_many(total, len(ent), "家", "报警、离线在前") + ("，全部列出" if len(ent) >= total else "")
    st.caption(f"{listed}。选中一行查看该企业的监测点读数与趋势。")


scope = current_scope()
page_header("重大危险源实时监测", scope)
eid = url_id("enterprise", "企业", "返回地区总览", "hz_bad_back")
if eid is not None:
    enterprise_view(scope, eid)
else:
    region_view(scope)
