"""The one scope that flows from the URL (or a CLI call) to the SQL.

A ``Scope`` says what is asked for: region (adcode at any level), industry, period, as-of cut-off, and the
user's binding (the region a user may see; ``None`` = the whole province). ``resolve`` checks it against the
reference data and the binding and returns a ``Resolved`` scope whose ``where()`` builds the filter of any
fact table. A city-bound user asking for the province is narrowed to their city; asking for another city is
refused with ``ScopeError`` (its message is Chinese, for the UI).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Mapping

from sqlalchemy import Date, DateTime, Engine, Table, and_, or_, true

from queries.regions import PROVINCE, Reference, fold_fullwidth, reference

MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2099, 12, 31)


class ScopeError(ValueError):
    """A scope that cannot be served: unknown code, malformed date, or a region outside the binding."""


@dataclass(frozen=True)
class Scope:
    region: int = PROVINCE
    industry: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    as_of: dt.datetime | None = None
    binding: int | None = None

    def with_(self, **kw) -> "Scope":
        return replace(self, **kw)


@dataclass(frozen=True)
class Resolved:
    region: int
    level: str  # province | city | county
    city: int | None
    county: int | None
    industry: str | None
    industry_kind: str | None  # sector | section | division
    date_from: dt.date | None
    date_to: dt.date | None
    as_of: dt.datetime | None
    binding: int | None
    ref: Reference

    # -- time ------------------------------------------------------------------------------------------
    @property
    def cutoff(self) -> dt.datetime | None:
        """The moment "to date" figures are taken at: the end of the period, or the as-of time if earlier."""
        end = dt.datetime.combine(self.date_to, dt.time(23, 59, 59)) if self.date_to else None
        if end and self.as_of:
            return min(end, self.as_of)
        return end or self.as_of

    def group_column(self, table: Table):
        """The column that splits this scope into its child regions (cities of the province, counties of a city)."""
        return table.c.city_adcode if self.level == "province" else table.c.county_adcode

    def child_level(self) -> str:
        return "city" if self.level == "province" else "county"

    # -- filters ---------------------------------------------------------------------------------------
    def region_filter(self, table: Table):
        if self.level == "city":
            return table.c.city_adcode == self.city
        if self.level == "county":
            return table.c.county_adcode == self.county
        return true()

    def industry_filter(self, table: Table):
        if not self.industry:
            return true()
        if self.industry_kind == "sector":
            return table.c.sector_code == self.industry
        if self.industry_kind == "section":
            return table.c.industry_code.startswith(self.industry, autoescape=True)
        return table.c.industry_code == self.industry

    def period_filter(self, col):
        conds = []
        is_dt = isinstance(col.type, DateTime)
        if self.date_from:
            start = dt.datetime.combine(self.date_from, dt.time()) if is_dt else self.date_from
            conds.append(col >= start)
        if self.date_to:
            if is_dt:
                conds.append(col < dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time()))
            else:
                conds.append(col <= self.date_to)
        return and_(true(), *conds)

    def recorded_filter(self, table: Table):
        if self.as_of is not None and "recorded_at" in table.c:
            return table.c.recorded_at <= self.as_of
        return true()

    def until_cutoff(self, col):
        """``col`` happened by the cut-off (used for to-date figures)."""
        c = self.cutoff
        if c is None:
            return true()
        if isinstance(col.type, Date) and not isinstance(col.type, DateTime):
            return col <= c.date()
        return col <= c

    def where(self, table: Table, date_col: str | None = None, *, industry: bool = True):
        """Region, industry, period (on ``date_col``) and as-of filters for ``table``."""
        conds = [self.region_filter(table), self.recorded_filter(table)]
        if industry and "sector_code" in table.c:
            conds.append(self.industry_filter(table))
        if date_col is not None:
            conds.append(self.period_filter(table.c[date_col]))
        return and_(*conds)

    def by_as_of(self, col):
        """``col`` happened by the as-of time (any time when there is none), e.g. a hazard rectified since."""
        if self.as_of is None:
            return true()
        if isinstance(col.type, Date) and not isinstance(col.type, DateTime):
            return col <= self.as_of.date()
        return col <= self.as_of

    def open_at(self, closed_col):
        """Not closed at the cut-off (or now)."""
        c = self.as_of
        if c is None:
            return closed_col.is_(None)
        return or_(closed_col.is_(None), closed_col > c)

    def describe(self) -> dict:
        """A plain description of the scope (for figures, exports and audit)."""
        return {
            "region": self.region,
            "region_name": self.ref.name(self.region),
            "industry": self.industry,
            "industry_name": self.ref.industries[self.industry].name if self.industry else "全部行业",
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "as_of": self.as_of.isoformat(sep=" ") if self.as_of else None,
        }


def resolve(scope: Scope, engine: Engine) -> Resolved:
    ref = reference(engine)
    region = scope.region
    if not isinstance(region, int) or isinstance(region, bool) or region not in ref.divisions:
        raise ScopeError(f"未知的地区代码：{region}")
    binding = scope.binding
    if binding is not None:
        if binding not in ref.divisions:
            raise ScopeError("账号绑定的地区无效，请联系管理员")
        if ref.contains(region, binding) and region != binding:
            region = binding  # asking for an ancestor of the binding: narrowed to the binding
        elif not ref.contains(binding, region):
            raise ScopeError(f"无权查看{ref.name(region)}的数据：账号仅限{ref.name(binding)}")
    div = ref.divisions[region]
    industry = scope.industry or None
    kind = None
    if industry is not None:
        ind = ref.industries.get(industry) if isinstance(industry, str) else None
        if ind is None:
            raise ScopeError(f"未知的行业代码：{industry}")
        kind = ind.kind
    for d in (scope.date_from, scope.date_to):
        if d is not None and (not isinstance(d, dt.date) or not (MIN_DATE <= d <= MAX_DATE)):
            raise ScopeError(f"日期超出范围：{d}")
    if scope.date_from and scope.date_to and scope.date_from > scope.date_to:
        raise ScopeError("开始日期晚于结束日期")
    as_of = scope.as_of
    if as_of is not None:
        if isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime):
            as_of = dt.datetime.combine(as_of, dt.time(23, 59, 59))
        if not isinstance(as_of, dt.datetime) or not (MIN_DATE <= as_of.date() <= MAX_DATE):
            raise ScopeError(f"截止时间超出范围：{as_of}")
    return Resolved(
        region=region, level=div.level,
        city=div.city if div.level != "province" else None,
        county=region if div.level == "county" else None,
        industry=industry, industry_kind=kind, date_from=scope.date_from, date_to=scope.date_to,
        as_of=as_of, binding=binding, ref=ref,
    )


# --- parsing text (URL query parameters, CLI arguments, form fields) ---------------------------------------

def parse_date(text: str | None, what: str = "日期") -> dt.date | None:
    if text is None or str(text).strip() == "":
        return None
    s = str(text).strip()  # messages quote the text as typed; fullwidth digits (０-９, －) are read as ASCII
    try:
        d = dt.date.fromisoformat(fold_fullwidth(s))
    except ValueError:
        raise ScopeError(f"{what}格式不正确（应为 YYYY-MM-DD）：{s[:40]}") from None
    if not (MIN_DATE <= d <= MAX_DATE):
        raise ScopeError(f"{what}超出范围：{s[:40]}")
    return d


def parse_datetime(text: str | None, what: str = "截止时间") -> dt.datetime | None:
    if text is None or str(text).strip() == "":
        return None
    s = str(text).strip()
    try:
        if len(s) == 10:
            return dt.datetime.combine(parse_date(s, what), dt.time(23, 59, 59))
        v = dt.datetime.fromisoformat(fold_fullwidth(s))
    except ValueError:
        raise ScopeError(f"{what}格式不正确（应为 YYYY-MM-DD 或 YYYY-MM-DD HH:MM）：{s[:40]}") from None
    if v.tzinfo is not None:
        try:  # 0001-01-01T00:00+14:00 is before the first representable local time
            v = v.astimezone().replace(tzinfo=None)
        except (OverflowError, ValueError):
            raise ScopeError(f"{what}超出范围：{s[:40]}") from None
    if not (MIN_DATE <= v.date() <= MAX_DATE):
        raise ScopeError(f"{what}超出范围：{s[:40]}")
    return v


def parse_region(text: str | int | None, ref: Reference) -> int:
    if text is None or str(text).strip() == "":
        return PROVINCE
    d = ref.find(str(text))
    if d is None:
        raise ScopeError(f"未知的地区：{str(text).strip()[:40]}（应为行政区划代码，如 320100，或地区名称，如 南京市）")
    return d.adcode


def parse_industry(text: str | None, ref: Reference) -> str | None:
    if text is None or str(text).strip() == "":
        return None
    s = str(text).strip()
    if s in ref.industries:
        return s
    if fold_fullwidth(s) in ref.industries:
        return fold_fullwidth(s)
    hits = [i.code for i in ref.industries.values() if i.name == s]
    if len(hits) == 1:
        return hits[0]
    raise ScopeError(f"未知的行业：{s[:40]}")


def scope_from_params(params: Mapping[str, str], engine: Engine, *, binding: int | None = None,
                      defaults: Scope | None = None) -> Scope:
    """A Scope from text parameters ``region``, ``industry``, ``from``, ``to``, ``as_of``."""
    ref = reference(engine)
    base = defaults or Scope()
    # a parameter that is only blanks (spaces, tabs, CR/LF, fullwidth spaces) is the same as no parameter
    params = {k: v for k, v in params.items() if v is not None and str(v).strip()}
    region = parse_region(params.get("region"), ref) if params.get("region") else base.region
    industry = parse_industry(params.get("industry"), ref) if params.get("industry") else base.industry
    dfrom = parse_date(params.get("from"), "开始日期") if params.get("from") else base.date_from
    dto = parse_date(params.get("to"), "结束日期") if params.get("to") else base.date_to
    as_of = parse_datetime(params.get("as_of")) if params.get("as_of") else base.as_of
    s = Scope(region=region, industry=industry, date_from=dfrom, date_to=dto, as_of=as_of, binding=binding)
    resolve(s, engine)  # validate now, so bad input is reported where it was typed
    return s
