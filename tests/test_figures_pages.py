"""On every page that shows headline figures, a metric that shows a catalogue figure carries the catalogue's label
and help text (definition, basis, better direction): run each page and read what it rendered."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from pages.common import figure_help
from queries import figures
from seed.schema import hazard_sources as HS
from tests.apptest_util import app, clear_caches

# page -> how many catalogue figures it shows at least (the pages are not all here by chance: a page that stopped
# taking its figures from the catalogue would show fewer)
LEADERSHIP = {"overview.py": 24, "hazards.py": 8, "warnings.py": 11, "enforcement.py": 17, "risk.py": 9,
              "credit.py": 6, "grids.py": 8}
WALL_VIEWS = {"hazards": 9, "risk": 8, "credit": 9}

pytestmark = pytest.mark.engines("sqlite")  # what a page draws does not depend on the database (test_pages_postgresql)


@pytest.fixture(autouse=True, scope="module")
def _fresh():  # the module starts from cold caches; its tests read the same data and share them
    clear_caches()
    yield


def _key_of(label: str) -> str | None:
    """The catalogue figure a metric label names: its label or short label, or either with a parenthesised
    suffix (a unit moved into the label, a share, a colour)."""
    cat = figures.catalogue()
    exact = [k for k, d in cat.items() if label in (d.label, d.short)]
    if exact:
        return exact[0]
    return next((k for k, d in cat.items() if label.startswith((d.label + "（", d.short + "（"))), None)


def catalogue_metrics(at) -> dict[str, str]:
    """label -> key of every metric that shows a catalogue figure; fails on one whose help is not the catalogue's."""
    assert not at.exception, at.exception
    out, wrong = {}, []
    for m in at.metric:
        key = _key_of(m.label)
        if key is None:
            continue
        out[m.label] = key
        if not m.proto.help.startswith(figure_help(key)):
            wrong.append(f"{m.label}: {m.proto.help!r}")
    assert not wrong, wrong
    return out


@pytest.mark.slow
@pytest.mark.parametrize("page", list(LEADERSHIP))
def test_leadership_pages_take_labels_and_help_from_the_catalogue(db, page):
    found = catalogue_metrics(app("leadership", "leader", page=page))
    assert len(found) >= LEADERSHIP[page], sorted(found)


def test_one_enterprise_views_take_them_too(db):
    with db.connect() as c:
        eid = int(c.execute(select(HS.c.enterprise_id).order_by(HS.c.enterprise_id).limit(1)).scalar())
    for page, least in (("enterprise.py", 5), ("hazards.py", 5)):
        at = app("leadership", "leader", page=page)
        at.query_params["enterprise"] = str(eid)
        at.run()
        found = catalogue_metrics(at)
        assert len(found) >= least, (page, sorted(found))


@pytest.mark.parametrize("view", list(WALL_VIEWS))
def test_wall_tiles_take_them_too(db, view):
    found = catalogue_metrics(app("wallscreen", "duty", params={"view": view}))
    assert {f"warnings.open_level_{lv}" for lv in (1, 2, 3, 4)} <= set(found.values())
    assert len(found) >= WALL_VIEWS[view], sorted(found)
