"""Small fragments the pages repeat: the colour stripe over a tile, the warning-level chip, times as text, colours
for maps. Pure functions return text; ``stripe`` renders."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from queries.labels import LEVEL_COLOUR_NAMES, LEVEL_HEX, LEVEL_NAMES

# text on a level's colour (LEVEL_HEX): dark on yellow
LEVEL_TEXT = {1: "#ffffff", 2: "#ffffff", 3: "#222222", 4: "#ffffff"}


# --- colours ----------------------------------------------------------------------------------------------------

def stripe(colour: str | None) -> None:
    """The 6-pixel colour stripe over a tile (a warning level's, a credit colour's, a grid kind's); ``None``: the
    same height without colour, to keep a row of tiles aligned."""
    style = f"height:6px;background:{colour};border-radius:3px" if colour else "height:6px"
    st.markdown(f"<div style='{style}'></div>", unsafe_allow_html=True)


def rgba(hex_colour: str, alpha: int = 230) -> list[int]:
    """'#e02020' → [224, 32, 32, alpha] (pydeck's fill colours)."""
    h = hex_colour.lstrip("#")
    return [int(h[i:i + 2], 16) for i in (0, 2, 4)] + [alpha]


def level_style(level: int) -> str:
    """CSS of a table cell in a warning level's colour."""
    lv = int(level)
    return f"background-color:{LEVEL_HEX[lv]};color:{LEVEL_TEXT[lv]}"


def level_chip(level: int, *, short: bool = False, css_class: str | None = None) -> str:
    """A warning level as an inline chip, 重大（红） (``short``: 重大). Coloured inline, or, with ``css_class``, by a
    style sheet that colours ``<css_class>.level-<n>`` (the wall screen's ``wall-chip``)."""
    lv = int(level)
    text = LEVEL_NAMES[lv] if short else f"{LEVEL_NAMES[lv]}（{LEVEL_COLOUR_NAMES[lv]}）"
    if css_class:
        return f"<span class='{css_class} level-{lv}'>{text}</span>"
    return (f"<span style='background:{LEVEL_HEX[lv]};color:{LEVEL_TEXT[lv]};padding:2px 10px;border-radius:10px'>"
            f"{text}</span>")


# --- times --------------------------------------------------------------------------------------------------------

def _missing(t: Any) -> bool:
    return t is None or (not isinstance(t, str) and pd.isna(t))


def when(t: Any, *, seconds: bool = False, missing: str = "—") -> str:
    """'2021-03-13 10:32' (``seconds``: '2021-03-13 10:32:05'); ``missing`` for no time."""
    if _missing(t):
        return missing
    return pd.Timestamp(t).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def hms(t: Any) -> str:
    """'10:32:05'."""
    return "—" if _missing(t) else pd.Timestamp(t).strftime("%H:%M:%S")


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


def clock_or_day(t: dt.datetime, now: dt.datetime) -> str:
    """'10:32' today, '03-12' another day (a list's time column)."""
    return t.strftime("%H:%M") if t.date() == now.date() else t.strftime("%m-%d")


def month_day(d: dt.date) -> str:
    """'03-12' (a chart's day axis)."""
    return d.strftime("%m-%d")


def age_text(seconds: float) -> str:
    """How long ago: '45秒', '2分05秒', '3小时10分', '2天'."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}秒"
    if s < 3600:
        return f"{s // 60}分{s % 60:02d}秒"
    if s < 86400:
        return f"{s // 3600}小时{s % 3600 // 60}分"
    return f"{s // 86400}天"
