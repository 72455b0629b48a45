"""What every write made by a person shares (handling steps, 督办, list checks): who acts, how a write that was not
carried out says why, and the audited refusal.

A write either happens whole (one transaction with its event row and its audit entry) or raises one of these, with
the Chinese message as ``str(e)`` and nothing written:

- ``InvalidInput``: bad input (missing, empty, over-long, malformed);
- ``NotPermitted``: the actor's role may not take this action (audited);
- ``OutOfScope``: the target does not exist or is outside the actor's region (audited; one message for both, so
  a crafted id tells nothing);
- ``Conflict``: the target moved since the page drew it (``reason='stale'``) or is not in the state the action
  needs; ``current`` is the target now;
- ``WriteFailed``: the database failed in the middle (unreachable, locked, …).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from queries import audit
from queries.scope import ScopeError

DB_FAILED = "数据库暂时无法完成本次操作，请稍后重试"


@dataclass(frozen=True)
class Actor:
    username: str
    role: str
    binding: int | None = None  # the account's region (None: the whole province)


def actor_of(user: Any) -> Actor:
    """The actor of a signed-in user (any object with ``username``, ``role`` and ``binding``)."""
    return Actor(str(user.username), str(user.role), getattr(user, "binding", None))


class WriteError(ValueError):
    """A write that was not carried out; ``str(e)`` is the Chinese message."""


class InvalidInput(WriteError):
    """Bad input: nothing was written."""


class NotPermitted(WriteError):
    """The actor's role may not take this action (audited)."""


class OutOfScope(WriteError, ScopeError):
    """The target does not exist or is not visible to the actor (audited; one message for both)."""


class Conflict(WriteError):
    """The target moved since the page drew it (``reason='stale'``) or is not in the state the action needs.
    Nothing was written; ``current`` is the target now."""

    def __init__(self, message: str, current: dict | None, reason: str):
        super().__init__(message)
        self.current = current
        self.reason = reason


class WriteFailed(WriteError):
    """The database failed in the middle: nothing was written."""


def refuse(eng: Engine, actor: Actor, event: str, detail: dict, now: dt.datetime) -> None:
    """The audit entry of a refused write (``detail`` plus the actor's role and binding); a database that cannot
    take it either raises ``WriteFailed``."""
    try:
        audit.record(event, actor.username, {**detail, "role": actor.role, "binding": actor.binding}, engine=eng,
                     at=now)
    except DBAPIError as e:
        raise WriteFailed(DB_FAILED) from e
