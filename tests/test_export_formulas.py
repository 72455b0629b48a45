"""Formulas and shell text in the briefing exports: a 期号 (or any text) starting a formula is no live formula in
the XLSX, CSV or a Word table, and the 复现命令 line quotes every argument for the shell."""
from __future__ import annotations

import csv
import datetime as dt
import io
import shlex
import subprocess

import pytest

from queries import briefing, exports
from queries.briefing import SectionData
from queries.figures import Figure
from queries.scope import Scope

AS_OF = dt.datetime(2021, 3, 13, 23, 59, 59)
# a 期号 from the page's text box: formula starters (ASCII and fullwidth), Excel DDE, shell substitutions
ISSUES = ["=1+1", "=HYPERLINK(\"http://evil.example\",\"点此\")", "+SUM(A1:A9)", "-2+3", "@SUM(1)", "\t=1+1",
          "\r=1+1", "＝1+1", "＋1", "－1", "＠SUM(1)", "=cmd|' /C calc'!A0", "第5期$(touch {canary})",
          "`touch {canary}`", "第5期; touch {canary}", "'; touch {canary}; '", "#REF!", "第5期"]
FORMULA_START = tuple(exports.FORMULA_PREFIXES)


def _xlsx_cells(data: bytes):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def _csv_cells(data: bytes) -> list[str]:
    assert data.startswith(b"\xef\xbb\xbf")
    return [v for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for v in row]


def _docx_cells(data: bytes) -> list[str]:
    from docx import Document

    doc = Document(io.BytesIO(data))
    return [c.text for t in doc.tables for row in t.rows for c in row.cells]


def _assert_no_formula(brief, where) -> None:
    cells = _xlsx_cells(exports.to_xlsx(brief))
    assert not [c.coordinate for c in cells if c.data_type in ("f", "e")], where
    for c in cells:
        if isinstance(c.value, str) and c.value.startswith(FORMULA_START):
            assert c.data_type == "s" and c.quotePrefix, (where, c.parent.title, c.coordinate, c.value)
    for v in _csv_cells(exports.to_csv(brief)):
        assert not v.startswith(FORMULA_START), (where, v)
    for v in _docx_cells(exports.to_docx(brief)):
        assert not v.startswith(FORMULA_START), (where, v)


@pytest.fixture(scope="module")
def datas(db):
    s = Scope(region=320900, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 2, 28), as_of=AS_OF)
    return [briefing.section_data(s, engine=db)]


@pytest.mark.parametrize("issue", ISSUES)
def test_issue_number_is_never_a_formula_nor_shell_code(datas, tmp_path, issue):
    canary = tmp_path / "canary"
    issue = issue.format(canary=canary)
    brief = briefing.assemble(datas, industry=None, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 2, 28),
                              as_of=AS_OF, issue_no=issue, generated_by="=evil()")
    _assert_no_formula(brief, issue)
    # the XLSX keeps the text exactly (Excel's quote prefix, not an added character); the CSV says it is text
    assert brief.issue_no in [c.value for c in _xlsx_cells(exports.to_xlsx(brief))]
    assert any(v in (brief.issue_no, "'" + brief.issue_no) for v in _csv_cells(exports.to_csv(brief)))
    # the command line: one literal argument after --issue, whatever a shell makes of the line
    cmd = brief.command()
    args = shlex.split(cmd)
    assert args[:2] == ["oversight", "briefing"] and args[args.index("--issue") + 1] == brief.issue_no
    assert args[args.index("--as-of") + 1] == "2021-03-13 23:59:59"
    shell = subprocess.run(["bash", "-c", "printf '%s\\0' " + cmd[len("oversight briefing "):]], capture_output=True,
                           timeout=30)
    assert shell.returncode == 0 and shell.stdout.split(b"\0")[:-1] == [a.encode() for a in args[2:]]
    assert not canary.exists(), cmd


def test_every_exported_cell_including_names(datas):
    """Text from the database (region names in the tables, figure labels) goes through the same guard: a section
    whose name and table rows start formulas exports them as text in all three formats."""
    d = datas[0]
    table = d.table.copy()
    table["name"] = ["=1+1", "+cmd", "-x", "@y", "＝z", "\tw", "\rv"] * (len(table) // 7) + ["=q"] * (len(table) % 7)
    figs = [Figure(**{**f.__dict__, "region_name": "=HYPERLINK(1)", "label": "@" + f.label}) for f in d.figures]
    hostile = SectionData(d.region, "=区域", d.level, d.industry_name, figs, table, d.table_kind)
    brief = briefing.assemble([hostile], industry=None, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 2, 28),
                              as_of=AS_OF, issue_no="=1", titles={d.region: "=标题"})
    _assert_no_formula(brief, "names")
    words = _csv_cells(exports.to_csv(brief))
    assert "'=HYPERLINK(1)" in words and "'=1" in words
    assert "'=1+1" in _docx_cells(exports.to_docx(brief))


def test_numbers_stay_numbers(datas):
    """The guard touches text only: figures stay numeric cells (negative numbers too) in the XLSX and CSV."""
    brief = briefing.assemble(datas, industry=None, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 2, 28),
                              as_of=AS_OF)
    cells = _xlsx_cells(exports.to_xlsx(brief))
    assert sum(1 for c in cells if c.data_type == "n") > 50
    assert exports.text_cell(-3) == -3 and exports.text_cell("-3") == "'-3" and exports.text_cell("第5期") == "第5期"


def test_docx_with_many_regions_and_a_long_issue(datas):
    """The command line in the document's properties is cut to the 255 characters Word allows."""
    from docx import Document

    many = datas * 30
    brief = briefing.assemble(many, industry=None, date_from=dt.date(2021, 1, 1), date_to=dt.date(2021, 2, 28),
                              as_of=AS_OF, issue_no="第5期" + "=" * 300)
    props = Document(io.BytesIO(exports.to_docx(brief))).core_properties
    assert len(props.comments) == len(props.title) == 255 and props.comments.endswith("…")
