"""Results shared within one page run (queries/memo.py): a ``@shared`` function computes once per run and
arguments, gives each caller its own copy, forgets after a write the run commits, reaches the comparisons' worker
threads, and is the plain function outside a run; the pages read what they share once."""
from __future__ import annotations

import contextlib
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, create_engine, event, func, select, update

from queries import handling, hazards, memo, risk, supervision, warnings
from queries.overview import standing_scope
from queries.scope import Scope
from seed.schema import handling_deadlines as HD, supervision_orders as SO
from tests.apptest_util import app, clear_caches

PERIOD = Scope(320900, None, dt.date(2021, 1, 1), dt.date(2021, 6, 30))
NOW = dt.datetime(2021, 6, 30, 12, 0)


@contextlib.contextmanager
def _statements(db):
    """The statements ``db`` runs inside the block."""
    seen: list[str] = []

    def rec(conn, cursor, statement, *a):
        seen.append(statement)

    event.listen(db, "before_cursor_execute", rec)
    try:
        yield seen
    finally:
        event.remove(db, "before_cursor_execute", rec)


def _newest_order(db) -> dt.datetime:
    with db.connect() as c:
        t = c.execute(select(func.max(SO.c.created_at))).scalar()
    return t if isinstance(t, dt.datetime) else dt.datetime.fromisoformat(str(t))


@pytest.mark.parametrize("call", [
    lambda db: hazards.summary(PERIOD, engine=db),
    lambda db: warnings.summary(PERIOD, engine=db),
    lambda db: risk.completion(PERIOD, engine=db),
    lambda db: supervision.summary(standing_scope(PERIOD), engine=db, now=NOW),
    lambda db: handling.timeliness(PERIOD, engine=db, now=NOW),
    lambda db: handling.deadline_map(db),
], ids=["hazards", "warnings", "risk", "supervision", "timeliness", "deadlines"])
def test_a_shared_function_computes_once_per_run_and_equals_the_plain_call(db, call):
    call(db)  # (the reference data, read once per process)
    with _statements(db) as seen:
        plain = call(db)
        n = len(seen)
        assert n >= 1
        call(db)
        assert len(seen) == 2 * n  # outside a run: computed on every call
        seen.clear()
        with memo.one_run():
            first = call(db)
            again = call(db)
        assert len(seen) == n  # in a run: once
    assert first == plain and again == plain


def test_each_caller_gets_its_own_copy(db):
    with memo.one_run():
        a = hazards.summary(PERIOD, engine=db)
        a["points"] = -1
        a.clear()
        b = hazards.summary(PERIOD, engine=db)
    assert b == hazards.summary(PERIOD, engine=db) and b.get("points", 0) >= 0


def test_other_arguments_are_other_results(db):
    """Each argument is part of the key: the scope, the moment, a keyword, the engine (results that differ when
    computed plainly stay apart in a run)."""
    city, county = PERIOD, PERIOD.with_(region=320902)
    hazards.summary(county, engine=db)
    late = _newest_order(db) + dt.timedelta(hours=1)
    standing = Scope(region=320900)  # 在办 and 超期 taken at ``now``
    plain = {"city": hazards.summary(city, engine=db), "county": hazards.summary(county, engine=db),
             "late": supervision.summary(standing, engine=db, now=late),
             "early": supervision.summary(standing, engine=db, now=late - dt.timedelta(days=3)),
             "risk": risk.training(PERIOD, engine=db), "all": risk.training(PERIOD, engine=db, topic=None)}
    assert plain["city"] != plain["county"] and plain["late"] != plain["early"] and plain["risk"] != plain["all"]
    other = create_engine(db.url)  # another engine of the same database
    try:
        with memo.one_run():
            got = {"city": hazards.summary(city, engine=db), "county": hazards.summary(county, engine=db),
                   "late": supervision.summary(standing, engine=db, now=late),
                   "early": supervision.summary(standing, engine=db, now=late - dt.timedelta(days=3)),
                   "risk": risk.training(PERIOD, engine=db), "all": risk.training(PERIOD, engine=db, topic=None)}
            with _statements(other) as seen:
                assert hazards.summary(city, engine=other) == plain["city"]
            assert seen
    finally:
        other.dispose()
    assert got == plain


def test_a_write_the_run_commits_forgets_what_it_read(db):
    """A page that acts and then draws reads the result anew: a committed write drops the run's shared results,
    whether it goes through the query layer or a plain transaction."""
    with db.connect() as c:
        before = dict(c.execute(select(HD.c.ack_minutes).where(HD.c.level == 1)).one()._mapping)["ack_minutes"]
    try:
        with memo.one_run():
            assert handling.deadline_map(db)[1][0] == before
            with db.begin() as c:
                c.execute(update(HD).where(HD.c.level == 1).values(ack_minutes=before + 7))
            assert handling.deadline_map(db)[1][0] == before + 7
            with db.connect() as c:  # a read ends in a rollback: nothing is forgotten
                c.execute(select(HD.c.level)).all()
            with _statements(db) as seen:
                handling.deadline_map(db)
            assert seen == []
    finally:
        with db.begin() as c:
            c.execute(update(HD).where(HD.c.level == 1).values(ack_minutes=before))


def test_a_write_another_session_commits_makes_the_run_read_anew(db):
    """Another session's import commits and clears the shared cache while this run is under way: what this run
    reads after it (and may hand to that cache) is read anew, not the figure from before the write."""
    with memo.one_run():
        hazards.summary(PERIOD, engine=db)
        with _statements(db) as seen:
            hazards.summary(PERIOD, engine=db)
        assert seen == []

        def other_session():
            with db.begin() as c:
                c.execute(update(HD).where(HD.c.level == 1).values(ack_minutes=HD.c.ack_minutes))

        t = threading.Thread(target=other_session)
        t.start()
        t.join()
        with _statements(db) as seen:
            hazards.summary(PERIOD, engine=db)
        assert seen


def test_a_figure_read_while_a_write_commits_is_read_again_after_it(db):
    """SQLAlchemy's ``commit`` event comes before the database commits: a figure another session reads then is the
    old one, and must not be served for the rest of the run."""
    got = {}

    def during(conn):  # the write is committing: its rows are not visible yet
        got["during"] = hazards.summary(PERIOD, engine=db)

    with memo.one_run():
        event.listen(db, "commit", during)
        try:
            with db.begin() as c:
                c.execute(update(HD).where(HD.c.level == 1).values(ack_minutes=HD.c.ack_minutes))
        finally:
            event.remove(db, "commit", during)
        assert "during" in got
        with _statements(db) as seen:
            hazards.summary(PERIOD, engine=db)
        assert seen  # read anew


def test_the_comparisons_threads_share_the_run_and_other_threads_do_not(db):
    hazards.summary(PERIOD, engine=db)
    with _statements(db) as seen, memo.one_run():
        hazards.summary(PERIOD, engine=db)
        n = len(seen)
        with ThreadPoolExecutor(max_workers=2) as pool:  # the comparisons' tasks (queries/change.py)
            got = [f.result() for f in [pool.submit(memo.in_this_run(hazards.summary, PERIOD, engine=db))
                                        for _ in range(3)]]
        assert len(seen) == n
        out = {}
        t = threading.Thread(target=lambda: out.update(r=hazards.summary(PERIOD, engine=db)))  # no context
        t.start()
        t.join()
        assert len(seen) == 2 * n
    assert all(g == out["r"] for g in got)


def test_an_argument_that_cannot_be_a_key_is_not_shared():
    calls = []

    @memo.shared
    def f(x):
        calls.append(x)
        return len(x)

    with memo.one_run():
        assert f([1, 2]) == 2 and f([1, 2]) == 2
        assert f((1, 2)) == 2 and f((1, 2)) == 2
    assert calls == [[1, 2], [1, 2], (1, 2)]
    assert f.unshared([3]) == 1
    with memo.one_run() as outer, memo.one_run() as inner:  # nested: the outer run's
        assert outer is inner


@pytest.mark.engines("sqlite")
@pytest.mark.parametrize("page,tables", [(None, ("hazard_sources", "point_state", "handling_deadlines")),
                                         ("warnings.py", ("handling_deadlines",))], ids=["overview", "warnings"])
def test_a_page_reads_what_its_parts_share_once(db, page, tables):
    """The overview's headline and tiles' comparisons both need the hazard summary; the warnings page's timeliness
    figures and their earlier moments all need the deadline table: no statement on those tables runs twice with the
    same parameters in a cold run. (Not the 督办 counts: their parts take "now" to the second, and a second that
    passes between two parts of a run on a busy machine makes them two calls.)"""
    clear_caches()
    seen: list[tuple[str, str]] = []

    def rec(conn, cursor, statement, parameters, *a):
        if not threading.current_thread().name.startswith("CacheBackgroundRefresh"):  # (an earlier test's caches)
            seen.append((" ".join(statement.split()), repr(parameters)))

    event.listen(Engine, "before_cursor_execute", rec)
    try:
        at = app("leadership", "leader", page=page)
    finally:
        event.remove(Engine, "before_cursor_execute", rec)
    assert not at.exception, at.exception
    read = [s for s in seen if any(f"FROM {t}" in s[0] for t in tables)]
    assert read, tables
    twice = sorted({s[0][:120] for s in read if read.count(s) > 1})
    assert twice == [], twice


def test_a_run_takes_one_moment_until_a_write(monkeypatch):
    """Every part of a page run, in any of its threads, reads as of the same second, however long the run takes (a
    figure its parts share is then read once); a write committed meanwhile makes the next read take a new moment.
    Outside a run each read takes the current second."""
    import types

    class Clock:  # a second passes at every look
        t = dt.datetime(2026, 1, 1, 8, 0, 0)

        @classmethod
        def now(cls):
            cls.t += dt.timedelta(seconds=1, microseconds=250)
            return cls.t

    monkeypatch.setattr(memo, "dt", types.SimpleNamespace(datetime=Clock))
    assert memo.moment() < memo.moment()  # outside a run: now
    with memo.one_run():
        first = memo.moment()
        assert first.microsecond == 0
        seen = []
        t = threading.Thread(target=memo.in_this_run(lambda: seen.append(memo.moment())))
        t.start()
        t.join(30)
        assert seen == [first] and memo.moment() == first
        memo.forget()  # a write
        later = memo.moment()
        assert later > first and memo.moment() == later
    assert memo.moment() > later
