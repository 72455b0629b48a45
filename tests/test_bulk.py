"""The SQLite bulk loader writes DateTime values exactly as SQLAlchemy itself would (the pages read them back
through SQLAlchemy and compare them as text in SQL)."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy.dialects import sqlite

from seed.bulk import _sqlite_datetime


def test_bulk_datetimes_are_written_as_sqlalchemy_writes_them():
    bind = sqlite.DATETIME().bind_processor(sqlite.dialect())
    rnd = random.Random(7)
    values = [dt.datetime(2021, 5, 1), dt.datetime(2021, 5, 31, 23, 59, 59, 999999), dt.datetime(1999, 1, 2, 3, 4, 5, 6),
              dt.datetime(2021, 5, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8))), dt.date(2021, 5, 1), None]
    values += [dt.datetime(2000, 1, 1) + dt.timedelta(seconds=rnd.uniform(0, 3e9)) for _ in range(2000)]
    for v in values:
        assert _sqlite_datetime(v) == bind(v), v
