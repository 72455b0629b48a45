"""``oversight seed --scale province``: the province-scale data set (``seed.province``) with progress and a summary."""
from __future__ import annotations

import sys
import time

from seed.province import POINTS_PER_ENTERPRISE, READINGS_MINUTES, SCALES, profiles, seed_province


def cmd_seed(args) -> int:
    """``oversight seed --scale province|province3``: progress bars on a terminal, then rows and seconds per table."""
    import os

    from tqdm import tqdm

    from queries.accounts import production_mode
    from queries.db import database_url, get_engine, is_seeded
    from seed.migrate import upgrade

    fraction = getattr(args, "fraction", 1.0) or 1.0
    density = SCALES[args.scale]
    if not 0 < fraction <= 1:
        print("--fraction must be in (0, 1]", file=sys.stderr)
        return 2
    eng = get_engine()
    upgrade(eng)
    if args.if_empty and is_seeded(eng):
        print("database already holds data; nothing to do")
        return 0
    print(f"seeding {eng.url.render_as_string(hide_password=True)} (scale={args.scale}, fraction={fraction:g}, "
          f"seed={args.seed}) …", flush=True)
    tty = sys.stderr.isatty()
    bar = tqdm(desc="tables", unit="table", disable=not tty)

    def progress(table, n):
        bar.update(1)
        bar.set_postfix_str(f"{table}: {n:,}")
        if not tty:
            print(f"  loaded {table}: {n:,} rows ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)

    n_read = round(sum(p.hazard_enterprises for p in profiles(fraction)[0].values()) * POINTS_PER_ENTERPRISE
                   * READINGS_MINUTES)
    rbar = tqdm(desc="readings", unit="row", unit_scale=True, total=n_read, mininterval=2 if tty else 60,
                file=sys.stderr)
    t0 = time.perf_counter()
    summary = seed_province(eng, seed=args.seed, fraction=fraction, density=density, progress=progress,
                            users=not production_mode(), readings_bar=rbar)
    bar.close()
    rbar.close()
    for t, n in sorted(summary["rows"].items(), key=lambda kv: -kv[1]):
        print(f"  {t:<22}{n:>14,}")
    print(f"{summary['total_rows']:,} rows in {summary['seconds']:.0f} s: tables {summary['tables_s']:.0f} s "
          f"(generation {summary['generate_s']:.0f} s, derived columns {summary['derived_s']:.0f} s), readings {summary['readings_s']:.0f} s "
          f"({summary['rows'].get('readings', 0) / max(summary['readings_s'], 1e-9):,.0f} rows/s), "
          f"analyze {summary['analyze_s']:.0f} s; live data anchored at {summary['anchor']}")
    if database_url().startswith("sqlite"):
        path = database_url().split("///", 1)[1]
        print(f"database file: {path} ({os.path.getsize(path) / 2**20:,.0f} MiB)")
    return 0
