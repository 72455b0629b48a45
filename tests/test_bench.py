"""A small benchmark inside ``make test``: the wall screen's and the briefing workbench's pages through
``oversight bench``'s own functions, on the demo data, with limits ten times the targets so that only a gross
regression fails on a busy machine. The targets themselves live in ``cli.bench.TARGETS`` and are
judged by ``oversight bench`` at province scale (README, Measurements); they are not timed tests."""
from __future__ import annotations

import json

import pytest

from queries import db as dbmod
from cli import bench
from tests.apptest_util import clear_caches

GENEROUS = 10  # × the targets


@pytest.fixture(autouse=True)
def _fresh():
    clear_caches()
    yield
    clear_caches()


@pytest.mark.parametrize("app", ["wallscreen", "briefing"])
def test_small_benchmark_pages(db, app):
    # the engine the pages read from (an earlier test may have replaced the fixture's pooled engine object)
    pages = bench.bench_pages(dbmod.reader(), db.dialect.name, "demo", only_app=app)
    assert pages, "the app has no pages for its user"
    for p in pages:
        assert set(p) >= {"app", "page", "db", "scale", "cold_ms", "warm_ms", "sql_ms"}
        assert not p["exception"], p
        assert p["statements"] > 0  # the cold run went to the database (caches were cleared)
        assert p["sql_ms"] > 0
        assert p["cold_ms"] <= GENEROUS * bench.TARGETS["cold_ms"], p
        assert p["warm_ms"] <= GENEROUS * bench.TARGETS["warm_ms"], p
    json.dumps(pages)  # the records are what --out writes


def test_small_benchmark_wall_refresh_and_figures(db):
    r = bench.bench_wall_refresh(runs=3)
    assert not r["exception"]
    assert 0 < r["median_ms"] <= r["max_ms"]
    assert r["median_ms"] <= GENEROUS * bench.TARGETS["wall_refresh_ms"], r
    assert 0 < bench.bench_figures(db) <= GENEROUS * bench.TARGETS["cold_ms"]


def test_targets_are_judged():
    page = {"app": "leadership", "page": "overview", "cold_ms": 900.0, "warm_ms": 120.0, "sql_ms": 500.0}
    res = {"pages": [page], "wall_refresh": {"median_ms": 150.0}, "ingest": {"readings_per_s": 25000}}
    assert all(t["ok"] for t in bench.check_targets(res))
    slow = dict(page, cold_ms=2500.0, warm_ms=400.0, sql_ms=100.0)
    res = {"pages": [slow], "wall_refresh": {"median_ms": 250.0}, "ingest": {"readings_per_s": 9000}}
    missed = [t["target"] for t in bench.check_targets(res) if not t["ok"]]
    assert len(missed) == 5, missed  # warm, cold, cold/sql, wall refresh, ingest
    # a page whose SQL is negligible gets 100 ms of overhead, not 2 × 3 ms; beyond that it fails
    quick = dict(page, cold_ms=80.0, warm_ms=30.0, sql_ms=3.0)
    assert all(t["ok"] for t in bench.check_targets({"pages": [quick]}))
    assert not all(t["ok"] for t in bench.check_targets({"pages": [dict(quick, cold_ms=110.0)]}))
