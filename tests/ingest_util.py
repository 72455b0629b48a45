"""A small monitoring network in its own database, for ingest and feed tests (they write; the seeded demo
databases of the ``db`` fixture stay untouched)."""
from __future__ import annotations

import datetime as dt
import os

from sqlalchemy import delete, insert, select

from queries import db as dbmod
from queries import ingest as I
from seed import schema as S

T0 = dt.datetime.now().replace(microsecond=0) - dt.timedelta(hours=1)
CITY, COUNTY = 320100, 320102
# code, kind, unit, normal, low, high, high-high
POINTS = [
    ("MPT0001", "temperature", "℃", 85.0, 20.0, 120.0, 150.0),
    ("MPT0002", "gas_toxic", "ppm", 1.0, None, 10.0, 20.0),
    ("MPT0003", "gas_flammable", "%LEL", 2.0, None, 20.0, 40.0),
    ("MPT0004", "level", "%", 55.0, 10.0, 85.0, 95.0),
    ("MPT0005", "pressure", "MPa", 0.8, 0.05, 1.2, 1.6),
]


def build(url: str, extra_points: int = 0) -> object:
    """Migrate an empty database and add 2 enterprises, 2 hazard sources and their points (all normal at T0)."""
    from seed.migrate import upgrade

    eng = dbmod.get_engine(url)
    upgrade(eng)
    with eng.begin() as c:
        for t in reversed(S.metadata.sorted_tables):
            c.execute(delete(t))
        scope = dict(city_adcode=CITY, county_adcode=COUNTY, industry_code="C26", sector_code="chem")
        for eid in (1, 2):
            c.execute(insert(S.enterprises).values(
                id=eid, uscc=f"91320100TEST0000{eid}X"[:18], name=f"测试{eid}号化工有限公司", **scope, above_scale=True,
                is_key=True, lon=118.8, lat=32.0, grid_id=None, established_on=dt.date(2010, 1, 1), recorded_at=T0))
            c.execute(insert(S.hazard_sources).values(
                id=eid, enterprise_id=eid, code=f"HSTEST{eid}", name="罐区1号", level=2, r_value=60.0, **scope,
                online_since=dt.date(2020, 1, 1), recorded_at=T0))
        rows, state = [], []
        for i, (code, kind, unit, normal, lo, hi, hh) in enumerate(POINTS, start=1):
            rows.append(dict(id=i, hazard_source_id=1, enterprise_id=1, code=code, name=f"{kind}{i:03d}", kind=kind,
                             unit=unit, normal_value=normal, low_alarm=lo, high_alarm=hi, high_high_alarm=hh, **scope,
                             recorded_at=T0))
        for j in range(extra_points):
            pid = len(POINTS) + 1 + j
            code, kind, unit, normal, lo, hi, hh = POINTS[j % len(POINTS)]
            rows.append(dict(id=pid, hazard_source_id=2, enterprise_id=2, code=f"MPX{pid:07d}", name=f"{kind}{pid:05d}",
                             kind=kind, unit=unit, normal_value=normal, low_alarm=lo, high_alarm=hi,
                             high_high_alarm=hh, **scope, recorded_at=T0))
        c.execute(insert(S.monitoring_points), rows)
        for r in rows:
            state.append(dict(point_id=r["id"], value=r["normal_value"], status="normal", reading_at=T0, updated_at=T0))
        c.execute(insert(S.point_state), state)
        c.execute(insert(S.seed_runs).values(scale="test", seed=0, started_at=T0, anchor_at=T0, seconds=0, rows=0))
    if eng.dialect.name == "postgresql":
        with eng.begin() as c:
            for t in ("warnings", "sms_pushes"):
                c.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), 1, false)")
    dbmod._ready.add(str(eng.url))
    I.forget_points()
    return eng


def reset(eng) -> None:
    """Back to the state ``build`` left: no readings, warnings or their steps, every point normal at T0."""
    with eng.begin() as c:
        for t in (S.warning_steps, S.sms_pushes, S.warnings, S.readings, S.point_counts):
            c.execute(delete(t))
        c.execute(S.point_state.update().values(status="normal", reading_at=T0, updated_at=T0))
    I.forget_points()


def count(eng, table) -> int:
    from sqlalchemy import func

    with eng.connect() as c:
        return c.execute(select(func.count()).select_from(table)).scalar()


def rows(eng, stmt) -> list[dict]:
    with eng.connect() as c:
        return [dict(r) for r in c.execute(stmt).mappings()]


def drop(url: str) -> None:
    """Dispose the engine of a throwaway database and remove it (best effort)."""
    from tests.dbcache import remove_copy

    try:
        remove_copy(url)
    except Exception:  # noqa: BLE001 - best effort
        pass


def pg_available() -> bool:
    from sqlalchemy import create_engine, text

    try:
        e = create_engine(os.environ.get("OVERSIGHT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
                          connect_args={"connect_timeout": 3})
        with e.connect() as c:
            c.execute(text("SELECT 1"))
        e.dispose()
        return True
    except Exception:  # noqa: BLE001
        return False
