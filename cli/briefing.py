"""``oversight briefing``: the briefing draft (``queries.briefing``) written as DOCX, XLSX or CSV
(``queries.exports``), audited like a download from the workbench."""
from __future__ import annotations

import datetime as dt

from queries.briefing import build, scopes_for
from queries.regions import reference
from queries.scope import ScopeError


FORMATS = ("docx", "xlsx", "csv")


def register_cli(sub) -> None:
    s = sub.add_parser("briefing", help="a bulletin draft (DOCX) or the figures (XLSX, CSV) for regions and a period")
    s.add_argument("--region", action="append", help="region name or adcode (repeatable); default 江苏省")
    s.add_argument("--industry", help="industry or sector code or name")
    s.add_argument("--from", dest="date_from", help="period start, YYYY-MM-DD")
    s.add_argument("--to", dest="date_to", help="period end, YYYY-MM-DD")
    s.add_argument("--as-of", dest="as_of",
                   help="count only rows recorded by then (YYYY-MM-DD[ HH:MM[:SS]]); default: now, stated in the output")
    s.add_argument("--out", required=True, help="output file (.docx, .xlsx or .csv)")
    s.add_argument("--format", choices=FORMATS, help="output format; default from the --out extension")
    s.add_argument("--issue", default="", help="期号 of the bulletin, e.g. 第5期")
    s.add_argument("--date", dest="issue_date", help="印发日期 of the bulletin, YYYY-MM-DD; default: the as-of date")
    s.set_defaults(fn=cmd_briefing)


def cmd_briefing(args) -> int:
    import getpass
    import sys
    from pathlib import Path

    from queries import audit, exports
    from queries.db import ensure_database
    from queries.scope import parse_date, parse_datetime, parse_industry, parse_region

    out = Path(args.out)
    fmt = args.format or out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        print(f"error: unknown output format {fmt!r}: use --format docx|xlsx|csv or an --out file ending in one",
              file=sys.stderr)
        return 2
    from cli.output import out_refused, save_out

    if (rc := out_refused(out, make_parents=True)) is not None:
        return rc
    eng = ensure_database()
    try:
        ref = reference(eng)
        as_of = parse_datetime(args.as_of, "--as-of") or dt.datetime.now().replace(microsecond=0)
        regions = [parse_region(r, ref) for r in (args.region or [None])]
        scopes = scopes_for(regions, industry=parse_industry(args.industry, ref),
                            date_from=parse_date(args.date_from, "--from"), date_to=parse_date(args.date_to, "--to"),
                            as_of=as_of, binding=None, engine=eng)
        user = getpass.getuser()
        brief = build(scopes, engine=eng, issue_no=args.issue, issue_date=parse_date(args.issue_date, "--date"),
                      generated_by=user)
    except ScopeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    data = exports.render(fmt, brief)
    if (rc := save_out(out, data, make_parents=True)) is not None:
        return rc
    audit.record("export", user, exports.audit_detail(brief, fmt, source="cli", file=out.name), engine=eng)
    print(f"{out}: {fmt}, {len(data):,} bytes; {len(brief.sections)} region(s), {len(brief.figures)} figures, "
          f"period {brief.period_text()}, as of {brief.as_of_text()}")
    return 0
