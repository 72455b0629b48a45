"""Exports of a briefing (``queries.briefing.Brief``): CSV (UTF-8 with BOM), XLSX (a sheet per topic plus a
scope sheet) and a DOCX draft of a 江苏应急管理简报 issue. No database access and no Streamlit here: a ``Brief``
already holds every figure with its definition, scope, period, as-of time and source. ``sheets_xlsx`` writes
other tables for meetings (the rankings) the same way.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from queries.briefing import (
    BULLETIN_TITLE, CC, COLUMN, ISSUER, TABLE_COLUMNS, TOPICS, Brief, Section, num, period_phrase,
)
from queries.figures import BASIS_NAMES, TOPIC_NAMES

MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
FIGURE_COLUMNS = ("地区", "地区代码", "专题", "指标", "数值", "单位", "口径", "统计类型", "统计范围", "统计期", "数据截止",
                  "来源查询", "指标代码")
SCOPE_NOTE = ("统计期内指标只计统计期内发生、且在数据截止时间前录入平台的数据；累计指标（风险报告、信用、网格等）取数据截止"
              "时的状态；重大危险源监测点的实时状态（报警、离线、在线率）无法回溯到过去的时间，未列入。同一截止时间再次取数，"
              "结果不变。")


# A cell starting with one of these is a formula (or becomes one when edited or pasted) in Excel, LibreOffice and
# WPS; the fullwidth forms are what a Chinese input method types.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def is_formula_like(v: Any) -> bool:
    return isinstance(v, str) and v.startswith(FORMULA_PREFIXES)


def text_cell(v: Any) -> Any:
    """A cell of a CSV file or a Word table: text that could start a formula gets a leading apostrophe (shown as
    text by spreadsheets); numbers and other text unchanged."""
    return "'" + v if is_formula_like(v) else v


def render(fmt: str, brief: Brief) -> bytes:
    if fmt == "csv":
        return to_csv(brief)
    if fmt == "xlsx":
        return to_xlsx(brief)
    if fmt == "docx":
        return to_docx(brief)
    raise ValueError(f"unknown export format: {fmt}")


def file_name(brief: Brief, fmt: str) -> str:
    names = [s.data.name for s in brief.sections]
    who = "、".join(names[:3]) + (f"等{len(names)}地" if len(names) > 3 else "")
    per = (f"_{brief.date_from:%Y%m%d}-{brief.date_to:%Y%m%d}" if brief.date_from and brief.date_to else "")
    stem = "江苏应急管理简报" if fmt == "docx" else "简报取数"
    return f"{stem}_{who}{per}_截至{brief.as_of:%Y%m%d%H%M}.{fmt}"


def audit_detail(brief: Brief, fmt: str, *, source: str, file: str | None = None) -> dict[str, Any]:
    """What the audit log keeps about an export."""
    return {"kind": "briefing", "format": fmt, "scope": brief.scope(), "issue": brief.issue_no,
            "figures": len(brief.figures), "file": file or file_name(brief, fmt), "source": source}


def _figure_row(f) -> list[Any]:
    return [f.region_name, f.region, TOPIC_NAMES[f.topic], f.label, f.value, f.unit, f.definition,
            BASIS_NAMES[f.basis], f.scope, f.period, f.as_of or "生成时", f.source, f.key]


def _scope_rows(brief: Brief) -> list[tuple[str, str]]:
    d = brief.scope()
    return [
        ("标题", BULLETIN_TITLE + "（取数稿）"),
        ("期号", brief.issue_no or "（未填）"),
        ("印发日期", f"{brief.issue_date:%Y-%m-%d}"),
        ("地区", "、".join(d["region_names"]) + f"（{', '.join(str(r) for r in d['regions'])}）"),
        ("行业", d["industry_name"]),
        ("统计期", brief.period_text()),
        ("数据截止时间", brief.as_of_text()),
        ("口径说明", SCOPE_NOTE),
        ("生成人", brief.generated_by or "—"),
        ("生成时间", brief.generated_at.isoformat(sep=" ", timespec="seconds")),
        ("复现命令", brief.command()),
    ]


# --- CSV -------------------------------------------------------------------------------------------------

def to_csv(brief: Brief) -> bytes:
    """All figures (one row each, with definition, scope, period, as-of, source), then the sentences.

    UTF-8 with a byte-order mark, so Excel shows the Chinese text.
    """
    buf = io.StringIO()
    w = csv.writer(buf)

    def put(row) -> None:  # every cell through text_cell
        w.writerow([text_cell(v) for v in row])

    put(("类型",) + FIGURE_COLUMNS)
    for f in brief.figures:
        put(["指标"] + _figure_row(f))
    for s in brief.sections:
        for sent in s.sentences:
            put(["句子", s.data.name, s.data.region, TOPIC_NAMES[sent.topic], sent.title, sent.text, "",
                 "引用：" + "、".join(sent.keys), "", s.data.figures[0].scope if s.data.figures else "",
                 brief.period_text(), brief.as_of_text(), "queries.briefing.sentences", ""])
    for k, v in _scope_rows(brief):
        put(["说明", "", "", "", k, v] + [""] * (len(FIGURE_COLUMNS) - 5))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


# --- XLSX ------------------------------------------------------------------------------------------------

def _sheet_title(text: str, taken: set[str]) -> str:
    t = "".join(c for c in text if c not in "[]:*?/\\")[:31]
    base, i = t, 2
    while t in taken:
        t = f"{base[:28]}_{i}"
        i += 1
    taken.add(t)
    return t


def to_xlsx(brief: Brief) -> bytes:
    """A scope sheet (scope, period, as-of, generated by/at), the sentences, one sheet per topic and one table
    sheet per region."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    wrap = Alignment(wrap_text=True, vertical="top")
    wb = Workbook()
    taken: set[str] = set()

    ws = wb.active
    ws.title = _sheet_title("说明", taken)
    _header(ws, ("项目", "内容"), (18, 100))
    for k, v in _scope_rows(brief):
        ws.append([k, v])
        ws.cell(row=ws.max_row, column=2).alignment = wrap

    ws = wb.create_sheet(_sheet_title("简报句子", taken))
    _header(ws, ("地区", "专题", "要点", "句子", "引用指标"), (12, 14, 12, 90, 50))
    for s in brief.sections:
        for sent in s.sentences:
            ws.append([s.data.name, TOPIC_NAMES[sent.topic], sent.title, sent.text, "、".join(sent.keys)])
            ws.cell(row=ws.max_row, column=4).alignment = wrap

    widths = (12, 10, 14, 26, 12, 7, 50, 12, 20, 26, 20, 28, 32)
    for topic in TOPICS:
        figs = [f for f in brief.figures if f.topic == topic]
        if not figs:
            continue
        ws = wb.create_sheet(_sheet_title(TOPIC_NAMES[topic], taken))
        _header(ws, FIGURE_COLUMNS, widths)
        for f in figs:
            ws.append(_figure_row(f))
            ws.cell(row=ws.max_row, column=7).alignment = wrap

    for s in brief.sections:
        ws = wb.create_sheet(_sheet_title(f"明细-{s.data.name}", taken))
        cols = [s.data.table_kind] + [f"{h}（{u}）" for _, h, u, _ in TABLE_COLUMNS]
        _header(ws, cols, [16] + [14] * len(TABLE_COLUMNS))
        for _, r in s.table_with_total.iterrows():
            ws.append([r["name"]] + [_plain(r[c]) for c, *_ in TABLE_COLUMNS])
        ws.append([])
        ws.append([f"执法检查：{brief.period_text()}；风险报告：截至 {brief.as_of_text()}；数据截止 {brief.as_of_text()}"])

    _text_cells(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _header(ws, cols, widths) -> None:
    """A sheet's header row (bold on a light fill, frozen) and its column widths."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws.append(list(cols))
    for i, w in enumerate(widths, start=1):
        c = ws.cell(row=1, column=i)
        c.font, c.fill = Font(bold=True), PatternFill("solid", fgColor="DDE4EE")
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"


def sheets_xlsx(notes: list[tuple[str, str]], sheets: list[tuple[str, list[str], list[float], list[list[Any]]]]) -> bytes:
    """A workbook of tables for a meeting: a 说明 sheet (``notes``: item, text; the scope, period, 口径, who generated
    it and when) and one sheet per ``(title, columns, widths, rows)``. Every text cell is stored as text (no cell
    starts a formula); numpy numbers become Python numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    wrap = Alignment(wrap_text=True, vertical="top")
    wb = Workbook()
    taken: set[str] = set()
    ws = wb.active
    ws.title = _sheet_title("说明", taken)
    _header(ws, ("项目", "内容"), (18, 100))
    for k, v in notes:
        ws.append([k, v])
        ws.cell(row=ws.max_row, column=2).alignment = wrap
    for title, cols, widths, rows in sheets:
        ws = wb.create_sheet(_sheet_title(title, taken))
        _header(ws, cols, widths)
        for r in rows:
            ws.append([_plain(v) for v in r])
    _text_cells(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _text_cells(wb) -> None:
    """Every text cell of the workbook is stored as text, never as a formula or an error value: openpyxl makes a
    string starting with "=" a formula (and "#REF!" an error); text that could start a formula also gets Excel's
    quote prefix, so it stays text when a user edits the cell. The text itself is unchanged."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    c.data_type = "s"
                    if is_formula_like(c.value):
                        c.quotePrefix = True


def _plain(v: Any) -> Any:
    """numpy scalars → Python numbers (openpyxl writes those)."""
    return v.item() if hasattr(v, "item") else v


# --- DOCX ------------------------------------------------------------------------------------------------

FANGSONG, SONG, HEI, KAI = "仿宋", "宋体", "黑体", "楷体"
RED = "C00000"
ORDINALS = "一二三四五六七八九十"
LEAD_INS = {"enforcement": "执法检查", "risk": "风险报告", "warnings": "预警处置", "hazards": "在线监测",
            "credit": "信用监管", "grids": "网格化监管", "supervision": "督办落实"}
TEXT_WIDTH_MM = 210 - 28 - 26


def _cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _fonts(el, east: str) -> None:
    """Latin text in Times New Roman, East Asian text in ``east`` (w:eastAsia), language zh-CN."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rpr = el.get_or_add_rPr()
    rf = rpr.find(qn("w:rFonts"))
    if rf is None:
        rf = OxmlElement("w:rFonts")
        rpr.insert(0, rf)
    for a in ("w:ascii", "w:hAnsi", "w:cs"):
        rf.set(qn(a), "Times New Roman")
    rf.set(qn("w:eastAsia"), east)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")


def _run(p, text: str, *, font: str = FANGSONG, size: float = 16, bold: bool = False, color: str | None = None):
    from docx.shared import Pt, RGBColor

    r = p.add_run(text)
    r.font.size = Pt(size)
    r.font.bold = bold
    if color:
        r.font.color.rgb = RGBColor.from_string(color)
    _fonts(r._r, font)
    return r


def _para(container, *, align: str = "left", line: float = 28, before: float = 0, after: float = 0,
          first_line: float = 0, left: float = 0, keep_next: bool = False):
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Pt

    p = container.add_paragraph()
    pf = p.paragraph_format
    pf.alignment = {"left": WD_ALIGN_PARAGRAPH.JUSTIFY, "center": WD_ALIGN_PARAGRAPH.CENTER,
                    "right": WD_ALIGN_PARAGRAPH.RIGHT, "plain": WD_ALIGN_PARAGRAPH.LEFT}[align]
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(line)
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    if first_line:
        pf.first_line_indent = Pt(first_line)
    if left:
        pf.left_indent = Pt(left)
    pf.keep_with_next = keep_next
    pf.widow_control = True
    return p


def _border(p, *sides: str, sz: int = 12, color: str = "000000", space: int = 1) -> None:
    """Lines above/below a paragraph (sz in eighths of a point)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    for side in sides:
        e = OxmlElement(f"w:{side}")
        e.set(qn("w:val"), "single")
        e.set(qn("w:sz"), str(sz))
        e.set(qn("w:space"), str(space))
        e.set(qn("w:color"), color)
        bdr.append(e)
    ppr.insert_element_before(bdr, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
                              "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
                              "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
                              "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
                              "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
                              "w:pPrChange")


def _page_number(section) -> None:
    """"— 1 —" centred in the footer (a PAGE field)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = section.footer.paragraphs[0]
    p.paragraph_format.alignment = 1  # center
    _run(p, "— ", font=SONG, size=14)
    r = _run(p, "", font=SONG, size=14)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            fc = OxmlElement("w:fldChar")
            fc.set(qn("w:fldCharType"), kind)
            r._r.append(fc)
        elif text == " PAGE ":
            it = OxmlElement("w:instrText")
            it.set(qn("xml:space"), "preserve")
            it.text = text
            r._r.append(it)
        else:
            t = OxmlElement("w:t")
            t.text = text
            r._r.append(t)
    _run(p, " —", font=SONG, size=14)


def _cell(cell, text: str, *, bold: bool = False, align: str = "center", size: float = 10.5) -> None:
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT

    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    p = cell.paragraphs[0]
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Pt

    p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER if align == "center" else WD_ALIGN_PARAGRAPH.RIGHT
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(1)
    _run(p, text, font=SONG, size=size, bold=bold)


def _table(doc, brief: Brief, s: Section, number: int) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    df = s.table_with_total
    what = "各设区市" if s.data.table_kind == "设区市" else (
        "各县（市、区）" if s.data.table_kind == "县（市、区）" else "分行业")
    cap = _para(doc, align="center", line=24, before=8, after=4, keep_next=True)
    _run(cap, f"表{number}  {s.data.name}{what}执法检查和风险报告情况", font=HEI, size=12)
    n_per = sum(1 for *_, b in TABLE_COLUMNS if b == "period")
    t = doc.add_table(rows=2, cols=1 + len(TABLE_COLUMNS))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    first_w = 18 if s.data.table_kind != "行业" else 24
    widths = [Mm(first_w)] + [Mm((TEXT_WIDTH_MM - first_w) / len(TABLE_COLUMNS))] * len(TABLE_COLUMNS)
    a = t.cell(0, 0).merge(t.cell(1, 0))
    _cell(a, "行业" if s.data.table_kind == "行业" else "地区", bold=True)
    p_head = t.cell(0, 1).merge(t.cell(0, n_per))
    period = period_phrase(brief.date_from, brief.date_to, brief.as_of.date())
    _cell(p_head, f"执法检查（{period}）", bold=True)
    c_head = t.cell(0, n_per + 1).merge(t.cell(0, len(TABLE_COLUMNS)))
    _cell(c_head, f"风险报告（截至{_cn_datetime(brief.as_of)}）", bold=True)
    for i, (_, h, u, _) in enumerate(TABLE_COLUMNS, start=1):
        _cell(t.cell(1, i), f"{h}\n（{u}）", bold=True, size=9)
    for _, r in df.iterrows():
        total = r["name"] == "合计"
        cells = t.add_row().cells
        _cell(cells[0], text_cell(str(r["name"])), bold=total, size=10)
        for i, (c, *_rest) in enumerate(TABLE_COLUMNS, start=1):
            _cell(cells[i], num(_plain(r[c])), bold=total, size=10)
    for col, w in zip(t.columns, widths):  # the grid (LibreOffice lays out by it) and every cell (Word)
        col.width = w
    for row in t.rows:
        for w, cell in zip(widths, row.cells):
            cell.width = w
    if len(t.rows) <= 18:  # a short table stays on one page, with its note
        for row in t.rows:
            for cell in row.cells:
                for cp in cell.paragraphs:
                    cp.paragraph_format.keep_with_next = True
    mar = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        e = OxmlElement(f"w:{side}")
        e.set(qn("w:w"), "57")  # 1 mm
        e.set(qn("w:type"), "dxa")
        mar.append(e)
    t._tbl.tblPr.insert_element_before(mar, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")
    # repeat the two header rows on each page
    for row in list(t.rows)[:2]:
        trpr = row._tr.get_or_add_trPr()
        h = OxmlElement("w:tblHeader")
        h.set(qn("w:val"), "true")
        trpr.append(h)
    note = _para(doc, align="left", line=20, before=4, after=6)
    _run(note, f"注：执法检查为{_cn_date_range(brief)}数据，风险报告为截至{_cn_datetime(brief.as_of)}的累计数，"
               f"均只计入{_cn_datetime(brief.as_of)}前录入平台的记录。", font=FANGSONG, size=12)


def _colophon(doc, brief: Brief) -> None:
    """版记: the 抄送 lines and "<issuer> <date>印发" between rules, kept together on one page."""
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.shared import Mm, Pt

    p = _para(doc, align="plain", line=28, before=24, first_line=14, keep_next=True)
    _border(p, "top", sz=8, space=4)
    _run(p, CC[0], size=14)
    for line in CC[1:]:
        p = _para(doc, align="left", line=28, left=14 + 42, keep_next=True)
        p.paragraph_format.keep_together = True
        _run(p, line, size=14)
    p = _para(doc, align="plain", line=30)
    p.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM - 5), WD_TAB_ALIGNMENT.RIGHT)
    p.paragraph_format.first_line_indent = Pt(14)
    _run(p, ISSUER + "\t" + _cn_date(brief.issue_date) + "印发", size=14)
    _border(p, "top", "bottom", sz=8, space=4)


def _cn_datetime(v: dt.datetime) -> str:
    """2021年3月13日 (end of the day) or 2021年3月13日10时30分."""
    if v.time() >= dt.time(23, 59):
        return _cn_date(v.date())
    return f"{_cn_date(v.date())}{v.hour}时{v.minute:02d}分"


def _cn_date_range(brief: Brief) -> str:
    if brief.date_from and brief.date_to:
        return f"{_cn_date(brief.date_from)}至{_cn_date(brief.date_to)}"
    if brief.date_from:
        return f"{_cn_date(brief.date_from)}以来"
    if brief.date_to:
        return f"截至{_cn_date(brief.date_to)}"
    return "全部时间"


def _prop(text: str, limit: int = 255) -> str:
    """A document property (a long 期号 or many regions would exceed the 255 characters Word allows)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def to_docx(brief: Brief) -> bytes:
    """A draft issue in the bulletin's structure: 红头 (title, 期号, issuing body, date), 内容要目, 【地方工作】 with
    one section per region (numbered paragraphs built from the copy-ready sentences and a table), 抄送 block."""
    from docx import Document
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.shared import Mm, Pt

    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(37), Mm(30), Mm(28), Mm(26)
    sec.footer_distance = Mm(18)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(16)
    _fonts(normal.element, FANGSONG)
    props = doc.core_properties  # each at most 255 characters (python-docx raises beyond)
    props.title = _prop(f"{BULLETIN_TITLE} {brief.issue_no}".strip())
    props.author = _prop(brief.generated_by or ISSUER)
    props.comments = _prop(f"数据截止 {brief.as_of_text()}；{brief.command()}")
    _page_number(sec)

    # 红头
    p = _para(doc, align="center", line=60, before=12, after=6)
    _run(p, BULLETIN_TITLE, font=SONG, size=36, bold=True, color=RED)
    p = _para(doc, align="center", line=30, after=10)
    _run(p, brief.issue_no or "第  期")
    p = _para(doc, align="plain", line=30, after=0)
    p.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT)
    _run(p, ISSUER + "\t" + _cn_date(brief.issue_date))
    _border(p, "bottom", sz=18, color=RED, space=6)

    # 内容要目
    p = _para(doc, align="center", line=36, before=18, after=6)
    _run(p, "内 容 要 目", font=HEI, size=18)
    p = _para(doc, align="plain", line=30, first_line=32)
    _run(p, COLUMN, font=KAI, size=16, bold=True)
    for s in brief.sections:
        p = _para(doc, align="plain", line=30, first_line=32)
        _run(p, s.title)
    _border(p, "bottom", sz=6, color="000000", space=10)

    # 【地方工作】
    p = _para(doc, align="plain", line=30, before=18, after=6)
    _run(p, COLUMN, font=KAI, size=16, bold=True)
    table_no = 0
    for s in brief.sections:
        p = _para(doc, align="center", line=36, before=12, after=12, keep_next=True)
        _run(p, s.title, font=SONG, size=22, bold=True)
        groups: dict[str, list[str]] = {}
        leads: dict[str, str] = {}
        for sent in s.sentences:
            text = sent.text
            if sent.lead and leads.get(sent.topic) == sent.lead:  # the same period again: "同期，…"
                text = "同期，" + text[len(sent.lead) + 1:]
            leads[sent.topic] = sent.lead or leads.get(sent.topic, "")
            groups.setdefault(sent.topic, []).append(text)
        for i, (topic, texts) in enumerate(groups.items()):
            p = _para(doc, line=28, first_line=32)
            _run(p, f"{ORDINALS[i] if i < len(ORDINALS) else i + 1}是{LEAD_INS.get(topic, TOPIC_NAMES[topic])}。",
                 bold=True)
            _run(p, "".join(texts))
        table_no += 1
        _table(doc, brief, s, table_no)

    _colophon(doc, brief)

    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
