"""Reading a city's spreadsheet and turning its cells into typed values, with a Chinese message for each bad cell.

No database here: these checks need nothing but the cell (types, formats, enumerations, USCC check digits).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterable, Iterator

from seed.uscc import ALPHABET, check_digit

EARLIEST = dt.date(2000, 1, 1)
INT_MAX = 2**31 - 1  # the database's INTEGER (PostgreSQL refuses anything larger as "out of range")
MAX_COLUMNS = 64  # columns that may hold content (the widest template has 21)


@dataclass(frozen=True)
class Limits:
    """What one file may cost to read; each is a setting (README, "City data intake", Limits)."""
    max_bytes: int = 20 * 1024 * 1024  # the file as uploaded
    max_rows: int = 100_000  # data rows (non-blank rows after the header)
    max_sheet_rows: int = 200_000  # rows read of any kind: blank ones and gaps in the numbering count too
    max_cells: int = 5_000_000  # cells read (blank ones included)
    max_unzipped: int = 200 * 1024 * 1024  # an .xlsx's parts once decompressed (declared and actual)
    max_seconds: float = 60.0  # reading and parsing the file

    @classmethod
    def from_env(cls) -> "Limits":
        def num(name: str, default: float, scale: float = 1) -> float:  # a bad setting falls back to the default
            try:
                v = float(os.environ.get(name, "").strip() or default)
            except ValueError:
                v = default
            return max(v, 0) * scale if math.isfinite(v) else default * scale

        d = cls()
        rows = int(num("OVERSIGHT_IMPORT_MAX_ROWS", d.max_rows))
        return cls(max_bytes=int(num("OVERSIGHT_IMPORT_MAX_MB", d.max_bytes / 2**20, 2**20)),
                   max_rows=rows, max_sheet_rows=2 * rows,
                   max_cells=int(num("OVERSIGHT_IMPORT_MAX_CELLS", d.max_cells)),
                   max_unzipped=int(num("OVERSIGHT_IMPORT_MAX_UNZIPPED_MB", d.max_unzipped / 2**20, 2**20)),
                   max_seconds=num("OVERSIGHT_IMPORT_MAX_SECONDS", d.max_seconds))


def limits() -> Limits:
    return Limits.from_env()


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
            "int": "非负整数" if self.hi is None and self.lo == 0 else f"整数 {self.lo:g}–{self.hi:g}",
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
    hi = INT_MAX if col.hi is None else min(col.hi, INT_MAX)
    if v > hi:
        raise CellError(f"不能大于 {hi:,.0f}")
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


def read_rows(data: bytes, file_name: str,
              lim: Limits | None = None) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """The header and the non-blank data rows ``(row number as the user sees it, cells)`` of an .xlsx or .csv.

    Every row is counted by reading it (an .xlsx's ``<dimension>`` is not trusted), and the work is bounded
    (``Limits``): a file past a limit is refused as a whole with a Chinese message (``FileError``)."""
    lim = lim or limits()
    if len(data) > lim.max_bytes:
        raise FileError(f"文件过大（{len(data) / 1048576:.1f} MB），上限 {lim.max_bytes / 1048576:g} MB")
    if not data:
        raise FileError("文件为空")
    deadline = time.monotonic() + lim.max_seconds
    name = file_name.lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        rows = _xlsx_rows(data, lim, deadline)
    elif name.endswith(".csv") or name.endswith(".txt"):
        rows = _csv_rows(data)
    elif name.endswith(".xls"):
        raise FileError("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再导入")
    else:
        raise FileError("只接受 .xlsx 或 .csv 文件")
    header: list[str] | None = None
    out: list[tuple[int, list[Any]]] = []
    for num, cells in _bounded(rows, lim, deadline):
        if all(_blank(c) for c in cells):
            continue
        if header is None:
            header = [normalise_header(c) for c in cells]
            continue
        out.append((num, list(cells)))
        if len(out) > lim.max_rows:
            raise FileError(f"数据行超过 {lim.max_rows:,} 行，请分批导入")
    if header is None:
        raise FileError("文件中没有表头和数据")
    return header, out


def _too_slow(lim: Limits) -> FileError:
    return FileError(f"读取文件超过 {lim.max_seconds:g} 秒仍未完成（行、列或空白单元格过多），请删除多余的行列或分批导入")


def _bounded(rows: Iterable[tuple[int, Any]], lim: Limits, deadline: float) -> Iterator[tuple[int, list[Any]]]:
    """The rows as lists of at most ``MAX_COLUMNS`` cells, refusing a file past the row, cell or time limits.

    Rows are numbered as read (blank rows and gaps in an .xlsx's numbering included), so a row's number is the
    one the user sees."""
    cells = 0
    for num, row in rows:
        if num > lim.max_sheet_rows:
            raise FileError(f"表格超过 {lim.max_sheet_rows:,} 行（含空行；第 {num:,} 行仍有单元格），"
                            f"请删除多余的空行或分批导入")
        cells += len(row)
        if cells > lim.max_cells:
            raise FileError(f"表格单元格超过 {lim.max_cells:,} 个（含空白单元格），请删除多余的行列或分批导入")
        if time.monotonic() > deadline:
            raise _too_slow(lim)
        row = list(row)
        if len(row) > MAX_COLUMNS:
            extra = next((i for i in range(MAX_COLUMNS, len(row)) if not _blank(row[i])), None)
            if extra is not None:
                raise FileError(f"第 {num} 行第 {extra + 1} 列有内容：最多 {MAX_COLUMNS} 列，请使用导入模板")
            row = row[:MAX_COLUMNS]
        yield num, row


def _check_zip(data: bytes, lim: Limits, deadline: float) -> None:
    """Refuse a zip bomb or a damaged archive before any XML is parsed: the parts' declared sizes must fit the
    limit, and each part is decompressed once, counting what it really holds (zipfile stops at the declared size
    and checks the CRC, so a part that holds more than it declares fails here)."""
    import zipfile
    import zlib

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, IndexError) as e:
        raise FileError(f"无法读取 Excel 文件（{type(e).__name__}），请确认是 .xlsx 格式且未损坏") from None
    limit_mb = f"{lim.max_unzipped / 1048576:g} MB"
    if len(infos) > 10_000 or sum(i.file_size for i in infos) > lim.max_unzipped:
        raise FileError(f"Excel 文件解压后超过 {limit_mb}（疑似压缩炸弹或内容过多），请分批导入")
    total = 0
    try:
        for info in infos:
            if info.is_dir():
                continue
            with zf.open(info) as part:
                while chunk := part.read(1 << 20):
                    total += len(chunk)
                    if total > lim.max_unzipped:
                        raise FileError(f"Excel 文件解压后超过 {limit_mb}（疑似压缩炸弹或内容过多），请分批导入")
                    if time.monotonic() > deadline:
                        raise _too_slow(lim)
    except FileError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError, NotImplementedError) as e:
        raise FileError(f"Excel 文件已损坏，其中“{info.filename[:60]}”无法解压（{type(e).__name__}），"
                        f"请在 Excel 中重新保存后再导入") from None


def _xlsx_rows(data: bytes, lim: Limits, deadline: float):
    from openpyxl import load_workbook

    _check_zip(data, lim, deadline)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - whatever a hostile or damaged file makes openpyxl raise
        raise FileError(f"无法读取 Excel 文件（{type(e).__name__}），请确认是 .xlsx 格式且未损坏") from None
    num = 0
    try:
        ws = wb["数据"] if "数据" in wb.sheetnames else wb.worksheets[0]
        ws.reset_dimensions()  # <dimension> may understate the sheet (rows would be lost) or overstate it
        for num, row in enumerate(ws.iter_rows(values_only=True), start=1):
            yield num, row
    except FileError:
        raise
    except Exception as e:  # noqa: BLE001 - malformed sheet XML, bad cell values, bad shared-string indexes …
        where = f"第 {num + 1} 行附近" if num else "工作表"
        raise FileError(f"Excel 文件{where}内容无法解析（{type(e).__name__}），请在 Excel 中重新保存后再导入") from None
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
    reader = csv.reader(io.StringIO(text))
    num = 0
    try:
        for num, row in enumerate(reader, start=1):
            yield num, row
    except csv.Error as e:
        line = num + 1
        if "field larger than field limit" in str(e):
            raise FileError(f"CSV 第 {line} 行附近有超过 {csv.field_size_limit() // 1024} KiB 的字段"
                            f"（可能缺少配对的引号），请检查后再导入") from None
        raise FileError(f"CSV 第 {line} 行附近格式错误（{str(e)[:60]}），请检查引号和分隔符") from None


def read_path(path: str | Path, lim: Limits | None = None) -> tuple[bytes, str]:
    lim = lim or limits()
    p = Path(path)
    try:
        if not p.is_file():
            raise FileError(f"找不到文件：{p}")
        size = p.stat().st_size
        if size > lim.max_bytes:
            raise FileError(f"文件过大（{size / 1048576:.1f} MB），上限 {lim.max_bytes / 1048576:g} MB")
        return p.read_bytes(), p.name
    except OSError as e:
        raise FileError(f"无法读取文件 {p}（{e.strerror or type(e).__name__}）") from None
