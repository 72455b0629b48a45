"""督办 in the query layer (queries.supervision), on SQLite and PostgreSQL, each engine on its own copy of the seeded
demo database: every state change and refusal (who may send to whom, crafted ids, stale version and double submit,
empty / over-long / hostile text, a fault mid-write), two sessions closing one order at once, visibility, the
figures against an independent count, the list checks and their rates."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from queries import db as dbmod
from queries import supervision as SV
from queries.change import _year_back
from queries.scope import Scope, ScopeError
from seed import schema as S
from tests.dbcache import clone_database, remove_copy

SO, SE, A, LC = S.supervision_orders, S.supervision_events, S.audit_log, S.list_checks
NANJING, JIANGNING, XUANWU, YANCHENG, TINGHU, SUQIAN = 320100, 320115, 320102, 320900, 320902, 321300
LEADER = SV.Actor("leader", "leader", None)
NJ_CITY, YC_CITY, SQ_CITY = (SV.Actor("nanjing", "city", NANJING), SV.Actor("yancheng", "city", YANCHENG),
                             SV.Actor("suqian", "city", SUQIAN))
NJ_OFFICER, JN_OFFICER, YC_OFFICER = (SV.Actor("nanjing-officer", "officer", NANJING),
                                      SV.Actor("jiangning-officer", "officer", JIANGNING),
                                      SV.Actor("yancheng-officer", "officer", YANCHENG))
DUTY, WRITER, ADMIN = SV.Actor("duty", "duty", None), SV.Actor("writer", "writer", None), SV.Actor("admin", "admin", None)
WAIT_S = 120


@pytest.fixture(scope="module")
def eng(db, session_tmp):
    url = clone_database(db, f"supervision_{db.dialect.name}", session_tmp)
    e = dbmod.get_engine(url)
    yield e
    remove_copy(url)


def due(days: int = 3) -> dt.date:
    return dt.date.today() + dt.timedelta(days=days)


def new_order(eng, to=YANCHENG, actor=LEADER, text="请报送整改推进情况", **kw) -> SV.Result:
    return SV.send(actor, to, kw.pop("subject", SV.text_subject("测试督办事项")), text, kw.pop("deadline", due()),
                   engine=eng, **kw)


def orow(eng, oid) -> dict:
    with eng.connect() as c:
        return dict(c.execute(select(SO).where(SO.c.id == oid)).mappings().one())


def snapshot(eng, oid) -> tuple:
    with eng.connect() as c:
        n = c.execute(select(func.count()).select_from(SE).where(SE.c.order_id == oid)).scalar()
        a = c.execute(select(func.count()).select_from(A).where(A.c.event.in_(
            [SV.SEND_EVENT, SV.REPLY_EVENT, SV.RETURN_EVENT, SV.CLOSE_EVENT]))).scalar()
    return tuple(sorted(orow(eng, oid).items())), n, a


def audit_count(eng, ev: str) -> int:
    with eng.connect() as c:
        return c.execute(select(func.count()).select_from(A).where(A.c.event == ev)).scalar()


# --- the flow --------------------------------------------------------------------------------------------------------

def test_send_reply_return_reply_close_with_events_and_audit(eng):
    r = new_order(eng)
    assert r.code.startswith(f"DB-{dt.date.today().year}-") and r.version == 1 and r.order["state"] == "open"
    assert r.order["region_name"] == "盐城市" and r.order["city_adcode"] == YANCHENG and r.order["county_adcode"] is None
    inbox = SV.inbox(YC_OFFICER, engine=eng)
    assert r.order_id in set(inbox["id"]) and dict(zip(inbox["id"], inbox["action"]))[r.order_id] == "reply"
    assert SV.allowed_actions(YC_OFFICER, r.order) == ["reply"] and SV.allowed_actions(LEADER, r.order) == []
    r2 = SV.reply(YC_OFFICER, r.order_id, "已组织排查", version=1, engine=eng)
    assert (r2.version, r2.order["state"]) == (2, "answered")
    assert r.order_id in set(SV.inbox(LEADER, engine=eng)["id"])  # the issuer's to-do: close or return
    assert SV.allowed_actions(LEADER, r2.order) == ["close", "return"]
    r3 = SV.return_(LEADER, r.order_id, "请补充整改时限", version=2, engine=eng)
    assert (r3.version, r3.order["state"], r3.order["returned_count"]) == (3, "open", 1)
    assert orow(eng, r.order_id)["answered_at"] is None
    r4 = SV.reply(YC_CITY, r.order_id, "整改将于月底前完成", version=3, engine=eng)  # the city account replies too
    r5 = SV.close(LEADER, r.order_id, version=r4.version, engine=eng)
    assert (r5.version, r5.order["state"]) == (5, "closed") and orow(eng, r.order_id)["closed_at"] == r5.at
    ev = SV.events(r.order_id, YC_OFFICER, engine=eng)
    assert list(ev["kind"]) == ["send", "reply", "return", "reply", "close"]
    assert list(ev["kind_name"]) == ["督办", "反馈", "退回", "反馈", "办结"] and list(ev["version"]) == [1, 2, 3, 4, 5]
    assert list(ev["actor"]) == ["leader", "yancheng-officer", "leader", "yancheng", "leader"]
    assert r.order_id not in set(SV.inbox(LEADER, engine=eng)["id"])
    assert r.order_id in set(SV.outbox(LEADER, engine=eng, state="closed")["id"])


def test_codes_count_up_within_the_year(eng):
    a, b = new_order(eng), new_order(eng)
    assert int(b.code.rsplit("-", 1)[1]) == int(a.code.rsplit("-", 1)[1]) + 1


# --- who may send to whom -------------------------------------------------------------------------------------------

def test_who_may_send_where(eng):
    assert new_order(eng, TINGHU).order["county_adcode"] == TINGHU  # the leader: a county
    assert new_order(eng, "宿迁市").order["region_adcode"] == SUQIAN  # by name
    assert new_order(eng, JIANGNING, NJ_CITY).order["city_adcode"] == NANJING  # a city: its counties
    for actor, to in ((NJ_CITY, NANJING), (NJ_CITY, TINGHU), (NJ_CITY, YANCHENG), (YC_CITY, JIANGNING)):
        with pytest.raises(SV.NotPermitted, match="所辖县"):
            new_order(eng, to, actor)
    for actor in (NJ_OFFICER, WRITER, ADMIN):
        before = audit_count(eng, SV.REFUSED_EVENT)
        with pytest.raises(SV.NotPermitted, match="不能发出督办"):
            new_order(eng, YANCHENG, actor)
        assert audit_count(eng, SV.REFUSED_EVENT) == before + 1
    with pytest.raises(SV.NotPermitted, match="只能就预警"):
        new_order(eng, YANCHENG, DUTY)
    for bad in (320000, 999999, "火星市", "", None, True, 3209.0):
        with pytest.raises(SV.InvalidInput, match="市或县"):
            new_order(eng, bad)


def test_subjects(eng):
    with eng.connect() as c:
        w = c.execute(select(S.warnings.c.id, S.warnings.c.code).where(S.warnings.c.city_adcode == YANCHENG)
                      .limit(1)).one()
        e = c.execute(select(S.enterprises.c.id, S.enterprises.c.name).where(
            S.enterprises.c.county_adcode == JIANGNING).limit(1)).one()
        camp = c.execute(select(S.campaigns.c.id, S.campaigns.c.name).limit(1)).one()
    r = new_order(eng, YANCHENG, DUTY, subject=SV.warning_subject(w.id))
    assert r.order["subject_title"].startswith(w.code)
    assert new_order(eng, JIANGNING, subject=SV.enterprise_subject(str(e.id))).order["subject_title"] == e.name
    assert new_order(eng, YANCHENG, subject=SV.campaign_subject(camp.id)).order["subject_title"] == camp.name
    with pytest.raises(SV.InvalidInput, match="不在"):  # a 江宁区 enterprise is not 盐城市's
        new_order(eng, YANCHENG, subject=SV.enterprise_subject(e.id))
    with pytest.raises(SV.InvalidInput, match="不在"):
        new_order(eng, NANJING, DUTY, subject=SV.warning_subject(w.id))
    as_of = dt.datetime(2021, 3, 13, 18, 0)
    s = Scope(region=YANCHENG, industry="chem", date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 2, 28),
              as_of=as_of)
    r = new_order(eng, YANCHENG, subject=SV.view_subject("risk", s, "风险报告 · 盐城市"))
    p = SV.view_params(SV.order(r.order_id, YC_OFFICER, engine=eng))
    assert p == {"page": "risk", "region": str(YANCHENG), "industry": "chem", "from": "2021-01-01",
                 "to": "2021-02-28", "as_of": "2021-03-13 18:00:00"}
    for bad in (SV.Subject("view", {"page": "<script>"}, "x"), SV.Subject("nope", 1, "x"), "text", None,
                SV.text_subject("   ")):
        with pytest.raises(SV.InvalidInput):
            new_order(eng, YANCHENG, subject=bad)


# --- visibility -----------------------------------------------------------------------------------------------------

def test_nobody_sees_an_order_neither_addressed_to_their_area_nor_sent_by_them(eng):
    yc = new_order(eng, YANCHENG).order_id
    jn = new_order(eng, JIANGNING, NJ_CITY).order_id
    for actor, sees in ((SQ_CITY, set()), (NJ_OFFICER, {jn}), (JN_OFFICER, {jn}), (NJ_CITY, {jn}),
                        (YC_OFFICER, {yc}), (YC_CITY, {yc}), (WRITER, {yc, jn}), (LEADER, {yc, jn})):
        seen = set(SV.listing(actor, engine=eng)["id"]) & {yc, jn}
        assert seen == sees, actor
        for oid in {yc, jn} - sees:
            with pytest.raises(ScopeError, match=SV.OUT_OF_SCOPE):
                SV.order(oid, actor, engine=eng)
            with pytest.raises(ScopeError, match=SV.OUT_OF_SCOPE):
                SV.events(oid, actor, engine=eng)
    assert set(SV.inbox(SQ_CITY, engine=eng)["id"]) & {yc, jn} == set()
    # a county officer does not see the city's own orders
    nj = new_order(eng, NANJING).order_id
    assert nj not in set(SV.listing(JN_OFFICER, engine=eng)["id"]) and nj in set(SV.listing(NJ_OFFICER, engine=eng)["id"])


def test_suqian_sees_none_of_the_demo_orders_of_other_cities(db):
    seen = SV.listing(SQ_CITY, engine=db)
    assert len(seen) and set(seen["city_adcode"]) == {SUQIAN}
    with db.connect() as c:
        others = [r[0] for r in c.execute(select(SO.c.id).where(SO.c.city_adcode != SUQIAN))]
    assert others
    for oid in others:
        with pytest.raises(ScopeError):
            SV.order(oid, SQ_CITY, engine=db)


def _crafted(oid: int, missing: int) -> list:
    return [oid, str(oid), f" {oid} ", str(oid).translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            f"{oid} OR 1=1", f"{oid};--", f"-{oid}", 0, -1, missing, str(missing), 10**30, "9" * 40, 2**31, 2**63,
            float(oid), True, None, "", "abc", [oid], {"id": oid}]


def test_crafted_ids_get_one_message_audited_and_write_nothing(eng):
    yc = new_order(eng, YANCHENG).order_id
    with eng.connect() as c:
        missing = c.execute(select(func.max(SO.c.id))).scalar() + 10_000
    messages = set()
    for raw in _crafted(yc, missing):
        snap = snapshot(eng, yc)
        before = audit_count(eng, SV.REFUSED_EVENT)
        with pytest.raises(SV.OutOfScope) as e:
            SV.reply(NJ_OFFICER, raw, "越权反馈", version=1, engine=eng)
        messages.add(str(e.value))
        assert snapshot(eng, yc) == snap and audit_count(eng, SV.REFUSED_EVENT) == before + 1, raw
        with pytest.raises(SV.OutOfScope):
            SV.close(SQ_CITY, raw, version=1, engine=eng)
        with pytest.raises(ScopeError):
            SV.order(raw, SQ_CITY, engine=eng)
    assert messages == {SV.OUT_OF_SCOPE}
    assert SV.reply(YC_OFFICER, str(yc), "本地区反馈", version="1", engine=eng).version == 2


def test_only_the_issuer_returns_and_closes_and_nobody_answers_their_own(eng):
    r = new_order(eng, JIANGNING, NJ_CITY)
    with pytest.raises(SV.NotPermitted, match="自己发出"):
        SV.reply(NJ_CITY, r.order_id, "自答", version=1, engine=eng)
    for actor in (WRITER, LEADER, DUTY):
        with pytest.raises(SV.NotPermitted):
            SV.reply(actor, r.order_id, "x", version=1, engine=eng)
    r2 = SV.reply(JN_OFFICER, r.order_id, "已办", version=1, engine=eng)
    snap = snapshot(eng, r.order_id)
    for actor in (LEADER, WRITER, NJ_OFFICER, JN_OFFICER):
        with pytest.raises(SV.NotPermitted, match="发出该督办"):
            SV.close(actor, r.order_id, version=r2.version, engine=eng)
        with pytest.raises(SV.NotPermitted, match="发出该督办"):
            SV.return_(actor, r.order_id, "退回", version=r2.version, engine=eng)
    assert snapshot(eng, r.order_id) == snap
    assert SV.close(NJ_CITY, r.order_id, version=r2.version, engine=eng).order["state"] == "closed"


# --- version, state, text -------------------------------------------------------------------------------------------

def test_stale_version_double_submit_and_wrong_state(eng):
    r = new_order(eng)
    SV.reply(YC_OFFICER, r.order_id, "第一次", version=1, engine=eng)
    snap = snapshot(eng, r.order_id)
    with pytest.raises(SV.Conflict) as e:  # the double submit
        SV.reply(YC_OFFICER, r.order_id, "第一次", version=1, engine=eng)
    assert e.value.reason == "stale" and e.value.current["state"] == "answered" and "未被记录" in str(e.value)
    with pytest.raises(SV.Conflict) as e:  # right version, wrong state
        SV.reply(YC_OFFICER, r.order_id, "再答", version=2, engine=eng)
    assert e.value.reason == "state"
    SV.close(LEADER, r.order_id, version=2, engine=eng)
    snap = snapshot(eng, r.order_id)
    for fn in (lambda: SV.close(LEADER, r.order_id, version=3, engine=eng),
               lambda: SV.return_(LEADER, r.order_id, "x", version=3, engine=eng),
               lambda: SV.reply(YC_OFFICER, r.order_id, "x", version=3, engine=eng)):
        with pytest.raises(SV.Conflict, match="办结"):
            fn()
    assert snapshot(eng, r.order_id) == snap
    for bad in ("x", -1, None, 2**40, True, 1.5):
        with pytest.raises(SV.InvalidInput, match="页面状态"):
            SV.close(LEADER, r.order_id, version=bad, engine=eng)


@pytest.mark.parametrize("what,limit", [("instruction", SV.INSTRUCTION_MAX), ("reply", SV.REPLY_MAX),
                                        ("return", SV.INSTRUCTION_MAX)])
def test_over_long_and_empty_text_is_refused_not_cut(eng, what, limit):
    r = new_order(eng)
    if what == "return":
        r = SV.reply(YC_OFFICER, r.order_id, "答复", version=1, engine=eng)

    def go(text):
        if what == "instruction":
            return new_order(eng, text=text)
        if what == "reply":
            return SV.reply(YC_OFFICER, r.order_id, text, version=r.version, engine=eng)
        return SV.return_(LEADER, r.order_id, text, version=r.version, engine=eng)

    snap = snapshot(eng, r.order_id)
    for text in ("督" * (limit + 1), "a" * (limit * 3), "", "   \n\t ", None, 12345):
        with pytest.raises(SV.InvalidInput):
            go(text)
    assert snapshot(eng, r.order_id) == snap
    assert go("办" * limit).version >= 1  # exactly at the limit is accepted


def test_the_database_refuses_over_long_text_too(eng):
    r = new_order(eng)
    with pytest.raises(Exception):
        with eng.begin() as c:
            c.execute(SE.insert().values(order_id=r.order_id, kind="reply", text="x" * (SV.REPLY_MAX + 1),
                                         actor="t", actor_role="officer", at=dt.datetime.now(), version=99,
                                         recorded_at=dt.datetime.now()))
    with pytest.raises(Exception):
        with eng.begin() as c:
            c.execute(SO.update().where(SO.c.id == r.order_id).values(instruction="x" * (SV.INSTRUCTION_MAX + 1)))


HOSTILE = ["<script>alert(1)</script>", "**粗体** [链接](javascript:alert(1))", "=HYPERLINK(\"http://x\")",
           "'; DROP TABLE supervision_orders; --", "<img src=x onerror=alert(1)>", "第一行\r\n第二行\t制表",
           "零宽\u200b字符\u202e反向", "\x00空\x07字符"]


def test_hostile_text_is_stored_as_typed(eng):
    for t in HOSTILE:
        r = new_order(eng, text=t, subject=SV.text_subject(t.replace("\r\n", " ")))
        stored = orow(eng, r.order_id)["instruction"]
        assert stored == t.replace("\r\n", "\n").replace("\x00", "").replace("\x07", "")
        r2 = SV.reply(YC_OFFICER, r.order_id, t, version=1, engine=eng)
        assert SV.events(r.order_id, LEADER, engine=eng)["text"].iloc[-1] == stored and r2.version == 2
    with eng.connect() as c:
        assert c.execute(select(func.count()).select_from(SO)).scalar() > 0


def test_deadlines(eng):
    for bad in (dt.date.today() - dt.timedelta(days=1), dt.datetime.now() - dt.timedelta(minutes=1),
                dt.date.today() + dt.timedelta(days=400), "2021-13-40", "明天", None, 5):
        with pytest.raises(SV.InvalidInput, match="期限"):
            new_order(eng, deadline=bad)
    r = new_order(eng, deadline=due(2).isoformat())
    assert r.order["deadline"] == dt.datetime.combine(due(2), dt.time(23, 59, 59))


# --- faults and races -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fail_on", ["INSERT INTO supervision_events", "INSERT INTO audit_log"])
def test_a_fault_mid_write_writes_nothing(eng, fail_on):
    r = new_order(eng)
    snap = snapshot(eng, r.order_id)
    with eng.connect() as c:
        n_orders = c.execute(select(func.count()).select_from(SO)).scalar()

    def fault(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith(fail_on):
            raise OperationalError(statement, parameters, Exception("injected: server closed the connection"))

    event.listen(eng, "before_cursor_execute", fault)
    try:
        with pytest.raises(SV.WriteFailed, match="未被记录"):
            SV.reply(YC_OFFICER, r.order_id, "反馈", version=1, engine=eng)
        with pytest.raises(SV.WriteFailed, match="未发出"):
            new_order(eng)
    finally:
        event.remove(eng, "before_cursor_execute", fault)
    assert snapshot(eng, r.order_id) == snap
    with eng.connect() as c:
        assert c.execute(select(func.count()).select_from(SO)).scalar() == n_orders
    assert SV.reply(YC_OFFICER, r.order_id, "反馈", version=1, engine=eng).version == 2


def test_two_sessions_close_one_order_at_once_one_wins(eng):
    r = new_order(eng)
    v = SV.reply(YC_OFFICER, r.order_id, "已办", version=1, engine=eng).version
    both, lock, reached = threading.Event(), threading.Lock(), []

    def ours(statement):
        return statement.startswith("UPDATE supervision_orders") and threading.current_thread().name.startswith("c-")

    def before(conn, cursor, statement, parameters, context, executemany):
        if ours(statement):
            with lock:
                reached.append(1)
                if len(reached) == 2:
                    both.set()

    def after(conn, cursor, statement, parameters, context, executemany):
        if ours(statement) and eng.dialect.name == "postgresql":
            both.wait(WAIT_S)  # on PostgreSQL the loser waits on the winner's row lock

    barrier = threading.Barrier(2)
    results = {}

    def one(name):
        try:
            barrier.wait(WAIT_S)
            results[name] = SV.close(LEADER, r.order_id, version=v, engine=eng)
        except Exception as e:  # noqa: BLE001 - judged below
            results[name] = e

    event.listen(eng, "before_cursor_execute", before)
    event.listen(eng, "after_cursor_execute", after)
    try:
        threads = [threading.Thread(target=one, args=(f"c-{i}",), name=f"c-{i}") for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(WAIT_S * 2)
        assert not any(t.is_alive() for t in threads)
    finally:
        event.remove(eng, "before_cursor_execute", before)
        event.remove(eng, "after_cursor_execute", after)
    won = [x for x in results.values() if isinstance(x, SV.Result)]
    lost = [x for x in results.values() if not isinstance(x, SV.Result)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], SV.Conflict) and lost[0].current["state"] == "closed"
    assert list(SV.events(r.order_id, LEADER, engine=eng)["kind"]).count("close") == 1


# --- figures --------------------------------------------------------------------------------------------------------

def _expected(eng, city, now):
    with eng.connect() as c:
        rows = [dict(r) for r in c.execute(select(SO)).mappings()]
    rows = [r for r in rows if city is None or r["city_adcode"] == city]
    open_ = [r for r in rows if r["closed_at"] is None]
    return {"sent": len(rows), "closed": len(rows) - len(open_), "open": len(open_),
            "answered": sum(r["state"] == "answered" for r in open_),
            "overdue": sum(r["state"] == "open" and r["deadline"] < now for r in open_)}


def test_figures_match_an_independent_count(db):
    now = dt.datetime.now().replace(microsecond=0)
    for city in (None, NANJING, YANCHENG, SUQIAN):
        got = SV.summary(Scope(region=city or 320000), engine=db, now=now)
        exp = _expected(db, city, now)
        assert {k: got[k] for k in exp} == exp, city
        by = SV.by_region(Scope(region=city or 320000), engine=db, now=now)
        for k in exp:
            assert by[k].sum() == got[k], (city, k)
    got = SV.summary(Scope(), engine=db, now=now)
    assert got["sent"] >= 8 and 0 < got["closed"] < got["sent"] and got["overdue"] >= 2
    assert got["closed_rate"] == round(100 * got["closed"] / got["sent"], 1)
    # the binding narrows: suqian's figures are its own
    assert SV.summary(Scope(binding=SUQIAN), engine=db, now=now) == SV.summary(Scope(region=SUQIAN), engine=db,
                                                                               now=now)


def test_a_period_running_past_now_counts_overdue_as_of_now(db):
    """超期 of a period that ends after today (e.g. this month) is what is overdue now, not at the period's end: an
    order due tomorrow is not overdue yet."""
    now = dt.datetime.now().replace(microsecond=0)
    s = Scope(date_from=now.date() - dt.timedelta(days=400), date_to=now.date() + dt.timedelta(days=60))
    got = SV.summary(s, engine=db, now=now)
    assert got["overdue"] == _expected(db, None, now)["overdue"] >= 2
    later = SV.summary(s, engine=db, now=now + dt.timedelta(days=30))  # a month on, more are overdue
    assert later["overdue"] >= got["overdue"]
    assert SV.summaries([s], engine=db, now=now) == [got]


@pytest.mark.parametrize("region", [320000, YANCHENG, TINGHU])
def test_the_batched_figures_equal_one_by_one_in_one_statement(db, region):
    """``summaries`` (what the tiles' comparisons call): the standing figures at a dozen moments, periods of 办结率
    (months, a quarter, a year earlier, mid-day cut-offs, no period), a bound view; a scope of another region is left
    to ``summary`` (``partial``: None) — and the batch's own scopes are read in one statement."""
    now = dt.datetime.now().replace(microsecond=0)
    today = now.date()
    base = Scope(region=region)
    month = today.replace(day=1)
    batch = [base, *(base.with_(as_of=now - dt.timedelta(days=d, hours=d)) for d in range(1, 13)),
             base.with_(date_from=month, date_to=today),
             base.with_(date_from=(month - dt.timedelta(days=1)).replace(day=1), date_to=month - dt.timedelta(days=1)),
             base.with_(date_from=today - dt.timedelta(days=90), date_to=today, as_of=now - dt.timedelta(hours=30)),
             base.with_(date_from=_year_back(today) - dt.timedelta(days=30), date_to=_year_back(today)),
             Scope(region=region, binding=region if region != 320000 else None),
             Scope(region=SUQIAN if region != SUQIAN else NANJING, date_from=month, date_to=today)]
    want = [SV.summary(s, engine=db, now=now) for s in batch]
    assert any(w["open"] for w in want) and any(w["sent"] for w in want)
    seen: list[str] = []

    def rec(conn, cursor, statement, *a):
        seen.append(statement)

    event.listen(db, "before_cursor_execute", rec)
    try:
        part = SV.summaries(batch, engine=db, now=now, partial=True)
    finally:
        event.remove(db, "before_cursor_execute", rec)
    assert part[:-1] == want[:-1] and part[-1] is None
    assert sum("supervision_orders" in x for x in seen) == 1, seen
    assert SV.summaries(batch, engine=db, now=now) == want
    assert SV.summary.many is SV.summaries and SV.summaries([], engine=db) == []


def test_figures_are_in_the_catalogue(db):
    from queries import figures

    cat = figures.catalogue()
    keys = ["supervision.sent", "supervision.closed", "supervision.closed_rate", "supervision.open",
            "supervision.overdue"]
    assert [cat[k].better for k in keys] == [None, "up", "up", "down", "down"]
    assert all(cat[k].definition and figures.source_of(k) == "queries.supervision.summary" for k in keys)
    figs = {f.key: f for f in figures.collect(Scope(), engine=db, keys=set(keys))}
    assert figs["supervision.open"].value > 0 and figs["supervision.open"].basis == "cutoff"


def test_counts_for_the_badge(eng):
    before = SV.counts(YC_OFFICER, engine=eng)
    new_order(eng, YANCHENG)
    new_order(eng, TINGHU, deadline=dt.datetime.now() + dt.timedelta(minutes=1))
    later = dt.datetime.now() + dt.timedelta(minutes=5)
    after = SV.counts(YC_OFFICER, engine=eng, now=later)
    assert after["to_reply"] == before["to_reply"] + 2 and after["overdue"] >= before["overdue"] + 1
    assert after["todo"] == after["to_reply"] + after["to_close"]
    assert SV.counts(WRITER, engine=eng) == {"to_reply": 0, "to_close": 0, "overdue": 0, "todo": 0}
    inbox = SV.inbox(YC_OFFICER, engine=eng, now=later)
    assert list(inbox["deadline"]) == sorted(inbox["deadline"]) and inbox["overdue"].any()


# --- list checks ----------------------------------------------------------------------------------------------------

def _unchecked(eng, kind, city):
    t = S.risk_reports if kind == "key_control" else S.watchlist_entries
    on = t.c.key_control.is_(True) if kind == "key_control" else t.c.id > 0
    with eng.connect() as c:
        done = select(LC.c.entry_id).where(LC.c.list_kind == kind)
        return [r[0] for r in c.execute(select(t.c.id).where(on, t.c.city_adcode == city, t.c.id.not_in(done))
                                        .order_by(t.c.id))]


@pytest.mark.parametrize("kind", ["watchlist", "key_control"])
def test_list_check_flow_and_refusals(eng, kind):
    city, actor = (NANJING, NJ_OFFICER) if kind == "watchlist" else (SUQIAN, SQ_CITY)
    ids = _unchecked(eng, kind, city)
    assert len(ids) >= 2
    s = Scope(region=city)
    before = SV.check_rates(kind, s, engine=eng)
    today = dt.date.today()
    r = SV.verify_entry(actor, kind, ids[0], "substantiated", today, "<b>现场</b>核查属实", engine=eng)
    assert r.version == 1 and r.check["verify_note"] == "<b>现场</b>核查属实"
    with pytest.raises(SV.Conflict):  # once
        SV.verify_entry(actor, kind, ids[0], "unfounded", today, engine=eng)
    with pytest.raises(SV.Conflict):  # follow-up before the notice
        SV.follow_up(actor, kind, ids[0], today, version=1, engine=eng)
    r = SV.issue_notice(actor, kind, ids[0], "整改通知〔2026〕1号", today + dt.timedelta(days=30), version=1, engine=eng)
    with pytest.raises(SV.Conflict, match="已有新的办理"):
        SV.issue_notice(actor, kind, ids[0], "整改通知〔2026〕2号", today, version=1, engine=eng)
    r = SV.follow_up(actor, kind, ids[0], today, version=r.version, engine=eng)
    assert r.version == 3 and r.check["rectified_on"] == today
    SV.verify_entry(actor, kind, ids[1], "unfounded", today, engine=eng)
    with pytest.raises(SV.Conflict):  # 不属实: no notice
        SV.issue_notice(actor, kind, ids[1], "x", today, version=1, engine=eng)
    after = SV.check_rates(kind, s, engine=eng)
    assert after["verified"] == before["verified"] + 2 and after["rectified"] == before["rectified"] + 1
    assert after["substantiated"] == before["substantiated"] + 1 and after["entries"] == before["entries"]
    by = SV.check_rates_by_region(kind, s, engine=eng)
    assert by["verified"].sum() == after["verified"] and by["entries"].sum() == after["entries"]
    # refusals: role, other city's entry, crafted ids, bad input
    for who in (LEADER, WRITER, DUTY):
        with pytest.raises(SV.NotPermitted):
            SV.verify_entry(who, kind, ids[-1], "unfounded", today, engine=eng)
    other = _unchecked(eng, kind, YANCHENG)[0]
    for raw in _crafted(other, 10**8):
        with pytest.raises(SV.OutOfScope, match=SV.ENTRY_OUT_OF_SCOPE):
            SV.verify_entry(actor, kind, raw, "unfounded", today, engine=eng)
    for finding, day in (("maybe", today), ("unfounded", today + dt.timedelta(days=2)), ("unfounded", "昨天")):
        with pytest.raises(SV.InvalidInput):
            SV.verify_entry(actor, kind, ids[-1], finding, day, engine=eng)
    with pytest.raises(SV.InvalidInput, match="不超过|不能超过"):
        SV.verify_entry(actor, kind, ids[-1], "unfounded", today, "x" * (SV.NOTE_MAX + 1), engine=eng)
    with pytest.raises(SV.InvalidInput):
        SV.verify_entry(actor, "blacklist", ids[-1], "unfounded", today, engine=eng)


@pytest.mark.parametrize("kind", ["watchlist", "key_control"])
def test_entry_and_the_states_the_pages_show(eng, kind):
    city, actor = (NANJING, NJ_OFFICER) if kind == "watchlist" else (SUQIAN, SQ_CITY)
    eid = _unchecked(eng, kind, city)[0]
    s = Scope(region=city, binding=city)
    today = dt.date.today()
    states = []
    e = SV.entry(kind, eid, s, engine=eng)
    states.append((e["state"], e["state_name"], e["version"], e["verified_by_name"]))
    SV.verify_entry(actor, kind, eid, "substantiated", today, "核查<b>属实</b>", engine=eng)
    e = SV.entry(kind, eid, s, engine=eng)
    states.append((e["state"], e["state_name"], e["version"], e["verified_by_name"]))
    assert e["verify_note"] == "核查<b>属实</b>" and e["verified_on"] == today
    SV.issue_notice(actor, kind, eid, "整改通知〔2026〕9号", today, version=1, engine=eng)
    e = SV.entry(kind, eid, s, engine=eng)
    assert not e["overdue"] and SV.entry(kind, eid, s, engine=eng, today=today + dt.timedelta(days=1))["overdue"]
    states.append((e["state"], e["state_name"], e["version"], e["noticed_by_name"]))
    SV.follow_up(actor, kind, eid, today, version=2, engine=eng)
    e = SV.entry(kind, eid, s, engine=eng)
    states.append((e["state"], e["state_name"], e["version"], e["followed_by_name"]))
    name = "南京市应急管理局监管科" if kind == "watchlist" else "宿迁市应急管理局"
    assert states == [("pending", "待核查", 0, None), ("substantiated", "属实，待下达整改通知", 1, name),
                      ("noticed", "已下达整改通知", 2, name), ("rectified", "整改完成", 3, name)]
    assert e["list_kind"] == kind and e["enterprise"] and e["county"]
    # entries carries the same state; a foreign, nonexistent or malformed id: one message
    listed = SV.entries(kind, Scope(region=city, date_from=dt.date(2020, 1, 1), date_to=today), engine=eng)
    assert listed.set_index("entry_id").loc[eid, "state"] == "rectified"
    assert set(listed["state"]) <= set(SV.CHECK_STATES)
    other = _unchecked(eng, kind, YANCHENG)[0]
    for raw in (other, 10**8, "abc", -1, None, "1 OR 1=1"):
        with pytest.raises(SV.OutOfScope, match=SV.ENTRY_OUT_OF_SCOPE):
            SV.entry(kind, raw, s, engine=eng)
    # the catalogue's sources are check_rates
    src = SV.key_control_checks if kind == "key_control" else SV.watchlist_checks
    assert src(s, engine=eng) == SV.check_rates(kind, s, engine=eng)


def test_suqian_bulletin_figures_and_key_control_checks_agree(db):
    """The checks of the demo data are the key-control reports' recorded verification: at the bulletin's as-of
    time the 核查率 equals the risk module's verified rate; Suqian's bulletin figures are untouched."""
    from queries import risk

    s = Scope(region=SUQIAN, as_of=dt.datetime(2021, 3, 13, 23, 59, 59))
    kc = risk.key_control_summary(s, engine=db)
    got = SV.check_rates("key_control", s, engine=db)
    assert got["entries"] == kc["key_control"]
    assert got["verified"] == kc["confirmed"] + kc["under_reported"]
    assert got["substantiated"] == kc["under_reported"] and got["verified_rate"] == kc["verified_rate"]


def test_bench_times_the_inbox(eng):
    from cli import bench

    r = bench.bench_supervision(eng, runs=3)
    assert r["inbox_rows"] >= 0 and r["inbox_warm_ms"] <= 10 * bench.TARGETS["inbox_warm_ms"]
    judged = {t["target"]: t["ok"] for t in bench.check_targets({"pages": [], "supervision": r})}
    # the query is judged; the page (registered in the app) is timed too, and judged by `oversight bench`, not here
    assert judged["督办 inbox query warm ms"] is True
    assert set(judged) == {"督办 inbox query warm ms", "督办 page (leader) warm ms", "督办 page (city) warm ms"}
    slow = bench.check_targets({"pages": [], "supervision": dict(r, inbox_warm_ms=301.0)})
    assert [t["ok"] for t in slow if t["target"] == "督办 inbox query warm ms"] == [False]


# --- the verifying lists: every entry counted, the list filtered in the database ----------------------------------

@pytest.mark.parametrize("kind", ["key_control", "watchlist"])
@pytest.mark.parametrize("region, binding", [(320000, None), (320900, 320900), (321302, 321300)])
def test_entry_counts_and_the_state_filter_equal_the_whole_list(db, kind, region, binding):
    """The filter's counts are over every entry (not the newest 500 the page lists), and a state's list is the
    whole list's entries in that state, newest first — for each state, on dates where notices are and are not
    overdue."""
    scope = Scope(region=region, binding=binding, date_from=dt.date(2020, 1, 1), date_to=dt.date.today())
    for today in (dt.date.today(), dt.date(2021, 3, 1)):
        whole = SV.entries(kind, scope, engine=db, limit=5000, today=today)
        assert 0 < len(whole) < 5000
        counts = SV.entry_counts(kind, scope, engine=db, today=today)
        want = {"all": len(whole), SV.OVERDUE_STATE: int(whole["overdue"].sum()),
                **{s: int((whole["state"] == s).sum()) for s in SV.CHECK_STATES}}
        assert counts == want
        for s in (*SV.CHECK_STATES, SV.OVERDUE_STATE):
            got = SV.entries(kind, scope, engine=db, limit=5000, today=today, state=s)
            mine = whole[whole["overdue"]] if s == SV.OVERDUE_STATE else whole[whole["state"] == s]
            assert list(got["entry_id"]) == list(mine["entry_id"]), s
        first = SV.entries(kind, scope, engine=db, limit=3, today=today, state="pending")
        assert list(first["entry_id"]) == list(whole[whole["state"] == "pending"]["entry_id"][:3])
    assert sum(counts[s] for s in SV.CHECK_STATES) == counts["all"]
    if region == 320000:  # the demo's checks stand in several states
        assert sum(1 for s in SV.CHECK_STATES if counts[s]) >= 3, counts


@pytest.mark.parametrize("bad", ["", "all", "PENDING", "pending' OR 1=1 --", " pending"])
def test_an_unknown_state_is_refused(db, bad):
    scope = Scope(region=320000, date_from=dt.date(2020, 1, 1), date_to=dt.date.today())
    with pytest.raises(ValueError):
        SV.entries("key_control", scope, engine=db, state=bad)
