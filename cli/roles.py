"""``oversight db-roles``: least-privilege PostgreSQL roles.

- the dashboards' role (reader): CONNECT, SELECT on every table except ``users.password_hash`` and the sign-in state
  (``failed_logins``, ``locked_until``), INSERT on ``audit_log`` for the events the pages write (page views,
  exports, handling steps and their refusals, deadline changes, by a row-level security policy); the handling of
  warnings (``queries.handling``): INSERT on ``warning_steps``, UPDATE of only the columns of ``warnings`` a step
  changes and of the deadlines in ``handling_deadlines`` (the admin's page writes through the apps' database URL,
  as the imports page does); 督办 (``queries.supervision``): INSERT on ``supervision_orders``,
  ``supervision_events`` and ``list_checks``, UPDATE of only the columns a reply, return or close changes
  (``ORDER_COLUMNS``) and of what a rectification notice and its follow-up add to a list check
  (``CHECK_COLUMNS``); nothing else can be edited;
- the sign-in role (signin): reads ``users`` (the password hashes), writes only the sign-in state and session
  version of ``users`` and appends sign-in events (login, login_failed, lockout, logout) to ``audit_log``;
- the writer role (feed, imports, migrations, seeding, ``oversight users``): all rights on the schema's tables and
  sequences.
Point the apps at the reader (``OVERSIGHT_DB_READ_URL`` and, for the apps' process, ``OVERSIGHT_DB_URL``), their
sign-in at the signin role (``OVERSIGHT_AUTH_DB_URL``), and the feed/imports/CLI at the writer. A reader can thus
neither lift a lock, nor sign anyone out or in, nor forge sign-in or account events, nor read a password hash.
``audit_log`` gets row-level security: roles not named here (other than its owner and superusers) can read it but
append nothing.
"""
from __future__ import annotations

import re
import sys

from sqlalchemy import Engine, text

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# users' columns the reader may read (not password_hash, failed_logins, locked_until)
READER_USER_COLUMNS = ("username", "display_name", "role", "region_adcode", "active", "demo", "created_at",
                       "session_version")
SIGNIN_STATE_COLUMNS = ("failed_logins", "locked_until", "session_version")
# what the dashboards append themselves (queries.handling.EVENTS: steps, refused steps, deadline changes)
APP_EVENTS = ("page_view", "export", "warning_step", "step_refused", "deadline_update", "deadline_refused",
              # queries.supervision.EVENTS: 督办 sent, replied, returned, closed, refused; list checks and refusals
              "duban_send", "duban_reply", "duban_return", "duban_close", "duban_refused", "list_check",
              "check_refused")
# the columns of warnings a handling step writes (queries.handling._values), and of the deadline table
STEP_COLUMNS = ("version", "acknowledged_at", "verified_at", "verify_result", "handled_at", "closed_at",
                "close_reason", "escalated_at", "touched_at")
DEADLINE_COLUMNS = ("ack_minutes", "verify_minutes", "close_minutes", "version", "updated_by", "updated_at")
# 督办 (queries.supervision): the columns of an order a reply, return or close changes; of a list check, what the
# notice and the follow-up add (the verification itself is an INSERT)
ORDER_COLUMNS = ("state", "version", "answered_at", "closed_at", "returned_count")
CHECK_COLUMNS = ("notice_no", "notice_deadline", "noticed_by", "rectified_on", "followed_by", "version", "updated_at")
SIGNIN_EVENTS = ("login", "login_failed", "lockout", "logout")


def _ident(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"invalid role name: {name!r}")
    return f'"{name}"'


def _policy(prefix: str, role: str) -> str:
    return _ident(f"{prefix}_{role}"[:63])


def _events(events: tuple[str, ...]) -> str:
    return ", ".join(f"'{e}'" for e in events)


def create_roles(engine: Engine, reader: str = "oversight_reader", writer: str = "oversight_writer",
                 reader_password: str | None = None, writer_password: str | None = None,
                 signin: str = "oversight_signin", signin_password: str | None = None) -> None:
    if engine.dialect.name != "postgresql":
        raise ValueError("database roles are a PostgreSQL feature")
    r, w, s = _ident(reader), _ident(writer), _ident(signin)
    with engine.begin() as c:
        db = c.execute(text("select current_database()")).scalar()
        for role, pw in ((reader, reader_password), (writer, writer_password), (signin, signin_password)):
            exists = c.execute(text("select 1 from pg_roles where rolname = :n"), {"n": role}).first()
            if not exists:
                c.execute(text(f"CREATE ROLE {_ident(role)} LOGIN"))
            if pw:
                # ALTER ROLE takes no bind parameters: quote the literal (single quotes doubled)
                c.execute(text(f"ALTER ROLE {_ident(role)} PASSWORD '" + pw.replace("'", "''") + "'"))
        d = '"' + db.replace('"', '""') + '"'
        c.execute(text(f"GRANT CONNECT ON DATABASE {d} TO {r}, {w}, {s}"))
        c.execute(text(f"GRANT USAGE ON SCHEMA public TO {r}, {s}"))
        c.execute(text(f"GRANT USAGE, CREATE ON SCHEMA public TO {w}"))
        # reader: every table, but of users only the columns that are no secret and no sign-in state (revoking a
        # table privilege revokes the column privileges of an earlier run too)
        c.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {r}, {s}"))
        c.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {r}"))
        c.execute(text(f"REVOKE SELECT ON users FROM {r}"))
        c.execute(text(f"GRANT SELECT ({', '.join(READER_USER_COLUMNS)}) ON users TO {r}"))
        c.execute(text(f"GRANT INSERT ON audit_log TO {r}"))
        c.execute(text(f"GRANT USAGE ON SEQUENCE audit_log_id_seq TO {r}"))
        # handling of warnings: the steps table, the columns a step changes, the deadlines
        c.execute(text(f"GRANT INSERT ON warning_steps TO {r}"))
        c.execute(text(f"GRANT USAGE ON SEQUENCE warning_steps_id_seq TO {r}"))
        c.execute(text(f"GRANT UPDATE ({', '.join(STEP_COLUMNS)}) ON warnings TO {r}"))
        c.execute(text(f"GRANT UPDATE ({', '.join(DEADLINE_COLUMNS)}) ON handling_deadlines TO {r}"))
        # 督办: new orders and their events, the columns a reply / return / close changes; list checks
        for table in ("supervision_orders", "supervision_events", "list_checks"):
            c.execute(text(f"GRANT INSERT ON {table} TO {r}"))
            c.execute(text(f"GRANT USAGE ON SEQUENCE {table}_id_seq TO {r}"))
        c.execute(text(f"GRANT UPDATE ({', '.join(ORDER_COLUMNS)}) ON supervision_orders TO {r}"))
        c.execute(text(f"GRANT UPDATE ({', '.join(CHECK_COLUMNS)}) ON list_checks TO {r}"))
        # signin: the users row (hash included), its sign-in state and session version, appends to audit_log
        c.execute(text(f"GRANT SELECT ON users TO {s}"))
        c.execute(text(f"GRANT UPDATE ({', '.join(SIGNIN_STATE_COLUMNS)}) ON users TO {s}"))
        c.execute(text(f"GRANT INSERT, SELECT (id) ON audit_log TO {s}"))  # id: INSERT … RETURNING id
        c.execute(text(f"GRANT USAGE ON SEQUENCE audit_log_id_seq TO {s}"))
        # writer
        c.execute(text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {w}"))
        c.execute(text(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {w}"))
        c.execute(text(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {r}"))
        c.execute(text(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO {w}"))
        c.execute(text(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO {w}"))
        # audit_log: which events each role may append (row-level security; the owner and superusers bypass it)
        c.execute(text("ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY"))
        policies = [
            ("oversight_audit_read", "FOR SELECT USING (true)"),
            (_policy("oversight_audit_app", reader),
             f"FOR INSERT TO {r} WITH CHECK (event IN ({_events(APP_EVENTS)}))"),
            (_policy("oversight_audit_signin", signin),
             f"FOR INSERT TO {s} WITH CHECK (event IN ({_events(SIGNIN_EVENTS)}))"),
            (_policy("oversight_audit_all", writer), f"FOR ALL TO {w} USING (true) WITH CHECK (true)"),
        ]
        for name, body in policies:
            name = name if name.startswith('"') else _ident(name)
            c.execute(text(f"DROP POLICY IF EXISTS {name} ON audit_log"))
            c.execute(text(f"CREATE POLICY {name} ON audit_log {body}"))


def _cmd(args) -> int:
    from queries.db import get_engine

    try:
        create_roles(get_engine(), args.reader, args.writer, args.reader_password, args.writer_password,
                     args.signin, args.signin_password)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"ok: roles {args.reader} (SELECT without password hashes + INSERT page views/exports/handling events "
          f"into audit_log + the handling of warnings: steps, their columns of warnings, deadlines + 督办 and list "
          f"checks), "
          f"{args.signin} (sign-in: password hashes, sign-in state, sign-in events) and {args.writer} (read/write)")
    return 0


def register_cli(sub) -> None:
    p = sub.add_parser("db-roles", help="create least-privilege PostgreSQL roles for the apps, their sign-in and "
                                        "the writers")
    p.add_argument("--reader", default="oversight_reader")
    p.add_argument("--writer", default="oversight_writer")
    p.add_argument("--signin", default="oversight_signin")
    p.add_argument("--reader-password")
    p.add_argument("--writer-password")
    p.add_argument("--signin-password")
    p.set_defaults(fn=_cmd)
