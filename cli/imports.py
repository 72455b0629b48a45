"""``oversight template KIND OUT.xlsx`` and ``oversight import KIND FILE [--dry-run]``: the cities' spreadsheets.

Exit codes of ``import``: 0 imported (or a dry run that would import), 1 the file was rejected (every problem is
printed by row and column; nothing was written), 3 the database could not take it (unreachable or locked; nothing
was written), 2 bad arguments. ``template``: 0 written, 2 the output cannot be a file there, 1 writing it failed.
"""
from __future__ import annotations

import getpass
import sys
from pathlib import Path

from queries.intake import KINDS, FileError, ImportRefused, import_file, read_path, template_bytes
from cli.output import out_refused, save_out

MAX_PRINTED = 200


def cmd_template(args) -> int:
    out = Path(args.out or f"{args.kind}-template.xlsx")
    if out.suffix.lower() != ".xlsx":
        print("error: 模板是 Excel 文件，输出文件名应以 .xlsx 结尾", file=sys.stderr)
        return 2
    if (rc := out_refused(out)) is not None or (rc := save_out(out, template_bytes(args.kind))) is not None:
        return rc
    k = KINDS[args.kind]
    print(f"wrote {out} ({k.title}: {len(k.columns)} columns, "
          f"{sum(c.required for c in k.columns)} required)")
    return 0


def _importer(args, engine) -> tuple[str, int | None] | None:
    if not args.user:
        return f"cli:{getpass.getuser()}", None
    from queries.accounts import list_users

    u = next((u for u in list_users(engine=engine) if u["username"] == args.user and u["active"]), None)
    if u is None:
        print(f"error: 没有名为 {args.user!r} 的有效账号", file=sys.stderr)
        return None
    if u["role"] not in ("admin", "city"):
        print(f"error: 账号 {args.user!r}（角色 {u['role']}）无权导入数据", file=sys.stderr)
        return None
    return u["username"], u["region_adcode"]


def cmd_import(args) -> int:
    from queries.db import ensure_database

    try:
        data, name = read_path(args.file)
    except FileError as e:
        print(f"拒绝导入：{e}", file=sys.stderr)
        return 1
    from sqlalchemy.exc import DBAPIError

    from queries.intake.core import db_problem_zh

    try:
        engine = ensure_database(seed_if_empty=False)
        who = _importer(args, engine)
    except DBAPIError as e:  # the database is down or locked before the import began
        print(db_problem_zh(e), file=sys.stderr)
        return 3
    if who is None:
        return 2
    try:
        rep = import_file(args.kind, data, name, engine=engine, importer=who[0], region=who[1], dry_run=args.dry_run)
    except ImportRefused as e:
        print(str(e), file=sys.stderr)
        return 3 if e.transient else 1
    if rep.previous and rep.ok:
        print(f"note: the same file (SHA-256 {rep.sha256[:12]}…) was imported on {rep.previous['imported_at']} "
              f"by {rep.previous['importer']} (batch {rep.previous['id']})")
    if not rep.ok:
        print(f"{KINDS[args.kind].title} {name}: {rep.summary_zh()}", file=sys.stderr)
        print(f"{'行':>6}  {'列':<16}问题", file=sys.stderr)
        for p in rep.problems[:MAX_PRINTED]:
            print(f"{p.row:>6}  {p.column or '-':<16}{p.message}", file=sys.stderr)
        if rep.problem_total > MAX_PRINTED:
            print(f"… and {rep.problem_total - MAX_PRINTED} more", file=sys.stderr)
        return 1
    print(f"{KINDS[args.kind].title} {name}: {rep.summary_zh()}"
          + (f" 批次 {rep.batch_id}" if rep.batch_id else ""))
    return 0


def register_cli(sub) -> None:
    kinds = list(KINDS)
    p = sub.add_parser("template", help="write the Excel template of a kind of city file")
    p.add_argument("kind", choices=kinds)
    p.add_argument("out", nargs="?", help="output .xlsx (default KIND-template.xlsx)")
    p.set_defaults(fn=cmd_template)
    p = sub.add_parser("import", help="validate and import a city file (.xlsx or .csv) in one transaction")
    p.add_argument("kind", choices=kinds)
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
    p.add_argument("--user", help="import as this account (admin, or a city account limited to its region); "
                                  "default: cli:<os user>, whole province")
    p.set_defaults(fn=cmd_import)
