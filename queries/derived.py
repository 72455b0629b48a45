"""When the query functions may use the derived columns (``seed.derived`` defines them and keeps them exact)."""
from __future__ import annotations

import datetime as dt
import os

from sqlalchemy import Engine, Table, func, select

from queries.base import row


def enabled() -> bool:
    """``OVERSIGHT_DERIVED=0`` makes the query functions ignore the derived columns (to compare, or to rule
    them out)."""
    return os.environ.get("OVERSIGHT_DERIVED", "1").strip() not in ("0", "false", "no", "off")


def usable(rs, table: Table, engine: Engine) -> bool:
    """May a query over ``table`` for the resolved scope ``rs`` use the derived columns? Yes unless the scope
    is "as of" a time before the table's newest recorded row (then rows it must not see shaped them)."""
    if not enabled():
        return False
    if rs.as_of is None:
        return True
    newest = row(select(func.max(table.c.recorded_at).label("t")), engine).get("t")
    if newest is None:
        return True
    if isinstance(newest, str):
        newest = dt.datetime.fromisoformat(newest)
    return rs.as_of >= newest
