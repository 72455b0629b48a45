"""``oversight loadtest`` against a real wallscreen server: the protocol works end to end and errors are caught.

A few sessions for ~14 s (the README's figures come from 100 sessions for 10 minutes, run by hand): every
session signs in with the kiosk cookie, gets the live fragment and refreshes it; the form sign-in path works
too; and a session with a cookie the server does not accept is reported as an error, not as a quiet success.
"""
from __future__ import annotations

import pytest

from browser_util import streamlit_server
from cli import loadtest

# the protocol does not depend on the database (the wall's queries are tested on both): one server, on SQLite
pytestmark = [pytest.mark.engines("sqlite"),  # (the cockpit test: PostgreSQL, for its table counts)
              pytest.mark.slow]  # real-time sessions: the scheduler starts them early, beside the browser tests
KEY = "loadtest-cookie-key-" + "k" * 40
REFRESH_S = 3


@pytest.fixture(scope="module")
def server(db):
    with streamlit_server("wallscreen", db.url.render_as_string(hide_password=False),
                          env={"OVERSIGHT_COOKIE_KEY": KEY, "OVERSIGHT_WALL_REFRESH": str(REFRESH_S)}) as base:
        yield base


def test_sessions_refresh_without_errors(server):
    rep = loadtest.run(loadtest.Config(url=server, sessions=5, interval=REFRESH_S, seconds=14, ramp=2, timeout=30,
                                       cookie_key=KEY))
    assert rep["errors"] == 0, rep["error_samples"]
    assert rep["fragment_run_every_s"] == REFRESH_S  # the wall's own fragment timer, announced by auto_rerun
    assert rep["refreshes_per_session"]["min"] >= 2, rep
    assert rep["refresh_ms"]["n"] == rep["refreshes"] >= 10
    assert 0 < rep["refresh_ms"]["p50"] <= rep["refresh_ms"]["p95"] <= rep["refresh_ms"]["max"] < 30000
    assert rep["first_run_ms"]["n"] == 5
    assert rep["messages"]["received"] > 0 and rep["messages"]["bytes"] > 0
    srv = rep["server"]  # the process listening on the port, found and sampled
    assert srv["pid"] and srv["samples"] >= 5 and srv["rss_mib"]["max"] > 50 and "cpu_pct" in srv


def test_sign_in_through_the_form(server):
    rep = loadtest.run(loadtest.Config(url=server, sessions=1, interval=3, seconds=10, ramp=0, timeout=30,
                                       auth="form", user="duty"))
    assert rep["errors"] == 0, rep["error_samples"]
    assert rep["refreshes"] >= 2


def test_a_rejected_cookie_is_an_error(server):
    rep = loadtest.run(loadtest.Config(url=server, sessions=1, interval=3, seconds=5, ramp=0, timeout=30,
                                       cookie_key="not-the-server-key-" + "x" * 30))
    assert rep["errors"] >= 1 and rep["error_kinds"].get("no_fragment") == 1, rep
    assert rep["refreshes"] == 0


def test_cli_registers_loadtest():
    from cli import main as oversight

    assert "cli.loadtest" in oversight.CLI_MODULES


def _flushed_reads(url: str):
    """``settled_reads`` without its wait: a PostgreSQL backend reports its table counters when it exits, so the
    database's connections (the server's; its pool reconnects, pre-pinged) are ended before the counts are read,
    instead of waiting for idle backends to report them (up to 11 s, twice, per run)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    async def reads():
        eng = create_engine(url, poolclass=NullPool)
        with eng.connect() as c:
            c.execute(text("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        eng.dispose()
        return loadtest.table_reads()

    return reads


@pytest.mark.engines("postgresql")
def test_cockpit_mode_leaders_share_one_computation_per_key(db, monkeypatch):
    """Leaders opening the overview and the enforcement page in turn: no errors, and once the first round has
    computed every key, further rounds by every session (inside the cache's TTL) read no fact or aggregate table
    at all — the database sees a key's statements once, not once per leader."""
    url = db.url.render_as_string(hide_password=False)
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)  # the cookie's session version and the table counts: the server's
    monkeypatch.setattr(loadtest, "settled_reads", _flushed_reads(url))
    # the rounds must fall inside the cache's lifetime however busy the machine is
    env = {"OVERSIGHT_COOKIE_KEY": KEY, "OVERSIGHT_QUERY_TTL": "1800"}
    with streamlit_server("leadership", url, env=env) as base:
        first = loadtest.run(loadtest.Config(url=base, sessions=4, interval=2, seconds=7, ramp=0, timeout=60,
                                             cookie_key=KEY, cockpit=True, user="leader"))
        assert first["errors"] == 0, first["error_samples"]
        assert first["mode"] == "cockpit" and first["first_run_ms"]["n"] == 4
        assert first["table_reads"]["period_cells"] > 0  # the pages' period figures come from the aggregates
        # every page of the cockpit computed once before the rounds that must read nothing: on a loaded machine the
        # first cold page runs can take the whole round (a session whose first run ends after the round's end opens
        # no further page), so further short rounds run until each page has been run
        runs = dict(first["page_runs"])
        for _ in range(10):
            if all(runs.get(p) for p in first["pages"]):
                break
            more = loadtest.run(loadtest.Config(url=base, sessions=2, interval=2, seconds=5, ramp=0, timeout=60,
                                                cookie_key=KEY, cockpit=True, user="leader"))
            assert more["errors"] == 0, more["error_samples"]
            runs = {p: runs.get(p, 0) + more["page_runs"].get(p, 0) for p in first["pages"]}
        assert all(runs.get(p) for p in first["pages"]), runs
        again = loadtest.run(loadtest.Config(url=base, sessions=6, interval=2, seconds=9, ramp=0, timeout=60,
                                             cookie_key=KEY, cockpit=True, user="leader"))
    assert again["errors"] == 0, again["error_samples"]
    assert again["refreshes"] >= 12  # both pages, several times, by every session
    assert again["table_reads"]["period_cells"] == 0 and again["table_reads"]["inspections"] == 0, again["table_reads"]
    assert again["table_reads"]["enterprise_cells"] == 0, again["table_reads"]
