"""Hostile URL parameters on every page: a clear message (or the default view), never an exception."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pages.app import pages_for
from tests.apptest_util import app, clear_caches

NASTY = st.one_of(
    st.text(max_size=40),
    st.integers(-10**18, 10**18).map(str),
    st.sampled_from(["320100' OR '1'='1", "1; DROP TABLE inspections;--", "%00", "../../etc/passwd", "9" * 300,
                     "2021-02-30", "0000-00-00", "2021-01-01T25:99", "南京市", "320100", "320900", "-1", "NaN",
                     "1e309", "<script>alert(1)</script>", "😀" * 10, "\u202e320100"]),
)
KEYS = ["region", "industry", "from", "to", "as_of", "enterprise", "warning", "campaign", "point", "wwin", "kind",
        "map", "regions"]


@pytest.mark.parametrize("page", [p.file for p in pages_for("leadership", "city")])
def test_pages_survive_hostile_parameters(db, page):
    if db.dialect.name != "sqlite":
        pytest.skip("the pages are the same on both databases; fuzzing once is enough")

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(params=st.dictionaries(st.sampled_from(KEYS), NASTY, min_size=1, max_size=4))
    def run(params):
        clear_caches()
        at = app("leadership", "suqian", params=params, page=page)
        assert not at.exception, (page, params, at.exception)
        # whatever was asked, nothing of another city is shown
        text = " ".join(str(m.value) for m in at.markdown) + " ".join(m.label for m in at.metric)
        for foreign in ("玄武区", "秦淮区", "亭湖区", "盐都区"):
            assert foreign not in text, (page, params)

    run()
