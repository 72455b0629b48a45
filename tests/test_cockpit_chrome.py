"""The script that keeps every tile's number and label whole (pages/static/fit.js) is one file, put on the wall screen
with its clock and on every page of the other apps once per run, with the stylesheet for narrow screens and
phones (pages/static/cockpit.css); nothing in either looks like markup to Streamlit's sanitizer or is fetched."""
from __future__ import annotations

import re

import pytest

from pages import app as router, wallkit
from tests.apptest_util import app, clear_caches

pytestmark = pytest.mark.engines("sqlite")
FIT = (router.PAGES_DIR / "static" / "fit.js").read_text(encoding="utf-8")
CSS = (router.PAGES_DIR / "static" / "cockpit.css").read_text(encoding="utf-8")


@pytest.fixture(autouse=True, scope="module")
def _fresh():  # the module starts from cold caches; its tests read the same data and share them
    clear_caches()
    yield


def test_one_fit_script_for_both_apps():
    assert router.FIT_JS == FIT == wallkit.FIT_JS
    assert wallkit.clock_html(5).count(FIT) == 1 and "function fit()" not in wallkit.CLOCK_JS  # no second copy
    assert not re.search(r"<[/\w]", FIT), "the sanitizer would drop the script"
    assert "http" not in FIT + CSS and "</style" not in CSS
    assert router.COCKPIT_CSS == f"<style>\n{CSS}</style>\n"
    # the phone layout: two tiles a row below Streamlit's 640 px breakpoint
    assert "@media (max-width: 640px)" in CSS and "min-width: calc(50% - 0.25rem)" in CSS


def _html(at) -> list[str]:
    return [h.proto.body for h in at.get("html")]


@pytest.mark.parametrize("name,user,page", [("leadership", "leader", None), ("leadership", "nanjing", "ranking.py"),
                                            ("leadership", "jiangning-officer", None), ("briefing", "writer", None)])
def test_every_page_of_the_apps_gets_them_once(db, name, user, page):
    at = app(name, user, page=page)
    assert not at.exception, at.exception
    bodies = _html(at)
    assert sum(FIT in b for b in bodies) == 1 and sum(b.strip() == router.COCKPIT_CSS.strip() for b in bodies) == 1, bodies


def test_not_before_sign_in_nor_twice_on_the_wall(db):
    assert not any(FIT in b for b in _html(app("leadership")))
    wall = _html(app("wallscreen", "duty"))
    assert sum(FIT in b for b in wall) == 1 and router.COCKPIT_CSS.strip() not in [b.strip() for b in wall]


def test_every_select_names_what_nothing_chosen_means_in_chinese():
    """A select box shows its placeholder when nothing is chosen — also when an option's value is None, which
    Streamlit takes for "nothing" (the 预警处置 page's 行业 box read "Choose an option"): every select box and
    multiselect of the pages passes a Chinese ``placeholder``."""
    import ast

    missing = []
    for path in sorted(router.PAGES_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("selectbox", "multiselect"):
                ph = next((k.value for k in node.keywords if k.arg == "placeholder"), None)
                literal = isinstance(ph, ast.Constant) and isinstance(ph.value, str)
                if ph is None or (literal and not re.search(r"[\u4e00-\u9fff]", ph.value)):
                    missing.append(f"{path.name}:{node.lineno}")
    assert not missing, f"select boxes without a Chinese placeholder: {missing}"
