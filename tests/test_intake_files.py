"""Hostile and damaged spreadsheets: every row is counted by reading it, the work is bounded, and a file that
cannot be read is refused with a Chinese message (never a traceback, never a silently shorter file).

Most tests need no database (``read_rows``); those that import run on SQLite and PostgreSQL.
"""
from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
import struct
import subprocess
import sys
import time
import zipfile

import pytest
from sqlalchemy import func, select

from queries import db as dbmod
from queries.intake import KINDS, import_file
from queries.intake.cells import MAX_COLUMNS, FileError, Limits, read_rows
from seed import schema as S
from tests.dbcache import ROOT, clone_database, remove_copy
from tests.intake_util import counties, csv_bytes, xlsx

NOW = dt.datetime(2021, 6, 1, 9, 0)
SHEET = "xl/worksheets/sheet1.xml"  # the template's 数据 sheet
GRID_HEADERS = [c.header for c in KINDS["grids"].columns]


def chinese(msg: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in msg)


def col_letter(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def cell(ref: str, v) -> str:
    if isinstance(v, (int, float)):
        return f'<c r="{ref}"><v>{v}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>'


def row_xml(num: int, values: list) -> str:
    return f'<row r="{num}">' + "".join(cell(f"{col_letter(i + 1)}{num}", v) for i, v in enumerate(values)
                                         if v is not None) + "</row>"


def grid_values(i: int, county: int = 320102) -> list:
    return [f"XL-{i:05d}", f"测试网格{i}", "应急网格", str(county), i % 50, "2020-06-30"]


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def rezip(data: bytes, replace: dict[str, bytes | str], add: dict[str, bytes] | None = None,
          method=zipfile.ZIP_DEFLATED) -> bytes:
    parts = members(data)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, body in {**parts, **replace, **(add or {})}.items():
            z.writestr(name, body.encode() if isinstance(body, str) else body)
    return out.getvalue()


def with_sheet(body: str, dimension: str | None = None) -> bytes:
    """The grids template with its 数据 sheet's rows replaced by ``body`` (and its <dimension> by ``dimension``)."""
    base = xlsx("grids", [])
    xml = members(base)[SHEET].decode()
    xml = re.sub(r"<sheetData>.*</sheetData>|<sheetData/>", lambda m: f"<sheetData>{body}</sheetData>", xml,
                 flags=re.S)
    if dimension:
        xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{dimension}"/>', xml)
    return rezip(base, {SHEET: xml})


def refused(data: bytes, name: str = "f.xlsx", lim: Limits | None = None) -> str:
    with pytest.raises(FileError) as e:
        read_rows(data, name, lim)
    assert chinese(str(e.value)), str(e.value)
    return str(e.value)


# --- rows are counted by reading them --------------------------------------------------------------------------

@pytest.mark.parametrize("dimension", ["A1:F2", "A1:A1", "A1:F3", "B2:C3"])
def test_an_understated_dimension_loses_no_row(dimension):
    body = row_xml(1, GRID_HEADERS) + "".join(row_xml(i, grid_values(i)) for i in range(2, 7))
    header, rows = read_rows(with_sheet(body, dimension), "f.xlsx")
    assert [n for n, _ in rows] == [2, 3, 4, 5, 6]
    assert [r[0] for _, r in rows] == [f"XL-{i:05d}" for i in range(2, 7)]


def test_an_overstated_dimension_costs_nothing():
    body = row_xml(1, GRID_HEADERS) + "".join(row_xml(i, grid_values(i)) for i in range(2, 5))
    t0 = time.perf_counter()
    header, rows = read_rows(with_sheet(body, "A1:XFD1048576"), "f.xlsx")
    assert len(rows) == 3 and all(len(r) == 6 for _, r in rows)
    assert time.perf_counter() - t0 < 20


def test_the_understated_file_imports_every_row(db, session_tmp):
    url = clone_database(db, f"intake_dim_{db.dialect.name}", session_tmp)
    eng = dbmod.get_engine(url)
    try:
        county = counties(eng, 320100)[0]
        body = row_xml(1, GRID_HEADERS) + "".join(row_xml(i, grid_values(i, county)) for i in range(2, 7))
        rep = import_file("grids", with_sheet(body, "A1:F2"), "dim.xlsx", engine=eng, importer="t", now=NOW)
        assert rep.committed and rep.inserted == 5, rep.problems
        with eng.connect() as c:
            n = c.execute(select(func.count()).select_from(S.grids).where(S.grids.c.code.like("XL-%"))).scalar()
        assert n == 5
    finally:
        remove_copy(url)


# --- bounded work ------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_million_blank_rows_are_refused_quickly():
    """The red team's file: a few real rows, then blank (styled) rows by the million, a small download."""
    blank = '<row><c s="1"/></row>' * 1_000_000  # numbered by position, as Excel allows
    data = with_sheet(row_xml(1, GRID_HEADERS) + row_xml(2, grid_values(2)) + blank)
    assert len(data) < 2**20
    t0 = time.perf_counter()
    msg = refused(data)
    assert "空行" in msg and time.perf_counter() - t0 < 60


@pytest.mark.parametrize("last", [1_048_576, 400_000, 200_001])
def test_a_row_far_below_the_data_is_refused(last):
    """A gap in the numbering is read row by row too (openpyxl yields the missing rows): bounded, not trusted."""
    body = row_xml(1, GRID_HEADERS) + row_xml(2, grid_values(2)) + f'<row r="{last}"><c r="A{last}" s="1"/></row>'
    t0 = time.perf_counter()
    assert "空行" in refused(with_sheet(body))
    assert time.perf_counter() - t0 < 60


def test_blank_rows_within_the_limit_are_skipped():
    body = (row_xml(1, GRID_HEADERS) + row_xml(2, grid_values(2))
            + "".join(f'<row r="{i}"><c r="A{i}" s="1"/></row>' for i in range(3, 5000)) + row_xml(5000, grid_values(9)))
    header, rows = read_rows(with_sheet(body), "f.xlsx")
    assert [n for n, _ in rows] == [2, 5000]


@pytest.mark.parametrize("column", [MAX_COLUMNS + 1, 200, 16384])
def test_content_beyond_the_last_column_is_refused_not_dropped(column):
    ref = f"{col_letter(column)}2"
    body = row_xml(1, GRID_HEADERS) + row_xml(2, grid_values(2))[:-len("</row>")] + cell(ref, "藏在远处") + "</row>"
    msg = refused(with_sheet(body))
    assert f"第 {column} 列" in msg and "第 2 行" in msg


def test_blank_cells_far_to_the_right_are_fine_but_bounded():
    body = row_xml(1, GRID_HEADERS) + "".join(
        row_xml(i, grid_values(i))[:-len("</row>")] + f'<c r="XFD{i}" s="1"/></row>' for i in range(2, 12))
    header, rows = read_rows(with_sheet(body), "f.xlsx")
    assert len(rows) == 10 and all(len(r) == MAX_COLUMNS for _, r in rows)
    # the same 16,384-cell rows by the thousand: the cell budget stops it
    many = row_xml(1, GRID_HEADERS) + "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>x</t></is></c>'
                                              f'<c r="XFD{i}" s="1"/></row>' for i in range(2, 3000))
    t0 = time.perf_counter()
    assert "单元格" in refused(with_sheet(many))
    assert time.perf_counter() - t0 < 60


def test_row_and_time_limits_are_settings(monkeypatch):
    body = row_xml(1, GRID_HEADERS) + "".join(row_xml(i, grid_values(i)) for i in range(2, 12))
    data = with_sheet(body)
    monkeypatch.setenv("OVERSIGHT_IMPORT_MAX_ROWS", "5")
    assert "数据行超过 5 行" in refused(data)
    blanks = csv_bytes("grids", []) + b"\n" * 20 + b"x,y,z,1,2,2020-01-01\n"
    assert "空行" in refused(blanks, "f.csv")  # 5 data rows allowed, 10 rows of any kind
    monkeypatch.delenv("OVERSIGHT_IMPORT_MAX_ROWS")
    monkeypatch.setenv("OVERSIGHT_IMPORT_MAX_SECONDS", "0")
    assert "秒" in refused(data)
    for bad in ("bogus", "inf", "nan", ""):  # a bad setting falls back to the default
        monkeypatch.setenv("OVERSIGHT_IMPORT_MAX_SECONDS", bad)
        monkeypatch.setenv("OVERSIGHT_IMPORT_MAX_ROWS", bad)
        assert len(read_rows(data, "f.xlsx")[1]) == 10


# --- zip bombs and damaged archives ---------------------------------------------------------------------------------

def test_declared_uncompressed_size_over_the_limit_is_refused_before_decompressing(monkeypatch):
    monkeypatch.setenv("OVERSIGHT_IMPORT_MAX_UNZIPPED_MB", "2")
    base = xlsx("grids", [])
    for name, size in [("xl/media/image1.bin", 3 * 2**20), (SHEET, 3 * 2**20)]:
        if name == SHEET:  # a sheet padded with whitespace inside the XML
            xml = members(base)[SHEET].decode().replace("<sheetData>", "<sheetData>" + " " * size)
            data = rezip(base, {SHEET: xml})
        else:
            data = rezip(base, {}, add={name: b"\0" * size})
        assert len(data) < 200_000  # compresses to almost nothing
        assert "压缩炸弹" in refused(data)


def _patch_declared_size(data: bytes, member: str, size: int) -> bytes:
    """The archive with ``member``'s uncompressed size rewritten (local header and central directory)."""
    buf = bytearray(data)
    name = member.encode()
    for sig, size_at, name_len_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        start = 0
        while (i := buf.find(sig, start)) >= 0:
            n = struct.unpack_from("<H", buf, i + name_len_at)[0]
            if bytes(buf[i + name_at:i + name_at + n]) == name:
                struct.pack_into("<I", buf, i + size_at, size)
            start = i + 4
    return bytes(buf)


@pytest.mark.parametrize("member", [SHEET, "xl/sharedStrings.xml", "xl/media/pad.bin"])
def test_a_part_holding_more_than_it_declares_is_refused(member):
    base = with_sheet(row_xml(1, GRID_HEADERS) + row_xml(2, grid_values(2)))
    if member not in members(base):
        base = rezip(base, {}, add={member: b"<sst/>" + b" " * 2**20})
    data = _patch_declared_size(base, member, 16)
    assert "损坏" in refused(data) or "无法" in refused(data)


def test_a_corrupt_deflate_stream_is_refused():
    body = row_xml(1, GRID_HEADERS) + "".join(row_xml(i, grid_values(i)) for i in range(2, 400))
    base = with_sheet(body)
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        info = z.getinfo(SHEET)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for at in (0.1, 0.5, 0.9):  # several places in the stream
        buf = bytearray(base)
        pos = start + int(info.compress_size * at)
        buf[pos:pos + 8] = bytes(b ^ 0x5A for b in buf[pos:pos + 8])
        msg = refused(bytes(buf))
        assert "损坏" in msg or "无法" in msg, msg
    assert "无法读取" in refused(base[: len(base) // 2])  # a truncated archive


# --- malformed sheet XML ---------------------------------------------------------------------------------------------

BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                            for i in range(1, 10))
                  + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                  + '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')


@functools.cache
def _sheet_variants() -> dict[str, bytes]:
    good = row_xml(1, GRID_HEADERS) + row_xml(2, grid_values(2))
    base = with_sheet(good)
    xml = members(base)[SHEET].decode()
    return {
        "truncated": rezip(base, {SHEET: xml[: len(xml) // 2]}),
        "not xml": rezip(base, {SHEET: b"\x00\xff\xfe garbage <<<"}),
        "bad number": with_sheet(good.replace("<v>2</v>", "<v>zz</v>")),
        "shared string out of range": with_sheet(good.replace('<c r="A2" t="inlineStr"><is><t>XL-00002</t></is></c>',
                                                              '<c r="A2" t="s"><v>99999</v></c>')),
        "bad date cell": with_sheet(good.replace("<v>2</v>", "<v>2</v></c><c r=\"G2\" t=\"d\"><v>not a date</v>")),
        "huge column": with_sheet(good.replace('r="A2"', 'r="ZZZZZZ2"')),
        "billion laughs": rezip(base, {SHEET: BILLION_LAUGHS}),
        "missing sheet part": rezip(base, {SHEET: b""}),
        "empty archive": _empty_zip(),
        "workbook without sheets": rezip(base, {"xl/workbook.xml": members(base)["xl/workbook.xml"].decode().replace(
            "<sheets>", "<sheetz>").replace("</sheets>", "</sheetz>")}),
    }


def _empty_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w"):
        pass
    return out.getvalue()


@pytest.mark.parametrize("variant", list(_sheet_variants()))
def test_malformed_sheet_xml_gives_a_chinese_message(variant):
    data = _sheet_variants()[variant]
    try:
        header, rows = read_rows(data, "f.xlsx")
    except FileError as e:
        assert chinese(str(e)), str(e)
    else:  # a few damages are harmless to the reader; then nothing may be made up either
        assert len(rows) <= 1, variant


@pytest.mark.slow
def test_malformed_files_through_the_cli_exit_1_without_a_traceback(tmp_path):
    env = {"OVERSIGHT_DB_URL": f"sqlite:///{tmp_path / 'never-used.db'}", "PATH": "/usr/bin:/bin"}
    for i, (variant, data) in enumerate(list(_sheet_variants().items())[:4]):
        f = tmp_path / f"bad{i}.xlsx"
        f.write_bytes(data)
        r = subprocess.run([sys.executable, "-m", "cli", "import", "grids", str(f), "--dry-run"],
                           capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
        assert r.returncode in (1, 3) and "Traceback" not in r.stderr, (variant, r.stderr[-2000:])
        assert chinese(r.stderr)


# --- CSV ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    'a,"' + "x" * 200_000 + '"\n',  # one quoted field over csv's 128 KiB
    '"' + "x" * 300_000 + "\n",  # an unbalanced quote swallows the rest of the file
    "a,b\n" * 3 + '"' + "y," * 100_000,
])
def test_csv_field_over_the_limit_is_refused(body):
    data = csv_bytes("grids", []) + body.encode()
    msg = refused(data, "f.csv")
    assert "CSV" in msg and "行" in msg, msg
    assert csv.field_size_limit() == 131072  # refused, not by raising the library's limit for everyone


def test_csv_with_a_very_wide_row_is_refused():
    data = csv_bytes("grids", [{"code": "C-1", "name": "n", "kind": "应急网格", "county": "320102",
                                "enterprises_filed": 1, "established_on": "2020-01-01"}])
    assert "列" in refused(data.rstrip(b"\r\n") + b"," * 100 + b"x\r\n", "f.csv")
