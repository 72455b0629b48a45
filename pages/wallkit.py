"""The wall screen's toolkit: settings, dark CSS, the clock, the last-good store, view rotation, HTML blocks.

Not a page. ``pages/wall.py`` renders; everything here is either pure (rotation, formatting; tested directly)
or keeps state that must outlive a script run (the last good figures, shared by every screen of the process).
"""
from __future__ import annotations

import datetime as dt
import html
import logging
import os
import threading
import time
from dataclasses import astuple, dataclass
from typing import Any, Callable

import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from queries.labels import CREDIT_HEX, LEVEL_HEX, LEVEL_NAMES
from queries.scope import Scope

log = logging.getLogger("oversight.wall")

# --- settings (environment) -------------------------------------------------------------------------------------

VIEWS = {
    "situation": "全省态势",
    "hazards": "重大危险源实时状态",
    "warnings": "最新预警",
    "campaigns": "专项行动进度",
    "risk": "风险报告完成情况",
    "credit": "安全信用脸谱",
}
SHORT = {"situation": "态势", "hazards": "危险源", "warnings": "预警", "campaigns": "专项行动", "risk": "风险报告",
         "credit": "信用"}
LIVE_VIEWS = {"situation", "hazards", "warnings"}
MAJOR_VIEWS = {"situation", "warnings"}  # views that show open 重大/较大 warnings: they stay longer


def _env_num(name: str, default: float, lo: float) -> float:
    try:
        v = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return max(lo, v)


def dwell_s() -> float:
    """Seconds each view stays (``OVERSIGHT_WALL_DWELL``, default 20)."""
    return _env_num("OVERSIGHT_WALL_DWELL", 20, 3)


def refresh_s() -> float:
    """Seconds between refreshes of the live parts (``OVERSIGHT_WALL_REFRESH``, default 5)."""
    return _env_num("OVERSIGHT_WALL_REFRESH", 5, 1)


def pin_factor() -> float:
    """How much longer a view with open 重大/较大 warnings stays (``OVERSIGHT_WALL_PIN_FACTOR``, default 3)."""
    return _env_num("OVERSIGHT_WALL_PIN_FACTOR", 3, 1)


def playlist(param: str | None = None) -> list[str]:
    """The views in rotation: ``OVERSIGHT_WALL_VIEWS`` (comma-separated keys) or all; ``?view=<key>`` pins one."""
    if param and param in VIEWS:
        return [param]
    env = [v.strip() for v in os.environ.get("OVERSIGHT_WALL_VIEWS", "").split(",") if v.strip() in VIEWS]
    return env or list(VIEWS)


# --- the last good figures (survive database outages, shared by every screen of this process) ------------------

DB_ERRORS = (SQLAlchemyError, OSError)


@dataclass
class Fetched:
    value: Any
    at: dt.datetime | None  # when the value was fetched successfully
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


_store: dict[tuple, tuple[Any, dt.datetime]] = {}
_store_lock = threading.Lock()
STORE_MAX = 2000


def fetch(fn: Callable, scope: Scope, *args, ttl: float | None = None, **kwargs) -> Fetched:
    """``q`` (or ``q_ttl`` with ``ttl``) with a fallback: when the database fails, the last good result of the
    same call (same function, scope incl. binding, arguments) and when it was fetched."""
    from pages.common import q, q_ttl

    key = (fn.__module__, fn.__name__, astuple(scope), args, tuple(sorted(kwargs.items())))
    try:
        v = q_ttl(fn, scope, *args, ttl=ttl, **kwargs) if ttl else q(fn, scope, *args, **kwargs)
    except DB_ERRORS as e:
        with _store_lock:
            old = _store.get(key)
        log.warning("wall: %s.%s failed: %s", fn.__module__, fn.__name__, str(e).splitlines()[0][:200])
        return Fetched(old[0] if old else None, old[1] if old else None, e)
    now = dt.datetime.now()
    with _store_lock:
        _store[key] = (v, now)
        if len(_store) > STORE_MAX:
            for k in list(_store)[: len(_store) - STORE_MAX]:
                del _store[k]
    return Fetched(v, now)


def forget_store() -> None:
    with _store_lock:
        _store.clear()


_last_engine = None


def engine_or_last():
    """The pages' engine, or the last one that worked (its reference data are cached: maps still draw)."""
    global _last_engine
    from pages.common import engine

    try:
        _last_engine = engine()
    except DB_ERRORS:
        if _last_engine is None:
            raise
    return _last_engine


# --- rotation (pure) ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rotation:
    view: str
    started: float  # epoch seconds the view came up
    seen_major: int | None = None  # the newest 重大/较大 warning already brought to the screen
    takeover: bool = False  # the view came up because a new 重大/较大 warning arrived


def rotate(rot: Rotation | None, now: float, views: list[str], dwell: float, *, pin: float = 3.0,
           pinned: frozenset | set = frozenset(), newest_major: int | None = None,
           takeover_view: str = "warnings") -> Rotation:
    """The view to show at ``now``.

    Each view stays ``dwell`` seconds; a view in ``pinned`` (it shows open 重大/较大 warnings) or brought up by a
    take-over stays ``dwell × pin``. A 重大/较大 warning newer than any seen before takes the screen at once
    (``takeover_view``). The first call only remembers the newest one (no take-over at start).
    """
    if rot is None or rot.view not in views:
        return Rotation(views[0], now, newest_major)
    if (newest_major is not None and rot.seen_major is not None and newest_major > rot.seen_major
            and takeover_view in views):
        return Rotation(takeover_view, now, newest_major, True)
    seen = rot.seen_major if newest_major is None else max(newest_major, rot.seen_major or 0)
    if now - rot.started >= view_limit(rot, dwell, pin, pinned):
        i = views.index(rot.view)
        return Rotation(views[(i + 1) % len(views)], now, seen, False)
    return Rotation(rot.view, rot.started, seen, rot.takeover)


def view_limit(rot: Rotation, dwell: float, pin: float, pinned) -> float:
    return dwell * (pin if (rot.takeover or rot.view in pinned) else 1.0)


# --- formatting ------------------------------------------------------------------------------------------------

def esc(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def hms(t: dt.datetime | None) -> str:
    return "—" if t is None or pd.isna(t) else pd.Timestamp(t).strftime("%H:%M:%S")


def stamp(t: dt.datetime | dt.date | None, now: dt.datetime | None = None) -> str:
    """'10:32:05' today, '03-12 10:32' this year, '2021-06-30' otherwise."""
    if t is None or (not isinstance(t, dt.date) and pd.isna(t)):
        return "—"
    now = now or dt.datetime.now()
    if isinstance(t, dt.datetime) or isinstance(t, pd.Timestamp):
        t = pd.Timestamp(t).to_pydatetime()
        if t.date() == now.date():
            return t.strftime("%H:%M:%S")
        if t.year == now.year:
            return t.strftime("%m-%d %H:%M")
        return t.strftime("%Y-%m-%d")
    return t.isoformat()


def age_text(seconds: float) -> str:
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}秒"
    if s < 3600:
        return f"{s // 60}分{s % 60:02d}秒"
    if s < 86400:
        return f"{s // 3600}小时{s % 3600 // 60}分"
    return f"{s // 86400}天"


def rgba(hex_colour: str, alpha: int = 230) -> list[int]:
    h = hex_colour.lstrip("#")
    return [int(h[i:i + 2], 16) for i in (0, 2, 4)] + [alpha]


FRESH_NAMES = {"fresh": "数据实时", "amber": "数据延迟", "red": "数据中断"}


# --- HTML blocks ----------------------------------------------------------------------------------------------

def level_chip(level: int) -> str:
    return f"<span class='wall-chip wall-l{int(level)}'>{LEVEL_NAMES[int(level)]}</span>"


def bars(rows: list[tuple[str, float, str]], *, max_value: float = 100.0, colour: str | list[str] = "#3aa0ff",
         marker: list[float | None] | None = None) -> str:
    """Horizontal bars: (label, value, right-hand text); one colour or one per row; an optional marker per row
    (e.g. the share of time elapsed)."""
    out = ["<div class='wall-bars'>"]
    for i, (label, value, right) in enumerate(rows):
        col = colour[i] if isinstance(colour, list) else colour
        w = 0 if not max_value else max(0.0, min(100.0, 100.0 * float(value) / max_value))
        mk = marker[i] if marker else None
        mk_html = (f"<div class='wall-bar-marker' style='left:{max(0.0, min(100.0, mk)):.1f}%'></div>"
                   if mk is not None else "")
        out.append(f"<div class='wall-bar-row'><div class='wall-bar-label'>{esc(label)}</div>"
                   f"<div class='wall-bar-track'><div class='wall-bar-fill' style='width:{w:.1f}%;"
                   f"background:{col}'></div>{mk_html}</div><div class='wall-bar-value'>{right}</div></div>")
    out.append("</div>")
    return "".join(out)


def colour_for_rate(rate: float, good: float = 95.0, ok: float = 60.0) -> str:
    return "#2e9d48" if rate >= good else "#f08c00" if rate >= ok else "#e02020"


CLOCK_HTML = """
<div class="wall-clock"><div id="wall-clock-time">--:--:--</div><div id="wall-clock-date">&nbsp;</div></div>
<div class="wall-frozen-banner">画面已停止更新：与服务器的连接中断，正在自动重连…（上次更新 <span id="wall-frozen-at">—</span>）</div>
<script>
(function () {
  var LIMIT_MS = __LIMIT_MS__;
  var days = ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"];
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var d = new Date();
    var t = document.getElementById("wall-clock-time");
    if (t) t.textContent = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
    var s = document.getElementById("wall-clock-date");
    if (s) s.textContent = d.getFullYear() + "年" + (d.getMonth() + 1) + "月" + d.getDate() + "日 " + days[d.getDay()];
    // watchdog: the live fragment stamps .wall-beat on every refresh; if it stops, say so on the screen
    var b = document.querySelector(".wall-beat");
    var v = b ? b.getAttribute("data-beat") : null;
    if (v !== window.__wallBeat) { window.__wallBeat = v; window.__wallBeatAt = Date.now();
      var f = document.getElementById("wall-frozen-at"); if (f) f.textContent = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()); }
    var frozen = window.__wallBeatAt && (Date.now() - window.__wallBeatAt > LIMIT_MS);
    document.body.classList.toggle("wall-frozen", !!frozen);
  }
  if (window.__wallClock) clearInterval(window.__wallClock);
  tick();
  window.__wallClock = setInterval(tick, 1000);
})();
</script>
"""


def clock_html(refresh: float) -> str:
    return CLOCK_HTML.replace("__LIMIT_MS__", str(int(max(30.0, refresh * 4 + 10) * 1000)))


CSS = """
<style>
:root { --wall-bg: #0b1220; --wall-panel: #121c31; --wall-line: #24324f; --wall-text: #eef3fb; --wall-dim: #9fb0c8;
        --wall-fresh: #2fbf71; --wall-amber: #f5a300; --wall-red: #ff3b3b; }
html, body, .stApp, [data-testid="stApp"], [data-testid="stAppViewContainer"], [data-testid="stMain"],
[data-testid="stBottom"] > div { background: var(--wall-bg) !important; color: var(--wall-text) !important; }
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stSidebar"],
[data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"], [data-testid="stSidebarNav"],
[data-testid="stStatusWidget"], [data-testid="stAppDeployButton"], #MainMenu, footer { display: none !important; }
[data-testid="stMainBlockContainer"], .block-container { padding: 10px 26px 6px 26px !important; max-width: 100% !important; }
[data-testid="stElementContainer"], [data-stale="true"], .stale-element { opacity: 1 !important; transition: none !important; }
[data-testid="stVerticalBlock"] { gap: 0.55rem; }
.stApp, .stApp p, .stApp div, .stApp span { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; }
.stApp p, .stApp li { color: var(--wall-text); font-size: 24px; }
[data-testid="stCaptionContainer"] p, .stApp small { color: var(--wall-dim) !important; font-size: 20px !important; }
/* tiles: st.metric in keyed containers tile_<freshness>_<name> */
[data-testid="stMetric"] { background: var(--wall-panel); border: 2px solid var(--wall-line) !important; border-radius: 12px;
                           padding: 8px 18px 6px 18px !important; }
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] p { font-size: 25px !important; color: var(--wall-dim) !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] p { font-size: 54px !important; line-height: 1.08 !important;
                           font-weight: 700 !important; color: var(--wall-text) !important; }
[class*="st-key-tile_fresh"] [data-testid="stMetric"] { border-color: #1d6b46 !important; }
[class*="st-key-tile_amber"] [data-testid="stMetric"] { border: 3px solid var(--wall-amber) !important; }
[class*="st-key-tile_red"] [data-testid="stMetric"] { border: 3px solid var(--wall-red) !important; }
[class*="st-key-tile_amber"] [data-testid="stMetricValue"] p { color: #ffd37a !important; }
[class*="st-key-tile_red"] [data-testid="stMetricValue"] p { color: #ff9a9a !important; }
[data-testid="stMetricDelta"], [data-testid="stMetricDelta"] p { font-size: 19px !important; color: var(--wall-dim) !important;
                           background: none !important; padding: 0 !important; }
[data-testid="stMetricDelta"] svg { display: none !important; }
[class*="st-key-tile_amber"] [data-testid="stMetricDelta"], [class*="st-key-tile_amber"] [data-testid="stMetricDelta"] p { color: var(--wall-amber) !important; font-weight: 700; }
[class*="st-key-tile_red"] [data-testid="stMetricDelta"], [class*="st-key-tile_red"] [data-testid="stMetricDelta"] p { color: #ff7a7a !important; font-weight: 700; }
/* the alert strip (tiles named alert_l<level>): open warnings by level, the biggest figures on the screen */
[class*="_alert_"] [data-testid="stMetricValue"], [class*="_alert_"] [data-testid="stMetricValue"] p { font-size: 96px !important; line-height: 1.0 !important; }
[class*="_alert_"] [data-testid="stMetricLabel"], [class*="_alert_"] [data-testid="stMetricLabel"] p { font-size: 28px !important; font-weight: 600; }
[class*="_alert_"] [data-testid="stMetric"] { border-left-width: 16px !important; padding: 2px 18px 6px 18px !important; }
[class*="_alert_l1"] [data-testid="stMetric"] { border-left-color: #e02020 !important; }
[class*="_alert_l2"] [data-testid="stMetric"] { border-left-color: #f08c00 !important; }
[class*="_alert_l3"] [data-testid="stMetric"] { border-left-color: #f5d000 !important; }
[class*="_alert_l4"] [data-testid="stMetric"] { border-left-color: #1e78ff !important; }
[class*="_alert_l0"] [data-testid="stMetric"] { border-left-color: #6b7a96 !important; }
[class*="_alert_"][class*="_hot"] [data-testid="stMetric"] { background: #4a0d12 !important; animation: wall-pulse 1.6s ease-in-out infinite; }
[class*="_alert_"][class*="_hot"] [data-testid="stMetricValue"] p { color: #ffffff !important; }
[class*="_alert_"][class*="_warm"] [data-testid="stMetric"] { background: #3d2606 !important; }
@keyframes wall-pulse { 0%, 100% { box-shadow: 0 0 0 0 rgba(255,40,40,0.0); } 50% { box-shadow: 0 0 28px 6px rgba(255,40,40,0.55); } }
[data-testid="stHelpTooltip"], [data-testid="stTooltipIcon"] { display: none !important; }
/* header, banners */
.wall-head { display: flex; align-items: center; gap: 26px; height: 70px; padding-right: 360px; }
.wall-title { font-size: 42px; font-weight: 800; letter-spacing: 2px; color: #ffffff; white-space: nowrap; }
.wall-sub { font-size: 24px; color: var(--wall-dim); white-space: nowrap; }
.wall-status { font-size: 28px; font-weight: 700; padding: 6px 20px; border-radius: 26px; white-space: nowrap;
               border: 2px solid currentColor; }
.wall-status.fresh { color: var(--wall-fresh); } .wall-status.amber { color: var(--wall-amber); }
.wall-status.red { color: #fff; background: #b3121b; border-color: #ff5a5a; }
/* banners sit at the bottom edge, over the view: they never push the screen's layout around */
.wall-banners { position: fixed; left: 0; right: 0; bottom: 0; z-index: 1000; display: flex; flex-direction: column; }
.wall-banner { font-size: 32px; font-weight: 800; padding: 14px 28px; margin: 0; text-align: center; }
.wall-banner.red { background: #8f0f16; color: #fff; border: 2px solid #ff5a5a; animation: wall-pulse 1.6s infinite; }
.wall-banner.amber { background: #4d3300; color: #ffe2a6; border: 2px solid var(--wall-amber); }
.wall-banner.db { background: #2a1748; color: #eadcff; border: 2px solid #9b6bff; }
.wall-clock { position: fixed; top: 8px; right: 30px; z-index: 1001; text-align: right; font-variant-numeric: tabular-nums; }
#wall-clock-time { font-size: 64px; font-weight: 800; color: #ffffff; line-height: 1.0; }
#wall-clock-date { font-size: 22px; color: var(--wall-dim); }
.wall-frozen-banner { display: none; }
/* Streamlit's own English "Connection error" modal: the watchdog banner says it in Chinese, without a dialog */
[data-baseweb="modal"] { display: none !important; }
body.wall-frozen .wall-frozen-banner { display: block; position: fixed; left: 0; right: 0; bottom: 0; z-index: 1002;
  background: #b3121b; color: #fff; font-size: 34px; font-weight: 800; text-align: center; padding: 16px; }
/* the view frame */
.wall-viewbar { display: flex; align-items: baseline; gap: 24px; border-bottom: 2px solid var(--wall-line); padding: 2px 0 6px 0; }
.wall-viewtitle { font-size: 40px; font-weight: 800; color: #ffffff; white-space: nowrap; flex-shrink: 0; }
.wall-viewmeta { font-size: 22px; color: var(--wall-dim); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wall-dots { margin-left: auto; font-size: 21px; color: #5b6b88; white-space: nowrap; flex-shrink: 0; }
.wall-dots b { color: #ffffff; }
.wall-pin { color: var(--wall-amber); font-weight: 700; }
.wall-chip { display: inline-block; min-width: 2.6em; text-align: center; border-radius: 6px; padding: 0 8px; font-weight: 800; }
.wall-l1 { background: #e02020; color: #fff; } .wall-l2 { background: #f08c00; color: #111; }
.wall-l3 { background: #f5d000; color: #111; } .wall-l4 { background: #1e78ff; color: #fff; }
.wall-panel { background: var(--wall-panel); border: 2px solid var(--wall-line); border-radius: 12px; padding: 10px 18px; }
.wall-panel h3 { font-size: 28px; color: #ffffff; margin: 0 0 6px 0; padding: 0; }
.wall-table { width: 100%; border-collapse: collapse; font-size: 24px; line-height: 1.4; }
.wall-table th { color: var(--wall-dim); font-weight: 600; text-align: right; padding: 4px 8px; font-size: 22px; border-bottom: 1px solid var(--wall-line); }
.wall-table td { padding: 0 8px; text-align: right; border-bottom: 1px solid #1a2540; color: var(--wall-text); font-variant-numeric: tabular-nums; }
.wall-table th:first-child, .wall-table td:first-child { text-align: left; }
.wall-table td.hot { color: #ff7b7b; font-weight: 800; }
.wall-bars { display: flex; flex-direction: column; gap: 5px; }
.wall-bar-row { display: grid; grid-template-columns: 150px 1fr 330px; align-items: center; gap: 14px; font-size: 25px; line-height: 1.25; }
.wall-bar-label { color: var(--wall-text); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wall-bar-track { position: relative; height: 24px; background: #1b2742; border-radius: 6px; }
.wall-bar-fill { height: 100%; border-radius: 6px; }
.wall-bar-marker { position: absolute; top: -6px; bottom: -6px; width: 4px; background: #ffffff; }
.wall-bar-value { text-align: right; font-variant-numeric: tabular-nums; font-weight: 700; white-space: nowrap; }
.wall-scroll { height: 540px; overflow: hidden; position: relative; }
.wall-scroll-inner { animation: wall-scroll linear infinite; }
.wall-scroll-inner:hover { animation-play-state: paused; }
@keyframes wall-scroll { from { transform: translateY(0); } to { transform: translateY(-50%); } }
.wall-wrow { display: grid; grid-template-columns: 100px 100px 1fr 160px 150px; gap: 14px; align-items: center;
             font-size: 28px; padding: 9px 6px; border-bottom: 1px solid #1d2844; }
.wall-wrow .t { color: var(--wall-dim); font-variant-numeric: tabular-nums; }
.wall-wrow .n { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; color: #ffffff; }
.wall-wrow .c, .wall-wrow .s { color: var(--wall-dim); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wall-wrow .s.open { color: #ffb3b3; }
.wall-legend { font-size: 22px; color: var(--wall-dim); }
.wall-legend span { display: inline-block; width: 18px; height: 18px; border-radius: 4px; margin: 0 6px 0 14px; vertical-align: -2px; }
.wall-camp { margin-bottom: 16px; }
.wall-camp .name { font-size: 28px; color: #fff; font-weight: 700; }
.wall-camp .meta { font-size: 22px; color: var(--wall-dim); }
.wall-tag { font-size: 20px; padding: 1px 10px; border-radius: 12px; margin-left: 10px; }
.wall-tag.behind { background: #5a1c1c; color: #ffb0b0; } .wall-tag.ok { background: #173d2a; color: #9be3b8; }
.wall-foot { font-size: 18px; color: #5f6f8d; }
.st-key-wall_chrome { position: absolute !important; height: 0; width: 0; overflow: visible; }
[data-testid="stDeckGlJsonChartZoomButton"], [data-testid="stElementToolbar"] { display: none !important; }
[class*="_cr_"] [data-testid="stMetric"] { border-left-width: 14px !important; }
[class*="_cr_green"] [data-testid="stMetric"] { border-left-color: #2e9d48 !important; }
[class*="_cr_blue"] [data-testid="stMetric"] { border-left-color: #1e78ff !important; }
[class*="_cr_yellow"] [data-testid="stMetric"] { border-left-color: #f5c400 !important; }
[class*="_cr_red"] [data-testid="stMetric"] { border-left-color: #e02020 !important; }
</style>
"""


def level_legend() -> str:
    return "<div class='wall-legend'>" + "".join(
        f"<span style='background:{LEVEL_HEX[i]}'></span>{LEVEL_NAMES[i]}" for i in (1, 2, 3, 4)) + "</div>"


def credit_legend() -> str:
    names = {"green": "绿（最好）", "blue": "蓝", "yellow": "黄", "red": "红（最差）"}
    return "<div class='wall-legend'>" + "".join(
        f"<span style='background:{CREDIT_HEX[c]}'></span>{n}" for c, n in names.items()) + "</div>"


def now_epoch() -> float:
    return time.time()
