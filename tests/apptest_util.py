"""Helpers for AppTest-driven page tests."""
from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

ROOT = Path(__file__).resolve().parent.parent


def clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


def app(name: str, username: str | None = None, params: dict | None = None, page: str | None = None,
        timeout: int = 120) -> AppTest:
    """Run ``dashboards/<name>.py`` signed in as ``username`` (no cookie), optionally opened on ``pages/<page>``."""
    at = AppTest.from_file(str(ROOT / "dashboards" / f"{name}.py"), default_timeout=timeout)
    if username:
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
        at.session_state["name"] = username
        at.session_state["logout"] = None
    for k, v in (params or {}).items():
        at.query_params[k] = str(v)
    # straight to the page, as a link to it does, instead of drawing the default page first. Before the first run
    # AppTest.switch_page finds a page by its file name only; a page whose address differs (督办: duban) is asked
    # for by the hash st.Page gives its address, and if Streamlit drew another page, the usual two steps follow.
    url_path = _URL_PATHS.get(page) if page else None
    if url_path:
        at._page_hash = calc_hash(url_path)
    at.run()
    drawn = at.session_state["oversight_page"] if "oversight_page" in at.session_state else None
    if page and drawn != url_path:
        at.switch_page(f"../pages/{page}").run()
    return at


def _url_paths() -> dict[str, str]:
    from pages.app import APPS

    return {p.file: p.url_path for spec in APPS.values() for p in spec["pages"]}


_URL_PATHS = _url_paths()


def page_html(at: AppTest) -> list:
    """The page's own st.html elements (not the stylesheet and tile-fitting script pages/app.py puts on every page)."""
    from pages.app import COCKPIT_CSS, FIT_JS

    return [h for h in at.get("html") if h.proto.body.strip() != COCKPIT_CSS.strip() and FIT_JS not in h.proto.body]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def number(text: str) -> float:
    """'11,703 家' → 11703; '22.4%' → 22.4."""
    import re

    m = re.search(r"-?[\d,]+(?:\.\d+)?", str(text))
    return float(m.group(0).replace(",", "")) if m else float("nan")


def plotly_click(custom) -> dict:
    """The widget state of a click on a plotly point carrying ``customdata`` (set it in session_state, then run)."""
    return {"selection": {"points": [{"customdata": custom, "point_index": 0}], "point_indices": [0], "box": [],
                          "lasso": []}}


def deck_click(adcode: int, layer: str = "regions") -> dict:
    """The widget state of a click on a region of a pydeck map."""
    return {"selection": {"indices": {layer: [0]}, "objects": {layer: [{"properties": {"adcode": adcode}}]}}}


def table_text(el):
    """A dataframe element's value, its label columns (one-label lists the browser draws as coloured labels:
    pages.ui.as_labels) as their texts."""
    df = el.value.copy()
    for c in df.columns:
        col = df[c]
        if col.dtype == object and len(col) and all(hasattr(v, "__len__") and not isinstance(v, str) for v in col):
            df[c] = ["、".join(str(x) for x in v) for v in col]
    return df


def label_colours(el, column: str) -> dict[str, str]:
    """The colour of each text of a label column (pages.ui.flag_column / level_column), as the browser draws it."""
    import json

    conf = json.loads(el.proto.columns).get(column) or {}
    return {o["value"]: o.get("color") for o in conf.get("type_config", {}).get("options", [])}


def _tab_containers(node) -> list:
    out = []
    proto = getattr(node, "proto", None)
    if type(proto).__name__ == "Block" and proto.WhichOneof("type") == "tab_container":
        out.append(proto.tab_container)
    for child in getattr(node, "children", {}).values():
        out += _tab_containers(child)
    return out


def click_tab(at: AppTest, label: str) -> AppTest:
    """What the browser sends when the user clicks the tab ``label`` of a page's stateful tabs (``st.tabs(...,
    on_change="rerun")``): the tab container's widget value under its id, and a run. (Setting the tabs' key in the
    session state instead would win whatever the widget's id, and hide a tab closed by a changed id.)"""
    labels = [t.label for t in at.tabs]
    assert label in labels, labels
    ids = [c.id for c in _tab_containers(at._tree) if c.id]
    assert len(ids) == 1, f"one stateful tab container expected, found {len(ids)}"
    states = at._tree.get_widget_states()
    w = states.widgets.add()
    w.id, w.string_value = ids[0], label
    return at._run(states)
