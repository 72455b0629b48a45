"""A page's later parts started early (``pages.common.prefetch``): the page draws what it draws without them, each
part is computed once (by the pool, or by the page where the pool has not begun it), a failure is computed again
where the page reports it, a run leaves nothing queued behind it, and outside a page run nothing is started."""
from __future__ import annotations

import collections
import datetime as dt
import threading
import time
import types

import pytest
from sqlalchemy import Engine, event

import pages.common as pc
from queries import memo
from queries.scope import Scope
from tests.apptest_util import app, clear_caches
from tests.test_pages_postgresql import _drawn

pytestmark = pytest.mark.engines("sqlite")

SCOPE = Scope(320000, None, None, None)
CALLS: list[tuple[str, str]] = []  # (what, thread name) of each computation of the functions below
GATE = threading.Event()
FAIL_ONCE: set[str] = set()


def slow(scope, *, engine=None):
    CALLS.append(("slow", threading.current_thread().name))
    GATE.wait(30)
    return "slow"


def part(name, scope, *, engine=None, extra=None):
    CALLS.append((name, threading.current_thread().name))
    if name in FAIL_ONCE:
        FAIL_ONCE.discard(name)
        raise RuntimeError("the database went away")
    return {"name": name, "extra": extra}


@pytest.fixture
def pool(db, monkeypatch):
    """A fresh pool of one worker; cold caches; the calls counted anew."""
    monkeypatch.setattr(pc, "PREFETCH_WORKERS", 1)
    monkeypatch.setattr(pc, "_prefetch_pool", None)
    clear_caches()
    CALLS.clear()
    FAIL_ONCE.clear()
    GATE.clear()
    yield
    GATE.set()
    if pc._prefetch_pool is not None:
        pc._prefetch_pool.shutdown(wait=True)


def _wait_for(cond, what: str, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, what
        time.sleep(0.01)


def test_a_started_part_is_computed_once_in_the_pool_and_given_to_the_page(pool):
    GATE.set()
    with memo.one_run():
        pc.prefetch(SCOPE, (part, "a"), (part, "b", {"extra": {"k": [1, 2]}}))  # a dict argument too
        _wait_for(lambda: len(CALLS) == 2, "both parts started")
        assert pc.q(part, SCOPE, "a") == {"name": "a", "extra": None}
        assert pc.q(part, SCOPE, "b", extra={"k": [1, 2]}) == {"name": "b", "extra": {"k": [1, 2]}}
        assert pc.q(part, SCOPE, "a") == {"name": "a", "extra": None}  # a second ask: the shared cache
    assert sorted(CALLS) == [("a", "prefetch_0"), ("b", "prefetch_0")]


def test_a_part_the_pool_has_not_begun_is_computed_by_the_page_without_waiting(pool):
    with memo.one_run():
        pc.prefetch(SCOPE, slow, (part, "c"))  # the one worker is held by the slow part
        _wait_for(lambda: CALLS == [("slow", "prefetch_0")], "the slow part started")
        t0 = time.monotonic()
        assert pc.q(part, SCOPE, "c")["name"] == "c"
        assert time.monotonic() - t0 < 20  # (the slow part waits up to 30 s)
        GATE.set()
        assert pc.q(slow, SCOPE) == "slow"
    me = threading.current_thread().name
    assert CALLS == [("slow", "prefetch_0"), ("c", me)]  # each once; "c" by the page, the pool's queue cancelled


def test_a_failed_start_is_computed_again_by_the_page(pool):
    GATE.set()
    FAIL_ONCE.add("d")
    with memo.one_run():
        pc.prefetch(SCOPE, (part, "d"))
        _wait_for(lambda: len(CALLS) == 1, "the part started")
        assert pc.q(part, SCOPE, "d")["name"] == "d"
    assert [c[0] for c in CALLS] == ["d", "d"]
    FAIL_ONCE.add("e")
    with memo.one_run():  # failing in the page's own call too: the page gets the error
        pc.prefetch(SCOPE, (part, "e"))
        _wait_for(lambda: len(CALLS) == 3 and "e" not in FAIL_ONCE, "the part started and failed")
        FAIL_ONCE.add("e")
        with pytest.raises(RuntimeError, match="went away"):
            pc.q(part, SCOPE, "e")
    assert [c[0] for c in CALLS] == ["d", "d", "e", "e"]


def test_a_run_leaves_nothing_queued_and_outside_a_run_nothing_starts(pool):
    with memo.one_run():
        pc.prefetch(SCOPE, slow, (part, "f"), (part, "g"))
        _wait_for(lambda: CALLS == [("slow", "prefetch_0")], "the slow part started")
        pc.drop_prefetched()  # the run ends without drawing f and g
    GATE.set()
    pc._pool().submit(lambda: None).result(timeout=30)  # the worker has gone through its queue
    assert CALLS == [("slow", "prefetch_0")]
    pc.prefetch(SCOPE, (part, "h"))  # no page run: nothing
    pc._pool().submit(lambda: None).result(timeout=30)
    assert CALLS == [("slow", "prefetch_0")]


def test_two_threads_of_a_run_asking_a_shared_figure_compute_it_once():
    calls = []
    gate = threading.Event()

    @memo.shared
    def figure(x):
        calls.append(x)
        gate.wait(30)
        return [x]

    with memo.one_run():
        results = []
        threads = [threading.Thread(target=memo.in_this_run(lambda: results.append(figure(7)))) for _ in range(3)]
        for t in threads:
            t.start()
        _wait_for(lambda: calls, "one thread computes")
        gate.set()
        for t in threads:
            t.join(30)
    assert calls == [7] and results == [[7], [7], [7]]
    assert results[0] is not results[1]  # each its own copy


@pytest.mark.parametrize("page,user,params", [
    (None, "leader", {}), ("enforcement.py", "leader", {}), ("risk.py", "nanjing", {}),
    ("credit.py", "leader", {"industry": "chem"}), ("warnings.py", "leader", {}), ("hazards.py", "yancheng", {}),
], ids=["overview", "enforcement", "risk-city", "credit-industry", "warnings", "hazards-city"])
def test_pages_draw_the_same_with_parts_started_early_and_compute_none_twice(db, monkeypatch, page, user, params):
    drawn, stmts = {}, {}
    # a second passes at every look at the clock: a run's parts, whichever thread and whenever they read, take the
    # run's one moment (queries.memo.moment), or a figure they share would be read once per second the run spans
    # (what a run straddling a second on a busy machine once did)
    start = dt.datetime.now()

    class Clock:
        looks = 0

        @classmethod
        def now(cls):
            cls.looks += 1
            return start + dt.timedelta(seconds=cls.looks)

    monkeypatch.setattr(memo, "dt", types.SimpleNamespace(datetime=Clock))
    for workers in (0, 2):
        monkeypatch.setattr(pc, "PREFETCH_WORKERS", workers)
        clear_caches()
        seen: list[tuple[str, str, str]] = []

        def rec(conn, cursor, statement, parameters, *a):
            name = threading.current_thread().name
            if not name.startswith("CacheBackgroundRefresh"):  # (an earlier test's caches)
                seen.append((name, " ".join(statement.split()), repr(parameters)))

        event.listen(Engine, "before_cursor_execute", rec)
        try:
            at = app("leadership", user, params=params, page=page)
        finally:
            event.remove(Engine, "before_cursor_execute", rec)
        assert not at.exception, at.exception
        drawn[workers], stmts[workers] = _drawn(at), seen
    assert drawn[2] == drawn[0]
    assert any(n.startswith("prefetch") for n, _, _ in stmts[2]), "no part was started early"
    reads = [(s, p) for _, s, p in stmts[2] if s.startswith(("SELECT", "WITH"))]
    serial = [s for _, s, _ in stmts[0] if s.startswith(("SELECT", "WITH"))]
    # nothing twice (said, if it fails: which statements, from which threads, the run with the parts started early
    # read more often than the one without)
    extra = collections.Counter(s for s, _ in reads) - collections.Counter(serial)
    assert len(reads) <= len(serial), [(n, [t for t, s2, _ in stmts[2] if s2 == s], s[:300]) for s, n in extra.items()]
