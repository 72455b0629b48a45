"""Results shared within one page run: a figure several parts of a page need is read once per run.

A page's parts are cached whole (``pages.common.q``), so parts that need the same figure each computed it: the
overview's 需关注, headline, 督办 block and tiles' comparisons read risk completion, the hazard and warning
summaries and the standing 督办 counts two or three times each on a cold view, and the warnings page read the
four-row deadline table seventeen times. A function marked ``@shared`` returns, inside ``one_run()``, a copy of
what its first call with the same arguments returned in that run; outside it (the CLI, the exports, the tests,
Streamlit's background refreshes) it is the plain function.

A run sees the database as of its first read of each figure, as a faster run would. A write committed in this
process — by the run itself or by another session — makes every run read anew what it reads after it: a page that
acts and then draws reads the result, and the memo never keeps a figure read before another session's import for
the rest of a run (which could hand it to the shared cache that import has just cleared). A figure read while a
write was committing is not kept either: the generation moves once the database has committed.
"""
from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import threading
from contextvars import ContextVar, copy_context
from typing import Any, Callable, Iterator

from sqlalchemy import Engine, event

_RUN: ContextVar[dict | None] = ContextVar("oversight_run_memo", default=None)
_LOCK = object()  # a run's per-key lock is kept under (_LOCK, key)


@contextlib.contextmanager
def one_run() -> Iterator[dict]:
    """Share the ``@shared`` functions' results inside the block (one page run). Nested: the outer run's."""
    if _RUN.get() is not None:
        yield _RUN.get()
        return
    token = _RUN.set({})
    try:
        yield _RUN.get()
    finally:
        _RUN.reset(token)


_generation = 0  # bumped by every commit in this process: a shared result of an earlier generation is not used
_bump = threading.Lock()


def forget() -> None:
    """Drop what every run in this process has shared so far (after a write)."""
    global _generation
    with _bump:
        _generation += 1


@event.listens_for(Engine, "engine_connect")
def _forget_after_commits(conn) -> None:
    """Every engine's dialect, once: after each commit has returned (SQLAlchemy's ``commit`` event comes before the
    database commits, when a read in another session still sees the old rows), forget."""
    dialect = conn.dialect
    if dialect.__dict__.get("_oversight_memo"):
        return
    commit = dialect.do_commit

    def do_commit(dbapi_connection) -> None:
        try:
            commit(dbapi_connection)
        finally:
            forget()  # a write: what the runs read before it may have changed

    dialect.do_commit = do_commit
    dialect._oversight_memo = True


def this_run() -> dict | None:
    """The current run's own store (None outside ``one_run()``): what the page keeps for the rest of the run."""
    return _RUN.get()


_MOMENT = object()  # a run's "now" is kept under _MOMENT: (generation, moment)


def moment(now: dt.datetime | None = None) -> dt.datetime:
    """"Now" for a read, to the second (``now`` when the caller gives one). Within ``one_run()`` every part of the
    page, in any of its threads, takes the same moment (a page shows one moment, and a figure its parts share is read
    once, not once per second the run spans); after a write commits in this process the next read takes a new one.
    Outside a run: the current second."""
    if now is not None:
        return now.replace(microsecond=0)
    memo = _RUN.get()
    if memo is None:
        return dt.datetime.now().replace(microsecond=0)
    with memo.setdefault((_LOCK, _MOMENT), threading.Lock()):
        got = memo.get(_MOMENT)
        if got is None or got[0] != _generation:
            got = memo[_MOMENT] = (_generation, dt.datetime.now().replace(microsecond=0))
        return got[1]


def in_this_run(fn: Callable, *args, **kwargs) -> Callable[[], Any]:
    """``fn(*args, **kwargs)`` to run in another thread within this run (a pool's task: the context is copied, the
    shared results are the same)."""
    return functools.partial(copy_context().run, fn, *args, **kwargs)


def shared(fn: Callable) -> Callable:
    """Mark a read-only query function whose result depends on its arguments alone (the scope, the engine, the
    moment): within ``one_run()`` a second call with equal arguments returns a copy of the first call's result."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        memo = _RUN.get()
        if memo is None:
            return fn(*args, **kwargs)
        try:
            key = (fn, args, tuple(sorted(kwargs.items())))
            hash(key)
        except TypeError:  # an argument that cannot be a key: not shared
            return fn(*args, **kwargs)
        # one reader per key at a time: a part computing it in another thread of the run (the tiles' comparisons,
        # the page's prefetched parts) is waited for rather than doubled (setdefault is atomic on a dict)
        with memo.setdefault((_LOCK, key), threading.Lock()):
            got = memo.get(key)
            if got is not None and got[0] == _generation:
                return copy.deepcopy(got[1])
            gen = _generation
            value = fn(*args, **kwargs)
            if gen == _generation:  # (not if a write committed while it was read)
                memo[key] = (gen, value)
        return copy.deepcopy(value)

    wrapper.unshared = fn  # type: ignore[attr-defined]
    return wrapper
