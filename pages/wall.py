"""值班大屏: the duty room's wall screen (1920×1080, dark, read from 3–5 m, nobody touches it for days).

A header with the data status and a clock, the alert strip (open warnings by level — the biggest figures —, those
not acknowledged, those overdue, and 督办: open orders, overdue in red, the rate closed), and a playlist
of views that rotates by itself (``OVERSIGHT_WALL_DWELL`` seconds each; a view showing open 重大/较大 warnings
stays longer, and a new 重大/较大 warning takes the screen). The live part is one ``st.fragment`` that reruns
every ``OVERSIGHT_WALL_REFRESH`` seconds: no reload, no flicker. Queries go through the shared cache (TTL at
most the refresh interval), so thirty screens cost the database about what one costs.

Freshness: every tile shows when its data are from; live tiles turn amber when the newest reading is 2 minutes
old and red at 5 (``OVERSIGHT_STALE_AMBER_S`` / ``_RED_S``), with a 数据中断 banner. If the database cannot be
reached, the screen keeps the last good figures, says since when, and recovers by itself. ``?view=<key>`` pins
one view (e.g. a second screen that always shows the map).
"""
from __future__ import annotations

import datetime as dt
import logging
import time

import pandas as pd
import streamlit as st

from pages import ui, wallkit as wk
from pages.charts import region_map
from pages.common import binding, current_scope, figure, figure_help, figure_label, figure_text
from queries import credit, enforcement, handling, hazards, risk, supervision, wall, warnings
from queries.labels import CREDIT_MEANING, LEVEL_HEX, LEVEL_NAMES
from queries.regions import PROVINCE
from queries.scope import Scope

log = logging.getLogger("oversight.wall")

# the dark theme, the clock and the client-side watchdog: outside the live fragment, rendered once. (st.html
# strips <style>; st.markdown keeps it.)
with st.container(key="wall_chrome"):
    st.markdown(wk.CSS, unsafe_allow_html=True)
    st.html(wk.clock_html(wk.refresh_s()), unsafe_allow_javascript=True)


def _scope() -> Scope:
    try:
        s = current_scope()
        st.session_state["wall_scope"] = s
        return s
    except wk.DB_ERRORS:  # database down at (re)start: the last scope of this session, else the binding
        b = binding()
        return st.session_state.get("wall_scope") or Scope(region=b or PROVINCE, binding=b)


scope = _scope()
# live figures are "now": no period, no as-of
live_scope = Scope(region=scope.region, industry=scope.industry, binding=scope.binding)


class Ctx:
    """One refresh: the clock, what was fetched, and which fetches failed."""

    def __init__(self):
        self.now = dt.datetime.now()
        self.errors: list[Exception] = []
        self.oldest_ok: dt.datetime | None = None
        self.refresh = wk.refresh_s()

    def get(self, fn, s: Scope, *args, live: bool = False, **kw):
        f = wk.fetch(fn, s, *args, ttl=self.refresh if live else None, **kw)
        if not f.ok:
            self.errors.append(f.error)
            if f.at is not None and (self.oldest_ok is None or f.at < self.oldest_ok):
                self.oldest_ok = f.at
        return f.value


def tile(name: str, label: str, value: str, *, fresh: str = "static", caption: str | None = None,
         help: str | None = None) -> None:
    with st.container(key=f"tile_{fresh}_{name}"):  # the data time sits inside the tile (as a neutral delta)
        st.metric(label, value, delta=caption, delta_color="off", delta_arrow="off", border=True, help=help)


def fig_tile(name: str, key: str, value: str, *, label_suffix: str = "", extra: str = "", **kw) -> None:
    """A tile of catalogue figure ``key``: its short label (and ``label_suffix``) and help text (and ``extra``)."""
    tile(name, figure_label(key, short=True) + label_suffix, value, help=figure_help(key, extra), **kw)


def num(v, unit: str = "") -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "—"
    if isinstance(v, float) and not v.is_integer():
        s = f"{v:,.1f}"
    else:
        s = f"{int(v):,}"
    return f"{s}{unit}" if unit in ("%", "") else f"{s} {unit}"


def live_caption(c: Ctx, t, fresh: str) -> str:
    """The data time of a live tile; when stale, how long ago (e.g. '2分10秒未更新': short enough to be read across a
    duty room on a narrow tile; the status line and the banner say the newest data's time)."""
    if fresh != "fresh" and t is not None:
        return f"{ui.age_text((c.now - t).total_seconds())}未更新"
    return f"数据时间 {ui.stamp(t, c.now)}"


# --- views: load() fetches everything first (the screen then changes in one quick burst), draw() renders -------

def load_situation(c: Ctx, p: dict) -> dict:
    return {"sit": c.get(wall.situation, live_scope, live=True),
            "sites": c.get(wall.open_warning_sites, live_scope, live=True),
            "meta": f"实时 · 数据时间 {ui.stamp(p.get('newest_reading'), c.now)}"}


def draw_situation(c: Ctx, p: dict, fresh: str, d: dict) -> None:
    sit, sites = d["sit"], d["sites"]
    left, right = st.columns([3, 2], gap="medium")
    with left:
        if sit is not None:
            vals = sit[["adcode", "name", "open"]].rename(columns={"open": "value"})
            pts = None
            if sites is not None and not sites.empty:
                pts = sites.assign(fill=[ui.rgba(LEVEL_HEX[int(lv)]) for lv in sites["level"]],
                                   tip=[f"{n}：未消警 {k} 条（最高 {LEVEL_NAMES[int(lv)]}）"
                                        for n, k, lv in zip(sites["name"], sites["open"], sites["level"])])
                pts = pts.sort_values("level", ascending=False)  # worst drawn last, on top
            try:
                region_map(scope, wk.engine_or_last(), vals, "未消警预警", "条", key=f"wall_sit_map_{scope.region}",
                           points=pts, height=560, dark=True, selectable=False, points_outline=True,
                           point_px=(5, 11), label_size=22)
            except wk.DB_ERRORS:
                st.html("<div class='wall-panel'>地图暂不可用（数据库连接中断）</div>")
        st.html(wk.level_legend().replace("</div>", " · 点：有未消警预警的企业（最高等级）；地区越深，未消警越多</div>"))
    with right:
        if sit is not None:
            df = sit.assign(major=sit["open_1"] + sit["open_2"]).sort_values(["major", "open"], ascending=False)
            rows = "".join(
                f"<tr><td>{wk.esc(r['name'])}</td><td class='{'hot' if r['major'] else ''}'>{int(r['major'])}</td>"
                f"<td>{int(r['open'])}</td><td>{int(r['points_alarm'])}</td><td>{int(r['points_offline'])}</td></tr>"
                for _, r in df.iterrows())
            st.html(f"<div class='wall-panel'><h3>各{'市' if scope.region == PROVINCE else '区县'}实时态势</h3>"
                    f"<table class='wall-table'><tr><th>地区</th><th>重大/较大</th><th>未消警</th><th>报警点位</th>"
                    f"<th>离线点位</th></tr>{rows}</table></div>")


def load_hazards(c: Ctx, p: dict) -> dict:
    return {"sit": c.get(wall.situation, live_scope, live=True),
            "top": c.get(hazards.enterprises, live_scope, live=True, limit=9),
            "meta": f"实时 · 数据时间 {ui.stamp(p.get('newest_reading'), c.now)}"}


def draw_hazards(c: Ctx, p: dict, fresh: str, d: dict) -> None:
    cap = live_caption(c, p.get("newest_reading"), fresh)
    cols = st.columns(5)
    with cols[0]:
        fig_tile("hz_points", "hazards.points", num(p["points"], "个"), fresh=fresh, caption=cap)
    with cols[1]:
        fig_tile("hz_online", "hazards.online_rate", num(figure("hazards.online_rate").value_of(p), "%"),
                 fresh=fresh, caption=cap, extra="离线：超过 3 个采集周期未上报")
    with cols[2]:
        fig_tile("hz_alarm", "hazards.points_alarm", num(p["points_alarm"], "个"), fresh=fresh, caption=cap)
    with cols[3]:
        fig_tile("hz_offline", "hazards.points_offline", num(p["points_offline"], "个"), fresh=fresh, caption=cap)
    with cols[4]:
        tile("hz_newest", "最新数据", ui.hms(p.get("newest_reading")), fresh=fresh,
             caption="监测网络最近一次上报", help="所有监测点中最新一条读数的采集时间")
    sit, top = d["sit"], d["top"]
    left, right = st.columns([1, 1], gap="medium")
    with left:
        if sit is not None:
            df = sit[sit["points"] > 0]  # (a place without points has no rate to rank)
            df = df.sort_values(["online_rate", "points_offline"], ascending=[True, False]).head(9)
            rows = [(r["name"], r["online_rate"], f"{r['online_rate']:.1f}%") for _, r in df.iterrows()]
            st.html(f"<div class='wall-panel'><h3>各地监测点在线率（低的在前）</h3>"
                    f"{wk.bars(rows, colour=[wk.colour_for_rate(r[1], 99, 95) for r in rows])}</div>")
    with right:
        if top is not None:
            df = top[(top["points_alarm"] > 0) | (top["points_offline"] > 0)].head(8)
            rows = "".join(f"<tr><td>{wk.esc(r['name'])}</td><td>{wk.esc(r['county'])}</td>"
                           f"<td class='{'hot' if r['points_alarm'] else ''}'>{int(r['points_alarm'])}</td>"
                           f"<td>{int(r['points_offline'])}</td></tr>" for _, r in df.iterrows())
            st.html("<div class='wall-panel'><h3>报警、离线点位最多的企业</h3><table class='wall-table'>"
                    "<tr><th>企业</th><th>区县</th><th>报警</th><th>离线</th></tr>"
                    f"{rows or '<tr><td colspan=4>当前无报警、离线点位</td></tr>'}</table></div>")


def _annotated(df):
    """The rolling list with its 超时 marks (``handling.annotate``); unmarked if the deadlines cannot be read."""
    if df is None or df.empty:
        return df
    try:
        return handling.annotate(df, engine=wk.engine_or_last())
    except wk.DB_ERRORS:
        return df


def load_warnings(c: Ctx, p: dict) -> dict:
    return {"list": _annotated(c.get(warnings.listing, live_scope, live=True, limit=40)),
            "meta": f"实时 · 最新预警 {ui.stamp(p.get('newest_warning'), c.now)}"}


def draw_warnings(c: Ctx, p: dict, fresh: str, d: dict) -> None:
    df = d["list"]
    left, right = st.columns([5, 2], gap="medium")
    with left:
        if df is not None:
            rows = []
            for _, r in df.iterrows():
                t = r["raised_at"]
                when = ui.clock_or_day(t, c.now)
                rep = f" ×{int(r['repeat_count'])}" if int(r["repeat_count"]) > 1 else ""
                closed = pd.notna(r["closed_at"])
                late = bool(r.get("overdue", False)) and not closed
                chip = ui.level_chip(r["level"], short=True, css_class="wall-chip")
                stage = ("超时 · " if late else "") + str(r["stage"])
                rows.append(f"<div class='wall-wrow{' late' if late else ''}'><span class='t'>{when}</span>{chip}"
                            f"<span class='n'>{wk.esc(r['title'])}{rep}</span><span class='c'>{wk.esc(r['county'])}"
                            f"</span><span class='s {'' if closed else 'open'}'>{wk.esc(stage)}</span></div>")
            body = "".join(rows) or "<div class='wall-wrow'>暂无预警</div>"
            if len(rows) > 12:  # scroll (the list twice, for a seamless loop); unchanged content keeps its place
                body = (f"<div class='wall-scroll-inner' style='animation-duration:{len(rows) * 3}s'>"
                        f"{body}{body}</div>")
            st.html(f"<div class='wall-panel'><h3>最新预警（按产生时间，最新在前；×N：重复报警已合并；红字“超时”：已过处置时限）</h3>"
                    f"<div class='wall-scroll'>{body}</div></div>")
    with right:
        tile("w_today", "今日预警", num(p["today"], "条"), fresh=fresh,
             caption=live_caption(c, p.get("newest_reading"), fresh), help="今天 0 时以来产生的预警（重复报警已合并）")
        for pair in ((1, 2), (3, 4)):
            for lv, slot in zip(pair, st.columns(2)):
                with slot:
                    tile(f"w_today_l{lv}", f"今日{LEVEL_NAMES[lv]}", num(p["today_by_level"][lv], "条"), fresh=fresh,
                         caption=ui.stamp(p.get("newest_reading"), c.now))


def load_campaigns(c: Ctx, p: dict) -> dict:
    times = c.get(wall.topic_times, scope) or {}
    return {"camps": c.get(enforcement.campaigns, scope),
            "meta": f"统计期 {scope.date_from} 至 {scope.date_to} · 数据截至 {ui.stamp(times.get('inspections'), c.now)}"}


def draw_campaigns(c: Ctx, p: dict, fresh: str, d: dict) -> None:
    camps = d["camps"]
    if camps is None or camps.empty:
        st.html("<div class='wall-panel'>当前范围内没有专项行动</div>")
        return
    df = camps.sort_values(["city_adcode", "start_on"], na_position="first").head(16)
    rows = [(r["region_name"] if pd.notna(r["city_adcode"]) else "全省", r["progress_pct"],
             f"{r['inspections']:,} 家次 · {r['progress_pct']:.1f}%") for _, r in df.iterrows()]
    colours = ["#e0452f" if b else "#2e9d48" for b in df["behind"]]
    names = "、".join(sorted(set(df["name"])))
    st.html(f"<div class='wall-panel'><h3>检查进度：检查家次 ÷ 目标家次（白线：时间进度；红：落后于时间，绿：按期）</h3>"
            f"<div class='wall-camp meta'>{wk.esc(names)}</div>"
            f"{wk.bars(rows, colour=colours, marker=list(df['time_pct']))}</div>")


def load_risk(c: Ctx, p: dict) -> dict:
    times = c.get(wall.topic_times, scope) or {}
    when = ui.stamp(times.get("risk_reports"), c.now)
    return {"comp": c.get(risk.completion, scope), "by": c.get(risk.by_region, scope), "when": when,
            "meta": f"统计期 {scope.date_from} 至 {scope.date_to} · 数据截至 {when}"}


def draw_risk(c: Ctx, p: dict, fresh: str, d: dict) -> None:
    comp, by, when = d["comp"], d["by"], d["when"]
    left, right = st.columns([2, 3], gap="medium")
    with left:
        if comp is not None:
            dd = comp.get("days_to_deadline")
            cols = st.columns(2)
            with cols[0]:
                fig_tile("rk_rate", "risk.completion_rate", num(figure("risk.completion_rate").value_of(comp), "%"),
                         caption=f"数据截至 {when}")
            with cols[1]:
                fig_tile("rk_done", "risk.completed", num(comp["completed"], "家"),
                         caption=f"应报 {comp['required']:,} · 未完成 {comp['outstanding']:,}")
            cols = st.columns(2)
            with cols[0]:
                fig_tile("rk_major", "risk.risks_major_or_above", num(comp["risks_major_or_above"], "条"),
                         caption=f"其中重大 {comp['risks_major']:,} 条 · 截至 {when}")
            with cols[1]:
                tile("rk_due", "首次报告截止", str(comp["due_on"] or "—"),
                     caption=None if dd is None else ("已截止" if dd < 0 else f"还剩 {dd} 天"),
                     help="《江苏省工业企业安全生产风险报告规定》")
    with right:
        if by is not None:
            df = by[by["required"] > 0].sort_values("completion_rate").head(13)
            rows = [(r["name"], r["completion_rate"], f"{r['completed']:,}/{r['required']:,} · {r['completion_rate']:.1f}%")
                    for _, r in df.iterrows()]
            st.html(f"<div class='wall-panel'><h3>各{'市' if scope.region == PROVINCE else '区县'}完成上报率（低的在前；"
                    f"绿 ≥95%，橙 ≥60%，红 <60%）</h3>{wk.bars(rows, colour=[wk.colour_for_rate(r[1]) for r in rows])}</div>")


def load_credit(c: Ctx, p: dict) -> dict:
    times = c.get(wall.topic_times, scope) or {}
    when = ui.stamp(times.get("credit"), c.now)
    dist = c.get(credit.distribution, scope)
    meta = f"已评定 {dist['rated']:,} 家 · 绿色最好、红色最差 · 数据截至 {when}" if dist else f"数据截至 {when}"
    return {"dist": dist, "by": c.get(credit.by_region, scope), "when": when, "meta": meta}


def draw_credit(c: Ctx, p: dict, fresh: str, d: dict) -> None:
    dist, by, when = d["dist"], d["by"], d["when"]
    left, right = st.columns([3, 2], gap="medium")
    with left:
        if by is not None:
            vals = by[["adcode", "name", "red_yellow_share"]].rename(columns={"red_yellow_share": "value"})
            try:
                region_map(scope, wk.engine_or_last(), vals, "红黄色企业占比", "%", key=f"wall_credit_map_{scope.region}",
                           height=560, dark=True, selectable=False, label_size=22)
            except wk.DB_ERRORS:
                st.html("<div class='wall-panel'>地图暂不可用（数据库连接中断）</div>")
            st.html("<div class='wall-legend'>地区颜色：红、黄色（失信警示以上）企业占比，越深越需关注</div>")
    with right:
        if dist is not None:
            st.html(wk.credit_legend())
            for pair in (("green", "blue"), ("yellow", "red")):
                cols = st.columns(2)
                for col, slot in zip(pair, cols):
                    with slot:
                        fig_tile(f"cr_{col}", f"credit.{col}", num(dist[col], "家"),
                                 label_suffix=f"（{dist['shares'][col]:.1f}%）", caption=f"数据截至 {when}",
                                 extra=CREDIT_MEANING[col])
            share = figure_text("credit.red_yellow_share", dist)
            st.html(f"<div class='wall-panel'><h3>红、黄色企业 {dist['red_yellow']:,} 家，占 {share}"
                    f"</h3><div class='wall-legend'>黄色：失信警示，提高检查频次；红色：严重失信，重点监管</div></div>")


VIEW_FUNCS = {
    "situation": (load_situation, draw_situation), "hazards": (load_hazards, draw_hazards),
    "warnings": (load_warnings, draw_warnings), "campaigns": (load_campaigns, draw_campaigns),
    "risk": (load_risk, draw_risk), "credit": (load_credit, draw_credit),
}


# --- the live part ------------------------------------------------------------------------------------------------

def render() -> None:
    c = Ctx()
    amber_s, red_s = wall.stale_thresholds()
    p = c.get(wall.pulse, live_scope, live=True)
    newest = p.get("newest_reading") if p else None
    fresh = wall.freshness(newest, c.now, amber_s=amber_s, red_s=red_s)
    # rotation
    views = wk.playlist(st.query_params.get("view"))
    majors = (p["open_by_level"][1] + p["open_by_level"][2]) if p else 0
    pinned = wk.MAJOR_VIEWS if majors else set()
    rot = wk.rotate(st.session_state.get("wall_rot"), time.time(), views, wk.dwell_s(), pin=wk.pin_factor(),
                    pinned=pinned, newest_major=p.get("newest_major_id") if p else None)
    st.session_state["wall_rot"] = rot
    beat = st.session_state["wall_beat"] = st.session_state.get("wall_beat", 0) + 1
    load, draw = VIEW_FUNCS[rot.view]
    try:
        data = load(c, p or {}) if (p or rot.view not in wk.LIVE_VIEWS) else {"failed": True}
    except Exception:  # noqa: BLE001
        log.exception("wall view %s failed to load", rot.view)
        data = {"failed": True}
    # header: title, data status (the page's heartbeat for the client-side watchdog)
    region = "江苏省" if scope.region == PROVINCE else _region_name(scope.region)
    age = f"（{ui.age_text((c.now - newest).total_seconds())}前）" if newest is not None and fresh != "fresh" else ""
    st.html(f"<div class='wall-head'><div class='wall-title'>{wk.esc(region)}应急管理 · 值班大屏</div>"
            f"<div class='wall-status {fresh} wall-beat' data-beat='{beat}'>● {wk.FRESH_NAMES[fresh]} · 最新数据 "
            f"{ui.stamp(newest, c.now)}{age}</div></div>")
    # banners (fixed at the bottom edge)
    banners = []
    if fresh == "red":
        what = f"监测数据已 {ui.age_text((c.now - newest).total_seconds())} 未更新（最新数据 {ui.stamp(newest, c.now)}）" \
            if newest is not None else "没有监测数据"
        banners.append(f"<div class='wall-banner red'>数据中断：{what}。请检查监测数据接入（网关或数据采集程序）。</div>")
    elif fresh == "amber":
        banners.append(f"<div class='wall-banner amber'>数据延迟：监测数据已 {ui.age_text((c.now - newest).total_seconds())}"
                       f" 未更新，画面数字可能不是最新。</div>")
    # the alert strip: open warnings by level, those nobody has acknowledged yet, the overdue ones, and 督办
    late = c.get(handling.desk_summary, live_scope, live=True)
    duban = c.get(supervision.summary, live_scope, live=True)
    if p:
        cols = st.columns([1, 1, 1, 1, 1, 1, 1.35])
        cap = live_caption(c, newest, fresh)
        for i, lv in enumerate((1, 2, 3, 4)):
            n = p["open_by_level"][lv]
            heat = "_hot" if lv == 1 and n else "_warm" if lv == 2 and n else ""
            with cols[i]:
                # the level's colour is the tile's thick left border
                fig_tile(f"alert_l{lv}{heat}", f"warnings.open_level_{lv}", num(n, "条"), fresh=fresh, caption=cap)
        with cols[4]:
            tile("alert_l0", "待签收预警", num(p["unacked"], "条"), fresh=fresh, caption=cap,
                 help="已推送但尚无人签收的未消警预警")
        with cols[5]:
            n_late = late["overdue"] if late else None
            fig_tile(f"alert_overdue{'_warm' if n_late else ''}", "warnings.overdue", num(n_late, "条"), fresh=fresh,
                     caption=(f"其中重大/较大 {late['overdue_major']:,} 条" if late else cap))
        with cols[6]:
            duban_tile(duban)
    # the view: its title bar, then the view itself (its data were fetched before anything was drawn)
    limit = wk.view_limit(rot, wk.dwell_s(), wk.pin_factor(), pinned)
    left = max(0, int(limit - (time.time() - rot.started)))
    dots = " ".join(f"<b>● {wk.SHORT[v]}</b>" if v == rot.view else f"○ {wk.SHORT[v]}" for v in views) \
        if len(views) > 1 else "已固定本屏"
    pin = ("<span class='wall-pin'>新的重大/较大预警 · </span>" if rot.takeover else
           "<span class='wall-pin'>有未消警重大/较大预警，延长显示 · </span>" if rot.view in pinned else "")
    nxt = f"{left} 秒后切换" if len(views) > 1 else ""
    st.html(f"<div class='wall-viewbar'><div class='wall-viewtitle'>{wk.VIEWS[rot.view]}</div>"
            f"<div class='wall-viewmeta'>{pin}{wk.esc(data.get('meta', ''))}</div>"
            f"<div class='wall-dots'>{dots} &nbsp; {nxt}</div></div>")
    with st.container(key=f"wall_view_{rot.view}"):
        try:
            if data.get("failed"):
                raise RuntimeError("view data failed to load")
            draw(c, p or {}, fresh, data)
        except Exception:  # noqa: BLE001 - one broken view must not take the wall down
            log.exception("wall view %s failed", rot.view)
            st.html("<div class='wall-panel'>本屏暂时无法显示，稍后自动重试。</div>")
    # the database: keep the last good figures, say so, retry on the next refresh
    down_since = st.session_state.get("wall_db_down_since")
    if c.errors:
        if down_since is None:
            down_since = st.session_state["wall_db_down_since"] = c.now
        shown = ui.stamp(c.oldest_ok, c.now) if c.oldest_ok else "—"
        banners.append(f"<div class='wall-banner db'>数据库连接中断（自 {ui.stamp(down_since, c.now)} 起）：画面保留 {shown} "
                       f"获取的最后数据，每 {c.refresh:g} 秒自动重试。</div>")
    elif down_since is not None:
        st.session_state["wall_db_down_since"] = None
    st.html(f"<div class='wall-banners'>{''.join(banners)}</div>")


def duban_tile(sv: dict | None) -> None:
    """督办 of the screen's region now (whenever sent): 在办 as the figure, 超期 and 办结率 (of every order sent so far)
    beneath; red (``_late``) while any is overdue. Not a monitoring figure, so never amber or red for stale readings;
    in an outage it keeps the last good figures like every tile (``wk.fetch``)."""
    if sv is None:
        fig_tile("alert_duban", "supervision.open", "—", caption="督办数据暂不可用")
        return
    rate = figure_text("supervision.closed_rate", sv)
    extra = (f"{figure_label('supervision.overdue')}：{figure_help('supervision.overdue')}"
             f"{figure_label('supervision.closed_rate')}（全部已发出的督办）：{figure_help('supervision.closed_rate')}")
    fig_tile(f"alert_duban{'_late' if sv['overdue'] else ''}", "supervision.open", num(sv["open"], "件"),
             caption=f"超期 {sv['overdue']:,} 件 · {figure_label('supervision.closed_rate', short=True)} {rate}",
             extra=extra)


def _region_name(adcode: int) -> str:
    from queries.regions import reference

    try:
        return reference(wk.engine_or_last()).name(adcode)
    except wk.DB_ERRORS:
        return str(adcode)


@st.fragment(run_every=wk.refresh_s())
def live() -> None:
    from pages.auth import end_if_revoked

    end_if_revoked()  # a signed-out or changed account does not keep its kiosk screen running
    render()


live()
