"""The wall screen's toolkit: settings, the dark theme and the clock (static/wall.css, static/wall.js), the
last-good store, view rotation, HTML blocks.

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
from pathlib import Path
from typing import Any, Callable

from sqlalchemy.exc import SQLAlchemyError

from pages.settings import env_num
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


def dwell_s() -> float:
    """Seconds each view stays (``OVERSIGHT_WALL_DWELL``, default 20)."""
    return env_num("OVERSIGHT_WALL_DWELL", 20, 3)


def refresh_s() -> float:
    """Seconds between refreshes of the live parts (``OVERSIGHT_WALL_REFRESH``, default 5)."""
    return env_num("OVERSIGHT_WALL_REFRESH", 5, 1)


def pin_factor() -> float:
    """How much longer a view with open 重大/较大 warnings stays (``OVERSIGHT_WALL_PIN_FACTOR``, default 3)."""
    return env_num("OVERSIGHT_WALL_PIN_FACTOR", 3, 1)


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


# --- formatting (times are in pages/ui.py) ----------------------------------------------------------------

def esc(v: Any) -> str:
    return html.escape("" if v is None else str(v))


FRESH_NAMES = {"fresh": "数据实时", "amber": "数据延迟", "red": "数据中断"}


# --- HTML blocks ----------------------------------------------------------------------------------------------

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


_STATIC = Path(__file__).resolve().parent / "static"
CSS = "<style>\n" + (_STATIC / "wall.css").read_text(encoding="utf-8") + "</style>\n"  # the dark theme
CLOCK_JS = (_STATIC / "wall.js").read_text(encoding="utf-8")  # the clock and the client-side watchdog
FIT_JS = (_STATIC / "fit.js").read_text(encoding="utf-8")  # nothing on a tile is cut off (shared with pages/app.py)


def clock_html(refresh: float) -> str:
    """The clock, the watchdog's banner and its script: the banner shows when the live part has not refreshed for
    four refresh intervals and ten seconds (at least 30 s)."""
    limit_ms = int(max(30.0, refresh * 4 + 10) * 1000)
    return (f'<div class="wall-clock" data-limit-ms="{limit_ms}"><div id="wall-clock-time">--:--:--</div>'
            '<div id="wall-clock-date">&nbsp;</div></div>\n'
            '<div class="wall-frozen-banner">画面已停止更新：与服务器的连接中断，正在自动重连…（上次更新 '
            '<span id="wall-frozen-at">—</span>）</div>\n'
            f"<script>\n{CLOCK_JS}\n{FIT_JS}</script>\n")


def level_legend() -> str:
    return "<div class='wall-legend'>" + "".join(
        f"<span style='background:{LEVEL_HEX[i]}'></span>{LEVEL_NAMES[i]}" for i in (1, 2, 3, 4)) + "</div>"


def credit_legend() -> str:
    names = {"green": "绿（最好）", "blue": "蓝", "yellow": "黄", "red": "红（最差）"}
    return "<div class='wall-legend'>" + "".join(
        f"<span style='background:{CREDIT_HEX[c]}'></span>{n}" for c, n in names.items()) + "</div>"


def now_epoch() -> float:
    return time.time()
