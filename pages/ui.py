"""Small fragments the pages repeat: the colour stripe over a tile, the warning-level chip, coloured labels in
tables, times as text, colours for maps. Pure functions return text; ``stripe`` renders."""
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


# --- coloured labels in tables ------------------------------------------------------------------------------------
# A table's colours come from its column configuration (labels drawn by the browser), not from a pandas Styler:
# Streamlit translates a Styler cell by cell on every run, ~80 ms for a 500-row list, against ~1 ms for the data.
LATE_COLOUR = "#c8102e"
NO_COLOUR = "rgba(0,0,0,0)"  # a label drawn as plain text
POINT_STATUS_HEX = {"normal": "#2e9d48", "alarm": "#e02020", "offline": "#8a8f98"}  # a monitoring point's status


def _label(v: Any) -> str:
    return "—" if _missing(v) else str(v)


def as_labels(values) -> list[list[str]]:
    """A column of texts as the one-label lists a label column shows (nothing: —)."""
    return [[_label(v)] for v in values]


def level_labels(levels) -> list[list[str]]:
    """Warning levels (1-4) as their names, for :func:`level_column`."""
    return [[LEVEL_NAMES[int(lv)]] for lv in levels]


def level_column(label: str | None = None, *, colour_names: bool = False, **kw):
    """A column of warning levels (:func:`level_labels`), each a label in its level's colour (重大 red … 低 blue);
    ``colour_names``: the label says the colour too, 重大（红）."""
    named = {LEVEL_NAMES[lv]: f"{LEVEL_NAMES[lv]}（{LEVEL_COLOUR_NAMES[lv]}）" for lv in (1, 2, 3, 4)}
    return st.column_config.MultiselectColumn(label, options=[LEVEL_NAMES[lv] for lv in (1, 2, 3, 4)],
                                              color=[LEVEL_HEX[lv] for lv in (1, 2, 3, 4)], disabled=True,
                                              format_func=named.get if colour_names else None, **kw)


def flag_column(values, colours, label: str | None = None, **kw):
    """A column whose texts are labels coloured by ``colours`` (one per value; ``None``: drawn as plain text):
    a late order's state in red, an alarming point's status on red. Shown with ``as_labels(values)``. A colour
    belongs to a text, not to a row: colour only a column whose text says what the colour means (在办（超期）,
    超时 2小时), so that one text never needs two colours (the first row's would be drawn for all)."""
    options: dict[str, str] = {}
    for v, c in zip(values, colours):
        text, colour = _label(v), c or NO_COLOUR
        if options.setdefault(text, colour) != colour:
            raise ValueError(f"flag_column: {text!r} given two colours ({options[text]}, {colour})")
    return st.column_config.MultiselectColumn(label, options=list(options) or [""],
                                              color=list(options.values()) or [NO_COLOUR], disabled=True, **kw)


def flagged(view, column: str, colours, **kw):
    """``view[column]``'s texts as labels coloured by ``colours`` (:func:`flag_column`): the column turned into its
    labels in place, and its column config returned."""
    config = flag_column(view[column], colours, **kw)
    view[column] = as_labels(view[column])
    return config


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


def duration_text(minutes: float) -> str:
    """A span in minutes as text: '35分钟', '3小时10分', '2天5小时'."""
    m = max(0, int(abs(minutes)))
    if m < 60:
        return f"{m}分钟"
    if m < 1440:
        return f"{m // 60}小时{m % 60}分"
    return f"{m // 1440}天{m % 1440 // 60}小时"


def time_left(minutes: Any) -> str:
    """Time left to a deadline: '剩 35分钟', or '超时 2小时5分' once it has passed; '—' without a deadline."""
    if _missing(minutes):
        return "—"
    return f"超时 {duration_text(minutes)}" if float(minutes) < 0 else f"剩 {duration_text(minutes)}"


# --- handling history -----------------------------------------------------------------------------------------

def how_many(total: int, shown: int, unit: str, which: str = "") -> str:
    """A bounded list's count: "共 668 家", and "，列出报警、离线在前的 500 家" when it shows fewer than there are
    (``which``: which ones it shows; none: "，列出 500 家")."""
    if shown >= total:
        return f"共 {total:,} {unit}"
    return f"共 {total:,} {unit}，列出{which + '的' if which else ''} {shown:,} {unit}"


def step_history(h: pd.DataFrame, *, warning_label: bool = False) -> None:
    """Handling steps (``queries.handling.history`` / ``enterprise_steps``) as blocks: when, step (result), who
    (role); the note as text (``st.text``: never markdown or HTML). ``warning_label``: each block names its warning."""
    from pages.common import plain

    for r in h.itertuples(index=False):
        res = f"（{r.result_name}）" if r.result_name else ""
        head = f"{plain(r.code)} {plain(r.level_name)} · " if warning_label else ""
        with st.container(border=True):
            st.markdown(f"{head}**{when(r.at, seconds=True)}** · **{plain(r.step_name)}**{plain(res)} · "
                        f"{plain(r.actor_name)}（{plain(r.role_name)}）")
            if isinstance(r.note, str) and r.note:
                st.text(r.note)
