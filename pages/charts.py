"""Maps and charts used by the pages: offline pydeck choropleths and plotly graph_objects bars.

Nothing here fetches from outside the serving host: the map style is ``static/blank_style.json`` and the
boundaries are the bundled GeoJSON in ``seed/geo``.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import html
import json
import math
import re
import threading
from collections import OrderedDict
from typing import Sequence

import pandas as pd
import plotly.graph_objects as go
import pydeck as pdk
from pydeck.bindings import deck as _pdk_deck
import streamlit as st

from queries.labels import LEVEL_HEX, LEVEL_NAMES
from queries.regions import PROVINCE
from queries.scope import Scope, resolve
from seed import geo

BLANK_STYLE = "app/static/blank_style.json"
BLANK_STYLE_DARK = "app/static/blank_style_dark.json"
RAMP_BAD = [(254, 240, 217), (253, 204, 138), (252, 141, 89), (227, 74, 51), (179, 0, 0)]
RAMP_GOOD = [(237, 248, 233), (186, 228, 179), (116, 196, 118), (49, 163, 84), (0, 109, 44)]
# on a dark background (wall screen) the ramps start dark, so light labels stay readable
RAMP_BAD_DARK = [(38, 50, 76), (88, 62, 72), (140, 58, 52), (192, 48, 40), (232, 36, 36)]
RAMP_GOOD_DARK = [(38, 50, 76), (30, 84, 72), (32, 120, 80), (42, 156, 88), (60, 192, 108)]


@functools.cache
def _features(level: str) -> tuple[dict, ...]:
    """The bundled boundaries, read once per process and never changed (a map's features copy what they change)."""
    return tuple(geo.load(level)["features"])


def _own(f: dict) -> dict:
    """A feature whose properties a map may set (its fill and tip), sharing the boundary's geometry and label point,
    which nobody may change (they are ``seed.geo.load``'s, shared by every map and by seeding): a deep copy of every
    city's polygons took ~8 ms of each map built, after the cache of Streamlit they were kept in had unpickled a
    copy of the whole file on every call."""
    return {**f, "properties": dict(f["properties"])}


def child_features(scope_region: int, level: str) -> list[dict]:
    """Boundaries of the children of a region (cities of the province, counties of a city, or the county)."""
    if level == "province":
        return [_own(f) for f in _features("city")]
    if level == "city":
        return [_own(f) for f in _features("county") if f["properties"]["parent_adcode"] == scope_region]
    return [_own(f) for f in _features("county") if f["properties"]["adcode"] == scope_region]


def _ramp(t: float, ramp) -> list[int]:
    t = min(1.0, max(0.0, t))
    i = min(len(ramp) - 2, int(t * (len(ramp) - 1)))
    f = t * (len(ramp) - 1) - i
    a, b = ramp[i], ramp[i + 1]
    return [int(a[k] + (b[k] - a[k]) * f) for k in range(3)] + [215]


def _mercator_deg(lat: float) -> float:
    """A latitude's Web-Mercator y, in degrees of longitude at the equator."""
    return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


def fit_zoom(xs, ys, width: int, height: int, margin: float = 0.92) -> float:
    """The deck.gl zoom at which the box of ``xs``/``ys`` (degrees) fills ``margin`` of a map ``width`` × ``height``
    px (its world is 512 × 2^zoom px wide)."""
    dx = max(max(xs) - min(xs), 1e-6)
    dy = max(_mercator_deg(max(ys)) - _mercator_deg(min(ys)), 1e-6)
    return math.log2(min(width * margin * 360 / (512 * dx), height * margin * 360 / (512 * dy)))


def _view(features: list[dict], zoom_out: float = 0.0, fit: tuple[int, int] | None = None) -> pdk.ViewState:
    """Centred on the features; zoomed by their span, and no further than shows them whole in a map of ``fit``
    (width, height px; the province at zoom 6.2 overflowed a 580 × 460 map at both ends)."""
    xs, ys = [], []
    for f in features:
        g = f["geometry"]
        polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        for poly in polys:
            for x, y in poly[0]:
                xs.append(x)
                ys.append(y)
    span = max(max(xs) - min(xs), (max(ys) - min(ys)) * 1.3)
    zoom = (6.2 if span > 3 else 7.6 if span > 1.2 else 8.6 if span > 0.6 else 9.4) - zoom_out
    if fit is not None:
        zoom = min(zoom, round(fit_zoom(xs, ys, *fit), 2))
    return pdk.ViewState(longitude=(min(xs) + max(xs)) / 2, latitude=(min(ys) + max(ys)) / 2, zoom=zoom)


# A phone's map is about 370 px wide, a third of a desktop's: zoomed out this much, the whole region shows.
PHONE_ZOOM_OUT = 1.0
_PHONE_AGENT = re.compile(r"Mobi|Android|iPhone|iPod")


def on_phone() -> bool:
    """Whether the browser is a phone's (its User-Agent says so): a map there starts zoomed out."""
    try:
        agent = st.context.headers.get("User-Agent") or ""
    except Exception:  # noqa: BLE001 - no request (a bare script run, a test): a desktop
        return False
    return bool(_PHONE_AGENT.search(agent))


# pydeck asks on every Deck made, five times, whether its Jupyter widget can be imported: with ipywidgets absent each
# asking is a failed import, which Python does not remember, so every one searched the whole import path again
# (~1 ms each, ~6 ms a map, a sixth of the warnings page's own drawing). The answer cannot change in a running app.
_pdk_deck.has_jupyter_extra = functools.cache(_pdk_deck.has_jupyter_extra)


class _Deck(pdk.Deck):
    """A deck serialised once, as compact JSON (pydeck indents it): a map's spec is ~100 KB of boundaries.

    The spec is kept in a slot, outside the instance ``__dict__`` that pydeck's serialiser walks. Once serialised,
    the layers (the boundaries' coordinates and the points as Python lists and dicts: ~10^5 objects a map) are
    let go: ``st.pydeck_chart`` needs only the spec and the tooltip, and a shared cache of decks full of small
    objects would make every garbage collection of a busy server slower."""

    __slots__ = ("_spec_json",)

    def to_json(self) -> str:
        try:
            return self._spec_json
        except AttributeError:
            from pydeck.bindings.json_tools import default_serialize

            self._spec_json = json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))
            self.layers = []
            return self._spec_json


# The same map (same region, values, points and look) is built and serialised once and then reused by every
# session: thirty wall screens refreshing a province map every few seconds would otherwise each spend ~30 ms
# of the server's one interpreter on it per refresh.
_decks: OrderedDict[tuple, _Deck] = OrderedDict()
_decks_lock = threading.Lock()
DECKS_MAX = 64


def _frame_key(df: pd.DataFrame) -> tuple:
    """A key of a frame's content (its columns and every value, lists as tuples): a digest of pandas' row hashes,
    ~2 ms for 3,000 map points where their records' repr took ~18 ms on every run."""
    cells = df.assign(**{c: df[c].map(lambda v: tuple(v) if isinstance(v, list) else v)
                         for c in df.columns if df[c].dtype == object})
    digest = hashlib.sha1(pd.util.hash_pandas_object(cells, index=False).to_numpy().tobytes()).hexdigest()
    return len(df), tuple(df.columns), digest


def region_map(scope: Scope, engine, values: pd.DataFrame, label: str, unit: str = "", *, key: str,
               higher_is_worse: bool = True, points: pd.DataFrame | None = None, height: int = 520,
               dark: bool = False, selectable: bool = True, points_outline: bool = False,
               point_px: tuple[int, int] = (2, 6), label_size: int | None = None, fit_width: int = 480):
    """A choropleth of the scope's child regions coloured by ``values.value``; returns the selection event.

    ``points`` (optional: lon, lat, fill, name, tip) are drawn on top, e.g. enterprises by credit colour;
    ``points_outline`` rings them in white so that red points stay visible on a red region.
    ``point_px`` (min, max pixel radius of the points) and ``label_size`` (region labels, px) let a wall screen
    read from metres away draw bigger. ``fit_width``: how wide the map is drawn on the narrowest desk, 1280 px with
    the sidebar open (a 3:2 column's: 480; a 5:6 column's: 360; the page's: 820): the map starts zoomed to show
    every region whole in it and ``height`` (wider screens show it with room around; the wall keeps its zoom).
    """
    rs = resolve(scope, engine)
    drawn = points is not None and not points.empty
    narrow = not dark and on_phone()  # the wall screen is never a phone
    fit = None if dark or narrow else (fit_width, height)
    memo = (rs.region, rs.level, unit, higher_is_worse, dark, points_outline, point_px, label_size, narrow, fit,
            tuple((int(a), None if v is None or pd.isna(v) else float(v))
                  for a, v in zip(values["adcode"], values["value"])) if not values.empty else (),
            _frame_key(points) if drawn else None)
    with _decks_lock:
        deck = _decks.get(memo)
        if deck is not None:
            _decks.move_to_end(memo)
    if deck is None:
        records = points.to_dict("records") if drawn else None  # (only for a deck not drawn before)
        deck = _build_deck(rs, values, unit, higher_is_worse=higher_is_worse, records=records, dark=dark,
                           points_outline=points_outline, point_px=point_px, label_size=label_size, narrow=narrow,
                           fit=fit)
        deck.to_json()  # serialise now, once, outside the lock
        with _decks_lock:
            _decks[memo] = deck
            while len(_decks) > DECKS_MAX:
                _decks.popitem(last=False)
    same = all_the_same(values)
    if selectable:
        ev = st.pydeck_chart(deck, key=key, on_select="rerun", selection_mode="single-object", height=height)
    else:
        ev = st.pydeck_chart(deck, key=key, height=height)
    if same is not None and not dark:  # (the wall screen's legend is its own)
        kids = {"province": "市", "city": "区县"}.get(rs.level, "地区")
        valued = sum(1 for v in values["value"] if v is not None and not pd.isna(v))
        some = valued < len(child_features(rs.region, rs.level))  # (regions without data are grey with —)
        st.caption(f"{'有数据的' if some else ''}各{kids}{label}均为 {_shown(same)}{unit}，地图不分深浅。")
    return ev


def all_the_same(values: pd.DataFrame):
    """The one value every region with a value has, where at least two have one (a map of equal values shows no
    difference: drawn in the ramp's first colour, and said); else None."""
    nums = [float(v) for v in (values["value"] if not values.empty else ()) if v is not None and not pd.isna(v)]
    return nums[0] if len(nums) >= 2 and len(set(nums)) == 1 else None


def _shown(v) -> str:
    return f"{v:,.1f}" if isinstance(v, float) and not float(v).is_integer() else f"{int(v):,}"


def _short_name(name: str) -> str:
    """A name without its final 市 (南京市 → 南京, 江阴市 → 江阴; 区 and 县 stay: 鼓楼区, 沛县)."""
    return name[:-1] if name.endswith("市") and len(name) > 2 else name


def _build_deck(rs, values: pd.DataFrame, unit: str, *, higher_is_worse: bool, records: list[dict] | None,
                dark: bool, points_outline: bool, point_px: tuple[int, int], label_size: int | None,
                narrow: bool = False, fit: tuple[int, int] | None = None) -> _Deck:
    feats = child_features(rs.region, rs.level)
    # (a missing value, None or NaN — a region without data, a rate of nothing — is grey with —)
    vals = {int(a): (None if v is None or pd.isna(v) else v)
            for a, v in zip(values["adcode"], values["value"])} if not values.empty else {}
    nums = [float(v) for v in vals.values() if v is not None]
    lo, hi = (min(nums), max(nums)) if nums else (0.0, 1.0)
    ramp = (RAMP_BAD if higher_is_worse else RAMP_GOOD) if not dark else \
        (RAMP_BAD_DARK if higher_is_worse else RAMP_GOOD_DARK)
    for f in feats:
        p = f["properties"]
        v = vals.get(int(p["adcode"]))
        # every region the same: a ramp that shows where a region stands among the others has nothing to show, so
        # all take its lightest colour (the middle one said "moderate" everywhere, e.g. 0 alarms in every city), and
        # the line under the map says they are equal
        t = 0.0 if hi == lo or v is None else (float(v) - lo) / (hi - lo)
        p["fill"] = _ramp(t, ramp) if v is not None else [200, 200, 200, 120]
        p["tip"] = f"{p['name']}：{'—' if v is None else _shown(v)}{unit}"
    layers = [pdk.Layer("GeoJsonLayer", id="regions", data={"type": "FeatureCollection", "features": feats},
                        get_fill_color="properties.fill", get_line_color=[255, 255, 255] if not dark else [90, 110, 140],
                        line_width_min_pixels=1, pickable=True, auto_highlight=True, stroked=True, filled=True)]
    # on a phone (the map zoomed out to a third of a desk's) the cities' names without 市 and smaller: 南京市 and 镇江市,
    # 无锡市 and 苏州市 overlapped
    labels = [{"name": _short_name(f["properties"]["name"]) if narrow else f["properties"]["name"],
               "position": f["properties"]["label_point"]} for f in feats]
    label_layer = pdk.Layer("TextLayer", id="labels", data=labels, get_position="position", get_text="name",
                            get_size=label_size or (10 if narrow else 13 if rs.level == "province" else 12),
                            get_color=[20, 30, 50] if not dark else [230, 236, 245],
                            character_set=pdk.types.String("auto"),  # literals, not "@@=" expressions
                            font_family=pdk.types.String('"Noto Sans CJK SC", "Microsoft YaHei", sans-serif'),
                            background=not dark, background_padding=[3, 1, 3, 1],
                            get_background_color=[255, 255, 255, 190], pickable=False)
    # the cockpit's maps draw the regions' names last, on a pale ground: thousands of points (the credit map's 3,000
    # worst-rated enterprises) had covered them; the wall screen keeps its few points (open warnings, a red one
    # among them) over the names
    if dark:
        layers.append(label_layer)
    if records:
        layers.append(pdk.Layer("ScatterplotLayer", id="points", data=records, get_position=["lon", "lat"],
                                get_fill_color="fill", get_radius=350, radius_min_pixels=point_px[0],
                                radius_max_pixels=point_px[1],
                                pickable=True, stroked=points_outline, get_line_color=[255, 255, 255, 220],
                                line_width_min_pixels=1 if points_outline else 0))
    if not dark:
        layers.append(label_layer)
    view = _view(feats, PHONE_ZOOM_OUT if narrow else 0.0, fit)
    return _Deck(layers=layers, initial_view_state=view, map_style=BLANK_STYLE_DARK if dark else BLANK_STYLE,
                 # "text", never "html": deck.gl sets a text tooltip with innerText, so names in {tip} stay text
                 tooltip={"text": "{tip}"}, map_provider=None)


def _text(values) -> list:
    """Category labels and trace names as plotly text: plotly renders a subset of HTML in them (<a href>, <b>, <br>
    …), so data text is entity-escaped (plotly shows &lt; as <); numbers and dates pass unchanged."""
    return [html.escape(v, quote=True) if isinstance(v, str) else v for v in values]


_FONT = {"family": "Noto Sans CJK SC, Microsoft YaHei, sans-serif"}

# plotly's own words in Chinese: its tool bar's button titles, the hint a tap on a legend shows ("Double-click on
# legend to isolate one trace" on a phone), the days and months of a date axis. Streamlit loads none of plotly's
# locales, so the dictionary goes with every chart (plotly's ``locales`` option); Streamlit's own Fullscreen button keeps
# Streamlit's English title.
PLOTLY_ZH = {
    "dictionary": {
        "Autoscale": "自动缩放",
        "Box Select": "框选",
        "Lasso Select": "套索选择",
        "Compare data on hover": "悬停时对比各项数据",
        "Show closest data on hover": "悬停时显示最近的数据",
        "Toggle show closest data on hover": "切换悬停时显示最近的数据",
        "Toggle Spike Lines": "切换参考线",
        "Double-click on legend to isolate one trace": "双击图例可只看该项",
        "Double-click to zoom back out": "双击恢复原来的比例",
        "Download plot as a PNG": "下载为 PNG 图片",
        "Download plot": "下载图表",
        "Image download succeeded": "图片已下载",
        "Preparing image - this may take a few seconds": "正在生成图片，请稍候",
        "Sorry, there was a problem downloading your image!": "抱歉，图片下载失败",
        "Pan": "平移",
        "Reset axes": "重置坐标轴",
        "Reset view": "重置视图",
        "Zoom": "缩放",
        "Zoom in": "放大",
        "Zoom out": "缩小",
        "trace": "数据系列",
    },
    "format": {
        "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
        "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
        "months": [f"{m}月" for m in range(1, 13)],
        "shortMonths": [f"{m}月" for m in range(1, 13)],
        "date": "%Y-%m-%d",
    },
}
PLOTLY_CONFIG = {"locale": "zh-CN", "locales": {"zh-CN": PLOTLY_ZH}}
# above the plot, anchored at its bottom: a legend that wraps onto a second line (a phone) grows upwards, into the
# margin plotly widens for it, never over the first bar; in the traces' order (plotly reverses a stacked chart's:
# 低 一般 较大 重大, 绿 蓝 黄 红 beside bars stacked 红 → 绿)
_LEGEND_ABOVE = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "traceorder": "normal"}


def _figure(data: list, layout: dict) -> go.Figure:
    """A figure made in one call from traces and a layout given as plain nested dicts: plotly validates each
    property once, as it builds the figure. (Made with ``go.Bar`` objects added one by one and then
    ``update_layout`` with underscore paths, plotly validated each trace twice and parsed each path: a four-trace
    bar chart took 5.8 ms to make and serialise, ~2 ms this way. What ``st.plotly_chart`` sends is equal as parsed
    JSON; its keys come in another order, so a chart's widget id, which Streamlit derives from that text, changed
    once with this way of making them.)"""
    return go.Figure(data=data, layout=layout)


def bar_figure(df: pd.DataFrame, x: str, ys: Sequence[str], names: Sequence[str], *,
               colors: Sequence[str] | None = None, custom: str | None = "adcode", stacked: bool = False,
               horizontal: bool = False, height: int = 360, yaxis_title: str = "") -> go.Figure:
    """The figure of ``bar``."""
    customdata = df[custom].tolist() if custom and custom in df else None
    cats = _text(df[x].tolist())
    traces = []
    for i, (y, n) in enumerate(zip(ys, names)):
        t = {"type": "bar", "name": _text([n])[0], "customdata": customdata}
        if colors:
            t["marker"] = {"color": colors[i]}
        if horizontal:
            t.update(y=cats, x=df[y].tolist(), orientation="h")
        else:
            t.update(x=cats, y=df[y].tolist())
        traces.append(t)
    # the categories are labels, always: plotly would read labels such as '11-27' (a day) or '2021' as dates or
    # numbers, draw a time axis in English and merge or drop bars
    # values with thousands separators (plotly's own ticks abbreviate with SI letters: "45k")
    yaxis, xaxis = {"title": {"text": yaxis_title}, "tickformat": ","}, {"type": "category"}
    if horizontal:
        yaxis = {"title": {"text": yaxis_title}, "autorange": "reversed", "type": "category"}
        xaxis = {"tickformat": ","}
    return _figure(traces, {"barmode": "stack" if stacked else "group", "height": height,
                            "margin": {"l": 10, "r": 10, "t": 30, "b": 10}, "legend": _LEGEND_ABOVE,
                            "xaxis": xaxis, "yaxis": yaxis, "font": _FONT})


def bar(df: pd.DataFrame, x: str, ys: Sequence[str], names: Sequence[str], *, key: str, colors: Sequence[str] | None = None,
        custom: str | None = "adcode", stacked: bool = False, horizontal: bool = False, height: int = 360,
        selectable: bool = True, yaxis_title: str = ""):
    """A bar chart built with graph_objects (cheap); clicking a bar returns a selection carrying ``custom``."""
    fig = bar_figure(df, x, ys, names, colors=colors, custom=custom, stacked=stacked, horizontal=horizontal,
                     height=height, yaxis_title=yaxis_title)
    if selectable:
        return st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points", width="stretch",
                               config=PLOTLY_CONFIG)
    st.plotly_chart(fig, key=key, width="stretch", config=PLOTLY_CONFIG)
    return None


def level_bar(df: pd.DataFrame, x: str, *, key: str, height: int = 360, selectable: bool = True,
              custom: str | None = "adcode"):
    """Warnings by level stacked in their colours (红橙黄蓝); ``df`` has ``level_1`` .. ``level_4``."""
    return bar(df, x, [f"level_{i}" for i in (1, 2, 3, 4)], [LEVEL_NAMES[i] for i in (1, 2, 3, 4)], key=key,
               colors=[LEVEL_HEX[i] for i in (1, 2, 3, 4)], stacked=True, height=height, selectable=selectable,
               custom=custom)


def line_figure(df: pd.DataFrame, x: str, ys: Sequence[str], names: Sequence[str], *, height: int = 300,
                colors: Sequence[str] | None = None, hlines: Sequence[tuple[float, str, str]] = (),
                yaxis_title: str = "") -> go.Figure:
    """The figure of ``line``: a dashed horizontal line across the plot with its name at the right end for each
    of ``hlines`` (what plotly's ``add_hline`` draws)."""
    cats = _text(df[x].tolist())
    traces = [{"type": "scatter", "x": cats, "y": df[y].tolist(), "name": _text([n])[0], "mode": "lines",
               "line": {"color": colors[i]} if colors else None}
              for i, (y, n) in enumerate(zip(ys, names))]
    # times on a time axis with numeric ticks (plotly's own would name the months in English); anything else is a
    # label (a category: '2021/5/31' or '11-27' would otherwise be read as dates)
    timed = bool(cats) and isinstance(cats[0], (dt.date, dt.datetime))
    xaxis = {"type": "date", "tickformat": "%H:%M\n%m-%d"} if timed else {"type": "category"}
    layout = {"height": height, "margin": {"l": 10, "r": 10, "t": 30, "b": 10}, "legend": _LEGEND_ABOVE,
              "xaxis": xaxis, "yaxis": {"title": {"text": yaxis_title}, "tickformat": ","}, "font": _FONT}
    if hlines:
        layout["shapes"] = [{"type": "line", "line": {"color": color, "dash": "dash"}, "x0": 0, "x1": 1,
                             "xref": "x domain", "y0": yv, "y1": yv, "yref": "y"} for yv, _, color in hlines]
        layout["annotations"] = [{"showarrow": False, "text": name, "x": 1, "xanchor": "right", "xref": "x domain",
                                  "y": yv, "yanchor": "bottom", "yref": "y"} for yv, name, _ in hlines]
    return _figure(traces, layout)


def line(df: pd.DataFrame, x: str, ys: Sequence[str], names: Sequence[str], *, key: str, height: int = 300,
         colors: Sequence[str] | None = None, hlines: Sequence[tuple[float, str, str]] = (), yaxis_title: str = ""):
    st.plotly_chart(line_figure(df, x, ys, names, height=height, colors=colors, hlines=hlines,
                                yaxis_title=yaxis_title), key=key, width="stretch", config=PLOTLY_CONFIG)


__all__ = ["region_map", "bar", "bar_figure", "level_bar", "line", "line_figure", "child_features", "PROVINCE"]
