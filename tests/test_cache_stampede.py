"""No stampede on the shared query cache: however many sessions ask for one key at once, the database computes it
once — when it was never computed (the others wait for that one computation) and when it has expired (everyone,
the one who triggered the refresh included, gets the previous value at once while one recomputation runs).

No database: the cached functions count their own computations. Waits are for conditions (a deadline bounds
them), never for a fixed time.
"""
from __future__ import annotations

import threading
import time

import pytest

from pages import common

SESSIONS = 24


def _wait_for(cond, what: str, deadline_s: float = 30.0) -> None:
    end = time.monotonic() + deadline_s
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _burst(fn, *args, join_s: float = 30.0) -> list:
    """``SESSIONS`` threads call ``fn(*args)`` together; their results (a thread still blocked after ``join_s``
    leaves its slot missing)."""
    out: list = []
    lock = threading.Lock()
    start = threading.Barrier(SESSIONS)

    def one():
        start.wait()
        v = fn(*args)
        with lock:
            out.append(v)

    threads = [threading.Thread(target=one, daemon=True) for _ in range(SESSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(join_s)
    return out


def test_a_key_never_computed_is_computed_once_while_the_others_wait():
    calls = []
    release = threading.Event()

    @common.shared_cache(600, 100)
    def figure(key):
        calls.append(key)
        release.wait(30)  # a slow statement: everyone else arrives while it runs
        return f"{key}:{len(calls)}"

    results: list = []
    t = threading.Thread(target=lambda: results.extend(_burst(figure, "enforcement")), daemon=True)
    t.start()
    _wait_for(lambda: len(calls) >= 1, "the first computation to start")
    release.set()
    t.join(60)
    assert calls == ["enforcement"]
    assert results == ["enforcement:1"] * SESSIONS


def test_an_expired_key_is_recomputed_once_and_nobody_waits_for_it():
    calls = []
    gate = threading.Event()  # holds the recomputation until the burst is over

    @common.shared_cache(1, 100)
    def figure(key):
        calls.append(key)
        if len(calls) > 1:
            gate.wait(30)
        return len(calls)

    assert figure("overview") == 1
    seen = []
    # past its TTL the next call starts the one background recomputation and still returns the previous value
    _wait_for(lambda: seen.append(figure("overview")) or len(calls) == 2, "the entry to expire")
    assert set(seen) == {1}
    # while that recomputation is held, a burst of sessions all get the previous value without waiting for it
    burst = _burst(figure, "overview", join_s=10)
    assert burst == [1] * SESSIONS, "a session waited for (or started) a recomputation"
    assert len(calls) == 2
    gate.set()
    _wait_for(lambda: figure("overview") == 2, "the recomputed value")
    assert len(calls) == 2


def test_the_shared_query_cache_is_the_one_that_does_not_stampede():
    """``q`` (the cache every page's period figures go through) is built by ``shared_cache``: background refresh
    with the documented TTL."""
    info = getattr(common._run, "_info", None)
    if info is None:
        pytest.skip("Streamlit's cached function no longer exposes its settings as _info")
    assert info.refresh_mode == "background"
    ttl = info.ttl.total_seconds() if hasattr(info.ttl, "total_seconds") else info.ttl
    assert ttl == common.QUERY_TTL


def test_the_cache_lifetime_is_a_setting(monkeypatch):
    """``OVERSIGHT_QUERY_TTL``: a number of seconds, at least 5; unset or not a number keeps 60."""
    from pages.settings import env_num

    for value, want in (("", 60), ("600", 600), ("1", 5), ("sixty", 60), ("-3", 5)):
        monkeypatch.setenv("OVERSIGHT_QUERY_TTL", value)
        assert env_num("OVERSIGHT_QUERY_TTL", 60, 5) == want
