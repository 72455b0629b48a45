"""Excel templates for the cities: a 数据 sheet with the headers (required ones marked *), drop-down lists for
enumerations, text-formatted code columns (so Excel does not turn an 18-character code or an adcode into a number),
and a 填写说明 sheet describing every column with an example."""
from __future__ import annotations

import io

from .cells import Col
from .core import Kind
from .kinds import KINDS

ROWS_WITH_LISTS = 5000
TEXT_KINDS = {"text", "uscc", "adcode", "month"}


def header_text(c: Col) -> str:
    return c.header + ("*" if c.required else "")


def template_bytes(kind: str | Kind) -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    k = KINDS[kind] if isinstance(kind, str) else kind
    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    for i, c in enumerate(k.columns, start=1):
        cell = ws.cell(row=1, column=i, value=header_text(c))
        cell.font = Font(bold=True, color="C00000" if c.required else "000000")
        cell.fill = head_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.comment = Comment(f"{c.fmt()}{'；必填' if c.required else ''}\n{c.note}".strip(), "oversight")
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(12, min(36, len(c.header) * 2 + 6))
        rng = f"{letter}2:{letter}{ROWS_WITH_LISTS + 1}"
        if c.kind in TEXT_KINDS:
            for r in range(2, 202):
                ws.cell(row=r, column=i).number_format = "@"
        elif c.kind == "date":
            for r in range(2, 202):
                ws.cell(row=r, column=i).number_format = "yyyy-mm-dd"
        elif c.kind == "datetime":
            for r in range(2, 202):
                ws.cell(row=r, column=i).number_format = "yyyy-mm-dd hh:mm"
        choices = list(c.choices) if c.kind == "enum" else ["是", "否"] if c.kind == "bool" else None
        if choices:
            primary = [x for x in choices if x in _primary_labels(c)] or choices
            dv = DataValidation(type="list", formula1='"' + ",".join(primary) + '"', allow_blank=not c.required,
                                showErrorMessage=False)
            dv.add(rng)
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 32

    info = wb.create_sheet("填写说明")
    info["A1"] = f"{k.title}导入模板（oversight import {k.key}）"
    info["A1"].font = Font(bold=True, size=14)
    info["A2"] = k.summary
    info["A3"] = ("在“数据”表第 2 行起逐行填写；标 * 的列必填。整个文件校验通过才会导入（一次事务）；同一文件重复导入不会"
                  "产生重复数据（按" + "、".join(k.col(x).header for x in k.natural_key) + "更新）。")
    for j, h in enumerate(["列名", "必填", "格式", "示例", "说明"], start=1):
        cell = info.cell(row=5, column=j, value=h)
        cell.font = Font(bold=True)
        cell.fill = head_fill
    for i, c in enumerate(k.columns, start=6):
        for j, val in enumerate([c.header, "是" if c.required else "", c.fmt(), c.example, c.note], start=1):
            info.cell(row=i, column=j, value=val).number_format = "@"
    for letter, w in zip("ABCDE", (20, 6, 36, 26, 50)):
        info.column_dimensions[letter].width = w
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _primary_labels(c: Col) -> list[str]:
    """The labels shown in a drop-down: one per stored value (the first label that maps to it)."""
    seen, out = set(), []
    for label, value in c.choices.items():
        if value not in seen:
            seen.add(value)
            out.append(label)
    return out


def reference_markdown() -> str:
    """Every kind's columns as Markdown (README, "Templates"): header, required, format, example, note; then the
    header and the example row as a CSV file. The README carries this text verbatim (a test checks it)."""
    def cell(s: str) -> str:
        return str(s).replace("|", "\\|") or " "

    out = []
    for key, k in KINDS.items():
        keys = "、".join(k.col(c).header for c in k.natural_key)
        out.append(f"## `{key}`: {k.title}\n")
        out.append(f"{k.summary} Natural key (re-import updates, never duplicates): {keys}.\n")
        out.append("| column (表头) | required | format | example | note |")
        out.append("| --- | --- | --- | --- | --- |")
        for c in k.columns:
            out.append(f"| {cell(c.header)} | {'yes' if c.required else ''} | {cell(c.fmt())} | {cell(c.example)} | "
                       f"{cell(c.note)} |")
        out.append("")
        out.append("The same as a CSV file (UTF-8 or GB18030), header and one example row:\n")
        out.append("```csv")
        out.append(",".join(header_text(c) for c in k.columns))
        out.append(",".join(c.example for c in k.columns))
        out.append("```\n")
    return "\n".join(out)
