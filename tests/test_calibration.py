"""The bulletin's figures (shared/reference/domain.md §1) come out of the demo data through the query layer."""
from __future__ import annotations

import datetime as dt

import pytest

from queries import credit, enforcement, grids, hazards, overview, risk
from queries.scope import Scope

NJ, YC, SQ = 320100, 320900, 321300
BULLETIN = dt.datetime(2021, 3, 13, 23, 59, 59)
YC_PERIOD = dict(region=YC, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 2, 28))
SQ_ASOF = dict(region=SQ, date_to=dt.date(2021, 3, 13), as_of=BULLETIN)


def test_n1_member_units_20_plus(db):
    v = overview.platform(Scope(region=NJ), engine=db)["data_sources"]
    assert 20 < v <= 22


def test_n2_key_enterprises(db):
    assert overview.platform(Scope(region=NJ), engine=db)["key_enterprises"] == 16000


def test_n3_n4_hazard_enterprises_and_points(db):
    s = hazards.summary(Scope(region=NJ), engine=db)
    assert s["connected_enterprises"] == 74
    assert s["points"] == 4264


def test_n5_cases_handled_online_4500_plus(db):
    v = enforcement.summary(Scope(region=NJ, date_to=dt.date(2021, 3, 31)), engine=db)["cases_online"]
    assert 4500 < v <= 4600


def test_n6_joint_actions(db):
    s = enforcement.summary(Scope(region=NJ, date_from=dt.date(2020, 9, 1), date_to=dt.date(2021, 3, 31)), engine=db)
    assert s["joint_actions"] == 63


def test_n7_work_orders_2020_1400_plus(db):
    v = enforcement.work_orders(Scope(region=NJ, date_from=dt.date(2020, 1, 1), date_to=dt.date(2020, 12, 31)),
                                engine=db)["total"]
    assert 1400 < v <= 1500


def test_n8_grids(db):
    g = grids.summary(Scope(region=NJ), engine=db)
    assert (g["zongzhi"], g["yingji"], g["anquan"]) == (12000, 1780, 16000)


def test_n9_enterprises_filed_400k_plus(db):
    v = grids.summary(Scope(region=NJ), engine=db)["enterprises_filed"]
    assert 400000 < v <= 405000


def test_n10_credit_rated_enterprises_and_industries(db):
    d = credit.distribution(Scope(region=NJ), engine=db)
    assert (d["rated"], d["sectors"]) == (9306, 11)
    assert d["green"] + d["blue"] + d["yellow"] + d["red"] == 9306


def test_y1_campaign_checklist(db):
    camps = enforcement.campaigns(Scope(region=YC), engine=db)
    yc = camps[camps["city_adcode"] == YC]
    assert len(yc) == 1
    p = enforcement.campaign_profile(int(yc.iloc[0]["id"]), Scope(region=YC), engine=db)
    assert (p["key_industries"], p["common_items"], p["individual_items"], p["departments"]) == (21, 14, 116, 19)


@pytest.mark.parametrize("as_of", [None, BULLETIN])
def test_y2_to_y5_january_february(db, as_of):
    s = enforcement.summary(Scope(**YC_PERIOD, as_of=as_of), engine=db)
    assert s["enterprises_inspected"] == 11703
    assert s["hazards_found"] == 22509
    assert s["suspensions"] == 77
    assert s["cases_filed"] == 798


def test_y6_exposures_punishments_blacklist_campaign_to_date(db):
    s = enforcement.summary(Scope(region=YC, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 3, 13)), engine=db)
    assert 100 < s["exposures"] <= 110
    assert s["joint_punishments"] == 3
    assert s["blacklisted"] == 2


def test_s1_to_s4_risk_reports_as_of_bulletin(db):
    c = risk.completion(Scope(**SQ_ASOF), engine=db)
    assert c["completed"] == 385
    assert c["required"] == 1720
    assert c["completion_rate"] == 22.4
    assert (c["risks_major_or_above"], c["risks_major"]) == (1019, 56)


def test_s1_grows_after_the_bulletin(db):
    """Reports submitted before the cut-off but recorded after it count only later (as-of semantics)."""
    later = risk.completion(Scope(region=SQ), engine=db)
    assert later["completed"] > 385 and later["required"] == 1720


def test_s5_training(db):
    t = risk.training(Scope(region=SQ, date_from=dt.date(2020, 12, 1), date_to=dt.date(2021, 3, 31)), engine=db)
    assert 60 < t["sessions"] <= 70
    assert 4000 < t["participants"] <= 4300
