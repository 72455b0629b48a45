"""需关注 (queries/attention.py): every item's figure is the topic module's own for the same scope, the items follow
the rule printed on the overview, and what the database supplies (a campaign's name) shows as text."""
from __future__ import annotations

import datetime as dt

import pytest

from queries import attention, change, enforcement, handling, risk, supervision
from queries.overview import standing_scope
from queries.scope import Scope
from pages.common import plain
from tests.apptest_util import app, clear_caches
from tests.derived_util import demo_now  # noqa: F401 - sets NOW

PERIOD = dict(date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 6, 30))
NOW = dt.datetime.min  # set for each test by demo_now (tests/derived_util.py): after the demo data's newest warning


def _all(scope, db):
    return attention.attention(scope, engine=db, now=NOW, limit=100)


@pytest.mark.parametrize("region", [320000, 320900, 320923])
def test_items_are_the_topic_figures_in_the_stated_order(db, region, monkeypatch):
    monkeypatch.setattr(attention, "PER_KIND", 100)  # every candidate, to compare with the topic figures
    s = Scope(region=region, **PERIOD)
    items = _all(s, db)
    kinds = [i.kind for i in items]
    assert kinds == sorted(kinds, key=attention.KINDS.index)  # kinds by urgency
    for k in set(kinds):  # within a kind: the largest deviation first
        sev = [i.severity for i in items if i.kind == k]
        assert sev == sorted(sev, reverse=True)

    t = handling.timeliness(s, engine=db, now=NOW)
    overdue = [i for i in items if i.kind == "warnings_overdue"]
    assert bool(overdue) == bool(t["overdue"])
    if overdue:
        assert f"{t['overdue']:,} 条预警" in overdue[0].text
    sv = supervision.summary(standing_scope(s), engine=db, now=NOW)
    assert [i.severity for i in items if i.kind == "supervision_overdue"] == ([float(sv["overdue"])] if sv["overdue"]
                                                                              else [])
    camps = enforcement.campaigns(s, engine=db)
    behind = sorted(round(float(a) - float(b), 1) for a, b, late in
                    zip(camps["time_pct"], camps["progress_pct"], camps["behind"]) if late)
    assert sorted(i.severity for i in items if i.kind == "campaign_behind") == behind
    rk = risk.completion(s, engine=db)
    assert rk["days_to_deadline"] < 0  # the demo data's view is after the 2021-05-01 deadline
    if region != 320923:
        by = risk.by_region(s, engine=db)
        low = by[(by["required"] > 0) & (by["completion_rate"] < 100)].sort_values("completion_rate")
        got = [i for i in items if i.kind == "risk_incomplete"]
        assert [i.params["region"] for i in got] == [int(a) for a in low["adcode"]]
        assert [i.severity for i in got] == [round(100 - float(r), 1) for r in low["completion_rate"]]
    red = change.changes(s, ("credit.red",), engine=db, now=NOW)["credit.red"]
    up = [i for i in items if i.kind == "credit_red_up"]
    assert bool(up) == (red.prev is not None and red.value > red.prev)
    if up:
        assert f"{red.value:,} 家" in up[0].text and up[0].severity == red.value - red.prev


def test_the_list_is_short_and_mixes_kinds(db, monkeypatch):
    s = Scope(region=320000, **PERIOD)
    items = attention.attention(s, engine=db, now=NOW)
    assert 0 < len(items) <= attention.LIMIT
    for k in {i.kind for i in items}:
        assert sum(i.kind == k for i in items) <= attention.PER_KIND
    # the cap keeps later kinds: more risk regions than the cap exist, yet a later kind still shows
    monkeypatch.setattr(attention, "PER_KIND", 100)
    every = _all(s, db)
    assert sum(i.kind == "risk_incomplete" for i in every) > attention.LIMIT
    assert any(i.kind == "credit_red_up" for i in items)
    assert items == sorted(items, key=lambda i: i.order)


def test_offline_points_beyond_the_threshold_are_listed(db, monkeypatch):
    from queries import hazards

    s = Scope(region=320000, **PERIOD)
    by = hazards.by_region(s, engine=db)
    share = {int(a): o * 100.0 / p for a, o, p in zip(by["adcode"], by["points_offline"], by["points"]) if p}
    worst = max(share, key=share.get)
    monkeypatch.setattr(attention, "OFFLINE_SHARE", share[worst] - 1e-6)  # just below the worst region's share
    got = [i for i in _all(s, db) if i.kind == "points_offline"]
    assert [i.params["region"] for i in got] == [worst] and got[0].page == "hazards.py"
    monkeypatch.setattr(attention, "OFFLINE_SHARE", 100.0)
    assert not [i for i in _all(s, db) if i.kind == "points_offline"]


HOSTILE = ["**粗体**[链接](http://evil.example/x)", "<img src=x onerror=alert(1)>", "=HYPERLINK(\"http://e\")",
           ":red[红字] $x^2$ `code`"]


@pytest.mark.engines("sqlite")
def test_the_overview_lists_the_items_as_text_with_links(db, monkeypatch):
    items = [attention.Item("campaign_behind", f"江苏省“{h}”完成进度 1.0%。", "enforcement.py", 9.0 - n)
             for n, h in enumerate(HOSTILE)]
    items.append(attention.Item("risk_incomplete", "盐城市风险报告完成上报率 90.0%。", "risk.py", 10.0,
                                {"region": 320900}))
    def fake(scope, engine=None):
        return items

    fake.__module__, fake.__name__ = attention.__name__, "attention"  # what the page's cached call looks up
    monkeypatch.setattr(attention, "attention", fake)
    clear_caches()
    try:
        at = app("leadership", "leader")
        assert not at.exception, at.exception
        md = [m.value for m in at.markdown]
        assert "#### 需关注" in md
        shown = [v for v in md if v[:1].isdigit() and "\\." in v[:4]]
        assert len(shown) == len(items)
        # each item as literal text (pages.common.plain escapes every markdown construct: tests/test_hostile_names.py)
        assert shown == [f"{n}\\. {plain(i.text)}" for n, i in enumerate(items, start=1)]
        assert all("](" not in v for v in shown)
        assert any(attention.RULE[:12] in c.value for c in at.caption)
    finally:
        clear_caches()


def test_a_view_as_of_a_time_before_any_data_has_nothing_to_flag(db):
    """As of a time before anything was registered (a URL's as_of=2000-01-01): every topic empty, no error."""
    from queries import hazards

    s = Scope(region=320000, as_of=dt.datetime(2000, 1, 1))
    by = hazards.by_region(s, engine=db)
    assert len(by) == 13 and by["points"].sum() == 0 and by["hazard_enterprises"].sum() == 0
    assert [i.kind for i in attention.attention(s, engine=db, now=NOW)] in ([], ["supervision_overdue"])
