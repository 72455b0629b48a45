"""The audit log (``audit_log``): who did what, when. Written by the apps and the CLI, never editable from them.

``record`` is the only write; it goes to the primary database (``OVERSIGHT_DB_URL``), not to a read replica.
``detail`` is stored as JSON text.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Engine, insert, select

from queries import db
from seed.schema import audit_log as A

EVENTS = ("login", "logout", "login_failed", "lockout", "page_view", "export")  # and the account events of
# queries.accounts (password_reset, user_unlock, …)


def _json_default(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    return str(v)


def append(conn, event: str, username: str | None, detail: dict | str, at: dt.datetime | None = None) -> None:
    """Append one entry inside the caller's transaction (so it commits or rolls back with what it records)."""
    if not event or len(event) > 16:
        raise ValueError(f"invalid audit event: {event!r}")
    text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False, default=_json_default)
    conn.execute(insert(A).values(at=(at or dt.datetime.now()).replace(microsecond=0),
                                  username=(username or None) and str(username)[:32], event=event, detail=text))


def record(event: str, username: str | None, detail: dict | str, *, engine: Engine | None = None,
           at: dt.datetime | None = None) -> None:
    """Append one entry to the audit log in its own transaction (``at`` defaults to now)."""
    eng = engine or db.get_engine()
    with eng.begin() as conn:
        append(conn, event, username, detail, at)


def recent(*, event: str | None = None, username: str | None = None, since: dt.datetime | None = None,
           until: dt.datetime | None = None, limit: int = 100, engine: Engine | None = None) -> list[dict[str, Any]]:
    """The newest audit entries (``detail`` parsed back from JSON where it is JSON), newest first."""
    eng = engine or db.get_engine()
    stmt = select(A).order_by(A.c.id.desc()).limit(limit)
    if event:
        stmt = stmt.where(A.c.event == event)
    if username:
        from queries.base import clean_text

        stmt = stmt.where(A.c.username == clean_text(username, 32))
    if since:
        stmt = stmt.where(A.c.at >= since)
    if until:
        stmt = stmt.where(A.c.at <= until)
    with eng.connect() as conn:
        rows = [dict(r) for r in conn.execute(stmt).mappings()]
    for r in rows:
        try:
            r["detail"] = json.loads(r["detail"])
        except (TypeError, ValueError):
            pass
    return rows
