"""The map deck is built and serialised once per (region, values, points, look) and shared by every session."""
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
                               points_outline=False, point_px=(2, 6), label_size=None)
    assert json.loads(deck.to_json()) == json.loads(pdk.Deck.to_json(fresh))
    assert "\n" not in deck.to_json()
    assert deck.to_json() is deck.to_json()  # serialised once
    assert deck.layers == []  # the layers' Python objects were let go once serialised


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
