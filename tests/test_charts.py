"""The map deck is built and serialised once per (region, values, points, look) and shared by every session; the
plotly charts, made in one call, send the browser what the figures made step by step sent."""
from __future__ import annotations

import json

import pandas as pd
import pydeck as pdk
import pytest

from pages import charts
from queries.regions import PROVINCE, reference
from queries.scope import Scope, resolve


@pytest.fixture(autouse=True)
def _empty_deck_cache():
    charts._decks.clear()
    yield
    charts._decks.clear()


def _values(db, bump: int = 0) -> pd.DataFrame:
    cities = [d.adcode for d in reference(db).cities()]
    return pd.DataFrame({"adcode": cities, "value": [float(i * 10 + (bump if i == 1 else 0)) for i in range(len(cities))]})


def _fills(deck) -> dict[int, list[int]]:
    spec = json.loads(deck.to_json())
    feats = next(l for l in spec["layers"] if l["id"] == "regions")["data"]["features"]
    return {f["properties"]["adcode"]: f["properties"]["fill"] for f in feats}


def test_same_map_is_built_once_and_shared(db):
    scope = Scope(region=PROVINCE)
    charts.region_map(scope, db, _values(db), "预警", key="a", selectable=False)
    charts.region_map(scope, db, _values(db), "预警", key="b", selectable=False)  # another session, same figures
    assert len(charts._decks) == 1
    deck = next(iter(charts._decks.values()))
    # the cached compact spec is pydeck's own serialisation of the same map, only without the indentation
    fresh = charts._build_deck(resolve(scope, db), _values(db), "", higher_is_worse=True, records=None, dark=False,
                               points_outline=False, point_px=(2, 6), label_size=None, fit=(480, 520))
    assert json.loads(deck.to_json()) == json.loads(pdk.Deck.to_json(fresh))
    assert "\n" not in deck.to_json()
    assert deck.to_json() is deck.to_json()  # serialised once
    assert deck.layers == []  # the layers' Python objects were let go once serialised


def test_names_over_many_points_on_the_cockpit_and_few_points_over_names_on_the_wall(db):
    """The cockpit's maps draw the regions' names last on a pale ground (the credit map's 3,000 points had covered
    them); the wall screen's dark map keeps its few points (open warnings) over the names."""
    rs = resolve(Scope(region=PROVINCE), db)
    pts = pd.DataFrame({"lon": [118.8, 119.4], "lat": [32.0, 33.3], "fill": [[224, 32, 32], [30, 120, 255]]})
    for dark, order in ((False, ["regions", "points", "labels"]), (True, ["regions", "labels", "points"])):
        deck = charts._build_deck(rs, _values(db), "", higher_is_worse=True, records=pts.to_dict("records"), dark=dark,
                                  points_outline=False, point_px=(2, 6), label_size=None)
        spec = json.loads(pdk.Deck.to_json(deck))
        assert [l["id"] for l in spec["layers"]] == order, dark
        labels = next(l for l in spec["layers"] if l["id"] == "labels")
        assert labels["background"] is (not dark)


def test_changed_figures_or_look_build_a_new_map(db):
    scope = Scope(region=PROVINCE)
    charts.region_map(scope, db, _values(db), "预警", key="a", selectable=False)
    first = next(iter(charts._decks.values()))
    charts.region_map(scope, db, _values(db, bump=3), "预警", key="a", selectable=False)
    assert len(charts._decks) == 2
    charts.region_map(scope, db, _values(db), "预警", key="a", selectable=False, dark=True)
    assert len(charts._decks) == 3
    second = list(charts._decks.values())[1]
    a, b = _fills(first), _fills(second)
    cities = _values(db)["adcode"].tolist()
    assert a[cities[1]] != b[cities[1]]  # the changed city: 10 vs 13 on a 0..120 ramp
    assert all(a[c] == b[c] for c in cities if c != cities[1])


def test_points_are_part_of_the_key(db):
    scope = Scope(region=PROVINCE)
    pts = pd.DataFrame({"lon": [118.8], "lat": [32.0], "fill": [[255, 0, 0, 200]], "name": ["甲"], "tip": ["甲"]})
    charts.region_map(scope, db, _values(db), "信用", key="a", selectable=False, points=pts)
    charts.region_map(scope, db, _values(db), "信用", key="a", selectable=False,
                      points=pts.assign(fill=[[0, 255, 0, 200]]))
    assert len(charts._decks) == 2
    # every value is part of the key (a digest of the rows), and the same points are the same map
    for changed in (pts.assign(lon=[118.9]), pts.assign(tip=["乙"]), pts.assign(name=["乙"]),
                    pts.assign(fill=[[255, 0, 0, 201]]), pd.concat([pts, pts]), pts.rename(columns={"name": "nm"})):
        charts.region_map(scope, db, _values(db), "信用", key="a", selectable=False, points=changed)
    assert len(charts._decks) == 8
    charts.region_map(scope, db, _values(db), "信用", key="a", selectable=False, points=pts.copy())
    assert len(charts._decks) == 8
    assert charts._frame_key(pts) == charts._frame_key(pts.assign(fill=[(255, 0, 0, 200)]))


def test_cache_is_bounded(db, monkeypatch):
    monkeypatch.setattr(charts, "DECKS_MAX", 3)
    scope = Scope(region=PROVINCE)
    for i in range(5):
        charts.region_map(scope, db, _values(db, bump=i), "预警", key="a", selectable=False)
    assert len(charts._decks) == 3


def test_label_columns_give_each_text_one_colour():
    """A coloured-label column (pages.ui.flag_column): each text once, in the order met, with its colour (plain
    text where none is given; a missing value reads —); a text given two colours is refused, never drawn in the
    first row's colour for all."""
    from pages import ui

    col = ui.flag_column(["在办（超期）", "在办", "在办（超期）", None], [ui.LATE_COLOUR, None, ui.LATE_COLOUR, None])
    opts = col["type_config"]["options"]
    assert [(o["value"], o["color"]) for o in opts] == [("在办（超期）", ui.LATE_COLOUR), ("在办", ui.NO_COLOUR),
                                                        ("—", ui.NO_COLOUR)]
    assert col["disabled"] is True
    assert ui.as_labels(["在办", None, float("nan")]) == [["在办"], ["—"], ["—"]]
    for values, colours in ((["2021-07-15", "2021-07-15"], [ui.LATE_COLOUR, None]),
                            (["x", "x"], [None, "#8a8f98"])):
        with pytest.raises(ValueError, match="two colours"):
            ui.flag_column(values, colours)
    levels = ui.level_column(colour_names=True)["type_config"]["options"]
    assert [(o["value"], o["color"]) for o in levels] == [(ui.LEVEL_NAMES[lv], ui.LEVEL_HEX[lv]) for lv in (1, 2, 3, 4)]
    assert ui.level_labels([3, 1]) == [[ui.LEVEL_NAMES[3]], [ui.LEVEL_NAMES[1]]]


# --- plotly figures made in one call equal the figures made property by property ------------------------------------

def _sent(fig) -> dict:
    """What st.plotly_chart sends to the browser for ``fig`` (its own conversion and serialisation)."""
    import plotly.io as pio
    from plotly.tools import return_figure_from_figure_or_data

    return json.loads(pio.to_json(return_figure_from_figure_or_data(fig, validate_figure=True), validate=False))


def _bar_by_steps(df, x, ys, names, *, colors=None, custom="adcode", stacked=False, horizontal=False, height=360,
                  yaxis_title=""):
    """The bar chart as it was made before the one-call figures: trace by trace, then update_layout."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (y, n) in enumerate(zip(ys, names)):
        kw = dict(name=charts._text([n])[0], customdata=df[custom].tolist() if custom and custom in df else None,
                  marker_color=(colors[i] if colors else None))
        if horizontal:
            fig.add_trace(go.Bar(y=charts._text(df[x].tolist()), x=df[y].tolist(), orientation="h", **kw))
        else:
            fig.add_trace(go.Bar(x=charts._text(df[x].tolist()), y=df[y].tolist(), **kw))
    fig.update_layout(barmode="stack" if stacked else "group", height=height, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, traceorder="normal"), yaxis_title=yaxis_title,
                      font=dict(family="Noto Sans CJK SC, Microsoft YaHei, sans-serif"))
    if horizontal:
        fig.update_yaxes(autorange="reversed", type="category")
        fig.update_xaxes(tickformat=",")
    else:
        fig.update_xaxes(type="category")
        fig.update_yaxes(tickformat=",")
    return fig


def _line_by_steps(df, x, ys, names, *, height=300, colors=None, hlines=(), yaxis_title=""):
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (y, n) in enumerate(zip(ys, names)):
        fig.add_trace(go.Scatter(x=charts._text(df[x].tolist()), y=df[y].tolist(), name=charts._text([n])[0],
                                 mode="lines", line=dict(color=colors[i]) if colors else None))
    for yv, name, color in hlines:
        fig.add_hline(y=yv, line_dash="dash", line_color=color, annotation_text=name)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", yanchor="bottom", y=1.02, traceorder="normal"),
                      yaxis_title=yaxis_title, font=dict(family="Noto Sans CJK SC, Microsoft YaHei, sans-serif"))
    fig.update_yaxes(tickformat=",")
    if len(df) and isinstance(df[x].iloc[0], pd.Timestamp):
        fig.update_xaxes(type="date", tickformat="%H:%M\n%m-%d")
    else:
        fig.update_xaxes(type="category")
    return fig


_ROWS = pd.DataFrame({"name": ["南京市", "<b>盐城</b>市", "=1+1", "a&b"], "adcode": [320100, 320900, 321300, 320200],
                      "sector": ["C26", "B06", "<i>x</i>", "C25"], "n": [3, 0, 7, 1], "m": [1.5, 2.25, 0.0, 9.0],
                      "l3": [0, 1, 2, 3], "l4": [9, 8, 7, 6], "day": pd.date_range("2021-01-01", periods=4)})


@pytest.mark.parametrize("kw", [
    dict(), dict(stacked=True, colors=["#e02020", "#f59a23"]), dict(horizontal=True),
    dict(horizontal=True, stacked=True, colors=["#111", "#222"], yaxis_title="家"), dict(custom=None, height=200),
    dict(custom="missing", yaxis_title="%")], ids=str)
def test_bar_figure_equals_the_figure_made_step_by_step(kw):
    args = (_ROWS, "name", ["n", "m"], ["检查<script>", "隐患"])
    assert _sent(charts.bar_figure(*args, **kw)) == _sent(_bar_by_steps(*args, **kw))
    empty = (_ROWS.iloc[:0],) + args[1:]  # a scope without rows
    assert _sent(charts.bar_figure(*empty, **kw)) == _sent(_bar_by_steps(*empty, **kw))


def test_the_pages_other_bar_charts_equal_the_figures_made_step_by_step():
    """One trace; four levels stacked in their colours (``level_bar``); a sector code as the selection's data."""
    for args, kw in [((_ROWS, "name", ["n"], ["家"]), dict(colors=["#1e78ff"], custom="sector")),
                     ((_ROWS, "name", ["n", "m", "l3", "l4"], ["重大", "较大", "一般", "低"]),
                      dict(colors=["#e02020", "#f59a23", "#f7d51d", "#1e78ff"], stacked=True)),
                     ((_ROWS, "sector", ["m"], ["%"]), dict(horizontal=True, custom="sector"))]:
        assert _sent(charts.bar_figure(*args, **kw)) == _sent(_bar_by_steps(*args, **kw)), (args[2], kw)


@pytest.mark.parametrize("kw", [
    dict(), dict(colors=["#e02020", "#123456"]), dict(hlines=[(100, "目标 100%", "#e02020")], yaxis_title="%"),
    dict(hlines=[(5, "报警", "#f59a23"), (8.5, "<i>高高报</i>", "#e02020")], height=250),
    dict(colors=["#1e78ff", "#f59a23"], hlines=[(2, "高报", "#f59a23"), (8.5, "高高报", "#e02020")],
         yaxis_title="MPa")], ids=str)
def test_line_figure_equals_the_figure_made_step_by_step(kw):
    for x in ("day", "name"):  # dates (a point's readings) and text categories (a trend's days as labels)
        args = (_ROWS, x, ["n", "m"], ["完成率", "a<b"])
        assert _sent(charts.line_figure(*args, **kw)) == _sent(_line_by_steps(*args, **kw)), x
        empty = (_ROWS.iloc[:0],) + args[1:]
        assert _sent(charts.line_figure(*empty, **kw)) == _sent(_line_by_steps(*empty, **kw)), x


def test_labels_that_look_like_dates_or_numbers_stay_labels():
    """A bar or line chart's categories are labels: days as '11-27', years, codes; plotly would read them as dates
    or numbers (a time axis in English, bars merged into three); times are a time axis with numeric ticks."""
    df = pd.DataFrame({"day": ["11-27", "11-28", "11-29", "12-01"], "year": ["2019", "2020", "2021", "2022"],
                       "n": [1, 2, 3, 4], "ts": pd.date_range("2021-05-31", periods=4, freq="h")})
    for x in ("day", "year"):
        fig = _sent(charts.bar_figure(df, x, ["n"], ["条"], custom=None))
        assert fig["layout"]["xaxis"]["type"] == "category" and fig["data"][0]["x"] == df[x].tolist()
        assert _sent(charts.bar_figure(df, x, ["n"], ["条"], horizontal=True))["layout"]["yaxis"]["type"] == "category"
        assert _sent(charts.line_figure(df, x, ["n"], ["%"]))["layout"]["xaxis"]["type"] == "category"
    timed = _sent(charts.line_figure(df, "ts", ["n"], ["MPa"]))["layout"]["xaxis"]
    assert timed["type"] == "date" and "%b" not in timed["tickformat"]
    # values with thousands separators, not SI letters ("45k")
    assert _sent(charts.bar_figure(df, "day", ["n"], ["条"]))["layout"]["yaxis"]["tickformat"] == ","
    assert _sent(charts.bar_figure(df, "day", ["n"], ["条"], horizontal=True))["layout"]["xaxis"]["tickformat"] == ","


def _map_script(url: str, values: list):
    import pandas as pd

    from pages import charts
    from queries import db as dbmod
    from queries.regions import PROVINCE, reference
    from queries.scope import Scope

    eng = dbmod.get_engine(url)
    cities = [d.adcode for d in reference(eng).cities()]
    charts.region_map(Scope(region=PROVINCE), eng, pd.DataFrame({"adcode": cities[:len(values)], "value": values}),
                      "报警监测点", "个", key="m", selectable=False)


@pytest.mark.parametrize("values,said", [([0.0] * 13, "各市报警监测点均为 0个"),
                                         ([2.5] * 4 + [None] * 9, "有数据的各市报警监测点均为 2.5个"),
                                         ([7.0] * 12, "有数据的各市报警监测点均为 7个"),
                                         ([0.0, 1.0] + [0.0] * 11, None), ([3.0] + [None] * 12, None),
                                         ([float("nan")] * 13, None)])
def test_a_map_of_equal_values_is_drawn_in_the_first_colour_and_says_so(db, values, said):
    """Every region the same (0 alarms everywhere): none is drawn as more in need of attention than another (the
    ramp's first colour, not its middle one), and the page says why the map shows no difference; a map with a
    difference, or a single value, says nothing of it."""
    from streamlit.testing.v1 import AppTest

    cities = [d.adcode for d in reference(db).cities()]
    vals = pd.DataFrame({"adcode": cities[:len(values)], "value": values})
    for worse in (True, False):
        fills = _fills(charts._build_deck(resolve(Scope(region=PROVINCE), db), vals, "", higher_is_worse=worse,
                                          records=None, dark=False, points_outline=False, point_px=(2, 6),
                                          label_size=None))
        first = list(charts.RAMP_BAD[0] if worse else charts.RAMP_GOOD[0])
        drawn = [fills[a] for a, v in zip(vals["adcode"], values) if v is not None and not pd.isna(v)]
        if said:
            assert all(f[:3] == first for f in drawn), (worse, drawn)
    app = AppTest.from_function(_map_script, args=(db.url.render_as_string(hide_password=False), values),
                                default_timeout=60).run()
    assert not app.exception
    captions = [c.value for c in app.caption]
    if said:
        assert captions == [f"{said}，地图不分深浅。"]
    else:
        assert captions == []


def test_maps_never_change_the_shared_boundaries(db):
    """The boundaries are read once per process and shared: a map sets its own features' fill and tip, never the
    shared ones' (another map, of other values or another region, draws from the same boundaries)."""
    before = json.dumps(charts._features("city")), json.dumps(charts._features("county"))
    scope = Scope(region=PROVINCE)
    a = charts._build_deck(resolve(scope, db), _values(db), "", higher_is_worse=True, records=None, dark=False,
                           points_outline=False, point_px=(2, 6), label_size=None)
    b = charts._build_deck(resolve(scope, db), _values(db, bump=500), "", higher_is_worse=True, records=None,
                           dark=False, points_outline=False, point_px=(2, 6), label_size=None)
    city = _values(db)["adcode"].tolist()[1]
    assert _fills(a)[city] != _fills(b)[city]
    county = charts.child_features(city, "city")
    assert county and all(f["properties"]["parent_adcode"] == city for f in county)
    assert (json.dumps(charts._features("city")), json.dumps(charts._features("county"))) == before
    assert all("fill" not in f["properties"] for f in charts._features("city") + charts._features("county"))


def _plotly_words() -> set[str]:
    """The words the plotly.js that Streamlit bundles looks up in a locale's dictionary (``_(gd, `…`)``)."""
    import re
    from pathlib import Path

    import streamlit

    bundle = Path(streamlit.__file__).parent / "static" / "static" / "js"
    text = "".join(p.read_text(encoding="utf-8") for p in bundle.glob("PlotlyChart*.js"))
    assert text, "Streamlit's plotly bundle was not found"
    return set(re.findall(r"\(\w,`([^`]*)`\)", text))


def test_every_word_of_the_chinese_dictionary_is_one_plotly_looks_up():
    """A word plotly renamed (as 'Download plot as a png' became '… PNG') would show in English again; the walks in
    a real browser check the titles the tool bars show."""
    words = _plotly_words()
    assert {"Zoom", "Pan", "Double-click on legend to isolate one trace"} <= words  # the bundle was read
    assert sorted(set(charts.PLOTLY_ZH["dictionary"]) - words) == []
    assert all(len(v) == 12 for k, v in charts.PLOTLY_ZH["format"].items() if "onths" in k)


def test_every_chart_goes_with_the_chinese_dictionary():
    from streamlit.testing.v1 import AppTest

    def page():
        import pandas as pd

        from pages import charts

        df = pd.DataFrame({"name": ["a", "b"], "level_1": [1, 2], "level_2": [0, 1], "level_3": [3, 0],
                           "level_4": [1, 1], "adcode": [1, 2]})
        charts.bar(df, "name", ["level_1"], ["一"], key="b1")
        charts.bar(df, "name", ["level_1"], ["一"], key="b2", selectable=False)
        charts.level_bar(df, "name", key="b3")
        charts.line(df, "name", ["level_1"], ["一"], key="l1")

    at = AppTest.from_function(page).run()
    configs = [json.loads(c.proto.config) for c in at.get("plotly_chart")]
    assert len(configs) == 4 and all(c == charts.PLOTLY_CONFIG for c in configs), configs


@pytest.mark.parametrize("region", [PROVINCE, 320100, 320900, 321300, 320115])
@pytest.mark.parametrize("size", [(480, 460), (480, 560), (360, 500), (820, 520)])
def test_a_map_starts_showing_every_region_whole(db, region, size):
    """At the zoom a desk map starts with, the regions' box fits its width and height (the province at zoom 6.2
    overflowed a 580 × 460 map: 南通 cut off at the east, 连云港 at the north); a map with room to spare keeps the
    zoom it had."""
    import math

    rs = resolve(Scope(region=region), db)
    feats = charts.child_features(rs.region, rs.level)
    view = charts._view(feats, fit=size)
    xs = [x for f in feats for p in (f["geometry"]["coordinates"] if f["geometry"]["type"] == "MultiPolygon"
                                     else [f["geometry"]["coordinates"]]) for x, _ in p[0]]
    ys = [y for f in feats for p in (f["geometry"]["coordinates"] if f["geometry"]["type"] == "MultiPolygon"
                                     else [f["geometry"]["coordinates"]]) for _, y in p[0]]
    scale = 512 * 2 ** view.zoom / 360  # px per degree of longitude
    assert (max(xs) - min(xs)) * scale <= size[0] * 0.93
    assert (charts._mercator_deg(max(ys)) - charts._mercator_deg(min(ys))) * scale <= size[1] * 0.93
    assert view.zoom <= charts._view(feats).zoom  # never closer than before
    assert view.zoom >= charts._view(feats).zoom - 1.5 and not math.isnan(view.zoom)


def test_a_phone_map_names_the_cities_short_and_small(db):
    """On a phone's map (zoomed out) 南京市 and 镇江市, 无锡市 and 苏州市 overlapped: the names lose 市 and shrink;
    a desk's map keeps them whole."""
    rs = resolve(Scope(region=PROVINCE), db)

    def labels(narrow: bool):
        spec = json.loads(charts._build_deck(rs, _values(db), "", higher_is_worse=True, records=None, dark=False,
                                             points_outline=False, point_px=(2, 6), label_size=None,
                                             narrow=narrow).to_json())
        layer = next(l for l in spec["layers"] if l["id"] == "labels")
        return [d["name"] for d in layer["data"]], layer["getSize"]

    desk, desk_size = labels(False)
    phone, phone_size = labels(True)
    assert "南京市" in desk and all(n.endswith("市") for n in desk)
    assert "南京" in phone and not any(n.endswith("市") for n in phone) and len(phone) == len(desk) == 13
    assert phone_size < desk_size
    assert [charts._short_name(n) for n in ("江阴市", "鼓楼区", "沛县", "市", "南京市")] == ["江阴", "鼓楼区", "沛县", "市", "南京"]
