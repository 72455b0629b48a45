"""queries.ingest: the integration point of the monitoring network, on SQLite and PostgreSQL.

A threshold crossing raises exactly one warning of the right level with its SMS pushes; repeats merge; the
lifecycle closes warnings; invalid input is rejected with a reason and nothing is half-written; throughput.
"""
from __future__ import annotations

import datetime as dt
import math
import time

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from cli import simulate
from queries import ingest as I
from seed import schema as S
from tests import ingest_util as U
from tests.dbcache import fresh_url

W, SMS, PS, R = S.warnings, S.sms_pushes, S.point_state, S.readings
TEMP, TOXIC, FLAM, LEVEL, PRESS = 1, 2, 3, 4, 5


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def net(request, tmp_path_factory):
    if request.param == "postgresql" and not U.pg_available():
        pytest.skip("PostgreSQL not reachable")
    url = fresh_url(request.param, tmp_path_factory.mktemp("ingest"), "oversight_ingest")
    request.addfinalizer(lambda: U.drop(url))
    return U.build(url, extra_points=3000)


@pytest.fixture
def eng(net):
    U.reset(net)
    return net


def t(seconds: float) -> dt.datetime:
    return U.T0 + dt.timedelta(seconds=seconds)


def warnings_of(eng, pid=None):
    stmt = select(W).order_by(W.c.id)
    if pid is not None:
        stmt = stmt.where(W.c.point_id == pid)
    return U.rows(eng, stmt)


def sms_of(eng, wid):
    return U.rows(eng, select(SMS).where(SMS.c.warning_id == wid).order_by(SMS.c.id))


def state(eng, pid):
    return U.rows(eng, select(PS).where(PS.c.point_id == pid))[0]


# --- the rule (pure) ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("pid,value,expected", [
    (TEMP, 85.0, None),
    (TEMP, 120.0, ("over_limit", 3)),  # reaches the high alarm
    (TEMP, 149.9, ("over_limit", 3)),
    (TEMP, 150.0, ("over_limit", 2)),  # reaches high-high: 较大
    (TEMP, 20.0, ("over_limit", 4)),  # reaches the low alarm: 低
    (TOXIC, 9.99, None),
    (TOXIC, 10.0, ("gas_leak", 3)),
    (TOXIC, 25.0, ("gas_leak", 1)),  # toxic gas above high-high: 重大
    (FLAM, 45.0, ("gas_leak", 2)),  # flammable gas above high-high: 较大
    (LEVEL, 120.0, ("equipment", 4)),  # a level above 105 % cannot be physical: sensor fault
    (PRESS, -0.5, ("equipment", 4)),  # below vacuum
    (PRESS, 0.05, ("over_limit", 4)),
])
def test_threshold_rule(net, pid, value, expected):
    p = I.points(net).by_id[pid]
    assert I.classify(p, value) == expected


# --- one crossing, one warning, its pushes ---------------------------------------------------------------------

@pytest.mark.parametrize("pid,value,wtype,level,n_sms", [
    (TEMP, 130.0, "over_limit", 3, 3),
    (TEMP, 160.0, "over_limit", 2, 4),  # 较大 also goes to the city's duty room
    (TOXIC, 25.0, "gas_leak", 1, 4),
    (TEMP, 10.0, "over_limit", 4, 3),
    (LEVEL, 130.0, "equipment", 4, 3),
])
def test_crossing_raises_exactly_one_warning_with_pushes(eng, pid, value, wtype, level, n_sms):
    now = t(65)
    batch = [I.Reading(p, t(60), 0.0 + U.POINTS[p - 1][3]) for p in (TEMP, TOXIC, FLAM, LEVEL, PRESS) if p != pid]
    batch.append(I.Reading(pid, t(60), value))
    res = I.ingest(batch, engine=eng, now=now)
    assert res.ok and res.accepted == res.inserted == 5
    assert res.warnings_raised == 1 and res.warnings_merged == 0
    ws = warnings_of(eng)
    assert len(ws) == 1
    w = ws[0]
    assert (w["point_id"], w["type"], w["level"], w["repeat_count"]) == (pid, wtype, level, 1)
    assert w["raised_at"] == t(60) and w["last_seen_at"] == t(60)
    assert w["pushed_at"] == now and w["acknowledged_at"] is None and w["closed_at"] is None
    assert w["code"] == f"YJ{t(60):%Y%m%d}{w['id']:06d}"
    assert w["peak_value"] == pytest.approx(value)
    assert (w["city_adcode"], w["county_adcode"], w["enterprise_id"], w["hazard_source_id"]) == (U.CITY, U.COUNTY, 1, 1)
    assert "测试1号化工" in w["title"]
    pushes = sms_of(eng, w["id"])
    assert len(pushes) == res.sms_pushes == n_sms
    kinds = [(p["recipient_kind"], p["recipient"]) for p in pushes]
    assert ("enterprise", "主要负责人") in kinds and ("enterprise", "安全管理负责人") in kinds
    assert ("regulator", "属地应急管理局值班室") in kinds
    assert (("regulator", "市应急管理局值班室") in kinds) == (level <= 2)
    assert all(p["sent_at"] == now and p["status"] == "delivered" and "****" in p["phone"] for p in pushes)
    st = state(eng, pid)
    assert (st["status"], st["reading_at"], st["value"]) == ("alarm", t(60), pytest.approx(value))
    assert state(eng, FLAM if pid != FLAM else TEMP)["status"] == "normal"


def test_normal_readings_raise_nothing(eng):
    res = I.ingest([(p, t(10 * k), U.POINTS[p - 1][3]) for p in range(1, 6) for k in range(1, 4)], engine=eng,
                   now=t(40))
    assert res.ok and res.inserted == 15 and res.warnings_raised == 0 and res.points_updated == 5
    assert U.count(eng, W) == 0 and U.count(eng, SMS) == 0
    assert state(eng, TEMP)["reading_at"] == t(30)


# --- repeats merge -----------------------------------------------------------------------------------------------

def test_repeats_merge_into_one_warning_and_escalate(eng):
    seq = [(10, 125.0), (20, 126.0), (30, 85.0), (40, 128.0), (50, 85.0), (60, 155.0)]
    results = [I.ingest([(TEMP, t(s), v)], engine=eng, now=t(s + 1)) for s, v in seq]
    ws = warnings_of(eng, TEMP)
    assert len(ws) == 1, "repeats from one point merge into its open warning"
    w = ws[0]
    assert w["repeat_count"] == 3  # crossings at 10 s, 40 s and 60 s; 20 s is the same crossing continuing
    assert w["raised_at"] == t(10) and w["last_seen_at"] == t(60)
    assert w["level"] == 2 and w["peak_value"] == pytest.approx(155.0)  # escalated to 较大 by the worst crossing
    assert [r.warnings_raised for r in results] == [1, 0, 0, 0, 0, 0]
    assert [r.warnings_merged for r in results] == [0, 0, 0, 1, 0, 1]
    assert results[-1].warnings_escalated == 1
    pushes = sms_of(eng, w["id"])
    assert len(pushes) == 3 + 4  # raised at 一般 (3 recipients), escalated to 较大 (4 recipients)
    assert state(eng, TEMP)["status"] == "alarm"


def test_a_batch_with_many_readings_of_one_point(eng):
    """A catch-up batch (the feed after an outage) is evaluated in time order, exactly like one by one."""
    rows = [(TEMP, t(s), v) for s, v in [(60, 85.0), (10, 125.0), (40, 128.0), (20, 126.0), (30, 85.0), (50, 85.0)]]
    res = I.ingest(rows, engine=eng, now=t(61))
    assert res.warnings_raised == 1 and res.warnings_merged == 1
    w = warnings_of(eng, TEMP)[0]
    assert (w["repeat_count"], w["level"], w["last_seen_at"]) == (2, 3, t(40))
    assert state(eng, TEMP)["status"] == "normal" and state(eng, TEMP)["reading_at"] == t(60)


def test_resent_batch_is_harmless(eng):
    batch = [(TEMP, t(10), 130.0), (TOXIC, t(10), 1.0)]
    first = I.ingest(batch, engine=eng, now=t(11))
    again = I.ingest(batch, engine=eng, now=t(12))
    assert first.inserted == 2 and again.inserted == 0 and again.duplicates == 2 and again.late == 2
    assert again.warnings_raised == 0 and U.count(eng, W) == 1 and U.count(eng, SMS) == 3


def test_late_readings_are_stored_without_changing_state(eng):
    I.ingest([(TEMP, t(100), 90.0)], engine=eng, now=t(101))
    res = I.ingest([(TEMP, t(50), 140.0)], engine=eng, now=t(102))
    assert res.inserted == 1 and res.late == 1 and res.warnings_raised == 0
    assert state(eng, TEMP)["reading_at"] == t(100) and state(eng, TEMP)["status"] == "normal"


# --- lifecycle ---------------------------------------------------------------------------------------------------

def test_warning_closes_through_its_lifecycle(eng):
    I.ingest([(TEMP, t(10), 130.0)], engine=eng, now=t(10))
    w = warnings_of(eng, TEMP)[0]
    ack_m, ver_m, close_m = simulate.lifecycle_plan(w["id"], w["level"])
    assert ver_m is not None  # 一般 and above are verified on site
    pushed = w["pushed_at"]
    # before the acknowledgement is due: nothing moves
    assert simulate.advance_lifecycle(pushed + dt.timedelta(minutes=ack_m * 0.5), engine=eng)["acknowledged"] == 0
    # acknowledged, then verified
    simulate.advance_lifecycle(pushed + dt.timedelta(minutes=ack_m + 0.1), engine=eng)
    w = warnings_of(eng, TEMP)[0]
    assert w["acknowledged_at"] is not None and w["verified_at"] is None and w["closed_at"] is None
    end = pushed + dt.timedelta(minutes=ack_m + ver_m + close_m + 1)
    # the point is still in alarm: verified but not closed (消警 needs the point back to normal)
    simulate.advance_lifecycle(end, engine=eng)
    w = warnings_of(eng, TEMP)[0]
    assert w["verified_at"] is not None and w["closed_at"] is None
    # back to normal: the next step closes it
    I.ingest([(TEMP, end + dt.timedelta(seconds=5), 85.0)], engine=eng, now=end + dt.timedelta(seconds=5))
    later = end + dt.timedelta(seconds=10)
    assert simulate.advance_lifecycle(later, engine=eng)["closed"] == 1
    w = warnings_of(eng, TEMP)[0]
    assert w["raised_at"] <= w["pushed_at"] <= w["acknowledged_at"] <= w["verified_at"] <= w["closed_at"] <= later
    assert w["closed_at"] >= w["last_seen_at"]
    # a new crossing after closing raises a new warning
    I.ingest([(TEMP, later + dt.timedelta(seconds=5), 131.0)], engine=eng, now=later + dt.timedelta(seconds=6))
    assert len(warnings_of(eng, TEMP)) == 2


def test_low_warnings_close_without_a_site_visit(eng):
    I.ingest([(TEMP, t(10), 15.0)], engine=eng, now=t(10))
    I.ingest([(TEMP, t(20), 85.0)], engine=eng, now=t(20))
    w = warnings_of(eng, TEMP)[0]
    assert w["level"] == 4
    ack_m, ver_m, close_m = simulate.lifecycle_plan(w["id"], 4)
    assert ver_m is None
    simulate.advance_lifecycle(w["pushed_at"] + dt.timedelta(minutes=ack_m + close_m + 1), engine=eng)
    w = warnings_of(eng, TEMP)[0]
    assert w["acknowledged_at"] and w["verified_at"] is None and w["closed_at"]


def test_speed_compresses_handling(eng):
    I.ingest([(TOXIC, t(10), 30.0), (TOXIC, t(20), 1.0)], engine=eng, now=t(20))
    w = warnings_of(eng, TOXIC)[0]
    ack_m, ver_m, close_m = simulate.lifecycle_plan(w["id"], w["level"])
    total_s = (ack_m + ver_m + close_m) * 60 / 3600 + 2  # at speed 3600 an hour of handling takes a second
    simulate.advance_lifecycle(w["pushed_at"] + dt.timedelta(seconds=total_s), engine=eng, speed=3600)
    assert warnings_of(eng, TOXIC)[0]["closed_at"] is not None


# --- offline ---------------------------------------------------------------------------------------------------

def test_offline_detection_and_return(eng):
    now = t(600)
    I.ingest([(p, t(590), U.POINTS[p - 1][3]) for p in (TEMP, TOXIC, FLAM, LEVEL)], engine=eng, now=now)
    # PRESS and the extra points last reported at T0: offline after 60 s of silence
    out = I.detect_offline(now, engine=eng, after_s=60)
    assert out["offline"] == 1 + 3000 and out["warnings_raised"] == 1 + 3000
    assert state(eng, PRESS)["status"] == "offline" and state(eng, TEMP)["status"] == "normal"
    w = warnings_of(eng, PRESS)[0]
    assert (w["type"], w["level"], w["repeat_count"]) == ("offline", 4, 1)
    assert len(sms_of(eng, w["id"])) == 3
    assert I.detect_offline(now, engine=eng, after_s=60)["offline"] == 0  # already offline: no new warning
    # it comes back, then goes silent again: the open offline warning counts a repeat
    I.ingest([(PRESS, t(610), 0.8)], engine=eng, now=t(611))
    assert state(eng, PRESS)["status"] == "normal"
    again = I.detect_offline(t(700), engine=eng, after_s=60)
    assert again["warnings_merged"] >= 1
    w = warnings_of(eng, PRESS)[0]
    assert w["repeat_count"] == 2 and len(warnings_of(eng, PRESS)) == 1


# --- validation and atomicity ------------------------------------------------------------------------------------

def test_invalid_readings_are_rejected_with_reasons(eng):
    batch = [
        {"point": "MPT0001", "ts": t(10).isoformat(), "value": 86.0},  # ok, by code and ISO text
        {"point_id": TOXIC, "ts": (t(10).astimezone(dt.timezone.utc)).isoformat(), "value": 1.2},  # ok, UTC offset
        {"point": "NOPE", "ts": t(10).isoformat(), "value": 1.0},
        {"point_id": 999999, "ts": t(10).isoformat(), "value": 1.0},
        (FLAM, t(10), float("nan")),
        (FLAM, t(11), math.inf),
        (FLAM, t(12), "3.0"),
        (FLAM, t(13), True),
        (LEVEL, "yesterday", 50.0),
        (LEVEL, "2021-03-13", 50.0),
        (LEVEL, dt.datetime.now() + dt.timedelta(hours=2), 50.0),
        (LEVEL, dt.datetime(1999, 1, 1), 50.0),
        (TEMP, t(10), 87.0),  # the same point and time twice in one batch
        "garbage",
    ]
    res = I.ingest(batch, engine=eng, now=dt.datetime.now())
    reasons = {r.index: r.reason for r in res.rejected}
    assert reasons == {2: "unknown point", 3: "unknown point", 4: "value is not finite", 5: "value is not finite",
                       6: "value is not a number", 7: "value is not a number", 8: "bad timestamp",
                       9: "bad timestamp", 10: "timestamp in the future", 11: "timestamp out of range",
                       12: "duplicate reading in batch", 13: "not a reading (point, ts, value)"}
    assert res.received == len(batch) and res.accepted == res.inserted == 2
    got = U.rows(eng, select(R.c.point_id, R.c.ts, R.c.value).order_by(R.c.point_id))
    assert [(g["point_id"], g["ts"], g["value"]) for g in got] == [(TEMP, t(10), 86.0), (TOXIC, t(10), 1.2)]


def test_strict_mode_rejects_the_whole_batch(eng):
    res = I.ingest([(TEMP, t(10), 130.0), (TEMP, t(20), float("nan"))], engine=eng, strict=True, now=t(30))
    assert not res.ok and res.accepted == 0 and res.inserted == 0
    assert U.count(eng, R) == 0 and U.count(eng, W) == 0 and state(eng, TEMP)["reading_at"] == U.T0


def test_database_error_leaves_nothing_half_written(eng, monkeypatch):
    def boom(*a, **k):
        raise OperationalError("INSERT INTO warnings", {}, Exception("disk I/O error"))

    monkeypatch.setattr(I, "_write_warnings", boom)
    with pytest.raises(OperationalError):
        I.ingest([(TEMP, t(10), 130.0), (TOXIC, t(10), 1.0)], engine=eng, now=t(11))
    assert U.count(eng, R) == 0 and U.count(eng, W) == 0 and U.count(eng, SMS) == 0
    assert state(eng, TEMP)["status"] == "normal" and state(eng, TEMP)["reading_at"] == U.T0
    monkeypatch.undo()
    res = I.ingest([(TEMP, t(10), 130.0), (TOXIC, t(10), 1.0)], engine=eng, now=t(11))  # the retry succeeds
    assert res.inserted == 2 and res.warnings_raised == 1


# --- throughput --------------------------------------------------------------------------------------------------

def test_throughput(eng, request):
    """One reading for each of ~3,000 points per batch, three rounds; and one catch-up batch of ten rounds.
    The figure is printed (run with -s); the bound only catches gross regressions on a busy machine."""
    pids = sorted(I.points(eng).by_id)
    normal = {p: I.points(eng).by_id[p].normal for p in pids}
    rates = []
    for k in range(1, 4):
        ts = t(10 * k)
        rows = [(p, ts, normal[p] * (1 + 0.01 * ((p * k) % 7 - 3))) for p in pids]
        t0 = time.perf_counter()
        res = I.ingest(rows, engine=eng, now=ts)
        rates.append(len(rows) / (time.perf_counter() - t0))
        assert res.inserted == len(rows)
    rows = [(p, t(100 + 10 * k), normal[p]) for k in range(10) for p in pids]
    t0 = time.perf_counter()
    res = I.ingest(rows, engine=eng, now=t(200))
    catch_up = len(rows) / (time.perf_counter() - t0)
    assert res.inserted == len(rows)
    print(f"\n[{eng.dialect.name}] ingest: {max(rates):,.0f} readings/s per round of {len(pids):,} points; "
          f"{catch_up:,.0f} readings/s in a catch-up batch of {len(rows):,}")
    assert max(rates) > 3000 and catch_up > 5000
