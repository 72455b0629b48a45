"""As-of reproducibility of the briefing: a record that happened inside the period but was recorded after the
cut-off leaves the figures "as of" the cut-off unchanged and shows up "as of now" — in the query layer, the page
(and its downloads), the CLI and every export format.

The late record (one inspection of a 盐城市 enterprise not inspected in January–February, with one hidden hazard,
on 2021-02-15, recorded 2021-03-20) goes into a throwaway copy of the SQLite test database; on PostgreSQL it is
inserted into the test database and deleted again at the end of the test.
"""
from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from sqlalchemy import delete, func, insert, select

from cli import main as oversight
from queries import briefing
from queries import db as dbmod
from queries.scope import Scope
from seed.schema import enterprises as E, hidden_hazards as H, inspections as IN
from tests.apptest_util import app, clear_caches
from tests.briefing_checks import (  # noqa: F401 - downloads is a fixture
    YC_SENTENCE, assert_calibration, downloads, figures_table, read, sentences_shown,
)

D1, D2 = dt.date(2021, 1, 1), dt.date(2021, 2, 28)
CUT = dt.datetime(2021, 3, 13, 23, 59, 59)
LATE_DAY, LATE_RECORDED = dt.date(2021, 2, 15), dt.datetime(2021, 3, 20, 9, 0)
# as of now the period lies in an earlier year than the cut-off: the sentence says "2021年1-2月份"
NOW_SENTENCE = "1-2月份，全市共检查企业11704家，排查隐患22510个，责令停产停业整顿77家，立案查处798起。"
FORMATS = ("docx", "xlsx", "csv")


def _insert_late(eng) -> tuple[int, int]:
    with eng.begin() as c:
        seen = select(IN.c.enterprise_id).where(IN.c.city_adcode == 320900, IN.c.inspected_on.between(D1, D2))
        ent = c.execute(select(E.c.id, E.c.city_adcode, E.c.county_adcode, E.c.industry_code, E.c.sector_code)
                        .where(E.c.city_adcode == 320900, E.c.id.not_in(seen)).order_by(E.c.id).limit(1)
                        ).mappings().one()
        iid = c.execute(select(func.max(IN.c.id))).scalar() + 1
        hid = c.execute(select(func.max(H.c.id))).scalar() + 1
        where = {k: ent[k] for k in ("city_adcode", "county_adcode", "industry_code", "sector_code")}
        c.execute(insert(IN).values(id=iid, campaign_id=None, enterprise_id=ent["id"], department="应急管理局",
                                    inspected_on=LATE_DAY, online=True, recorded_at=LATE_RECORDED, **where))
        c.execute(insert(H).values(id=hid, inspection_id=iid, enterprise_id=ent["id"], checklist_item_id=None,
                                   major=False, found_on=LATE_DAY, rectify_deadline=LATE_DAY + dt.timedelta(days=30),
                                   rectified_on=None, recorded_at=LATE_RECORDED, **where))
    return iid, hid


@pytest.fixture
def late(db, tmp_path, monkeypatch):
    """An engine whose data hold the late record; the CLI and the pages use it too."""
    clear_caches()
    if db.dialect.name == "sqlite":
        copy = tmp_path / "late.db"
        src, dst = sqlite3.connect(db.url.database), sqlite3.connect(copy)
        src.backup(dst)
        src.close()
        dst.close()
        eng = dbmod.get_engine(f"sqlite:///{copy}")
    else:
        eng = db
    iid, hid = _insert_late(eng)
    monkeypatch.setenv("OVERSIGHT_DB_URL", eng.url.render_as_string(hide_password=False))
    dbmod._ready.add(str(eng.url))
    try:
        yield eng
    finally:
        clear_caches()
        if eng is db:
            with eng.begin() as c:
                c.execute(delete(H).where(H.c.id == hid))
                c.execute(delete(IN).where(IN.c.id == iid))
        else:
            eng.dispose()
            dbmod.forget(str(eng.url))


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def test_query_layer(late):
    then = {f.key: f.value for f in briefing.region_figures(Scope(320900, None, D1, D2, CUT), engine=late)}
    now = {f.key: f.value for f in briefing.region_figures(Scope(320900, None, D1, D2, _now()), engine=late)}
    assert (then["enforcement.enterprises_inspected"], then["enforcement.hazards_found"]) == (11703, 22509)
    assert (now["enforcement.enterprises_inspected"], now["enforcement.hazards_found"]) == (11704, 22510)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_every_format(late, capsys, tmp_path, fmt):
    base = ["briefing", "--region", "盐城市", "--from", "2021-01-01", "--to", "2021-02-28"]
    assert oversight.main(base + ["--as-of", "2021-03-13", "--out", str(tmp_path / f"then.{fmt}")]) == 0
    assert oversight.main(base + ["--out", str(tmp_path / f"now.{fmt}")]) == 0  # no --as-of: now
    capsys.readouterr()
    assert_calibration(fmt, (tmp_path / f"then.{fmt}").read_bytes(), regions=("盐城市",))
    values, text = read(fmt, (tmp_path / f"now.{fmt}").read_bytes(), ["盐城市"])
    assert values[("盐城市", "enforcement.enterprises_inspected")] == 11704
    assert values[("盐城市", "enforcement.hazards_found")] == 22510
    assert NOW_SENTENCE in text and YC_SENTENCE not in text


def test_page_and_its_downloads(late, downloads):
    params = {"regions": "320900", "from": "2021-01-01", "to": "2021-02-28"}
    at = app("briefing", "writer", params={**params, "as_of": CUT.isoformat(sep=" ")})
    assert not at.exception, at.exception
    assert YC_SENTENCE in sentences_shown(at)
    assert figures_table(at)[("盐城市", "enforcement.enterprises_inspected")]["数值"] == "11703"
    assert len(downloads) == 3
    for name, make in list(downloads.items()):
        assert_calibration(name.rsplit(".", 1)[1], make(), regions=("盐城市",))
    downloads.clear()

    at = app("briefing", "writer", params={**params, "as_of": _now().isoformat(sep=" ")})
    assert not at.exception, at.exception
    assert any(s.endswith(NOW_SENTENCE) for s in sentences_shown(at))
    assert figures_table(at)[("盐城市", "enforcement.hazards_found")]["数值"] == "22510"
    assert len(downloads) == 3
    for name, make in downloads.items():
        values, text = read(name.rsplit(".", 1)[1], make(), ["盐城市"])
        assert values[("盐城市", "enforcement.enterprises_inspected")] == 11704 and NOW_SENTENCE in text
