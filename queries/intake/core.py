"""Validate a file row by row, then write it in one transaction as an idempotent upsert by natural key.

``run_import`` is the one entry point (CLI, admin page, tests). It reads the file, checks every cell (``cells``),
checks what needs the database (enterprises, divisions, campaigns, the importer's region), and only when no row
has a problem writes everything inside one transaction: an ``import_batches`` row (file, SHA-256, importer,
time, counts), the rows themselves with ``import_id`` / ``import_row``, and an audit entry. A dry run does the
same and rolls back, so its counts are exactly what the import would do.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterable

from sqlalchemy import Engine, Table, and_, insert, select, tuple_, update
from sqlalchemy.exc import DBAPIError

from queries.audit import append as audit_append
from seed.schema import enterprises as E
from seed.schema import import_batches as B

from .cells import CellError, Col, FileError, normalise_header, parse_cell, read_rows

MAX_PROBLEMS = 500
CHUNK = 500


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

    def add(self, row: int, key_or_header: str, message: str) -> None:
        header = next((c.header for c in self.kind.columns if c.key == key_or_header), key_or_header)
        self.total += 1
        self.bad_rows.add(row)
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(row, header, message))


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
    """The database could not take the import (unreachable, locked); nothing was written."""


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
        if e is None:
            problems.add(r.num, uscc, f"企业库中没有统一社会信用代码为 {r.v[uscc]} 的企业")
            continue
        if r.v.get(name) and r.v[name] != e["name"]:
            problems.add(r.num, name, f"企业名称与统一社会信用代码不符（库中为“{e['name']}”）")
            continue
        if not in_region(ctx.region, e["city_adcode"], e["county_adcode"]):
            problems.add(r.num, uscc, "该企业不在本账号管辖范围内")
            continue
        r.x["ent"] = e


def in_region(region: int | None, city: int, county: int) -> bool:
    return region is None or region in (city, county) or region == 320000


def scope_of(e: dict) -> dict[str, Any]:
    return {k: e[k] for k in ("city_adcode", "county_adcode", "industry_code", "sector_code")}


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
           ctx: Ctx) -> list[str]:
    """Insert new, update changed, leave equal rows alone (and their provenance with them)."""
    existing = fetch_by_key(conn, table, key, [tuple(rec[c] for c in key) for _, rec in records], compare)
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
    """Validate and (unless ``dry_run`` or invalid) write the file in one transaction. See the module doc."""
    now = (now or dt.datetime.now()).replace(microsecond=0)
    file_name = (file_name or "upload").replace("\\", "/").rsplit("/", 1)[-1][:255]
    sha = hashlib.sha256(data).hexdigest()
    rep = Report(kind.key, file_name, sha, dry_run=dry_run)
    ctx = Ctx(now=now, importer=importer[:64] or "unknown", region=region)
    problems = Problems(kind)
    try:
        with engine.connect() as conn:
            trans = conn.begin()
            try:
                try:
                    rows = validate(kind, data, file_name, conn, ctx, problems)
                except FileError as e:
                    problems.add(1, "", str(e))
                    rows = []
                rep.rows = len(rows)
                rep.problems, rep.problem_total = problems.items, problems.total
                rep.previous = previous_import(conn, sha, kind.key)
                if problems.total:
                    trans.rollback()
                    if not dry_run:
                        _audit_rejected(engine, rep, ctx)
                    return rep
                res = conn.execute(insert(B).values(
                    kind=kind.key, file_name=file_name, file_sha256=sha, importer=ctx.importer, imported_at=now,
                    rows=len(rows), inserted=0, updated=0, unchanged=0))
                ctx.batch_id = rep.batch_id = int(res.inserted_primary_key[0])
                outcomes = kind.apply(conn, rows, ctx)
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
    except DBAPIError as e:
        raise ImportRefused(db_problem_zh(e)) from e


def db_problem_zh(e: BaseException) -> str:
    msg = str(getattr(e, "orig", e)).lower()
    if "locked" in msg or "busy" in msg:
        return "数据库正被其他程序占用（已锁定），本次导入未写入任何数据，请稍后重试。"
    if getattr(e, "connection_invalidated", False) or any(
            s in msg for s in ("connection", "server closed", "terminating", "shutting down", "could not connect")):
        return "数据库连接中断，本次导入未写入任何数据（整批回滚），请在数据库恢复后重新导入同一文件。"
    return f"数据库拒绝了本次导入，未写入任何数据：{str(getattr(e, 'orig', e))[:200]}"


def _audit_rejected(engine: Engine, rep: Report, ctx: Ctx) -> None:
    try:
        with engine.begin() as conn:
            audit_append(conn, "import_rejected", ctx.importer, {
                "kind": rep.kind, "file": rep.file_name, "sha256": rep.sha256, "problems": rep.problem_total},
                at=ctx.now)
    except DBAPIError:
        pass


def recent_batches(*, engine: Engine, limit: int = 20):
    """The newest accepted imports (a DataFrame, newest first)."""
    import pandas as pd

    with engine.connect() as conn:
        rows = conn.execute(select(B).order_by(B.c.id.desc()).limit(limit)).mappings().all()
    cols = ["id", "imported_at", "kind", "file_name", "importer", "rows", "inserted", "updated", "unchanged",
            "file_sha256"]
    return pd.DataFrame([dict(r) for r in rows], columns=cols)
