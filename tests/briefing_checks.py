"""Reading the briefing exports back (python-docx, openpyxl, csv) for the briefing tests."""
from __future__ import annotations

import csv
import io

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager

from queries.briefing import TABLE_COLUMNS

BOM = b"\xef\xbb\xbf"
YC_SENTENCE = "1-2月份，全市共检查企业11703家，排查隐患22509个，责令停产停业整顿77家，立案查处798起。"
SQ_SENTENCE = "目前全市已完成规模以上工业企业风险报告385家，上报较大以上风险1019条，重大风险56条，完成上报率22.4%。"
# (region, figure key) -> value of the calibration table (domain.md §1: Y2–Y5, S1–S4)
CALIBRATION = {
    ("盐城市", "enforcement.enterprises_inspected"): 11703, ("盐城市", "enforcement.hazards_found"): 22509,
    ("盐城市", "enforcement.suspensions"): 77, ("盐城市", "enforcement.cases_filed"): 798,
    ("宿迁市", "risk.completed"): 385, ("宿迁市", "risk.required"): 1720, ("宿迁市", "risk.completion_rate"): 22.4,
    ("宿迁市", "risk.risks_major_or_above"): 1019, ("宿迁市", "risk.risks_major"): 56,
}
_TABLE_KEY = {"enterprises_inspected": "enforcement.enterprises_inspected", "hazards_found": "enforcement.hazards_found",
              "suspensions": "enforcement.suspensions", "cases_filed": "enforcement.cases_filed",
              "completed": "risk.completed", "required": "risk.required", "completion_rate": "risk.completion_rate",
              "risks_major_or_above": "risk.risks_major_or_above", "risks_major": "risk.risks_major"}


def _number(v):
    if isinstance(v, (int, float)):
        return v
    s = str(v).strip()
    if not s:
        return None
    try:
        return int(s)
    except ValueError:
        return float(s)


def read_docx(data: bytes, regions: list[str]) -> tuple[dict, str, object]:
    """Figures of each section's 合计 row (sections in ``regions`` order), all paragraph text, the document."""
    from docx import Document

    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    values = {}
    assert len(doc.tables) == len(regions), (len(doc.tables), regions)
    for region, t in zip(regions, doc.tables):
        total = [c.text for c in t.rows[-1].cells]
        assert total[0] == "合计"
        for (col, *_), v in zip(TABLE_COLUMNS, total[1:]):
            values[(region, _TABLE_KEY[col])] = _number(v)
    return values, text, doc


def read_xlsx(data: bytes) -> tuple[dict, str, object]:
    """Every figure of the topic sheets by (region, key), the text of the scope and sentence sheets, the book."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=False)
    values = {}
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        if rows and rows[0] and "指标代码" in rows[0]:
            h = list(rows[0])
            for r in rows[1:]:
                values[(r[h.index("地区")], r[h.index("指标代码")])] = r[h.index("数值")]
    text = "\n".join(" ".join(str(c) for c in r if c is not None)
                     for name in ("说明", "简报句子") for r in wb[name].iter_rows(values_only=True))
    return values, text, wb


def read_csv(data: bytes) -> tuple[dict, str, list[dict]]:
    """Figures by (region, key), the sentences' and notes' text, all rows. The file must start with a BOM."""
    assert data.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8")[1:])))
    values = {(r["地区"], r["指标代码"]): _number(r["数值"]) for r in rows if r["类型"] == "指标"}
    text = "\n".join(r["数值"] for r in rows if r["类型"] in ("句子", "说明"))
    return values, text, rows


def read(fmt: str, data: bytes, regions: list[str]) -> tuple[dict, str]:
    if fmt == "docx":
        v, t, _ = read_docx(data, regions)
    elif fmt == "xlsx":
        v, t, _ = read_xlsx(data)
    else:
        v, t, _ = read_csv(data)
    return v, t


def assert_calibration(fmt: str, data: bytes, regions=("盐城市", "宿迁市")) -> None:
    values, text = read(fmt, data, list(regions))
    for k, want in CALIBRATION.items():
        if k[0] in regions:
            assert values[k] == want, (fmt, k, values.get(k))
    if "盐城市" in regions:
        assert YC_SENTENCE in text, fmt
    if "宿迁市" in regions:
        assert SQ_SENTENCE in text, fmt


# --- the page ---------------------------------------------------------------------------------------------------

@pytest.fixture
def downloads(monkeypatch):
    """The export callables the page registers with its download buttons, by file name (calling one is what a
    click does: it generates the file and records the export)."""
    got: dict[str, object] = {}
    orig = MediaFileManager.add_deferred

    def spy(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        got[file_name] = data_callable
        return orig(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    return got


def sentences_shown(at) -> list[str]:
    """The copy-ready sentences on the page (st.code blocks; the CLI command is the bash one)."""
    return [c.value for c in at.code if c.language != "bash"]


def figures_table(at) -> dict:
    """The page's figures table by (region, figure key)."""
    df = next(d.value for d in at.dataframe if "口径" in d.value.columns)
    return {(r["地区"], r["指标代码"]): r for _, r in df.iterrows()}
