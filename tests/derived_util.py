"""Comparing a query function with and without the derived data (derived columns and maintained aggregates); the
demo data's "now"."""
from __future__ import annotations

import pandas as pd
import pytest


def assert_same_without_derived(fn, scopes: dict, db, monkeypatch) -> None:
    """``fn(scope)`` equals itself computed from the fact rows alone (``OVERSIGHT_DERIVED=0``) for every scope."""
    for name, scope in scopes.items():
        monkeypatch.setenv("OVERSIGHT_DERIVED", "1")
        fast = fn(scope, engine=db)
        monkeypatch.setenv("OVERSIGHT_DERIVED", "0")
        slow = fn(scope, engine=db)
        try:
            if isinstance(fast, pd.DataFrame):
                pd.testing.assert_frame_equal(fast.reset_index(drop=True), slow.reset_index(drop=True),
                                              check_dtype=False)
            else:
                assert fast == slow
        except AssertionError as e:
            raise AssertionError(f"{fn.__name__} differs for scope {name}: {e}") from None
    monkeypatch.setenv("OVERSIGHT_DERIVED", "1")


def data_now(eng):
    """"Now" for tests of figures taken at a moment: an hour after the demo data's newest warning, to the hour (the
    demo data are generated relative to their seeding time)."""
    import datetime as dt

    from sqlalchemy import func, select

    from seed.schema import warnings as W

    with eng.connect() as c:
        newest = c.execute(select(func.max(W.c.raised_at))).scalar()
    newest = dt.datetime.fromisoformat(newest) if isinstance(newest, str) else newest
    return newest.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def demo_now(request):
    """Imported by a test module that keeps a module-level ``NOW``: sets it to ``data_now`` of the test's database
    (a fixed date would fall outside the demo data one day)."""
    if "db" in request.fixturenames:
        request.module.NOW = data_now(request.getfixturevalue("db"))
