"""``oversight users add|disable|enable|reset-password|set-role|unlock|sign-out|list`` and
``oversight check-production``.

Disabling, a new password, a new role or region and ``sign-out`` end every session of the account (its sign-in
cookies stop working at the next page run)."""
from __future__ import annotations

import getpass
import sys


class PasswordInputError(ValueError):
    """No password could be read (no terminal, end of input); the message is Chinese."""


def _password(args) -> str:
    if args.password_stdin:
        line = sys.stdin.readline() if sys.stdin is not None else ""
        if not line.strip():
            raise PasswordInputError("标准输入中没有密码：--password-stdin 从标准输入的第一行读取新密码")
        return line.rstrip("\r\n")
    if sys.stdin is None or not sys.stdin.isatty():
        raise PasswordInputError("没有终端，无法交互输入密码：请在终端中运行，或用 --password-stdin 从标准输入读取新密码")
    try:
        pw = getpass.getpass("新密码 / new password: ")
        if getpass.getpass("再次输入 / repeat: ") != pw:
            raise PasswordInputError("两次输入的密码不一致")
    except (EOFError, KeyboardInterrupt):
        raise PasswordInputError("密码输入已中断，未做任何修改") from None
    return pw


def _engine():
    from queries.db import ensure_database

    return ensure_database(seed_if_empty=False)


def cmd_users(args) -> int:
    from queries import accounts
    from queries.regions import reference

    eng = _engine()
    by = getpass.getuser()
    try:
        if args.action == "list":
            ref = reference(eng)
            print(f"{'username':<20}{'role':<8}{'region':<10}{'active':<8}{'demo':<6}name")
            for u in accounts.list_users(engine=eng):
                region = ref.name(u["region_adcode"]) if u["region_adcode"] else "全省"
                print(f"{u['username']:<20}{u['role']:<8}{region:<10}{str(bool(u['active'])):<8}"
                      f"{str(bool(u['demo'])):<6}{u['display_name']}")
            return 0
        if not args.username:
            print("error: username required", file=sys.stderr)
            return 2
        region = None
        if args.region:
            from queries.scope import parse_region

            region = parse_region(args.region, reference(eng))
        if args.action == "add":
            accounts.add_user(args.username, args.name or args.username, args.role or "leader", _password(args),
                              region=region, engine=eng, by=by)
        elif args.action == "disable":
            accounts.set_active(args.username, False, engine=eng, by=by)
        elif args.action == "enable":
            accounts.set_active(args.username, True, engine=eng, by=by)
        elif args.action == "reset-password":
            accounts.reset_password(args.username, _password(args), engine=eng, by=by)
        elif args.action == "set-role":
            if not args.role:
                print("error: --role required (and --region for roles city and officer)", file=sys.stderr)
                return 2
            accounts.set_role(args.username, args.role, region=region, engine=eng, by=by)
        elif args.action == "unlock":
            accounts.unlock(args.username, engine=eng, by=by)
        elif args.action == "sign-out":
            accounts.end_sessions(args.username, engine=eng, by=by)
    except (accounts.AccountError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"ok: {args.action} {args.username}")
    return 0


def _check(args) -> int:
    import os

    from queries import accounts

    eng = _engine()
    problems = accounts.production_problems(os.environ.get("OVERSIGHT_COOKIE_KEY"), engine=eng)
    for p in problems:
        print(f"problem: {p}", file=sys.stderr)
    if not problems:
        print("ok: ready for production mode")
    return 1 if problems else 0


def register_cli(sub) -> None:
    p = sub.add_parser("users", help="manage sign-in accounts (bcrypt-hashed, in the database); disable, "
                                     "reset-password, set-role and sign-out end the account's sessions")
    p.add_argument("action", choices=["add", "disable", "enable", "reset-password", "set-role", "unlock", "sign-out",
                                      "list"])
    p.add_argument("username", nargs="?")
    p.add_argument("--role", choices=["leader", "city", "officer", "duty", "writer", "admin"],
                   help="add (default leader) and set-role")
    p.add_argument("--region", help="binding: city or county name or adcode (required for role city: a city; "
                                    "for officer: a city or a county)")
    p.add_argument("--name", help="display name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    p.set_defaults(fn=cmd_users)
    p = sub.add_parser("check-production", help="exit 1 and list what stops a production start "
                                                "(cookie key missing, short or guessable; demo accounts)")
    p.set_defaults(fn=_check)
