"""Validate a file row by row, then write it in one transaction as an idempotent upsert by natural key.

``run_import`` is the one entry point (CLI, admin page, tests). It reads the file, checks every cell (``cells``),
checks what needs the database (enterprises, divisions, campaigns, the importer's region), and only when no row
has a problem writes everything inside one transaction: an ``import_batches`` row (file, SHA-256, importer,
time, counts), the rows themselves with ``import_id`` / ``import_row``, and an audit entry. A dry run does the
same and rolls back, so its counts are exactly what the import would do.

Scope: an importer bound to a region (a city account) writes only inside it. ``upsert`` — the one write by
natural key — refuses a row whose existing record, or whose new values, lie outside the importer's region
(``OutOfScope``): the file is refused with the same message as any other out-of-region row, nothing is written,
and the attempt is audited (``import_rejected``, also for a dry run). The scope columns a fact table copies from
its enterprise (city, county, industry, sector) are rewritten on every update, so a record re-pointed at another
enterprise counts where that enterprise is.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterable

from sqlalchemy import Engine, Table, and_, func, insert, select, tuple_, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from queries.audit import append as audit_append
from seed.schema import enterprises as E
from seed.schema import import_batches as B

from .cells import CellError, Col, FileError, normalise_header, parse_cell, read_rows

MAX_PROBLEMS = 500
CHUNK = 500
ATTEMPTS = 3  # an import that collides with a concurrent one (unique violation) is validated and run again
# PostgreSQL: imports write their rows one at a time (each moving a maintained aggregate's cell, seed.cells) while
# holding their transaction; two at once could lock the same cells in opposite orders and deadlock. Their writing
# part takes this transaction-scoped advisory lock first, so imports write one after another.
IMPORT_WRITE_LOCK = 0x0A55_1A70
SCOPE_COLS = ("city_adcode", "county_adcode", "industry_code", "sector_code")
# one message for every row outside the importer's region (an enterprise, a county, or a record of another region
# under the same number), so a refusal never tells whether, or where, a number exists elsewhere
OUT_OF_SCOPE = "不在本账号管辖范围内（本账号只能导入、修改本地区的数据）"


@dataclass(frozen=True)
class Problem:
    row: int  # the row number as the user sees it in the file (header = 1)
    column: str  # the column's header ("" for the whole row / file)
    message: str


@dataclass
class Row:
    num: int
    v: dict[str, Any]  # typed values by column key (None where blank)
    x: dict[str, Any] = field(default_factory=dict)  # looked-up values (enterprise, campaign ...)


@dataclass
class Ctx:
    now: dt.datetime
    importer: str
    region: int | None  # the importer's binding (a city or county adcode), None = whole province
    batch_id: int | None = None

    @property
    def today(self) -> dt.date:
        return self.now.date()

    def provenance(self, row: Row) -> dict[str, Any]:
        return {"import_id": self.batch_id, "import_row": row.num}


@dataclass
class Kind:
    key: str  # enforcement | campaign-stats | risk-reports | credit | grids
    title: str  # Chinese name
    columns: list[Col]
    natural_key: tuple[str, ...]  # column keys identifying a row (duplicates inside a file are refused)
    check: Callable[[Any, list[Row], Ctx, "Problems"], None]  # database-dependent checks
    apply: Callable[[Any, list[Row], Ctx], list[str]]  # writes; returns inserted|updated|unchanged per row
    summary: str = ""
    extra_keys: tuple[tuple[str, ...], ...] = ()  # other keys that must be unique inside a file

    def col(self, key: str) -> Col:
        return next(c for c in self.columns if c.key == key)


class Problems:
    def __init__(self, kind: Kind):
        self.kind, self.items, self.total, self.bad_rows = kind, [], 0, set()
        self.out_of_scope = 0  # rows refused because they lie outside the importer's region

    def add(self, row: int, key_or_header: str, message: str) -> None:
        header = next((c.header for c in self.kind.columns if c.key == key_or_header), key_or_header)
        self.total += 1
        self.bad_rows.add(row)
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(row, header, message))

    def out_of_region(self, row: int, key: str) -> None:
        self.out_of_scope += 1
        self.add(row, key, OUT_OF_SCOPE)


@dataclass
class Report:
    kind: str
    file_name: str
    sha256: str
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_total: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    batch_id: int | None = None
    dry_run: bool = False
    committed: bool = False
    previous: dict | None = None  # an earlier import of the same file (same SHA-256)
    outcomes: dict[int, str] = field(default_factory=dict)  # row number -> inserted | updated | unchanged

    @property
    def ok(self) -> bool:
        return not self.problem_total

    def summary_zh(self) -> str:
        if not self.ok:
            return (f"文件未通过校验：{self.problem_total} 处问题，涉及 {len({p.row for p in self.problems})} 行；"
                    f"数据库未做任何改动。")
        verb = "预检（未写入）" if self.dry_run else "已导入"
        return (f"{verb}：共 {self.rows} 行，新增 {self.inserted}，更新 {self.updated}，未变化 {self.unchanged}。")


class ImportRefused(Exception):
    """The database could not take the import (unreachable, locked); nothing was written.

    ``transient``: the same file may well land if tried again later (exit status 3); otherwise the database
    refused something in the file itself (exit status 1)."""

    def __init__(self, message: str, *, transient: bool = True):
        super().__init__(message)
        self.transient = transient


class OutOfScope(Exception):
    """``upsert`` met rows outside the importer's region: ``rows`` are ``(row number, column key)``."""

    def __init__(self, rows: list[tuple[int, str]]):
        super().__init__(f"{len(rows)} row(s) outside the importer's region")
        self.rows = rows


# --- validation ----------------------------------------------------------------------------------------------

def map_header(kind: Kind, header: list[str], problems: Problems) -> dict[int, Col]:
    by_header = {normalise_header(c.header): c for c in kind.columns} | {c.key: c for c in kind.columns}
    index: dict[int, Col] = {}
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        if not h:
            continue
        col = by_header.get(h)
        if col is None:
            problems.add(1, h, f"未知列“{h}”（{kind.title}模板中没有这一列，请使用 oversight template 生成的模板）")
            continue
        if col.key in seen:
            problems.add(1, col.header, f"列重复（第 {seen[col.key] + 1} 列与第 {i + 1} 列）")
            continue
        seen[col.key] = i
        index[i] = col
    for c in kind.columns:
        if c.required and c.key not in seen:
            problems.add(1, c.header, "缺少必填列")
    return index


def parse_rows(kind: Kind, index: dict[int, Col], raw: list[tuple[int, list[Any]]], today: dt.date,
               problems: Problems) -> list[Row]:
    rows = []
    for num, cells in raw:
        v: dict[str, Any] = {c.key: None for c in kind.columns}
        for i, col in index.items():
            cell = cells[i] if i < len(cells) else None
            if cell is None or (isinstance(cell, str) and not cell.strip()):
                if col.required:
                    problems.add(num, col.key, "必填项为空")
                continue
            try:
                v[col.key] = parse_cell(cell, col, today)
            except CellError as e:
                problems.add(num, col.key, str(e))
        for i, cell in enumerate(cells):
            if i not in index and not (cell is None or (isinstance(cell, str) and not cell.strip())):
                problems.add(num, "", f"第 {i + 1} 列没有表头，却填了内容")
                break
        rows.append(Row(num, v))
    return rows


def check_duplicates(kind: Kind, rows: list[Row], problems: Problems) -> None:
    for key in (kind.natural_key, *kind.extra_keys):
        first: dict[tuple, int] = {}
        for r in rows:
            k = tuple(r.v[c] for c in key)
            if any(x is None for x in k):
                continue
            if k in first:
                names = "、".join(kind.col(c).header for c in key)
                problems.add(r.num, key[0], f"与第 {first[k]} 行重复（{names}相同）")
            else:
                first[k] = r.num


def validate(kind: Kind, data: bytes, file_name: str, conn, ctx: Ctx, problems: Problems) -> list[Row]:
    header, raw = read_rows(data, file_name)
    index = map_header(kind, header, problems)
    if problems.total:  # a wrong header makes every row meaningless
        return []
    if not raw:
        problems.add(2, "", "文件只有表头，没有数据行")
        return []
    rows = parse_rows(kind, index, raw, ctx.today, problems)
    check_duplicates(kind, rows, problems)
    good = [r for r in rows if r.num not in problems.bad_rows]
    kind.check(conn, good, ctx, problems)
    return rows


# --- lookups and upsert helpers shared by the kinds ---------------------------------------------------------------

def chunks(seq: list, n: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def enterprises_by_uscc(conn, codes: Iterable[str]) -> dict[str, dict]:
    codes = sorted(set(codes))
    out: dict[str, dict] = {}
    cols = [E.c.id, E.c.uscc, E.c.name, E.c.city_adcode, E.c.county_adcode, E.c.industry_code, E.c.sector_code,
            E.c.above_scale, E.c.established_on]
    for part in chunks(codes):
        for r in conn.execute(select(*cols).where(E.c.uscc.in_(part))).mappings():
            out[r["uscc"]] = dict(r)
    return out


def check_enterprises(conn, rows: list[Row], ctx: Ctx, problems: Problems, *, uscc: str = "uscc",
                      name: str = "name") -> None:
    """Every row's enterprise is registered, its name (if given) matches, and it lies in the importer's region."""
    ents = enterprises_by_uscc(conn, [r.v[uscc] for r in rows])
    for r in rows:
        e = ents.get(r.v[uscc])
        if e is not None and not in_region(ctx.region, e["city_adcode"], e["county_adcode"]):
            # before the name check: another region's enterprise is not described (not even its name)
            problems.out_of_region(r.num, uscc)
            continue
        if e is None:
            problems.add(r.num, uscc, f"企业库中没有统一社会信用代码为 {r.v[uscc]} 的企业")
            continue
        if r.v.get(name) and r.v[name] != e["name"]:
            problems.add(r.num, name, f"企业名称与统一社会信用代码不符（库中为“{e['name']}”）")
            continue
        r.x["ent"] = e


def in_region(region: int | None, city: int | None, county: int | None) -> bool:
    return region is None or region == 320000 or region in (city, county)


def scope_of(e: dict) -> dict[str, Any]:
    return {k: e[k] for k in SCOPE_COLS}


def _norm(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (float, Decimal, int)):
        return round(float(v), 6)
    if isinstance(v, dt.datetime):
        return v.replace(microsecond=0)
    return v


def differs(old: dict, new: dict, cols: Iterable[str]) -> bool:
    return any(_norm(old[c]) != _norm(new[c]) for c in cols)


def fetch_by_key(conn, table: Table, key: tuple[str, ...], keys: list[tuple], cols: Iterable[str]) -> dict[tuple, dict]:
    sel = [table.c.id, *(table.c[c] for c in key), *(table.c[c] for c in cols if c not in key)]
    out: dict[tuple, dict] = {}
    for part in chunks(sorted(set(keys), key=repr)):
        if len(key) == 1:
            cond = table.c[key[0]].in_([k[0] for k in part])
        else:
            cond = tuple_(*(table.c[c] for c in key)).in_(part)
        for r in conn.execute(select(*sel).where(cond)).mappings():
            out[tuple(r[c] for c in key)] = dict(r)
    return out


def upsert(conn, table: Table, key: tuple[str, ...], records: list[tuple[Row, dict]], compare: list[str],
           ctx: Ctx, *, blame: str | None = None) -> list[str]:
    """Insert new, update changed, leave equal rows alone (and their provenance with them).

    Scoped like every read: when the importer is bound to a region, a record already there under the same key
    must lie in that region, and so must the new values; otherwise nothing is written and ``OutOfScope`` names
    the rows (blaming the file's column ``blame``, by default the key's first column). The scope columns a
    record carries (``SCOPE_COLS``) are compared and rewritten on every update, so they follow the enterprise."""
    compare = [*compare, *(c for c in SCOPE_COLS if c in table.c and any(c in rec for _, rec in records[:1])
                           and c not in compare)]
    fetched = [*compare, *(c for c in ("city_adcode", "county_adcode") if c in table.c and c not in compare)]
    existing = fetch_by_key(conn, table, key, [tuple(rec[c] for c in key) for _, rec in records], fetched)
    if ctx.region is not None:
        if "city_adcode" not in table.c or "county_adcode" not in table.c:
            raise ValueError(f"{table.name} has no region columns: a region-bound import cannot be scoped")
        outside = []
        for row, rec in records:
            old = existing.get(tuple(rec[c] for c in key))
            for r in (old, rec):
                if r is not None and not in_region(ctx.region, r.get("city_adcode"), r.get("county_adcode")):
                    outside.append((row.num, blame or key[0]))
                    break
        if outside:
            raise OutOfScope(outside)
    outcomes, inserts = [], []
    for row, rec in records:
        old = existing.get(tuple(rec[c] for c in key))
        if old is None:
            inserts.append({**rec, **ctx.provenance(row), "recorded_at": ctx.now})
            outcomes.append("inserted")
        elif differs(old, rec, compare):
            conn.execute(update(table).where(table.c.id == old["id"]).values(
                **{c: rec[c] for c in compare}, **ctx.provenance(row)))
            outcomes.append("updated")
        else:
            outcomes.append("unchanged")
    for part in chunks(inserts, 2000):
        conn.execute(insert(table), part)
    return outcomes


# --- the import -------------------------------------------------------------------------------------------------

def previous_import(conn, sha: str, kind: str) -> dict | None:
    r = conn.execute(select(B).where(and_(B.c.file_sha256 == sha, B.c.kind == kind))
                     .order_by(B.c.id.desc()).limit(1)).mappings().first()
    return dict(r) if r else None


def run_import(kind: Kind, data: bytes, file_name: str, *, engine: Engine, importer: str, region: int | None = None,
               dry_run: bool = False, now: dt.datetime | None = None) -> Report:
    """Validate and (unless ``dry_run`` or invalid) write the file in one transaction. See the module doc.

    Two imports of the same new rows at once: the one that loses the race hits a unique violation, is rolled
    back and runs again from the start (its rows are then found and updated or left alone); after ``ATTEMPTS``
    it is refused with a Chinese message."""
    now = (now or dt.datetime.now()).replace(microsecond=0)
    file_name = (file_name or "upload").replace("\\", "/").rsplit("/", 1)[-1][:255]
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _attempt(kind, data, file_name, engine=engine, importer=importer, region=region,
                            dry_run=dry_run, now=now)
        except IntegrityError as e:
            if attempt == ATTEMPTS:
                raise ImportRefused("另一个导入正在同时写入相同编号的记录，本次导入未写入任何数据（整批回滚），"
                                    "请稍后重新导入同一文件。") from e
        except DataError as e:
            raise ImportRefused(f"数据库拒绝了文件中的某个值（{_db_error_name(e)}，如数值超出范围），本次导入未写入"
                                f"任何数据。", transient=False) from e
        except DBAPIError as e:
            raise ImportRefused(db_problem_zh(e)) from e
    raise AssertionError("unreachable")


def _attempt(kind: Kind, data: bytes, file_name: str, *, engine: Engine, importer: str, region: int | None,
             dry_run: bool, now: dt.datetime) -> Report:
    sha = hashlib.sha256(data).hexdigest()
    rep = Report(kind.key, file_name, sha, dry_run=dry_run)
    ctx = Ctx(now=now, importer=importer[:64] or "unknown", region=region)
    problems = Problems(kind)
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            try:
                rows = validate(kind, data, file_name, conn, ctx, problems)
            except FileError as e:
                problems.add(1, "", str(e))
                rows = []
            rep.rows = len(rows)
            rep.previous = previous_import(conn, sha, kind.key)
            if not problems.total:
                res = conn.execute(insert(B).values(
                    kind=kind.key, file_name=file_name, file_sha256=sha, importer=ctx.importer, imported_at=now,
                    rows=len(rows), inserted=0, updated=0, unchanged=0))
                ctx.batch_id = rep.batch_id = int(res.inserted_primary_key[0])
                if conn.dialect.name == "postgresql":
                    conn.execute(select(func.pg_advisory_xact_lock(IMPORT_WRITE_LOCK)))
                try:
                    outcomes = kind.apply(conn, rows, ctx)
                except OutOfScope as e:  # nothing of the file is written: the transaction is rolled back below
                    for num, key in e.rows:
                        problems.out_of_region(num, key)
                    rep.batch_id = None
            rep.problems, rep.problem_total = problems.items, problems.total
            if problems.total:
                trans.rollback()
                if not dry_run or problems.out_of_scope:
                    _audit_rejected(engine, rep, ctx, problems.out_of_scope)
                return rep
            rep.outcomes = {r.num: o for r, o in zip(rows, outcomes)}
            rep.inserted, rep.updated = outcomes.count("inserted"), outcomes.count("updated")
            rep.unchanged = outcomes.count("unchanged")
            conn.execute(update(B).where(B.c.id == ctx.batch_id).values(
                inserted=rep.inserted, updated=rep.updated, unchanged=rep.unchanged))
            audit_append(conn, "import", ctx.importer, {
                "kind": kind.key, "file": file_name, "sha256": sha, "batch": ctx.batch_id, "rows": rep.rows,
                "inserted": rep.inserted, "updated": rep.updated, "unchanged": rep.unchanged}, at=now)
            if dry_run:
                trans.rollback()
                rep.batch_id = None
            else:
                trans.commit()
                rep.committed = True
            return rep
        except BaseException:
            if trans.is_active:
                trans.rollback()
            raise


def _db_error_name(e: BaseException) -> str:
    return type(getattr(e, "orig", e)).__name__


def db_problem_zh(e: BaseException) -> str:
    msg = str(getattr(e, "orig", e)).lower()
    if "locked" in msg or "busy" in msg:
        return "数据库正被其他程序占用（已锁定），本次导入未写入任何数据，请稍后重试。"
    if getattr(e, "connection_invalidated", False) or any(
            s in msg for s in ("connection", "server closed", "terminating", "shutting down", "could not connect")):
        return "数据库连接中断，本次导入未写入任何数据（整批回滚），请在数据库恢复后重新导入同一文件。"
    return f"数据库拒绝了本次导入（{_db_error_name(e)}），未写入任何数据，请稍后重试或联系管理员。"


def _audit_rejected(engine: Engine, rep: Report, ctx: Ctx, out_of_scope: int = 0) -> None:
    detail = {"kind": rep.kind, "file": rep.file_name, "sha256": rep.sha256, "problems": rep.problem_total}
    if out_of_scope:  # rows aimed outside the importer's region: recorded even for a dry run (a probe)
        detail |= {"out_of_scope": out_of_scope, "region": ctx.region, "dry_run": rep.dry_run}
    try:
        with engine.begin() as conn:
            audit_append(conn, "import_rejected", ctx.importer, detail, at=ctx.now)
    except DBAPIError:
        pass


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def _inert(v: Any) -> Any:
    """A cell a spreadsheet shows as text: a leading formula character gets an apostrophe in front."""
    return f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_START) else v


def problems_csv(rep: Report) -> bytes:
    """The report's problems as a CSV (UTF-8 with BOM, for Excel): 行, 列, 问题. A column header or a value from
    the file never starts a formula in it."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["行", "列", "问题"])
    for p in rep.problems:
        w.writerow([p.row, _inert(p.column or "（整行）"), _inert(p.message)])
    return buf.getvalue().encode("utf-8-sig")


def recent_batches(*, engine: Engine, limit: int = 20):
    """The newest accepted imports (a DataFrame, newest first)."""
    import pandas as pd

    with engine.connect() as conn:
        rows = conn.execute(select(B).order_by(B.c.id.desc()).limit(limit)).mappings().all()
    cols = ["id", "imported_at", "kind", "file_name", "importer", "rows", "inserted", "updated", "unchanged",
            "file_sha256"]
    return pd.DataFrame([dict(r) for r in rows], columns=cols)
