"""Independent reads of one figure (the tiles' earlier periods, a ranking's two periods) run a few at a time on
threads the process keeps.

A pool made per call starts its threads anew every time, and starting a thread waits until the new thread has run:
in a server whose other threads hold the interpreter lock (a page drawing, its prefetched parts) that wait lasts up
to a switch interval (5 ms) per thread, three threads per comparison, several comparisons per page. One
process-wide pool (``POOL_SIZE`` threads) serves every call; each call still runs at most ``width`` of its tasks at
once, as before. A task run on one of the pool's own threads runs its sub-tasks itself, one after another (a pool
waiting on itself could run out of threads).
"""
from __future__ import annotations

import itertools
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Callable, Sequence

# the database's read pool holds 5 + 10 connections per process; the pages' prefetch threads take two of them
POOL_SIZE = 8

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_local = threading.local()


def _mark_worker() -> None:
    _local.worker = True


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="reads",
                                       initializer=_mark_worker)
        return _pool


def run_all(tasks: Sequence[Callable[[], Any]], width: int) -> list[Any]:
    """Each task's result, in the tasks' order, at most ``width`` of them running at once on the process's pool. The
    first failure is raised; the tasks not started by then are not run. Tasks are callables of no arguments (wrap
    a page run's with ``queries.memo.in_this_run`` so they share its figures)."""
    tasks = list(tasks)
    if width <= 1 or len(tasks) <= 1 or getattr(_local, "worker", False):
        return [t() for t in tasks]
    pool = _executor()
    results: list[Any] = [None] * len(tasks)
    waiting = iter(enumerate(tasks))
    running: dict[Future, int] = {pool.submit(t): i for i, t in itertools.islice(waiting, width)}
    try:
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                results[running.pop(fut)] = fut.result()
                nxt = next(waiting, None)
                if nxt is not None:
                    running[pool.submit(nxt[1])] = nxt[0]
    except BaseException:
        for fut in running:
            fut.cancel()
        raise
    return results
