"""queries.tasks.run_all: the tiles' earlier periods and a ranking's periods on the process's pool of threads — results
in order, at most ``width`` at once, the first failure raised with the tasks not yet started left unrun, a task's
own sub-tasks run in its thread (no pool waiting on itself), and no thread started per call."""
from __future__ import annotations

import threading

import pytest

from queries import tasks

WAIT = 60  # seconds a test waits for a condition before it fails (never a fixed pause)


def test_results_come_in_the_tasks_order_with_at_most_width_running():
    lock, running, peak, started = threading.Lock(), [0], [0], []
    two_in, release = threading.Event(), threading.Event()

    def task(i):
        def run():
            with lock:
                started.append(i)
                running[0] += 1
                peak[0] = max(peak[0], running[0])
                if running[0] == 2:
                    two_in.set()
            assert release.wait(WAIT)
            with lock:
                running[0] -= 1
            return i * 10
        return run

    out = {}
    caller = threading.Thread(target=lambda: out.setdefault("r", tasks.run_all([task(i) for i in range(7)], 2)))
    caller.start()
    assert two_in.wait(WAIT)
    with lock:
        assert sorted(started) == [0, 1]  # the third waits for one of the two to end
    release.set()
    caller.join(WAIT)
    assert out["r"] == [i * 10 for i in range(7)]
    assert peak[0] == 2 and sorted(started) == list(range(7))


def test_the_first_failure_is_raised_and_later_tasks_never_start():
    release, slow_started, slow_done, later = threading.Event(), threading.Event(), threading.Event(), []

    def fails():
        raise ValueError("第一个失败")

    def slow():  # submitted beside the failing one: it may have started, or be cancelled before it does
        slow_started.set()
        release.wait(WAIT)
        slow_done.set()
        return "slow"

    with pytest.raises(ValueError, match="第一个失败"):
        tasks.run_all([fails, slow, *(lambda i=i: later.append(i) for i in range(4))], 2)
    release.set()
    if slow_started.is_set():  # what had started runs to its end
        assert slow_done.wait(WAIT)
    assert later == []  # never submitted
    with pytest.raises(KeyError):  # inline (width 1) too
        tasks.run_all([lambda: {}["x"], lambda: later.append("inline")], 1)
    assert later == []


def test_a_tasks_sub_tasks_run_in_its_own_thread_so_a_full_pool_cannot_wait_on_itself():
    def parent():
        me = threading.get_ident()
        return tasks.run_all([threading.get_ident, threading.get_ident, lambda: me], 3)

    # more parents than the pool has threads, each with sub-tasks of its own
    got = tasks.run_all([parent] * (tasks.POOL_SIZE * 2), tasks.POOL_SIZE)
    assert all(a == b == c for a, b, c in got)


def test_calls_reuse_the_pools_threads():
    names = set()
    for _ in range(20):
        names.update(tasks.run_all([lambda: threading.current_thread().name] * 3, 3))
    assert all(n.startswith("reads") for n in names) and len(names) <= tasks.POOL_SIZE, names
    assert tasks.run_all([], 3) == [] and tasks.run_all([lambda: 1], 3) == [1]
