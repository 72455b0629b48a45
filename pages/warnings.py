"""预警分布: four-level warnings (重大/较大/一般/低 in 红橙黄蓝) — open now, raised in the page's own time window by
level, type, region (map + stacked bar, click drills down), sector and day; handling times, SMS pushes, lists;
one warning's lifecycle (?warning=<id>)."""
from functools import partial

import pandas as pd
import streamlit as st

from pages.charts import bar, level_bar, region_map
from pages.common import (
    child_label, comparisons, current_scope, drill_on_click, engine, figure, figure_label, fmt, forget_refused,
    html_text, metric, page_header, page_link, plain, prefetch, q, q_or_stop, rate_column, rates_of_nothing,
    say_refused, set_params, tile_changes, topic_keys, url_id,
)
from pages.supervision_ui import warning_duban
from pages.ui import level_chip, level_column, level_labels, month_day, step_history, stripe, when
from queries import handling, warnings
from queries.labels import LEVEL_COLOUR_NAMES, LEVEL_HEX, LEVEL_NAMES
SMS_KIND = {"enterprise": "企业", "regulator": "监管部门"}
SMS_STATUS = {"delivered": "已送达", "failed": "发送失败"}
# 预警清单's tabs and their lists; only the open tab's list is read (labels that changed with the window would make
# the tabs a new widget, and a change of window would close the open tab: the window is in the caption)
LIST_TAB_KEY = "w_list_tab"
LIST_TABS = ("未消警预警（按等级）", "最新预警")
_LISTINGS = ({"open_only": True, "limit": 200}, {"limit": 100})


def _minutes(v) -> str:
    if v is None or pd.isna(v):
        return "—"
    v = float(v)
    if v < 60:
        return f"{v:.1f} 分钟"
    if v < 1440:
        return f"{v / 60:.1f} 小时"
    return f"{v / 1440:.1f} 天"


def _window() -> str:
    raw = st.query_params.get("wwin", warnings.DEFAULT_WINDOW)
    msg = None
    if raw not in warnings.WINDOWS:
        msg = f"链接中的预警时间范围无效：{plain(raw, 20)}，已显示{warnings.WINDOWS[warnings.DEFAULT_WINDOW]}。"
        raw = warnings.DEFAULT_WINDOW
    elif "wwin" in st.query_params:  # a window chosen since
        forget_refused("wwin")
    say_refused("wwin", msg)
    keys = list(warnings.WINDOWS)
    # the URL is the state: the widget is keyed by the URL's value, a change is written back and rerun
    win = st.radio("预警时间范围", keys, index=keys.index(raw), format_func=warnings.WINDOWS.get, horizontal=True,
                   key=f"w_window_{raw}")
    if win != raw:
        forget_refused("wwin")
        set_params(wwin=None if win == warnings.DEFAULT_WINDOW else win)
        st.rerun()
    if "wwin" in st.query_params and st.query_params["wwin"] != raw:  # an invalid value: drop it
        set_params(wwin=None)
    return win


def lifecycle_view(scope, wid: int) -> None:
    lc = q_or_stop(warnings.lifecycle, scope, wid)
    w, steps, sms = lc["warning"], lc["steps"], lc["sms"]
    if st.button("← 返回预警分布", key="w_back", type="tertiary"):
        set_params(warning=None)
        st.rerun()
    lv = int(w["level"])
    st.markdown(f"### {plain(w['title'])}")
    # a paragraph (inline HTML): the data are markdown-escaped, which also makes < > & literal text
    st.markdown(f"{level_chip(lv)}&nbsp;&nbsp;预警编号 {plain(w['code'])} · {plain(w['type_name'])} · "
                f"{plain(w['enterprise'])} · {plain(w['county'])}", unsafe_allow_html=True)
    cols = st.columns(4)
    peak = w.get("peak_value")
    cols[0].metric("监测点", plain(w.get("point_name") or "—"), border=True, help="触发预警的监测点（设备类预警可能没有）")
    cols[1].metric("峰值", "—" if peak is None else f"{peak:,.2f} {w.get('unit') or ''}", border=True,
                   help="预警期间监测值的峰值" + (f"；高报阈值 {w['high_alarm']}，高高报阈值 {w['high_high_alarm']}"
                                          if w.get("high_alarm") is not None else ""))
    cols[2].metric("重复报警次数", fmt(w["repeat_count"], "次"), border=True,
                   help="同一监测点的重复报警合并为一条预警")
    cols[3].metric("短信推送", fmt(len(sms), "条"), border=True, help="推送给企业负责人和属地监管部门的短信")

    st.markdown("#### 闭环处置过程")
    cols = st.columns(len(steps))
    done = [s for s in steps if s["at"] is not None]
    for c, s in zip(cols, steps):
        ok = s["at"] is not None
        colour = "#2e9d48" if ok else "#b8bec8"
        since = (f"距上一环节 {_minutes(s['since_prev_min'])}<br>距产生 {_minutes(s['since_raised_min'])}"
                 if ok and s["step"] != "raised" else ("预警产生" if ok else "尚未完成"))
        c.markdown(
            f"<div style='border-top:6px solid {colour};padding:6px 2px'>"
            f"<div style='font-weight:600'>{'✔' if ok else '○'} {html_text(s['name'])}</div>"
            f"<div style='font-size:0.9em'>{when(s['at'], seconds=True) if ok else '—'}</div>"
            f"<div style='font-size:0.85em;color:#666'>{since}</div></div>", unsafe_allow_html=True)
    st.caption(f"当前环节：{done[-1]['name'] if done else '—'}。闭环流程：产生 → 推送 → 签收 → 现场核查 → 消警。"
               + ("按截止时间统计时，截止之后的环节不显示。" if scope.as_of else ""))

    st.markdown("#### 处置记录")
    h = handling.history(wid, scope, engine=engine())  # live: a step taken on the desk shows at once
    if h.empty:
        st.caption("尚无人工或系统处置记录。")
    step_history(h)
    page_link("handling.py", "到预警处置办理 →", warning=wid)
    warning_duban(scope, w)

    st.markdown("#### 短信推送记录")
    if sms.empty:
        st.info("该预警没有短信推送记录。")
    else:
        st.dataframe(pd.DataFrame({
            "接收方": sms["recipient_kind"].map(SMS_KIND).fillna(sms["recipient_kind"]), "接收人": sms["recipient"],
            "手机号（脱敏）": sms["phone"], "发送时间": pd.to_datetime(sms["sent_at"]),
            "状态": sms["status"].map(SMS_STATUS).fillna(sms["status"]),
        }), hide_index=True, width="stretch",
            column_config={"发送时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")})
    page_link("enterprise.py", "企业档案 →", enterprise=w["enterprise_id"])
    page_link("hazards.py", "该企业监测点 →", enterprise=w["enterprise_id"])


def _listing_table(df: pd.DataFrame, key: str):
    view = pd.DataFrame({
        "预警编号": df["code"], "等级": level_labels(df["level"]), "类型": df["type_name"], "标题": df["title"],
        "企业": df["enterprise"], "区县": df["county"], "产生时间": df["raised_at"], "重复次数": df["repeat_count"],
        "当前环节": df["stage"],
    })
    sel = st.dataframe(view, hide_index=True, width="stretch", height=360, on_select="rerun",
                       selection_mode="single-row", key=key,
                       column_config={"等级": level_column(),
                                      "产生时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
    rows = sel.selection.rows if sel and sel.selection else []
    if rows:
        set_params(warning=int(df.iloc[rows[0]]["id"]))
        st.rerun()


TIMELINESS_TILES = ("warnings.ack_timely_rate", "warnings.close_timely_rate", "warnings.overdue")
SUMMARY_TILES = tuple(k for k in topic_keys("warnings") if figure(k).source is warnings.summary)


def timeliness_view(scope, ws, win: str) -> None:
    """签收及时率 / 处置及时率 (the page's time window) and 超时未处置, then the same per city or county."""
    st.markdown("#### 处置及时情况")
    t = q(handling.timeliness, ws)
    tile = partial(metric, changes=tile_changes(ws, TIMELINESS_TILES))
    window = f"本页的统计期为所选预警时间范围（{warnings.WINDOWS[win]}）"
    cols = st.columns(3)
    tile("warnings.ack_timely_rate", t, where=cols[0],
           extra=f"{window}；及时签收 {t['ack_timely']:,} 条 / 应签收 {t['ack_due']:,} 条")
    tile("warnings.close_timely_rate", t, where=cols[1],
           extra=f"{window}；及时消警 {t['close_timely']:,} 条 / 应消警 {t['close_due']:,} 条")
    tile("warnings.overdue", t["overdue"], where=cols[2])
    by = q(handling.timeliness_by_region, ws)
    if by.empty:
        return
    kid = child_label(scope)
    by = rates_of_nothing(by, "warnings.ack_timely_rate", "warnings.close_timely_rate")
    st.dataframe(pd.DataFrame({
        kid: by["name"], figure_label("warnings.ack_timely_rate") + "(%)": by["ack_timely_rate"],
        "及时签收/应签收": [f"{a:,}/{b:,}" for a, b in zip(by["ack_timely"], by["ack_due"])],
        figure_label("warnings.close_timely_rate") + "(%)": by["close_timely_rate"],
        "及时消警/应消警": [f"{a:,}/{b:,}" for a, b in zip(by["close_timely"], by["close_due"])],
        figure_label("warnings.overdue"): by["overdue"], "未消警": by["open"],
    }), hide_index=True, width="stretch",
        column_config={figure_label(k) + "(%)": rate_column(figure_label(k))
                       for k in ("warnings.ack_timely_rate", "warnings.close_timely_rate")})
    st.caption(f"各{kid}的签收及时率、处置及时率按本页预警时间范围内产生的预警计算；超时未处置为当前（或截止时间）状态。"
               "时限见处置时限表（本系统默认值，管理员可调整）。")


def distribution_view(scope, ws, win: str) -> None:
    s = q(warnings.summary, ws)
    tile = partial(metric, changes=tile_changes(ws, SUMMARY_TILES))
    st.markdown("#### 未消警预警（实时）")
    cols = st.columns(5)
    with cols[0]:
        stripe("#5a6270")
        tile("warnings.open", s["open"], extra="不论产生时间")
    for i, lv in enumerate((1, 2, 3, 4), start=1):
        with cols[i]:
            stripe(LEVEL_HEX[lv])
            tile(f"warnings.open_level_{lv}", s["open_by_level"][lv], label_suffix=f"（{LEVEL_COLOUR_NAMES[lv]}）")

    st.markdown(f"#### {warnings.WINDOWS[win]}产生的预警")
    cols = st.columns(4)
    window = f"本页的统计期为所选预警时间范围（{warnings.WINDOWS[win]}）"
    tile("warnings.raised", s["raised"], where=cols[0], extra=window + "；" + "，".join(
        f"{LEVEL_NAMES[lv]} {s['raised_by_level'][lv]:,}" for lv in (1, 2, 3, 4)))
    tile("warnings.closed", s["closed"], where=cols[1], extra=window)
    for col, key in ((cols[2], "warnings.avg_ack_min"), (cols[3], "warnings.avg_close_min")):
        v = figure(key).value_of(s)  # (an average of nothing has no value)
        tile(key, "—" if v is None else f"{v:,.1f} 分钟", where=col, extra=window)
    cols = st.columns(4)
    cols[0].metric("已签收", fmt(s["acknowledged"], "条"), border=True, help="其中企业已签收的预警")
    tile("warnings.alarms_merged", s["alarms_merged"], where=cols[1],
           extra="同一监测点在预警未消警期间的重复报警合并到原预警，不另行推送")
    tile("warnings.sms_sent", s["sms_sent"], where=cols[2], extra=window)
    cols[3].metric("推送失败", fmt(s["sms_failed"], "条"), border=True, help="发送失败的短信（需人工补充通知）")

    timeliness_view(scope, ws, win)

    lv_df = q(warnings.by_level, ws)
    c1, c2 = st.columns([3, 2])
    with c1:
        st.markdown("##### 按等级：消警情况与处置用时")
        # the averages under the tiles' labels (the figure catalogue's), in minutes
        ack, close = (figure_label(k) + "(分钟)" for k in ("warnings.avg_ack_min", "warnings.avg_close_min"))
        st.dataframe(pd.DataFrame({
            "等级": level_labels(lv_df["level"]),
            "产生": lv_df["raised"], "已消警": lv_df["closed"], "未消警": lv_df["open"],
            ack: lv_df["avg_ack_min"], close: lv_df["avg_close_min"],
        }), hide_index=True, width="stretch",
            column_config={"等级": level_column(colour_names=True),
                           ack: st.column_config.NumberColumn(format="%.1f"),
                           close: st.column_config.NumberColumn(format="%.1f")})
    with c2:
        st.markdown("##### 已消警与未消警")
        bar(lv_df, "level_name", ["closed", "open"], ["已消警", "未消警"], key="w_open_closed",
            colors=["#2e9d48", "#c8102e"], custom=None, stacked=True, selectable=False, height=260,
            yaxis_title="预警（条）")

    kid = child_label(scope)
    st.markdown(f"#### 各{kid}预警分布")
    reg = q(warnings.by_region, ws)
    c1, c2 = st.columns([3, 2])
    with c1:
        ind = st.radio("地图指标", ["raised", "open"], horizontal=True, key="w_map_ind",
                          format_func={"raised": f"{warnings.WINDOWS[win]}产生", "open": "未消警（实时）"}.get)
        ev = region_map(scope, engine(), reg[["adcode"]].assign(value=reg[ind]),
                        figure_label(f"warnings.{ind}"), "条", key=f"w_map_{scope.region}",
                        height=460)
        drill_on_click(scope, ev)
    with c2:
        ev = level_bar(reg, "name", key=f"w_bar_{scope.region}", height=520)
        drill_on_click(scope, ev)
    st.caption(f"柱状图为{warnings.WINDOWS[win]}各{kid}产生的预警，按等级堆叠（红橙黄蓝）。点击地图或柱子可下钻；"
               "用页面上方的地区路径返回上级。")

    c1, c2 = st.columns(2)
    with c1:
        st.markdown("##### 按预警类型")
        level_bar(q(warnings.by_type, ws), "type_name", key="w_type", custom=None, selectable=False, height=320)
    with c2:
        st.markdown("##### 按行业")
        level_bar(q(warnings.by_sector, ws), "sector_name", key="w_sector", custom=None, selectable=False,
                  height=320)
    st.markdown("##### 按日")
    day = q(warnings.by_day, ws)
    level_bar(day.assign(day=[month_day(d) for d in day["day"]]), "day", key="w_day", custom=None,
              selectable=False, height=300)

    st.markdown("#### 预警清单")
    # only the open tab's list is read and drawn
    t1, t2 = st.tabs(list(LIST_TABS), key=LIST_TAB_KEY, on_change="rerun")
    if t1.open:
        with t1:
            _listing_table(q(warnings.listing, ws, **_LISTINGS[0]), key=f"w_open_list_{scope.region}")
            st.caption("当前尚未消警的预警，重大在前，最多 200 条。选中一行查看闭环处置过程。")
    if t2.open:
        with t2:
            _listing_table(q(warnings.listing, ws, **_LISTINGS[1]), key=f"w_new_list_{scope.region}")
            st.caption(f"{warnings.WINDOWS[win]}内最新产生的 100 条预警。选中一行查看闭环处置过程。")



def _open_listing() -> tuple:
    """The listing of the tab that will be open (the first unless the session keeps the second), to prefetch."""
    second = st.session_state.get(LIST_TAB_KEY) == LIST_TABS[1]
    return (warnings.listing, _LISTINGS[1 if second else 0])


scope = current_scope()
page_header("预警分布", scope)
wid = url_id("warning", "预警", "返回预警分布", "w_bad_back")
if wid is not None:
    lifecycle_view(scope, wid)
else:
    win = _window()
    d_from, d_to = warnings.window_dates(win, as_of=scope.as_of)
    ws = scope.with_(date_from=d_from, date_to=d_to)
    prefetch(ws, warnings.summary, comparisons(SUMMARY_TILES), handling.timeliness,
             comparisons(TIMELINESS_TILES), handling.timeliness_by_region, warnings.by_level,
             warnings.by_region, warnings.by_type, warnings.by_sector, warnings.by_day, _open_listing())
    st.caption(f"预警数据为实时数据：本页按自己的时间范围统计（{d_from:%Y-%m-%d} 至 {d_to:%Y-%m-%d}，按自然日），"
               "不使用侧边栏的统计期；地区、行业和截止时间沿用侧边栏（设置截止时间时，时间范围截至该日）。"
               "“未消警”为当前（或截止时间）仍未消警的预警。")
    distribution_view(scope, ws, win)
