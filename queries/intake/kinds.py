"""The five kinds of file the cities send: their columns, the checks that need the database, and how they land.

Natural keys (a row with the same key updates the row already there; equal rows change nothing):
- enforcement: 检查编号 (inspections.record_no); its case by 案件编号 (cases.case_no)
- campaign-stats: 专项行动名称 + 县（市、区）代码 + 月份
- risk-reports: 报告编号 (risk_reports.report_no)
- credit: 统一社会信用代码 + 评定日期
- grids: 网格编码
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import delete, insert, select

from queries.labels import CASE_STAGES, CREDIT_NAMES, GRID_KINDS
from seed import schema as S

from .cells import Col
from .core import (SCOPE_COLS, Ctx, Kind, Problems, Row, check_enterprises, chunks, differs, fetch_by_key, in_region,
                   scope_of, upsert)

YES_NO = "是 / 否"
DEFAULT_DEADLINE_DAYS = 30
MAX_HAZARDS_PER_ROW = 1000  # hidden hazards one inspection may report (each becomes a row)
MAX_HAZARDS_PER_FILE = 200_000  # hidden-hazard rows one file may create


def _counties(conn) -> dict[int, dict]:
    D = S.divisions
    return {r["adcode"]: dict(r) for r in conn.execute(
        select(D.c.adcode, D.c.name, D.c.city_adcode).where(D.c.level == "county")).mappings()}


def _campaigns(conn) -> dict[str, list[dict]]:
    """Campaigns by name: several cities run campaigns of the same name (2021年安全生产执法专项行动)."""
    C = S.campaigns
    out: dict[str, list[dict]] = {}
    for r in conn.execute(select(C.c.id, C.c.name, C.c.city_adcode, C.c.start_on, C.c.end_on)
                          .order_by(C.c.id)).mappings():
        out.setdefault(r["name"], []).append(dict(r))
    return out


def _check_campaign(campaigns: dict, r: Row, key: str, day: dt.date | None, problems: Problems,
                    city: int | None) -> dict | None:
    """The campaign of that name covering ``city``: the city's own campaign, else a province-wide one."""
    same = campaigns.get(r.v[key])
    if not same:
        problems.add(r.num, key, f"没有名为“{r.v[key]}”的专项行动（可选：{'、'.join(sorted(campaigns)) or '无'}）")
        return None
    own = [c for c in same if city is not None and c["city_adcode"] == city]
    province = [c for c in same if c["city_adcode"] is None]
    c = (own or province or [None])[0]
    if c is None:
        problems.add(r.num, key, "该专项行动不覆盖此地区")
        return None
    if day is not None and not (c["start_on"] <= day <= c["end_on"]):
        problems.add(r.num, key, f"日期 {day} 不在专项行动期间（{c['start_on']} 至 {c['end_on']}）")
        return None
    return c


# --- enforcement records ------------------------------------------------------------------------------------------

STAGES = {v: k for k, v in CASE_STAGES.items()}  # 立案 -> filed ...
DECIDED_STAGES = {"decided", "executing", "closed"}

ENFORCEMENT_COLS = [
    Col("record_no", "检查编号", "text", True, "NJ-JC-2021-000123", "城市执法系统中的检查记录编号，全省唯一；"
        "再次导入同一编号即更新该记录", max_len=40),
    Col("uscc", "统一社会信用代码", "uscc", True, "91320102MA1MXK4P7F", "被检查企业，须已在企业库登记"),
    Col("name", "企业名称", "text", False, "南京某化工有限公司", "填写时须与企业库一致", max_len=128),
    Col("inspected_on", "检查日期", "date", True, "2021-04-15"),
    Col("department", "检查部门", "text", True, "市应急管理局", max_len=32),
    Col("campaign", "专项行动", "text", False, "安全生产专项整治三年行动", "须为库中已有专项行动名称，留空表示日常检查"),
    Col("online", "线上检查", "bool", False, "是", "默认“是”（通过执法系统线上流转）"),
    Col("hazards", "一般隐患数", "int", False, "3", "默认 0", hi=MAX_HAZARDS_PER_ROW),
    Col("major_hazards", "重大隐患数", "int", False, "0", "默认 0", hi=MAX_HAZARDS_PER_ROW),
    Col("rectified", "已整改隐患数", "int", False, "2", "不超过一般与重大隐患之和；先计一般隐患",
        hi=2 * MAX_HAZARDS_PER_ROW),
    Col("rectify_deadline", "整改期限", "date", False, "2021-05-15", f"默认检查日期后 {DEFAULT_DEADLINE_DAYS} 天",
        future_ok=True),
    Col("rectified_on", "整改完成日期", "date", False, "2021-05-10", "已整改隐患数大于 0 时必填"),
    Col("suspended", "责令停产停业", "bool", False, "否", "默认“否”"),
    Col("lifted_on", "复产日期", "date", False, "", "责令停产停业后恢复生产的日期"),
    Col("case_no", "案件编号", "text", False, "苏宁应急罚〔2021〕12号", "立案时填写；全省唯一", max_len=40),
    Col("filed_on", "立案日期", "date", False, "2021-04-20", "有案件编号时必填"),
    Col("stage", "案件阶段", "enum", False, "决定", "有案件编号时必填", choices=STAGES),
    Col("decided_on", "处罚决定日期", "date", False, "2021-05-08"),
    Col("fine_yuan", "罚款金额（元）", "money", False, "50000", "默认 0"),
    Col("closed_on", "结案日期", "date", False, "", "案件阶段为“结案”时必填"),
    Col("judicial", "移送司法", "bool", False, "否", "默认“否”"),
]


def _enforcement_check(conn, rows: list[Row], ctx: Ctx, problems: Problems) -> None:
    check_enterprises(conn, rows, ctx, problems)
    campaigns = _campaigns(conn)
    C, I = S.cases, S.inspections
    case_owner = {}
    for part in chunks(sorted({r.v["case_no"] for r in rows if r.v["case_no"]})):
        for c in conn.execute(select(C.c.case_no, C.c.enterprise_id, C.c.city_adcode, C.c.county_adcode,
                                     I.c.record_no).outerjoin(I, I.c.id == C.c.inspection_id)
                              .where(C.c.case_no.in_(part))).mappings():
            case_owner[c["case_no"]] = dict(c)
    hazard_rows = sum((r.v["hazards"] or 0) + (r.v["major_hazards"] or 0) for r in rows)
    if hazard_rows > MAX_HAZARDS_PER_FILE:
        problems.add(1, "hazards", f"本文件的隐患合计 {hazard_rows:,} 条，超过一次导入的上限 {MAX_HAZARDS_PER_FILE:,} 条，"
                                   f"请分批导入")
    for r in rows:
        v, e = r.v, r.x.get("ent")
        if e is None:
            continue
        day = v["inspected_on"]
        if e["established_on"] and day < e["established_on"]:
            problems.add(r.num, "inspected_on", f"检查日期早于企业成立日期 {e['established_on']}")
        if v["campaign"]:
            r.x["campaign"] = _check_campaign(campaigns, r, "campaign", day, problems, e["city_adcode"])
        total = (v["hazards"] or 0) + (v["major_hazards"] or 0)
        if (v["rectified"] or 0) > total:
            problems.add(r.num, "rectified", f"已整改隐患数 {v['rectified']} 大于隐患总数 {total}")
        if (v["rectified"] or 0) > 0 and v["rectified_on"] is None:
            problems.add(r.num, "rectified_on", "已整改隐患数大于 0 时须填写整改完成日期")
        if v["rectified_on"] is not None and not v["rectified"]:
            problems.add(r.num, "rectified_on", "没有已整改隐患，却填写了整改完成日期")
        for k in ("rectify_deadline", "rectified_on", "filed_on", "decided_on", "closed_on", "lifted_on"):
            if v[k] is not None and v[k] < day:
                problems.add(r.num, k, f"{v[k]} 早于检查日期 {day}")
        if v["lifted_on"] is not None and not v["suspended"]:
            problems.add(r.num, "lifted_on", "未责令停产停业，却填写了复产日期")
        case_fields = [k for k in ("filed_on", "stage", "decided_on", "fine_yuan", "closed_on", "judicial")
                       if v[k] not in (None, False)]  # 否 / 0 say nothing of a case
        if v["case_no"]:
            for k in ("filed_on", "stage"):
                if v[k] is None:
                    problems.add(r.num, k, "有案件编号时必填")
            owner = case_owner.get(v["case_no"])
            if owner is not None and not in_region(ctx.region, owner["city_adcode"], owner["county_adcode"]):
                problems.out_of_region(r.num, "case_no")
            elif (owner is not None and owner["enterprise_id"] != e["id"]
                  and owner["record_no"] != v["record_no"]):  # a corrected inspection takes its case along
                problems.add(r.num, "case_no", "该案件编号已属于另一家企业")
            if v["stage"] == "closed" and v["closed_on"] is None:
                problems.add(r.num, "closed_on", "案件阶段为“结案”时须填写结案日期")
            if v["closed_on"] is not None and v["stage"] != "closed":
                problems.add(r.num, "stage", "填写了结案日期，案件阶段应为“结案”")
            if v["decided_on"] is not None and v["stage"] not in DECIDED_STAGES:
                problems.add(r.num, "decided_on", "案件尚未作出处罚决定，却填写了处罚决定日期")
            for a, b in (("filed_on", "decided_on"), ("decided_on", "closed_on"), ("filed_on", "closed_on")):
                if v[a] is not None and v[b] is not None and v[b] < v[a]:
                    problems.add(r.num, b, f"{v[b]} 早于{_header(a)} {v[a]}")
        elif case_fields:
            problems.add(r.num, "case_no", f"填写了{_header(case_fields[0])}，但没有案件编号")


def _header(key: str) -> str:
    for kind in KINDS.values():
        for c in kind.columns:
            if c.key == key:
                return c.header
    return key


def _enforcement_apply(conn, rows: list[Row], ctx: Ctx) -> list[str]:
    I, H, C, SO = S.inspections, S.hidden_hazards, S.cases, S.suspension_orders
    recs = []
    for r in rows:
        v, e = r.v, r.x["ent"]
        recs.append((r, {"record_no": v["record_no"], "enterprise_id": e["id"], "department": v["department"],
                         "inspected_on": v["inspected_on"], "online": True if v["online"] is None else v["online"],
                         "campaign_id": (r.x.get("campaign") or {}).get("id"), **scope_of(e)}))
    compare = ["enterprise_id", "department", "inspected_on", "online", "campaign_id", "city_adcode",
               "county_adcode", "industry_code", "sector_code"]
    outcome = upsert(conn, I, ("record_no",), recs, compare, ctx)
    ids = {k[0]: row["id"] for k, row in fetch_by_key(conn, I, ("record_no",), [(r.v["record_no"],) for r in rows],
                                                         []).items()}
    insp_ids = [ids[r.v["record_no"]] for r in rows]

    # hidden hazards: the set an inspection found, replaced whole when it differs from what the file says (their
    # enterprise, scope columns and date follow the inspection's)
    have: dict[int, list] = {i: [] for i in insp_ids}
    for part in chunks(insp_ids):
        for h in conn.execute(select(H.c.inspection_id, H.c.major, H.c.rectify_deadline, H.c.rectified_on,
                                     H.c.found_on, H.c.enterprise_id, *(H.c[c] for c in SCOPE_COLS))
                              .where(H.c.inspection_id.in_(part))):
            have[h.inspection_id].append((bool(h.major), h.rectify_deadline, h.rectified_on, h.found_on,
                                          h.enterprise_id, *(h._mapping[c] for c in SCOPE_COLS)))
    # suspension orders and cases attached to these inspections
    susp = {}
    for part in chunks(insp_ids):
        for s in conn.execute(select(SO.c.id, SO.c.inspection_id, SO.c.ordered_on, SO.c.lifted_on, SO.c.enterprise_id,
                                     *(SO.c[c] for c in SCOPE_COLS))
                              .where(SO.c.inspection_id.in_(part))).mappings():
            susp[s["inspection_id"]] = dict(s)
    hazard_rows, case_recs, replaced = [], [], []
    for i, (r, iid) in enumerate(zip(rows, insp_ids)):
        v, e = r.v, r.x["ent"]
        day = v["inspected_on"]
        deadline = v["rectify_deadline"] or day + dt.timedelta(days=DEFAULT_DEADLINE_DAYS)
        flags = [False] * (v["hazards"] or 0) + [True] * (v["major_hazards"] or 0)
        here = (day, e["id"], *(e[c] for c in SCOPE_COLS))
        want = [(m, deadline, v["rectified_on"] if k < (v["rectified"] or 0) else None, *here)
                for k, m in enumerate(flags)]
        if sorted(want, key=repr) != sorted(have[iid], key=repr):
            if have[iid]:
                replaced.append(iid)
            for m, dl, done, *_ in want:
                hazard_rows.append({"inspection_id": iid, "enterprise_id": e["id"], "checklist_item_id": None,
                                    "major": m, "found_on": day, "rectify_deadline": dl, "rectified_on": done,
                                    **scope_of(e), "recorded_at": ctx.now, **ctx.provenance(r)})
            if outcome[i] == "unchanged":
                outcome[i] = "updated"
        old = susp.get(iid)
        if v["suspended"]:
            want_s = {"ordered_on": day, "lifted_on": v["lifted_on"], "enterprise_id": e["id"], **scope_of(e)}
            if old is None:
                conn.execute(insert(SO).values(inspection_id=iid, **want_s, recorded_at=ctx.now, **ctx.provenance(r)))
            elif differs(old, want_s, want_s):
                conn.execute(S.suspension_orders.update().where(SO.c.id == old["id"]).values(
                    **want_s, **ctx.provenance(r)))
            if (old is None or differs(old, want_s, want_s)) and outcome[i] == "unchanged":
                outcome[i] = "updated"
        elif old is not None:
            conn.execute(delete(SO).where(SO.c.id == old["id"]))
            if outcome[i] == "unchanged":
                outcome[i] = "updated"
        if v["case_no"]:
            case_recs.append((r, {"case_no": v["case_no"], "enterprise_id": e["id"], "inspection_id": iid,
                                  "filed_on": v["filed_on"], "stage": v["stage"], "decided_on": v["decided_on"],
                                  "closed_on": v["closed_on"], "fine_yuan": v["fine_yuan"] or Decimal(0),
                                  "online": True if v["online"] is None else v["online"],
                                  "transferred_judicial": bool(v["judicial"]), **scope_of(e)}))
    for part in chunks(replaced):  # in batches: one statement per 500 inspections, not one per inspection
        conn.execute(delete(H).where(H.c.inspection_id.in_(part)))
    for part in chunks(hazard_rows, 2000):
        conn.execute(insert(H), part)
    if case_recs:
        case_cmp = ["enterprise_id", "inspection_id", "filed_on", "stage", "decided_on", "closed_on", "fine_yuan",
                    "online", "transferred_judicial"]
        case_out = upsert(conn, C, ("case_no",), case_recs, case_cmp, ctx)  # scope columns: compared by upsert
        pos = {r.num: i for i, r in enumerate(rows)}
        for (r, _), o in zip(case_recs, case_out):
            if o != "unchanged" and outcome[pos[r.num]] == "unchanged":
                outcome[pos[r.num]] = "updated"
    return outcome


# --- campaign monthly statistics -----------------------------------------------------------------------------------

STAT_COLS = [
    Col("campaign", "专项行动名称", "text", True, "安全生产专项整治三年行动", "须为库中已有专项行动名称；各市同名行动按所属市匹配"),
    Col("county", "县（市、区）代码", "adcode", True, "320102", "6 位县级行政区划代码"),
    Col("month", "月份", "month", True, "2021-04", "统计月份；须在专项行动期间"),
    Col("enterprises_checked", "检查企业数", "int", True, "120"),
    Col("inspections", "检查次数", "int", True, "150", "不少于检查企业数"),
    Col("hidden_hazards", "发现隐患数", "int", True, "430"),
    Col("major_hazards", "重大隐患数", "int", True, "5", "不超过发现隐患数"),
    Col("rectified", "已整改隐患数", "int", True, "390", "不超过发现隐患数"),
    Col("suspensions", "责令停产停业数", "int", True, "3"),
    Col("cases", "立案数", "int", True, "12"),
    Col("fines_yuan", "罚款金额（元）", "money", True, "356000.00"),
]


def _stats_check(conn, rows: list[Row], ctx: Ctx, problems: Problems) -> None:
    counties, campaigns = _counties(conn), _campaigns(conn)
    for r in rows:
        v = r.v
        c = counties.get(v["county"])
        if c is None:
            problems.add(r.num, "county", f"{v['county']} 不是江苏省的县级行政区划代码")
            continue
        if not in_region(ctx.region, c["city_adcode"], v["county"]):
            problems.out_of_region(r.num, "county")
            continue
        r.x["county"] = c
        camp = _check_campaign(campaigns, r, "campaign", None, problems, c["city_adcode"])
        if camp is None:
            continue
        first, last = camp["start_on"].replace(day=1), camp["end_on"].replace(day=1)
        if not (first <= v["month"] <= last):
            problems.add(r.num, "month", f"{v['month']:%Y-%m} 不在专项行动期间（{first:%Y-%m} 至 {last:%Y-%m}）")
            continue
        r.x["campaign"] = camp
        if v["inspections"] < v["enterprises_checked"]:
            problems.add(r.num, "inspections", "检查次数少于检查企业数")
        for k in ("major_hazards", "rectified"):
            if v[k] > v["hidden_hazards"]:
                problems.add(r.num, k, f"{v[k]} 大于发现隐患数 {v['hidden_hazards']}")


STAT_VALUES = ["enterprises_checked", "inspections", "hidden_hazards", "major_hazards", "rectified", "suspensions",
               "cases", "fines_yuan"]


def _stats_apply(conn, rows: list[Row], ctx: Ctx) -> list[str]:
    recs = [(r, {"campaign_id": r.x["campaign"]["id"], "county_adcode": r.v["county"], "month": r.v["month"],
                 "city_adcode": r.x["county"]["city_adcode"], **{k: r.v[k] for k in STAT_VALUES}}) for r in rows]
    return upsert(conn, S.campaign_stats, ("campaign_id", "county_adcode", "month"), recs, STAT_VALUES, ctx,
                  blame="county")


# --- risk-report exports -----------------------------------------------------------------------------------------

REPORT_KINDS = {"首次": "initial", "年度": "annual", "变更": "change"}
VERIFY = {"属实": "confirmed", "瞒报漏报": "under_reported"}
FIRST_REPORT_DUE = dt.date(2021, 5, 1)  # 省政府令第140号: existing enterprises report first by 2021-05-01

RISK_COLS = [
    Col("report_no", "报告编号", "text", True, "FXBG-320102-2021-0001", "风险报告系统中的报告编号；全省唯一",
        max_len=40),
    Col("uscc", "统一社会信用代码", "uscc", True, "91320102MA1MXK4P7F", "须已在企业库登记，且行业在风险报告范围内"),
    Col("name", "企业名称", "text", False, "南京某化工有限公司", "填写时须与企业库一致", max_len=128),
    Col("kind", "报告类型", "enum", True, "首次", "首次 / 年度 / 变更", choices=REPORT_KINDS),
    Col("year", "报告年度", "int", True, "2021", lo=2021, hi=2100),
    Col("submitted_at", "提交时间", "datetime", True, "2021-03-02 10:15"),
    Col("zero_risk", "零风险", "bool", False, "否", "无较大以上风险的“零风险”报告填“是”；默认“否”"),
    Col("key_control", "纳入重点管控", "bool", False, "否", "默认“否”"),
    Col("verification", "核查结果", "enum", False, "", "属实 / 瞒报漏报；未核查留空", choices=VERIFY),
    Col("verified_on", "核查日期", "date", False, "", "有核查结果时必填"),
    Col("rectify_deadline", "整改期限", "date", False, "", "核查结果为瞒报漏报时必填", future_ok=True),
]


def _risk_scope_sectors(conn) -> set[str]:
    Ind = S.industries
    return {c for (c,) in conn.execute(select(Ind.c.code).where(Ind.c.risk_report_scope.is_(True)))}


def _risk_check(conn, rows: list[Row], ctx: Ctx, problems: Problems) -> None:
    check_enterprises(conn, rows, ctx, problems)
    in_scope = _risk_scope_sectors(conn)
    O = S.risk_obligations
    ent_ids = sorted({r.x["ent"]["id"] for r in rows if "ent" in r.x})
    obligations: dict[int, list[dict]] = {}
    for part in chunks(ent_ids):
        for o in conn.execute(select(O.c.id, O.c.enterprise_id, O.c.kind, O.c.year)
                              .where(O.c.enterprise_id.in_(part))).mappings():
            obligations.setdefault(o["enterprise_id"], []).append(dict(o))
    for r in rows:
        v, e = r.v, r.x.get("ent")
        if e is None:
            continue
        if e["sector_code"] not in in_scope and e["industry_code"] not in in_scope:
            problems.add(r.num, "uscc", "该企业所属行业不在工业企业安全生产风险报告范围内")
            continue
        if v["submitted_at"].year < v["year"] - 1:
            problems.add(r.num, "year", f"报告年度 {v['year']} 与提交时间 {v['submitted_at']:%Y-%m-%d} 不符")
        if v["verification"] is None and (v["verified_on"] or v["rectify_deadline"]):
            problems.add(r.num, "verification", "填写了核查日期或整改期限，却没有核查结果")
        if v["verification"] is not None and v["verified_on"] is None:
            problems.add(r.num, "verified_on", "有核查结果时须填写核查日期")
        if v["verification"] == "under_reported" and v["rectify_deadline"] is None:
            problems.add(r.num, "rectify_deadline", "核查结果为瞒报漏报时须填写整改期限")
        if v["verification"] == "confirmed" and v["rectify_deadline"] is not None:
            problems.add(r.num, "rectify_deadline", "核查属实的报告不设整改期限")
        if v["verified_on"] is not None and v["verified_on"] < v["submitted_at"].date():
            problems.add(r.num, "verified_on", "核查日期早于提交时间")
        if v["kind"] == "change":
            prior = [o for o in obligations.get(e["id"], []) if o["year"] <= v["year"]]
            if not prior:
                problems.add(r.num, "kind", "该企业还没有首次或年度报告义务记录，变更报告无法关联")
                continue
            r.x["obligation"] = max(prior, key=lambda o: (o["year"], o["id"]))["id"]


def _due(kind: str, year: int, e: dict) -> dt.date:
    if kind == "annual":
        return dt.date(year, 3, 31)  # a regular report every year in Q1
    est = e["established_on"]
    return max(FIRST_REPORT_DUE, est + dt.timedelta(days=30)) if est else FIRST_REPORT_DUE


def _risk_apply(conn, rows: list[Row], ctx: Ctx) -> list[str]:
    O = S.risk_obligations
    need = [(r, {"enterprise_id": r.x["ent"]["id"], "kind": r.v["kind"], "year": r.v["year"],
                 "above_scale": r.x["ent"]["above_scale"], "due_on": _due(r.v["kind"], r.v["year"], r.x["ent"]),
                 **scope_of(r.x["ent"])})
            for r in rows if r.v["kind"] != "change"]
    existing = fetch_by_key(conn, O, ("enterprise_id", "kind", "year"),
                            [(rec["enterprise_id"], rec["kind"], rec["year"]) for _, rec in need], [])
    new, seen = [], set()
    for r, rec in need:  # an obligation is the law's, not the file's: create it when missing, never rewrite it
        k = (rec["enterprise_id"], rec["kind"], rec["year"])
        if k not in existing and k not in seen:
            seen.add(k)
            new.append({**rec, "recorded_at": ctx.now, **ctx.provenance(r)})
    for part in chunks(new, 2000):
        conn.execute(insert(O), part)
    obl = fetch_by_key(conn, O, ("enterprise_id", "kind", "year"),
                       [(rec["enterprise_id"], rec["kind"], rec["year"]) for _, rec in need], [])
    recs = []
    for r in rows:
        v, e = r.v, r.x["ent"]
        oid = r.x["obligation"] if v["kind"] == "change" else obl[(e["id"], v["kind"], v["year"])]["id"]
        recs.append((r, {"report_no": v["report_no"], "obligation_id": oid, "enterprise_id": e["id"],
                         "kind": v["kind"], "submitted_at": v["submitted_at"], "zero_risk": bool(v["zero_risk"]),
                         "key_control": bool(v["key_control"]), "verification": v["verification"],
                         "verified_on": v["verified_on"], "rectify_deadline": v["rectify_deadline"],
                         **scope_of(e)}))
    compare = ["obligation_id", "enterprise_id", "kind", "submitted_at", "zero_risk", "key_control", "verification",
               "verified_on", "rectify_deadline"]
    return upsert(conn, S.risk_reports, ("report_no",), recs, compare, ctx)


# --- credit-rating lists -----------------------------------------------------------------------------------------

COLOURS = {v[0]: k for k, v in CREDIT_NAMES.items()} | {v: k for k, v in CREDIT_NAMES.items()}  # 绿 / 绿色 -> green

CREDIT_COLS = [
    Col("uscc", "统一社会信用代码", "uscc", True, "91320102MA1MXK4P7F", "须已在企业库登记"),
    Col("name", "企业名称", "text", False, "南京某化工有限公司", "填写时须与企业库一致", max_len=128),
    Col("rated_on", "评定日期", "date", True, "2021-03-31"),
    Col("colour", "信用等级", "enum", True, "绿", "绿（最好）/ 蓝 / 黄 / 红（最差），也可写“绿色”等", choices=COLOURS),
    Col("score", "信用分", "number", True, "92.5", "0–100", lo=0, hi=100),
]


def _credit_check(conn, rows: list[Row], ctx: Ctx, problems: Problems) -> None:
    check_enterprises(conn, rows, ctx, problems)


def _credit_apply(conn, rows: list[Row], ctx: Ctx) -> list[str]:
    recs = [(r, {"enterprise_id": r.x["ent"]["id"], "rated_on": r.v["rated_on"], "colour": r.v["colour"],
                 "score": r.v["score"], **scope_of(r.x["ent"])}) for r in rows]
    return upsert(conn, S.credit_ratings, ("enterprise_id", "rated_on"), recs, ["colour", "score", *SCOPE_COLS], ctx,
                  blame="uscc")


# --- grid registries -----------------------------------------------------------------------------------------------

GRID_CHOICES = {v: k for k, v in GRID_KINDS.items()} | {v.removesuffix("网格"): k for k, v in GRID_KINDS.items()}

GRID_COLS = [
    Col("code", "网格编码", "text", True, "320102-YJ-001", "全省唯一；再次导入同一编码即更新该网格", max_len=32),
    Col("name", "网格名称", "text", True, "玄武区梅园新村街道应急网格", max_len=64),
    Col("kind", "网格类型", "enum", True, "应急网格", "综治网格 / 应急网格 / 安全生产监管网格", choices=GRID_CHOICES),
    Col("county", "县（市、区）代码", "adcode", True, "320102", "6 位县级行政区划代码"),
    Col("enterprises_filed", "建档企业数", "int", True, "86", "网格内实有企业建档数"),
    Col("established_on", "设立日期", "date", True, "2020-06-30"),
]


def _grids_check(conn, rows: list[Row], ctx: Ctx, problems: Problems) -> None:
    counties = _counties(conn)
    for r in rows:
        c = counties.get(r.v["county"])
        if c is None:
            problems.add(r.num, "county", f"{r.v['county']} 不是江苏省的县级行政区划代码")
        elif not in_region(ctx.region, c["city_adcode"], r.v["county"]):
            problems.out_of_region(r.num, "county")
        else:
            r.x["county"] = c


def _grids_apply(conn, rows: list[Row], ctx: Ctx) -> list[str]:
    recs = [(r, {"code": r.v["code"], "name": r.v["name"], "kind": r.v["kind"], "county_adcode": r.v["county"],
                 "city_adcode": r.x["county"]["city_adcode"], "enterprises_filed": r.v["enterprises_filed"],
                 "established_on": r.v["established_on"]}) for r in rows]
    return upsert(conn, S.grids, ("code",), recs,
                  ["name", "kind", "county_adcode", "city_adcode", "enterprises_filed", "established_on"], ctx)


KINDS: dict[str, Kind] = {k.key: k for k in [
    Kind("enforcement", "执法检查记录", ENFORCEMENT_COLS, ("record_no",), _enforcement_check, _enforcement_apply,
         "每行一条检查记录：被检查企业、发现的一般/重大隐患及整改、责令停产停业，以及由此立案的案件。",
         extra_keys=(("case_no",),)),
    Kind("campaign-stats", "专项行动月报", STAT_COLS, ("campaign", "county", "month"), _stats_check, _stats_apply,
         "每行一个县（市、区）一个月的专项行动统计数（市局汇总上报）。"),
    Kind("risk-reports", "风险报告导出", RISK_COLS, ("report_no",), _risk_check, _risk_apply,
         "每行一份企业安全生产风险报告（首次/年度/变更），及其核查结果。"),
    Kind("credit", "安全信用评定名单", CREDIT_COLS, ("uscc", "rated_on"), _credit_check, _credit_apply,
         "每行一家企业一次信用评定（四色：绿最好，红最差）。"),
    Kind("grids", "网格登记", GRID_COLS, ("code",), _grids_check, _grids_apply,
         "每行一个网格：类型、所属县（市、区）、建档企业数。"),
]}
