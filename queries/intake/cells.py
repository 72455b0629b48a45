"""Reading a city's spreadsheet and turning its cells into typed values, with a Chinese message for each bad cell.

No database here: these checks need nothing but the cell (types, formats, enumerations, USCC check digits).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from seed.uscc import ALPHABET, check_digit

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
EARLIEST = dt.date(2000, 1, 1)

TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "t"}
FALSE = {"否", "n", "no", "false", "0", "×", "✗", "f"}


class CellError(ValueError):
    """A cell's value is not acceptable; the message is shown to the user (Chinese)."""


class FileError(ValueError):
    """The file as a whole cannot be read (format, size, header); the message is shown to the user."""


@dataclass(frozen=True)
class Col:
    """One template column: its header, how its cells are read, and what the README / template say of it."""
    key: str
    header: str
    kind: str  # text | int | money | number | date | datetime | month | bool | enum | uscc | adcode
    required: bool = False
    example: str = ""
    note: str = ""
    choices: dict[str, str] = field(default_factory=dict)  # label -> stored value (enum)
    max_len: int = 64
    future_ok: bool = False  # a date that may lie ahead (deadlines)
    lo: float | None = 0  # numbers: smallest value allowed
    hi: float | None = None

    def fmt(self) -> str:
        """The accepted format, for the template's instructions and the README."""
        return {
            "text": f"文本，不超过 {self.max_len} 字",
            "int": "非负整数",
            "money": "金额（元），最多两位小数",
            "number": f"数值 {self.lo:g}–{self.hi:g}" if self.hi is not None else "数值",
            "date": "日期 YYYY-MM-DD",
            "datetime": "日期时间 YYYY-MM-DD HH:MM",
            "month": "月份 YYYY-MM",
            "bool": "是 / 否",
            "enum": " / ".join(self.choices),
            "uscc": "18 位统一社会信用代码（GB 32100，含校验位）",
            "adcode": "6 位县级行政区划代码",
        }[self.kind]


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and v != v)


def _text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).replace("\u3000", " ").strip()


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DT_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?[ T]+(\d{1,2})[:：时](\d{1,2})"
                    r"(?:[:：分](\d{1,2})秒?)?$")
_MONTH_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")


def _excel_serial(v: float) -> dt.datetime:
    return dt.datetime(1899, 12, 30) + dt.timedelta(days=float(v))


def parse_date(v: Any, col: Col, today: dt.date) -> dt.date:
    if isinstance(v, dt.datetime):
        d = v.date()
    elif isinstance(v, dt.date):
        d = v
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        if 20000 <= v <= 80000:
            d = _excel_serial(v).date()
        elif 19000101 <= v <= 21001231:
            d = parse_date(str(int(v)), col, today)
        else:
            raise CellError("不是日期，应为 YYYY-MM-DD")
    else:
        s = _text(v)
        m = _DATE_RE.match(s) or (re.match(r"^(\d{4})(\d{2})(\d{2})$", s))
        if not m:
            if _DT_RE.match(s):
                return parse_datetime(s, col, today).date()
            raise CellError(f"“{s[:20]}”不是日期，应为 YYYY-MM-DD")
        try:
            d = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise CellError(f"“{s[:20]}”不是有效日期") from None
    if d < EARLIEST:
        raise CellError(f"日期 {d} 早于 {EARLIEST}")
    if not col.future_ok and d > today:
        raise CellError(f"日期 {d} 晚于今天")
    return d


def parse_datetime(v: Any, col: Col, today: dt.date) -> dt.datetime:
    if isinstance(v, dt.datetime):
        t = v.replace(microsecond=0)
    elif isinstance(v, dt.date):
        t = dt.datetime.combine(v, dt.time())
    elif isinstance(v, (int, float)) and not isinstance(v, bool) and 20000 <= v <= 80000:
        t = _excel_serial(v).replace(microsecond=0)
    else:
        s = _text(v)
        m = _DT_RE.match(s)
        if m:
            try:
                t = dt.datetime(*(int(x) for x in m.groups(default="0")))
            except ValueError:
                raise CellError(f"“{s[:20]}”不是有效的日期时间") from None
        else:
            t = dt.datetime.combine(parse_date(s, col, today), dt.time())
    if t.date() < EARLIEST:
        raise CellError(f"时间 {t} 早于 {EARLIEST}")
    if not col.future_ok and t.date() > today:
        raise CellError(f"时间 {t:%Y-%m-%d %H:%M} 晚于今天")
    return t


def parse_month(v: Any, col: Col, today: dt.date) -> dt.date:
    if isinstance(v, (dt.date, dt.datetime)):
        d = v if not isinstance(v, dt.datetime) else v.date()
        d = d.replace(day=1)
    else:
        s = _text(v)
        m = _MONTH_RE.match(s) or re.match(r"^(\d{4})(\d{2})$", s)
        if m:
            if not 1 <= int(m.group(2)) <= 12:
                raise CellError(f"“{s}”不是有效月份")
            d = dt.date(int(m.group(1)), int(m.group(2)), 1)
        else:
            d = parse_date(s, col, today).replace(day=1)
    if d < EARLIEST or d > today:
        raise CellError(f"月份 {d:%Y-%m} 不在 {EARLIEST:%Y-%m} 至本月之间")
    return d


def parse_int(v: Any, col: Col) -> int:
    if isinstance(v, bool):
        raise CellError("应为整数")
    if isinstance(v, float):
        if not v.is_integer():
            raise CellError(f"{v:g} 不是整数")
        v = int(v)
    if not isinstance(v, int):
        s = _text(v).replace(",", "").replace("，", "")
        if not re.fullmatch(r"[+-]?\d{1,12}", s):
            raise CellError(f"“{s[:20]}”不是整数")
        v = int(s)
    if col.lo is not None and v < col.lo:
        raise CellError("不能为负数" if col.lo == 0 else f"不能小于 {col.lo:g}")
    if col.hi is not None and v > col.hi:
        raise CellError(f"不能大于 {col.hi:g}")
    return v


def parse_decimal(v: Any, col: Col, places: int = 2) -> Decimal:
    if isinstance(v, bool):
        raise CellError("应为数值")
    s = _text(v).replace(",", "").replace("，", "")
    try:
        d = Decimal(s)
    except InvalidOperation:
        raise CellError(f"“{s[:20]}”不是数值") from None
    if not d.is_finite():
        raise CellError("不是有限数值")
    if col.lo is not None and d < Decimal(str(col.lo)):
        raise CellError("不能为负数" if col.lo == 0 else f"不能小于 {col.lo:g}")
    if col.hi is not None and d > Decimal(str(col.hi)):
        raise CellError(f"不能大于 {col.hi:g}")
    if d.as_tuple().exponent < -places:
        if isinstance(v, float):  # binary float noise from Excel: round it
            d = d.quantize(Decimal(1).scaleb(-places))
        else:
            raise CellError(f"最多 {places} 位小数")
    if abs(d) >= Decimal(10) ** 12:
        raise CellError("数值过大")
    return d


def parse_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = _text(v).lower()
    if s in TRUE:
        return True
    if s in FALSE:
        return False
    raise CellError(f"“{s[:10]}”应为“是”或“否”")


def parse_enum(v: Any, col: Col) -> str:
    s = _text(v)
    if s in col.choices:
        return col.choices[s]
    if s in col.choices.values():  # the stored code is accepted too
        return s
    raise CellError(f"“{s[:20]}”不在可选值内（{'、'.join(col.choices)}）")


def parse_uscc(v: Any) -> str:
    s = re.sub(r"\s+", "", _text(v)).upper()
    if len(s) != 18:
        raise CellError(f"统一社会信用代码应为 18 位，实为 {len(s)} 位")
    bad = sorted({c for c in s if c not in ALPHABET})
    if bad:
        raise CellError(f"统一社会信用代码含非法字符 {'、'.join(bad)}（不使用 I、O、S、V、Z）")
    if not s[2:8].isdigit():
        raise CellError("统一社会信用代码第 3–8 位应为登记管理机关行政区划码（数字）")
    want = check_digit(s[:17])
    if s[17] != want:
        raise CellError(f"统一社会信用代码校验位错误（第 18 位应为 {want}，实为 {s[17]}）")
    return s


def parse_adcode(v: Any) -> int:
    s = _text(v)
    if not re.fullmatch(r"\d{6}", s):
        raise CellError(f"“{s[:20]}”不是 6 位行政区划代码")
    return int(s)


def parse_cell(v: Any, col: Col, today: dt.date) -> Any:
    """The typed value of a non-blank cell, or CellError."""
    k = col.kind
    if k == "text":
        s = _text(v)
        s = "".join(ch for ch in s if ch >= " " or ch in "\t")
        if len(s) > col.max_len:
            raise CellError(f"超过 {col.max_len} 字（{len(s)} 字）")
        return s
    if k == "int":
        return parse_int(v, col)
    if k == "money":
        return parse_decimal(v, col, 2)
    if k == "number":
        return float(parse_decimal(v, col, 6))
    if k == "date":
        return parse_date(v, col, today)
    if k == "datetime":
        return parse_datetime(v, col, today)
    if k == "month":
        return parse_month(v, col, today)
    if k == "bool":
        return parse_bool(v)
    if k == "enum":
        return parse_enum(v, col)
    if k == "uscc":
        return parse_uscc(v)
    if k == "adcode":
        return parse_adcode(v)
    raise ValueError(f"unknown column kind {k}")


# --- files ----------------------------------------------------------------------------------------------------

def normalise_header(h: Any) -> str:
    s = _text(h) if not _blank(h) else ""
    s = s.replace("（", "(").replace("）", ")").replace("＊", "*")
    s = re.sub(r"\(必填\)$", "", s).strip().rstrip("*").strip().lstrip("*").strip()
    return s


def read_rows(data: bytes, file_name: str) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """The header and the non-blank data rows ``(row number as the user sees it, cells)`` of an .xlsx or .csv."""
    if len(data) > MAX_BYTES:
        raise FileError(f"文件过大（{len(data) / 1048576:.1f} MB），上限 {MAX_BYTES // 1048576} MB")
    if not data:
        raise FileError("文件为空")
    name = file_name.lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        rows = _xlsx_rows(data)
    elif name.endswith(".csv") or name.endswith(".txt"):
        rows = _csv_rows(data)
    elif name.endswith(".xls"):
        raise FileError("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再导入")
    else:
        raise FileError("只接受 .xlsx 或 .csv 文件")
    header: list[str] | None = None
    out: list[tuple[int, list[Any]]] = []
    for num, cells in rows:
        if all(_blank(c) for c in cells):
            continue
        if header is None:
            header = [normalise_header(c) for c in cells]
            continue
        out.append((num, list(cells)))
        if len(out) > MAX_ROWS:
            raise FileError(f"数据行超过 {MAX_ROWS:,} 行，请分批导入")
    if header is None:
        raise FileError("文件中没有表头和数据")
    return header, out


def _xlsx_rows(data: bytes):
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as e:
        raise FileError(f"无法读取 Excel 文件（{type(e).__name__}），请确认是 .xlsx 格式且未损坏") from None
    try:
        ws = wb["数据"] if "数据" in wb.sheetnames else wb.worksheets[0]
        for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
            yield i, row
    finally:
        wb.close()


def _csv_rows(data: bytes):
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileError("CSV 文件编码无法识别（应为 UTF-8 或 GBK）")
    if "\x00" in text:
        raise FileError("CSV 文件含有二进制内容")
    for i, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        yield i, row


def read_path(path: str | Path) -> tuple[bytes, str]:
    p = Path(path)
    if not p.is_file():
        raise FileError(f"找不到文件：{p}")
    if p.stat().st_size > MAX_BYTES:
        raise FileError(f"文件过大（{p.stat().st_size / 1048576:.1f} MB），上限 {MAX_BYTES // 1048576} MB")
    return p.read_bytes(), p.name
