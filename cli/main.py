"""``oversight``: the suite's command line (seed, migrate, figures, run, …).

Installed as the console script ``oversight`` by ``pyproject.toml``; also runnable as ``python -m cli``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import errno
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _json_default(v):
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    return str(v)


def cmd_migrate(args) -> int:
    from queries.db import get_engine
    from seed.migrate import upgrade

    upgrade(get_engine())
    print("database migrated to the newest schema")
    return 0


def cmd_seed(args) -> int:
    from tqdm import tqdm

    from queries.db import database_url, get_engine, is_seeded
    from seed.demo import seed_demo
    from seed.migrate import upgrade

    if args.scale != "demo":
        from cli.province import cmd_seed as seed_province

        return seed_province(args)
    eng = get_engine()
    upgrade(eng)
    if args.if_empty and is_seeded(eng):
        print("database already holds data; nothing to do")
        return 0
    print(f"seeding {eng.url.render_as_string(hide_password=True)} (scale={args.scale}, seed={args.seed}) …")
    bar = tqdm(desc="tables", unit="table", disable=not sys.stderr.isatty())

    def progress(table, n):
        bar.update(1)
        bar.set_postfix_str(f"{table}: {n:,}")

    from queries.accounts import production_mode

    if production_mode():
        print("production mode: the demo accounts are not created (manage accounts with `oversight users`)")
    summary = seed_demo(eng, seed=args.seed, progress=progress, users=not production_mode())
    bar.close()
    for t, n in sorted(summary["rows"].items(), key=lambda kv: -kv[1]):
        print(f"  {t:<22}{n:>12,}")
    print(f"{summary['total_rows']:,} rows in {summary['seconds']:.1f} s "
          f"(generation {summary['generate_s']:.1f} s); live data anchored at {summary['anchor']}")
    if database_url().startswith("sqlite"):
        path = database_url().split("///", 1)[1]
        print(f"database file: {path} ({os.path.getsize(path) / 2**20:.0f} MiB)")
    return 0


def _scope_from_args(args, engine):
    from queries.scope import Scope, ScopeError, parse_date, parse_datetime, parse_industry, parse_region
    from queries.regions import reference

    ref = reference(engine)
    regions = args.region or [None]
    scopes = []
    for r in regions:
        scopes.append(Scope(region=parse_region(r, ref), industry=parse_industry(args.industry, ref),
                            date_from=parse_date(args.date_from, "--from"), date_to=parse_date(args.date_to, "--to"),
                            as_of=parse_datetime(args.as_of, "--as-of")))
    return scopes, ScopeError


def cmd_figures(args) -> int:
    from queries import figures
    from queries.db import ensure_database
    from queries.scope import ScopeError

    eng = ensure_database()
    try:
        scopes, _ = _scope_from_args(args, eng)
        if args.format == "json":
            out = [figures.as_json(s, engine=eng) for s in scopes]
            print(json.dumps(out[0] if len(out) == 1 else out, ensure_ascii=False, indent=2, default=_json_default))
        else:
            for s in scopes:
                recs = figures.collect(s, engine=eng)
                from queries.scope import resolve

                d = resolve(s, eng).describe()
                print(f"### {d['region_name']} · {d['industry_name']} · {d['from'] or '…'} – {d['to'] or '…'}"
                      f"{' · 截至 ' + d['as_of'] if d['as_of'] else ''}\n")
                print("| key | 指标 | 数值 | 单位 | 方向 | 口径 |\n| --- | --- | ---: | --- | --- | --- |")
                for f in recs:
                    v = f.value
                    v = "" if v is None else (f"{v:,}" if isinstance(v, int) else v)
                    print(f"| {f.key} | {f.label} | {v} | {f.unit} | {figures.BETTER_NAMES[f.better]} | {f.definition} |")
                print()
    except ScopeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def cmd_info(args) -> int:
    from sqlalchemy import select

    from queries.db import database_url, ensure_database
    from seed.schema import seed_runs

    eng = ensure_database()
    with eng.connect() as c:
        r = c.execute(select(seed_runs).order_by(seed_runs.c.id.desc()).limit(1)).mappings().first()
    print(json.dumps({"database": database_url().split("@")[-1], "seed_run": dict(r) if r else None},
                     ensure_ascii=False, indent=2, default=_json_default))
    return 0


# Modules that add their own subcommands: each defines ``register_cli(subparsers)``; the handlers they set with
# ``set_defaults(fn=...)`` return an exit status. A module that does not exist (yet) is skipped.
CLI_MODULES = ("cli.feed", "cli.briefing", "cli.users", "cli.roles", "cli.bench", "cli.imports",
               "cli.loadtest")


def _register_extensions(sub) -> None:
    import importlib
    import importlib.util

    for name in CLI_MODULES:
        if importlib.util.find_spec(name) is None:
            continue
        mod = importlib.import_module(name)
        mod.register_cli(sub)


# Writing the standard output failed (`oversight figures > /dev/full`, a closed pipe): a message, not a traceback.
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EPIPE, errno.EIO, errno.EROFS, errno.EBADF}


def _output_failed(e: OSError) -> int:
    from cli.output import reason_zh

    try:  # what is still buffered would fail again at exit: send it nowhere
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
    if e.errno != errno.EPIPE:  # a reader that went away (`| head`) wanted no more: end quietly
        print(f"error: 无法写出结果（{reason_zh(e)}）", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="oversight", description="Jiangsu safety-supervision oversight suite")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("migrate", help="apply Alembic migrations to OVERSIGHT_DB_URL (or the embedded SQLite)")
    s.set_defaults(fn=cmd_migrate)

    s = sub.add_parser("seed", help="(re)build the deterministic demo data in one transaction")
    s.add_argument("--scale", default="demo", choices=["demo", "province", "province3"],
                   help="province3: three times the province's enterprises and inspections, the same readings")
    s.add_argument("--seed", type=int, default=20210313)
    s.add_argument("--if-empty", action="store_true", help="only seed a database that holds no data yet")
    s.add_argument("--fraction", type=float, default=1.0,
                   help="province scale only: generate this share of the rows (a quick dry run)")
    s.set_defaults(fn=cmd_seed)

    s = sub.add_parser("figures", help="headline figures of every topic for a scope")
    s.add_argument("--region", action="append", help="region name or adcode (repeatable); default 江苏省")
    s.add_argument("--industry", help="industry or sector code or name")
    s.add_argument("--from", dest="date_from", help="period start, YYYY-MM-DD")
    s.add_argument("--to", dest="date_to", help="period end, YYYY-MM-DD")
    s.add_argument("--as-of", dest="as_of", help="count only rows recorded by then (YYYY-MM-DD[ HH:MM])")
    s.add_argument("--format", choices=["json", "markdown"], default="json")
    s.set_defaults(fn=cmd_figures)

    s = sub.add_parser("info", help="which database, and when its demo data were built")
    s.set_defaults(fn=cmd_info)

    _register_extensions(sub)

    args = p.parse_args(argv)
    t0 = time.perf_counter()
    try:
        rc = args.fn(args)
        sys.stdout.flush()
    except OSError as e:
        if e.errno not in _OUTPUT_ERRNOS:
            raise
        return _output_failed(e)
    if os.environ.get("OVERSIGHT_TIMING"):
        print(f"[{args.cmd}: {time.perf_counter() - t0:.2f} s]", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
