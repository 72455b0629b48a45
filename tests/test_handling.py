"""预警处置 in the query layer (queries.handling), on SQLite and PostgreSQL, each engine on its own copy of the seeded
demo database: every transition and every refusal (order, role, scope with crafted ids, stale version and double
submit, empty / over-long / HTML notes, a fault between the statements of a step), two connections taking one step
at once, the desk, the history, the deadlines, the timeliness figures against an independent count, a county
binding, the simulator stepping back."""
from __future__ import annotations

import datetime as dt
import itertools
import threading
import time

import pandas as pd
import pytest
from sqlalchemy import event, func, insert, select, text, update
from sqlalchemy.exc import OperationalError

from queries import db as dbmod
from queries import handling as H
from queries.scope import Scope, ScopeError, resolve
from seed import schema as S
from seed.reference import DEFAULT_DEADLINES
from tests.dbcache import clone_database, remove_copy

W, WS, A = S.warnings, S.warning_steps, S.audit_log
NANJING, JIANGNING, XUANWU, YANCHENG = 320100, 320115, 320102, 320900
NJ_OFFICER = H.Actor("nanjing-officer", "officer", NANJING)
JN_OFFICER = H.Actor("jiangning-officer", "officer", JIANGNING)
YC_OFFICER = H.Actor("yancheng-officer", "officer", YANCHENG)
DUTY = H.Actor("duty", "duty", None)
READERS = [H.Actor("leader", "leader", None), H.Actor("nanjing", "city", NANJING), H.Actor("writer", "writer", None),
           H.Actor("admin", "admin", None)]
WAIT_S = 120
_codes = itertools.count(1)


@pytest.fixture(scope="module")
def eng(db, session_tmp):
    url = clone_database(db, f"handling_{db.dialect.name}", session_tmp)
    e = dbmod.get_engine(url)
    yield e
    remove_copy(url)


def new_warning(eng, county: int, level: int = 1, minutes_ago: float = 5, type_: str = "over_limit") -> int:
    """A fresh open warning of an enterprise in ``county`` (raised ``minutes_ago``), untouched, version 0."""
    now = dt.datetime.now().replace(microsecond=0)
    raised = now - dt.timedelta(minutes=minutes_ago)
    with eng.begin() as c:
        e = c.execute(select(S.enterprises).where(S.enterprises.c.county_adcode == county).limit(1)).mappings().one()
        return c.execute(insert(W).values(
            code=f"HT{dt.datetime.now():%H%M%S}{next(_codes):06d}", point_id=None, hazard_source_id=None,
            enterprise_id=e["id"], level=level, type=type_, title="处置测试预警", peak_value=None, repeat_count=1,
            raised_at=raised, last_seen_at=raised, pushed_at=raised + dt.timedelta(seconds=30), city_adcode=e["city_adcode"],
            county_adcode=county, industry_code=e["industry_code"], sector_code=e["sector_code"],
            recorded_at=raised).returning(W.c.id)).scalar_one()


def wrow(eng, wid: int) -> dict:
    with eng.connect() as c:
        return dict(c.execute(select(W).where(W.c.id == wid)).mappings().one())


def steps_of(eng, wid: int) -> list[dict]:
    with eng.connect() as c:
        return [dict(r) for r in c.execute(select(WS).where(WS.c.warning_id == wid).order_by(WS.c.version)).mappings()]


def audit_count(eng, event: str, **match) -> int:
    with eng.connect() as c:
        rows = c.execute(select(A.c.detail, A.c.username).where(A.c.event == event)).all()
    n = 0
    for detail, user in rows:
        if all((f'"{k}": {v}' if isinstance(v, int) else f'"{k}": "{v}"') in detail for k, v in match.items()):
            n += 1
    return n


def snapshot(eng, wid: int) -> tuple:
    """Everything a refused step must leave as it was."""
    with eng.connect() as c:
        nsteps = c.execute(select(func.count()).select_from(WS).where(WS.c.warning_id == wid)).scalar()
        naudit = c.execute(select(func.count()).select_from(A).where(A.c.event == H.STEP_EVENT)).scalar()
    return tuple(sorted(wrow(eng, wid).items())), nsteps, naudit


def through(eng, wid, actor, *steps):
    """Take ``steps`` (name, kwargs) in turn with the version each left; the last StepResult."""
    v = wrow(eng, wid)["version"]
    r = None
    for step, kw in steps:
        r = H.take_step(wid, step, actor, version=v, engine=eng, **kw)
        v = r.version
    return r


ACK = ("ack", {})
VERIFY = ("verify", {"result": "confirmed", "note": "现场核查属实"})
HANDLE = ("handle", {"note": "责令停车检修"})
CLOSE = ("close", {"note": "参数恢复正常，予以消警"})


# --- transitions -------------------------------------------------------------------------------------------------

def test_full_flow_in_order_with_history_and_audit(eng):
    wid = new_warning(eng, JIANGNING)
    assert H.state(wid, Scope(binding=JIANGNING), engine=eng)["next_steps"] == ["ack"]
    r = H.acknowledge(wid, JN_OFFICER, version=0, engine=eng)
    assert (r.version, r.state["state"], r.state["next_steps"]) == (1, "acknowledged", ["verify"])
    w = wrow(eng, wid)
    assert w["acknowledged_at"] == r.at and w["touched_at"] == r.at and w["version"] == 1
    r = H.verify(wid, JN_OFFICER, version=1, result="confirmed", note="现场核查属实", engine=eng)
    assert (r.version, r.state["state"], r.state["next_steps"]) == (2, "verified", ["handle"])
    r = H.handle(wid, JN_OFFICER, version=2, measures="责令停车检修，已更换密封件", engine=eng)
    assert (r.version, r.state["state"], r.state["next_steps"]) == (3, "handled", ["close"])
    r = H.close(wid, NJ_OFFICER, version=3, reason="参数恢复正常，予以消警", engine=eng)  # the city officer too
    assert (r.version, r.state["state"], r.state["next_steps"]) == (4, "closed", [])
    w = wrow(eng, wid)
    assert w["verify_result"] == "confirmed" and w["close_reason"] == "参数恢复正常，予以消警"
    assert w["acknowledged_at"] <= w["verified_at"] <= w["handled_at"] <= w["closed_at"]
    assert w["touched_at"] == w["acknowledged_at"]
    steps = steps_of(eng, wid)
    assert [(s["step"], s["version"], s["actor"], s["actor_role"]) for s in steps] == [
        ("ack", 1, "jiangning-officer", "officer"), ("verify", 2, "jiangning-officer", "officer"),
        ("handle", 3, "jiangning-officer", "officer"), ("close", 4, "nanjing-officer", "officer")]
    assert steps[1]["result"] == "confirmed" and steps[2]["note"] == "责令停车检修，已更换密封件"
    hist = H.history(wid, Scope(binding=JIANGNING), engine=eng)
    assert list(hist["step_name"]) == ["签收", "核查", "处置", "消警"]
    assert list(hist["actor_name"]) == ["江宁区应急管理局监管科"] * 3 + ["南京市应急管理局监管科"]
    assert hist["result_name"][1] == "属实" and list(hist["role_name"]) == ["监管人员"] * 4
    for step in ("ack", "verify", "handle", "close"):
        assert audit_count(eng, H.STEP_EVENT, warning=wid, step=step) == 1
    # a closed warning leaves the desk
    assert wid not in set(H.desk(Scope(binding=JIANGNING), engine=eng)["id"])


@pytest.mark.parametrize("result", ["false_alarm", "device_fault"])
def test_false_alarm_and_device_fault_may_close_directly(eng, result):
    wid = new_warning(eng, XUANWU, level=2)
    r = through(eng, wid, NJ_OFFICER, ACK, ("verify", {"result": result, "note": "现场核查"}))
    assert r.state["next_steps"] == ["handle", "close"]
    assert H.allowed_steps(NJ_OFFICER, r.state) == ["handle", "close"]
    assert H.allowed_steps(DUTY, r.state) == ["escalate"]
    r = H.close(wid, NJ_OFFICER, version=r.version, reason="误报，予以消警", engine=eng)
    assert r.state["state"] == "closed" and wrow(eng, wid)["handled_at"] is None
    # or handled first
    wid = new_warning(eng, XUANWU, level=2)
    r = through(eng, wid, NJ_OFFICER, ACK, ("verify", {"result": result, "note": "现场核查"}), HANDLE, CLOSE)
    assert [s["step"] for s in steps_of(eng, wid)] == ["ack", "verify", "handle", "close"]


def test_duty_acknowledges_and_escalates_anywhere(eng):
    wid = new_warning(eng, 320902, level=1)  # 盐城市亭湖区
    r = H.acknowledge(wid, DUTY, version=0, engine=eng)
    assert H.allowed_steps(DUTY, r.state) == ["escalate"]
    assert H.allowed_steps(YC_OFFICER, r.state) == ["verify"]
    r = H.escalate(wid, DUTY, version=r.version, note="超过核查时限，请立即核查", engine=eng)
    assert r.state["state"] == "acknowledged" and r.version == 2
    first = wrow(eng, wid)["escalated_at"]
    r = H.escalate(wid, DUTY, version=r.version, note="再次督办", engine=eng)
    assert wrow(eng, wid)["escalated_at"] == first  # the first escalation is kept; every one is in the history
    assert [s["step"] for s in steps_of(eng, wid)] == ["ack", "escalate", "escalate"]
    through(eng, wid, YC_OFFICER, VERIFY, HANDLE, CLOSE)
    assert wrow(eng, wid)["closed_at"] is not None


# --- order --------------------------------------------------------------------------------------------------------

ORDER_CASES = [  # (steps taken first, the step tried)
    ([], VERIFY), ([], HANDLE), ([], CLOSE),
    ([ACK], ACK), ([ACK], HANDLE), ([ACK], CLOSE),
    ([ACK, VERIFY], CLOSE), ([ACK, VERIFY], VERIFY),
    ([ACK, VERIFY, HANDLE], HANDLE), ([ACK, VERIFY, HANDLE, CLOSE], CLOSE),
    ([ACK, VERIFY, HANDLE, CLOSE], ACK),
]


@pytest.mark.parametrize("before,tried", ORDER_CASES, ids=lambda x: "-".join(s for s, _ in x) if isinstance(x, list)
                         else x[0])
def test_steps_only_in_order(eng, before, tried):
    wid = new_warning(eng, XUANWU)
    if before:
        through(eng, wid, NJ_OFFICER, *before)
    snap = snapshot(eng, wid)
    v = wrow(eng, wid)["version"]
    with pytest.raises(H.Conflict) as e:
        H.take_step(wid, tried[0], NJ_OFFICER, version=v, engine=eng, **tried[1])
    assert e.value.reason == "order" and e.value.current["version"] == v
    assert "签收 → 核查 → 处置 → 消警" in str(e.value) or "已消警" in str(e.value)
    assert snapshot(eng, wid) == snap


def test_escalating_a_closed_warning_is_refused(eng):
    wid = new_warning(eng, XUANWU)
    r = through(eng, wid, NJ_OFFICER, ACK, ("verify", {"result": "false_alarm", "note": "误报"}), CLOSE)
    with pytest.raises(H.Conflict, match="已消警"):
        H.escalate(wid, DUTY, version=r.version, note="督办", engine=eng)


# --- roles -----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("actor", READERS, ids=lambda a: a.role)
@pytest.mark.parametrize("step", H.STEPS)
def test_read_only_roles_take_no_step(eng, actor, step):
    wid = new_warning(eng, XUANWU)
    kw = {"result": "confirmed"} if step == "verify" else {}
    snap = snapshot(eng, wid)
    before = audit_count(eng, H.REFUSED_EVENT, reason="role", role=actor.role)
    with pytest.raises(H.NotPermitted, match="账号不能"):
        H.take_step(wid, step, actor, version=0, note="越权尝试", engine=eng, **kw)
    assert snapshot(eng, wid) == snap
    assert audit_count(eng, H.REFUSED_EVENT, reason="role", role=actor.role) == before + 1


@pytest.mark.parametrize("actor,step", [(DUTY, "verify"), (DUTY, "handle"), (DUTY, "close"), (NJ_OFFICER, "escalate")])
def test_each_role_only_its_steps(eng, actor, step):
    wid = new_warning(eng, XUANWU)
    through(eng, wid, NJ_OFFICER, ACK, VERIFY, HANDLE) if step == "close" else through(eng, wid, NJ_OFFICER, ACK)
    snap = snapshot(eng, wid)
    with pytest.raises(H.NotPermitted):
        H.take_step(wid, step, actor, version=wrow(eng, wid)["version"], note="x",
                    result="confirmed" if step == "verify" else None, engine=eng)
    assert snapshot(eng, wid) == snap


# --- scope: crafted ids ---------------------------------------------------------------------------------------------

def _crafted(yc_id: int, missing: int) -> list:
    return [yc_id, str(yc_id), f" {yc_id} ", f"{yc_id}\n", str(yc_id).translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            f"{yc_id} OR 1=1", f"{yc_id};--", f"-{yc_id}", 0, -1, missing, str(missing), 10**30, "9" * 40, 2**31, 2**31 - 1, 2**63,
            float(yc_id), True, None, "", "abc", [yc_id], {"id": yc_id}]


def test_officer_cannot_step_on_another_citys_warning_whatever_the_id(eng):
    """A 南京市 officer crafting a step for a 盐城市 warning, with the id in many spellings, or a nonexistent id: the
    very same refusal each time, audited, nothing written; the 盐城市 warning stays as it was."""
    yc = new_warning(eng, 320902)
    with eng.connect() as c:
        missing = c.execute(select(func.max(W.c.id))).scalar() + 10_000
    messages = set()
    for raw in _crafted(yc, missing):
        for step, kw in (ACK, VERIFY, CLOSE):
            snap = snapshot(eng, yc)
            before = audit_count(eng, H.REFUSED_EVENT, reason="out_of_scope")
            with pytest.raises(H.OutOfScope) as e:
                H.take_step(raw, step, NJ_OFFICER, version=0, engine=eng, **kw)
            messages.add(str(e.value))
            assert isinstance(e.value, ScopeError)
            assert snapshot(eng, yc) == snap
            assert audit_count(eng, H.REFUSED_EVENT, reason="out_of_scope") == before + 1, raw
    assert messages == {H.OUT_OF_SCOPE}
    # reads are refused the same way (not audited)
    for fn in (H.state, H.history):
        with pytest.raises(ScopeError, match=H.OUT_OF_SCOPE):
            fn(yc, Scope(binding=NANJING), engine=eng)
    # its own officer may
    assert H.acknowledge(str(yc), YC_OFFICER, version="0", engine=eng).version == 1


def test_county_officer_only_in_its_county(eng):
    xuanwu, jiangning = new_warning(eng, XUANWU), new_warning(eng, JIANGNING)
    snap = snapshot(eng, xuanwu)
    with pytest.raises(H.OutOfScope, match=H.OUT_OF_SCOPE):
        H.acknowledge(xuanwu, JN_OFFICER, version=0, engine=eng)
    assert snapshot(eng, xuanwu) == snap
    assert H.acknowledge(jiangning, JN_OFFICER, version=0, engine=eng).version == 1
    assert H.acknowledge(xuanwu, NJ_OFFICER, version=0, engine=eng).version == 1  # the city's officer may


def test_county_binding_narrows_every_query(eng):
    from queries import figures, warnings

    rs = resolve(Scope(binding=JIANGNING), eng)
    assert (rs.region, rs.level, rs.city, rs.county) == (JIANGNING, "county", NANJING, JIANGNING)
    assert resolve(Scope(region=NANJING, binding=JIANGNING), eng).region == JIANGNING  # the city: narrowed
    for other in (XUANWU, YANCHENG, 320902):
        with pytest.raises(ScopeError, match="无权查看"):
            resolve(Scope(region=other, binding=JIANGNING), eng)
    new_warning(eng, JIANGNING)
    now = dt.datetime.now().replace(microsecond=0)
    mine = H.desk(Scope(binding=JIANGNING), engine=eng, now=now)
    assert len(mine) and set(mine["county"]) == {"江宁区"}
    pd.testing.assert_frame_equal(mine, H.desk(Scope(region=JIANGNING), engine=eng, now=now))
    pd.testing.assert_frame_equal(mine, H.desk(Scope(region=NANJING, binding=JIANGNING), engine=eng, now=now))
    period = dict(date_from=dt.date(2020, 1, 1), date_to=now.date())
    assert warnings.summary(Scope(binding=JIANGNING, **period), engine=eng) == \
        warnings.summary(Scope(region=JIANGNING, **period), engine=eng)
    assert H.timeliness(Scope(binding=JIANGNING, **period), engine=eng, now=now) == \
        H.timeliness(Scope(region=JIANGNING, **period), engine=eng, now=now)
    by = H.timeliness_by_region(Scope(binding=JIANGNING, **period), engine=eng, now=now)
    assert list(by["adcode"]) == [JIANGNING]
    got = figures.as_json(Scope(binding=JIANGNING, **period), engine=eng)
    own = figures.as_json(Scope(region=JIANGNING, **period), engine=eng)
    for d in (got, own):  # the handling figures may tick over a deadline between the two calls (compared above)
        d.pop("generated_at")
        for k in ("overdue", "ack_timely_rate", "close_timely_rate"):
            d["warnings"].pop(k)
    assert got == own


# --- stale versions, double submits -----------------------------------------------------------------------------------

def test_stale_version_and_double_submit_are_refused_with_the_current_state(eng):
    wid = new_warning(eng, XUANWU)
    r = H.acknowledge(wid, NJ_OFFICER, version=0, engine=eng)
    snap = snapshot(eng, wid)
    with pytest.raises(H.Conflict) as e:  # the same click again (double submit, a second browser)
        H.acknowledge(wid, NJ_OFFICER, version=0, engine=eng)
    assert e.value.reason == "stale" and e.value.current["state"] == "acknowledged"
    assert e.value.current["version"] == r.version and "南京市应急管理局监管科" in str(e.value)
    assert "未被记录" in str(e.value)
    with pytest.raises(H.Conflict) as e:  # a later step drawn before the acknowledgement
        H.verify(wid, NJ_OFFICER, version=0, result="confirmed", note="核查", engine=eng)
    assert e.value.reason == "stale"
    assert snapshot(eng, wid) == snap
    assert [s["step"] for s in steps_of(eng, wid)] == ["ack"]
    for bad in (-1, "x", None, True, 1.5, 10**20):
        with pytest.raises(H.InvalidInput, match="刷新"):
            H.verify(wid, NJ_OFFICER, version=bad, result="confirmed", note="核查", engine=eng)
    assert snapshot(eng, wid) == snap


# --- notes -------------------------------------------------------------------------------------------------------------

HOSTILE = ['<script>alert("x")</script>', '<img src=x onerror=alert(1)>', "**粗体** [链接](http://evil.example)",
           "=cmd|' /C calc'!A0", "'; DROP TABLE warnings;--", "第一行\n第二行\t制表"]


@pytest.mark.parametrize("step", ["verify", "handle", "close", "escalate"])
@pytest.mark.parametrize("note", ["", "   ", "\n\t \n", "\x00\x07", None])
def test_empty_notes_are_refused_where_required(eng, step, note):
    wid = new_warning(eng, XUANWU)
    prior = {"verify": [ACK], "handle": [ACK, VERIFY], "close": [ACK, VERIFY, HANDLE], "escalate": []}[step]
    if prior:
        through(eng, wid, NJ_OFFICER, *prior)
    actor = DUTY if step == "escalate" else NJ_OFFICER
    snap = snapshot(eng, wid)
    with pytest.raises(H.InvalidInput, match="请填写"):
        H.take_step(wid, step, actor, version=wrow(eng, wid)["version"], note=note,
                    result="confirmed" if step == "verify" else None, engine=eng)
    assert snapshot(eng, wid) == snap


@pytest.mark.parametrize("length,ok", [(2000, True), (2001, False), (5000, False), (100_000, False)])
def test_long_notes_are_refused_not_cut(eng, length, ok):
    wid = new_warning(eng, XUANWU)
    through(eng, wid, NJ_OFFICER, ACK)
    note = ("核" * (length - 1)) + "查"
    if ok:
        H.verify(wid, NJ_OFFICER, version=1, result="confirmed", note=note, engine=eng)
        assert steps_of(eng, wid)[-1]["note"] == note
        return
    snap = snapshot(eng, wid)
    with pytest.raises(H.InvalidInput, match=f"不能超过 2000 字（当前 {length} 字）"):
        H.verify(wid, NJ_OFFICER, version=1, result="confirmed", note=note, engine=eng)
    assert snapshot(eng, wid) == snap


def test_the_database_refuses_an_over_long_note_too(eng):
    wid = new_warning(eng, XUANWU)
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), eng.begin() as c:
        c.execute(insert(WS).values(warning_id=wid, step="ack", note="x" * 2001, actor="t", actor_role="officer",
                                    at=dt.datetime.now(), version=1, recorded_at=dt.datetime.now()))


def test_html_and_script_are_kept_as_text(eng):
    wid = new_warning(eng, XUANWU)
    r = through(eng, wid, NJ_OFFICER, ACK)
    for i, note in enumerate(HOSTILE):
        r = H.escalate(wid, DUTY, version=r.version, note=note, engine=eng)
    r = H.verify(wid, NJ_OFFICER, version=r.version, result="false_alarm", note=HOSTILE[0], engine=eng)
    r = H.close(wid, NJ_OFFICER, version=r.version, reason=HOSTILE[1] + "\r\n第二行", engine=eng)
    hist = H.history(wid, Scope(binding=NANJING), engine=eng)
    assert list(hist["note"]) == ["", *HOSTILE, HOSTILE[0], HOSTILE[1] + "\n第二行"]
    assert wrow(eng, wid)["close_reason"] == HOSTILE[1] + "\n第二行"


@pytest.mark.parametrize("step,result,msg", [("verify", None, "请选择核查结果"), ("verify", "属实", "请选择核查结果"),
                                             ("verify", "confirmed; --", "请选择核查结果"), ("ack", "confirmed", "不需要"),
                                             ("sign", None, "未知的处置步骤")])
def test_bad_results_and_steps(eng, step, result, msg):
    wid = new_warning(eng, XUANWU)
    if step == "verify":
        through(eng, wid, NJ_OFFICER, ACK)
    snap = snapshot(eng, wid)
    with pytest.raises(H.InvalidInput, match=msg):
        H.take_step(wid, step, NJ_OFFICER, version=wrow(eng, wid)["version"], result=result, note="x", engine=eng)
    assert snapshot(eng, wid) == snap


# --- faults -------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fail_on", ["INSERT INTO warning_steps", "INSERT INTO audit_log"])
def test_a_fault_between_the_statements_writes_nothing(eng, fail_on):
    """The database fails after the warning's UPDATE (on the step row, or on the audit entry after it): the
    whole step is rolled back, the message says so, and the same step succeeds afterwards."""
    wid = new_warning(eng, XUANWU)
    through(eng, wid, NJ_OFFICER, ACK)
    snap = snapshot(eng, wid)
    seen = []

    def fault(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.split("(")[0].strip())
        if statement.startswith(fail_on):
            raise OperationalError(statement, parameters, Exception("injected: server closed the connection"))

    event.listen(eng, "before_cursor_execute", fault)
    try:
        with pytest.raises(H.StepFailed, match="未被记录"):
            H.verify(wid, NJ_OFFICER, version=1, result="confirmed", note="核查", engine=eng)
    finally:
        event.remove(eng, "before_cursor_execute", fault)
    assert any(s.startswith("UPDATE warnings") for s in seen)  # the fault came after the warning was updated
    assert snapshot(eng, wid) == snap
    r = H.verify(wid, NJ_OFFICER, version=1, result="confirmed", note="核查", engine=eng)
    assert r.version == 2 and len(steps_of(eng, wid)) == 2


# --- two connections at once ------------------------------------------------------------------------------------------

def _blocked_backends(eng) -> int:
    with eng.connect() as c:
        return c.execute(text("select count(*) from pg_stat_activity where wait_event_type = 'Lock' "
                              "and datname = current_database()")).scalar()


@pytest.mark.parametrize("step", [ACK, VERIFY])
def test_two_sessions_take_one_step_at_once_one_wins(eng, step):
    """Two sessions (own connections) submit the same step on the same version at the same moment. The session
    whose UPDATE matched holds its transaction open until the other has reached its own UPDATE (on PostgreSQL:
    until it is blocked on the row lock). Exactly one wins, the other gets the message, the history has one
    entry."""
    wid = new_warning(eng, XUANWU)
    if step[0] == "verify":
        through(eng, wid, NJ_OFFICER, ACK)
    v = wrow(eng, wid)["version"]
    both = threading.Event()
    lock = threading.Lock()
    reached = []

    def ours(statement):
        return statement.startswith("UPDATE warnings") and threading.current_thread().name.startswith("step-")

    def before(conn, cursor, statement, parameters, context, executemany):
        if ours(statement):
            with lock:
                reached.append(threading.current_thread().name)
                if len(reached) == 2:
                    both.set()

    def after(conn, cursor, statement, parameters, context, executemany):
        if not ours(statement):
            return
        assert both.wait(WAIT_S), "the other session never reached its UPDATE"
        # PostgreSQL: the session whose UPDATE matched holds the row; wait until the other one waits for it (on
        # SQLite the other waits for the write lock this session holds; that cannot be observed from here)
        if eng.dialect.name == "postgresql" and cursor.rowcount == 1:
            deadline = time.monotonic() + WAIT_S
            while _blocked_backends(eng) < 1:
                assert time.monotonic() < deadline, "the other session never blocked"
                time.sleep(0.01)

    barrier = threading.Barrier(2)
    results: dict = {}

    def one(name):
        try:
            barrier.wait(WAIT_S)
            results[name] = H.take_step(wid, step[0], NJ_OFFICER, version=v, engine=eng, **step[1])
        except Exception as e:  # noqa: BLE001 - judged below
            results[name] = e

    event.listen(eng, "before_cursor_execute", before)
    event.listen(eng, "after_cursor_execute", after)
    try:
        threads = [threading.Thread(target=one, args=(f"step-{i}",), name=f"step-{i}") for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(WAIT_S * 2)
        assert not any(t.is_alive() for t in threads)
    finally:
        event.remove(eng, "before_cursor_execute", before)
        event.remove(eng, "after_cursor_execute", after)
    won = [r for r in results.values() if isinstance(r, H.StepResult)]
    lost = [r for r in results.values() if not isinstance(r, H.StepResult)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], H.Conflict) and lost[0].reason == "stale", lost[0]
    assert lost[0].current["version"] == v + 1
    assert [s["step"] for s in steps_of(eng, wid)].count(step[0]) == 1
    assert audit_count(eng, H.STEP_EVENT, warning=wid, step=step[0]) == 1


# --- the desk ---------------------------------------------------------------------------------------------------------

def test_desk_lists_open_warnings_late_first_then_severest_then_oldest_with_deadlines(eng):
    new_warning(eng, JIANGNING, level=3, minutes_ago=300)  # 一般, past its 4 h verify deadline: 超时
    fresh = new_warning(eng, JIANGNING, level=1, minutes_ago=1)
    now = dt.datetime.now().replace(microsecond=0)
    df = H.desk(Scope(binding=NANJING), engine=eng, now=now)
    assert list(df.columns) == H.DESK_COLUMNS
    with eng.connect() as c:
        open_nj = c.execute(select(func.count()).select_from(W).where(W.c.city_adcode == NANJING,
                                                                      W.c.closed_at.is_(None))).scalar()
    assert len(df) == open_nj > 0
    keys = list(zip(~df["overdue"].astype(bool), df["level"], df["raised_at"]))
    assert keys == sorted(keys)  # 超时 first, then 重大 first, then the oldest first
    assert df["overdue"].any() and not df["overdue"].all() and (df[~df["overdue"]]["level"] > 1).any()
    dl = H.deadline_map(eng)
    for r in df.to_dict("records"):
        w = wrow(eng, r["id"])
        assert r["version"] == w["version"] and w["closed_at"] is None
        k = {"ack": 0, "verify": 1, "close": 2}[r["deadline_step"]]
        due = w["raised_at"] + dt.timedelta(minutes=dl[r["level"]][k])
        assert r["deadline_at"] == due
        assert r["minutes_left"] == round((due - now).total_seconds() / 60, 1)
        assert r["overdue"] == (r["minutes_left"] < 0)
        expect = "ack" if w["acknowledged_at"] is None else "verify" if w["verified_at"] is None else "close"
        assert r["deadline_step"] == expect
    f = df[df["id"] == fresh].iloc[0]
    assert (f["state_name"], f["next_step_name"], f["deadline_name"], bool(f["overdue"])) == ("待签收", "签收", "签收时限",
                                                                                              False)
    assert 13.9 <= f["minutes_left"] <= 14.1
    summary = H.desk_summary(Scope(binding=NANJING), engine=eng, now=now)
    assert summary["open"] == len(df) and summary["overdue"] == int(df["overdue"].sum()) > 0
    assert summary["open_by_level"] == {lv: int((df["level"] == lv).sum()) for lv in (1, 2, 3, 4)}
    assert summary["overdue_by_level"] == {lv: int(df[df["level"] == lv]["overdue"].sum()) for lv in (1, 2, 3, 4)}
    # bounded: the late ones come first, then the most severe
    assert list(H.desk(Scope(binding=NANJING), engine=eng, now=now, limit=3)["id"]) == list(df["id"][:3])
    assert summary["overdue_major"] == int(df[df["level"] <= 2]["overdue"].sum())
    only = H.desk(Scope(binding=NANJING), engine=eng, now=now, overdue_only=True)
    assert list(only["id"]) == list(df[df["overdue"]]["id"])
    assert list(H.desk(Scope(binding=NANJING), engine=eng, now=now, level=1)["id"]) == list(df[df["level"] == 1]["id"])
    assert len(H.desk(Scope(binding=NANJING), engine=eng, now=now, limit=3)) == 3


def test_any_warning_list_can_be_marked_overdue(eng):
    """The wall's rolling list and the warnings page list warnings through queries.warnings.listing; annotate marks
    them exactly as the desk does."""
    from queries import warnings

    now = dt.datetime.now().replace(microsecond=0)
    listed = warnings.listing(Scope(binding=NANJING), engine=eng, open_only=True, limit=1000)
    marked = H.annotate(listed, engine=eng, now=now)
    assert list(marked.columns) == list(listed.columns) + H.ANNOTATIONS and "overdue" not in listed
    desk = H.desk(Scope(binding=NANJING), engine=eng, now=now).set_index("id")
    for r in marked.to_dict("records"):
        d = desk.loc[r["id"]]
        assert (r["overdue"], r["minutes_left"], r["deadline_step"]) == (d["overdue"], d["minutes_left"],
                                                                       d["deadline_step"])
    assert H.annotate(listed.iloc[:0], engine=eng).columns.tolist() == list(listed.columns) + H.ANNOTATIONS


# --- deadlines ----------------------------------------------------------------------------------------------------------

def test_deadlines_are_the_products_defaults_and_only_the_admin_changes_them(eng):
    admin = H.Actor("admin", "admin", None)
    d = H.deadlines(engine=eng)
    assert {int(r.level): (r.ack_minutes, r.verify_minutes, r.close_minutes) for r in d.itertuples()} == \
        DEFAULT_DEADLINES
    assert list(d["level_name"]) == ["重大", "较大", "一般", "低"]
    for actor in (NJ_OFFICER, DUTY, *READERS[:3]):
        with pytest.raises(H.NotPermitted):
            H.set_deadlines(4, 100, 400, 9000, actor, version=0, engine=eng)
    assert audit_count(eng, H.DEADLINE_REFUSED, reason="role") >= 5
    for bad in [(0, 60, 100), (-5, 60, 100), (30, 20, 100), (30, 60, 50), ("x", 60, 100), (1.5, 60, 100),
                (True, 60, 100), (30, 60, 10**9), (None, 60, 100)]:
        with pytest.raises(H.InvalidInput):
            H.set_deadlines(4, *bad, admin, version=0, engine=eng)
    with pytest.raises(H.InvalidInput):
        H.set_deadlines(5, 1, 2, 3, admin, version=0, engine=eng)
    assert H.deadline_map(eng)[4] == DEFAULT_DEADLINES[4]
    new = H.set_deadlines(4, "100", 400, 9000, admin, version=0, engine=eng)
    assert (new["ack_minutes"], new["version"], new["updated_by"]) == (100, 1, "admin")
    assert audit_count(eng, H.DEADLINE_EVENT, level=4, version=1) == 1
    with pytest.raises(H.Conflict, match="已被他人修改"):
        H.set_deadlines(4, 110, 400, 9000, admin, version=0, engine=eng)
    assert H.deadline_map(eng)[4] == (100, 400, 9000)
    H.set_deadlines(4, *DEFAULT_DEADLINES[4], admin, version=1, engine=eng)


# --- figures against an independent count -------------------------------------------------------------------------------

def _expected(eng, city: int | None, d1: dt.date, d2: dt.date, T: dt.datetime, as_of: dt.datetime | None = None):
    dl = H.deadline_map(eng)
    with eng.connect() as c:
        rows = [dict(r) for r in c.execute(select(W)).mappings()]
    n = dict(ack_due=0, ack_timely=0, close_due=0, close_timely=0, open=0, overdue=0)
    for w in rows:
        if city is not None and w["city_adcode"] != city or as_of is not None and w["recorded_at"] > as_of:
            continue
        a, v, cl = (w["raised_at"] + dt.timedelta(minutes=m) for m in dl[w["level"]])
        ack = w["acknowledged_at"] if w["acknowledged_at"] is not None and w["acknowledged_at"] <= T else None
        ver = w["verified_at"] if w["verified_at"] is not None and w["verified_at"] <= T else None
        clo = w["closed_at"] if w["closed_at"] is not None and w["closed_at"] <= T else None
        if d1 <= w["raised_at"].date() <= d2:
            n["ack_due"] += ack is not None or a < T
            n["ack_timely"] += ack is not None and ack <= a
            n["close_due"] += clo is not None or cl < T
            n["close_timely"] += clo is not None and clo <= cl
        if w["raised_at"] <= T and clo is None:
            n["open"] += 1
            n["overdue"] += (ack is None and a < T) or (ver is None and v < T) or cl < T
    return n


def test_timeliness_figures_match_an_independent_count(db):
    """On the untouched demo data: 签收及时率 / 处置及时率 / 超时未处置 counted in Python from the raw rows, for the
    province, a city and an as-of time in the past; the demo mix holds timely, late and open overdue warnings."""
    now = dt.datetime.now().replace(microsecond=0)
    d1, d2 = now.date() - dt.timedelta(days=40), now.date()
    for city in (None, NANJING, YANCHENG):
        s = Scope(region=city or 320000, date_from=d1, date_to=d2)
        got = H.timeliness(s, engine=db, now=now)
        exp = _expected(db, city, d1, d2, now)
        assert {k: got[k] for k in exp} == exp, city
        assert got["ack_timely_rate"] == round(100 * exp["ack_timely"] / exp["ack_due"], 1)
        by = H.timeliness_by_region(s, engine=db, now=now)
        for k in exp:
            assert by[k].sum() == got[k]
    got = H.timeliness(Scope(date_from=d1, date_to=d2), engine=db, now=now)
    assert 0 < got["ack_timely"] < got["ack_due"] and 0 < got["close_timely"] < got["close_due"]
    assert 60 < got["ack_timely_rate"] < 99 and 60 < got["close_timely_rate"] < 100
    assert got["overdue"] > 0 and got["open"] > got["overdue"]
    # as of twelve hours ago: steps taken since then do not count, warnings recorded since do not exist
    as_of = now - dt.timedelta(hours=12)
    got = H.timeliness(Scope(date_from=d1, date_to=d2, as_of=as_of), engine=db, now=now)
    assert {k: got[k] for k in _expected(db, None, d1, d2, as_of, as_of)} == _expected(db, None, d1, d2, as_of, as_of)


def test_figures_are_in_the_catalogue_with_their_definitions(db):
    from queries import figures

    cat = figures.catalogue()
    for key in ("warnings.ack_timely_rate", "warnings.close_timely_rate", "warnings.overdue"):
        assert cat[key].definition and figures.source_of(key) == "queries.handling.timeliness"
    assert [cat[k].better for k in ("warnings.ack_timely_rate", "warnings.close_timely_rate", "warnings.overdue")] \
        == ["up", "up", "down"]
    assert figures.basis_of("warnings.ack_timely_rate") == "period" and figures.basis_of("warnings.overdue") == "cutoff"
    figs = {f.key: f for f in figures.collect(Scope(region=NANJING, date_from=dt.date(2020, 1, 1)), engine=db)}
    assert figs["warnings.ack_timely_rate"].label == "签收及时率" and 0 < figs["warnings.ack_timely_rate"].value < 100
    # the briefing cites them: the rates for the period, 超时未处置 at the cut-off
    from queries import briefing

    cited = {f.key: f for f in briefing.region_figures(Scope(region=NANJING, date_from=dt.date(2020, 1, 1),
                                                             as_of=dt.datetime.now()), engine=db)}
    assert cited["warnings.ack_timely_rate"].basis == "period" and cited["warnings.overdue"].basis == "cutoff"
    assert cited["warnings.close_timely_rate"].source == "queries.handling.timeliness"


# --- the demo data and the history --------------------------------------------------------------------------------------

def test_demo_history_and_officers(db):
    from queries import accounts

    with db.connect() as c:
        people = c.execute(select(func.count()).select_from(W).where(W.c.touched_at.is_not(None))).scalar()
        total = c.execute(select(func.count()).select_from(W)).scalar()
        stepped = c.execute(select(func.count(func.distinct(WS.c.warning_id)))).scalar()
        mismatched = c.execute(select(func.count()).select_from(W).where(
            W.c.version != select(func.count()).where(WS.c.warning_id == W.c.id).scalar_subquery())).scalar()
        actors = {r[0] for r in c.execute(select(WS.c.actor).distinct())}
        wid = c.execute(select(W.c.id).where(W.c.touched_at.is_not(None), W.c.closed_at.is_not(None),
                                             W.c.city_adcode == YANCHENG).limit(1)).scalar()
    assert 0 < people < total and stepped > total * 0.9 and mismatched == 0
    assert {"system", "duty", "nanjing-officer", "yancheng-officer"} <= actors <= {
        "system", "duty", "nanjing-officer", "jiangning-officer", "yancheng-officer"}
    hist = H.history(wid, Scope(binding=YANCHENG), engine=db)
    assert list(hist["step"])[0] in ("ack", "escalate") and list(hist["step"])[-1] == "close"
    assert hist["at"].is_monotonic_increasing
    for name, region in (("nanjing-officer", NANJING), ("jiangning-officer", JIANGNING),
                         ("yancheng-officer", YANCHENG)):
        r = accounts.authenticate(name, f"{name}-demo", engine=db)
        assert r.ok and (r.role, r.binding) == ("officer", region)
    # the desk of the demo data has open work, some of it 超时
    df = H.desk(Scope(binding=NANJING), engine=db)
    assert len(df) > 0 and df["overdue"].any()


def test_history_as_of(eng):
    wid = new_warning(eng, XUANWU, minutes_ago=30)
    through(eng, wid, NJ_OFFICER, ACK)
    with eng.begin() as c:  # the acknowledgement was recorded ten minutes ago, the verification now
        c.execute(update(WS).where(WS.c.warning_id == wid).values(recorded_at=dt.datetime.now() - dt.timedelta(minutes=10)))
    through(eng, wid, NJ_OFFICER, VERIFY)
    as_of = dt.datetime.now() - dt.timedelta(minutes=5)
    assert list(H.history(wid, Scope(binding=NANJING, as_of=as_of), engine=eng)["step"]) == ["ack"]
    assert list(H.history(wid, Scope(binding=NANJING), engine=eng)["step"]) == ["ack", "verify"]
    with pytest.raises(ScopeError):  # a warning recorded after the as-of time does not exist then
        H.history(wid, Scope(binding=NANJING, as_of=dt.datetime.now() - dt.timedelta(hours=2)), engine=eng)


# --- the simulator steps back --------------------------------------------------------------------------------------------

def test_the_simulator_never_moves_a_warning_a_person_touched(eng):
    from cli import simulate

    mine, its = new_warning(eng, XUANWU, level=2, minutes_ago=60), new_warning(eng, XUANWU, level=2, minutes_ago=60)
    H.acknowledge(mine, NJ_OFFICER, version=0, engine=eng)
    before = wrow(eng, mine)
    later = dt.datetime.now() + dt.timedelta(days=2)
    simulate.advance_lifecycle(later, engine=eng)
    assert wrow(eng, mine) == before
    w = wrow(eng, its)
    assert w["closed_at"] is not None and w["touched_at"] is None
    sim = steps_of(eng, its)
    assert [s["step"] for s in sim] == ["ack", "verify", "handle", "close"]
    assert {s["actor"] for s in sim} == {"system"} and w["version"] == 4
    with pytest.raises(H.Conflict):  # a page drawn before the simulator moved it
        H.acknowledge(its, NJ_OFFICER, version=0, engine=eng)


def test_the_simulators_update_loses_to_a_person_in_between(eng, monkeypatch):
    """A person's step lands after the simulator read the warning (untouched, version 0) and before it writes:
    the simulator's move of that warning is dropped, the person's step stands."""
    from cli import simulate

    wid = new_warning(eng, XUANWU, level=3, minutes_ago=600)
    real_update = simulate.update
    done = []

    def person_first(table):
        if not done:  # after the simulator's read, before its first write (no lock is held yet)
            done.append(H.acknowledge(wid, NJ_OFFICER, version=0, engine=eng))
        return real_update(table)

    monkeypatch.setattr(simulate, "update", person_first)
    out = simulate.advance_lifecycle(dt.datetime.now() + dt.timedelta(days=5), engine=eng)
    assert done and out["skipped"] >= 1
    w = wrow(eng, wid)
    assert w["verified_at"] is None and w["closed_at"] is None and w["version"] == 1
    assert [s["actor"] for s in steps_of(eng, wid)] == ["nanjing-officer"]


def test_feed_without_handling_leaves_every_warning_to_people(eng, monkeypatch, capsys):
    from cli import feed, simulate
    from cli.main import main

    def boom(*a, **kw):
        raise AssertionError("the simulator ran")

    monkeypatch.setattr(simulate, "advance_lifecycle", boom)
    f = feed.Feed(eng, handling=False, log=lambda m: None, verbose=False, dense_minutes=0, keep_days=0)
    # at the demo data's newest reading (later, most points would be found offline at once: another test's work)
    with eng.connect() as c:
        newest = c.execute(select(func.max(S.point_state.c.reading_at))).scalar()
    assert "lifecycle" not in f.housekeeping(newest)
    seen = {}
    def run(self, **kw):
        seen["handling"] = self.handling
        return 0

    monkeypatch.setattr(feed.Feed, "run", run)
    monkeypatch.setenv("OVERSIGHT_DB_URL", eng.url.render_as_string(hide_password=False))
    dbmod._ready.add(str(eng.url))
    assert main(["feed", "--no-handling", "--once"]) == 0 and seen["handling"] is False
    seen.clear()
    assert main(["feed", "--once"]) == 0 and seen["handling"] is True


def test_officer_accounts_are_bound_to_a_city_or_a_county(eng):
    from queries import accounts

    pw = "correct-horse-9"
    stamp = dt.datetime.now().strftime("%H%M%S%f")
    accounts.add_user(f"off-c-{stamp}", "江宁监管", "officer", pw, region=JIANGNING, engine=eng, by="pytest")
    accounts.add_user(f"off-s-{stamp}", "南京监管", "officer", pw, region=NANJING, engine=eng, by="pytest")
    for role, region, msg in (("officer", None, "必须绑定"), ("officer", 320000, "只能绑定设区市或县"),
                              ("officer", 999999, "未知的地区代码"), ("city", JIANGNING, "只能绑定设区市"),
                              ("city", 320000, "只能绑定设区市"), ("city", None, "必须绑定")):
        with pytest.raises(accounts.AccountError, match=msg):
            accounts.add_user(f"off-x-{stamp}", "x", role, pw, region=region, engine=eng, by="pytest")
    accounts.set_role(f"off-s-{stamp}", "officer", region=320902, engine=eng, by="pytest")
    with pytest.raises(accounts.AccountError, match="只能绑定设区市"):
        accounts.set_role(f"off-s-{stamp}", "city", region=320902, engine=eng, by="pytest")
    r = accounts.authenticate(f"off-c-{stamp}", pw, engine=eng)
    assert r.ok and (r.role, r.binding) == ("officer", JIANGNING)


def test_bench_times_the_desk_and_each_step(eng):
    """``oversight bench`` records the desk query and the four steps of one warning (limits ten times the targets:
    only a gross regression fails here; the targets are judged by the bench at province scale)."""
    from cli import bench

    new_warning(eng, XUANWU)
    r = bench.bench_handling(eng, runs=3)
    assert r["desk_rows"] > 0 and set(r["steps"]) == {"ack", "verify", "handle", "close"}
    assert r["desk_warm_ms"] <= 10 * bench.TARGETS["desk_warm_ms"] and r["step_max_ms"] <= 10 * bench.TARGETS["step_ms"]
    judged = {t["target"]: t["ok"] for t in bench.check_targets({"pages": [], "handling": r})}
    assert set(judged) == {"handling desk query warm ms", "handling step ms (slowest of ack, verify, handle, close)"}
    slow = dict(r, desk_warm_ms=301.0, step_max_ms=201.0)
    assert not any(t["ok"] for t in bench.check_targets({"pages": [], "handling": slow}))
