"""Deterministic demo data for Jiangsu that reproduces the 2021 bulletin's figures.

``seed_demo(engine)`` empties the database and writes the demo data in one transaction: the same rows every
run for the same seed (live monitoring is placed relative to ``anchor``, the wall-clock time of the run).
The calibrated windows (domain.md §1) get exact counts; everything else is plausible noise around each
city's profile in ``seed.reference``.
"""
from __future__ import annotations

import datetime as dt
import math
import operator
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Engine, delete, insert

from seed import derived
from seed import geo, schema as S
from seed.bulk import insert_rows, reset_sequences
from seed.reference import (
    BRANDS, CALIBRATION as CAL, CITIES, DEFAULT_DEADLINES, DEPARTMENTS, DIVISIONS, HAZARD_SECTORS, HIGH_RISK_SECTORS,
    MEMBER_UNITS, POINT_KINDS, RISK_REPORT_SECTORS, SECTIONS, SECTORS, SUFFIX,
)
from seed.uscc import make_uscc

DEFAULT_SEED = 20210313
DATA_START = dt.date(2020, 1, 1)
DATA_END = dt.date(2021, 6, 30)
BULLETIN_DAY = dt.date(2021, 3, 13)
NANJING, YANCHENG, SUQIAN = 320100, 320900, 321300
RULES_IN_FORCE = dt.date(2021, 2, 1)
FIRST_REPORT_DUE = dt.date(2021, 5, 1)
READING_MINUTES = 60  # demo resolution of the 24 h of readings (the live feed adds dense recent data)

DEMO_USERS = [
    # username, display name, role, region binding
    ("leader", "省厅领导", "leader", None),
    ("nanjing", "南京市应急管理局", "city", 320100),
    ("yancheng", "盐城市应急管理局", "city", 320900),
    ("suqian", "宿迁市应急管理局", "city", 321300),
    ("nanjing-officer", "南京市应急管理局监管科", "officer", 320100),
    ("jiangning-officer", "江宁区应急管理局监管科", "officer", 320115),
    ("yancheng-officer", "盐城市应急管理局监管科", "officer", 320900),
    ("duty", "省厅值班室", "duty", None),
    ("writer", "简报编辑", "writer", None),
    ("admin", "系统管理员", "admin", None),
]


def _day_end(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(23, 59, 59))


def _months(start: dt.date, end: dt.date):
    d = dt.date(start.year, start.month, 1)
    while d <= end:
        nxt = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        yield max(d, start), min(nxt - dt.timedelta(days=1), end)
        d = nxt


@dataclass
class Ent:
    id: int
    city: int
    county: int
    industry: str
    sector: str
    above: bool
    key: bool
    name: str


@dataclass
class Gen:
    seed: int
    anchor: dt.datetime
    rng: np.random.Generator = field(init=False)
    r: random.Random = field(init=False)
    rows: dict = field(default_factory=lambda: defaultdict(list))
    cols: dict = field(default_factory=dict)
    ids: dict = field(default_factory=lambda: defaultdict(int))

    def __post_init__(self):
        self.rng = np.random.default_rng(self.seed)  # vector draws
        self.r = random.Random(self.seed)  # scalar draws (much cheaper per call)
        self._getters = {}

    # -- helpers ---------------------------------------------------------------------------------------
    def add(self, table, **values) -> int:
        t = table.name
        if "id" in table.c and "id" not in values:
            self.ids[t] += 1
            values = {"id": self.ids[t], **values}
        get = self._getters.get(t)
        if get is None:
            self.cols[t] = list(values)
            get = self._getters[t] = operator.itemgetter(*self.cols[t])
        self.rows[t].append(get(values))
        return values.get("id")

    def choice(self, seq):
        return self.r.choice(seq)

    def rday(self, start: dt.date, end: dt.date, n: int) -> list[dt.date]:
        span = (end - start).days + 1
        offs = self.rng.integers(0, span, size=n)
        return [start + dt.timedelta(days=int(o)) for o in offs]

    def at(self, d: dt.date, lo_h=8, hi_h=18) -> dt.datetime:
        secs = self.r.randrange(lo_h * 3600, hi_h * 3600)
        return dt.datetime.combine(d, dt.time()) + dt.timedelta(seconds=secs)

    def recorded(self, d: dt.date, late_ok=True) -> dt.datetime:
        """When a fact that happened on ``d`` was entered: mostly within 3 days, 1% weeks late."""
        if late_ok and self.r.random() < 0.01:
            return self.at(d + dt.timedelta(days=self.r.randrange(10, 41)))
        return self.at(d + dt.timedelta(days=self.r.randrange(0, 4)), 8, 22)

    def split(self, total: int, weights) -> list[int]:
        w = np.asarray(weights, dtype=float)
        return [int(x) for x in self.rng.multinomial(total, w / w.sum())]


def _scope(e: Ent) -> dict:
    return dict(city_adcode=e.city, county_adcode=e.county, industry_code=e.industry, sector_code=e.sector)


# --- reference ----------------------------------------------------------------------------------------

def gen_reference(g: Gen) -> dict:
    cities = geo.load("city")["features"]
    counties = geo.load("county")["features"]
    g.add(S.divisions, adcode=geo.PROVINCE_ADCODE, name=geo.PROVINCE_NAME, short_name="江苏",
          level="province", parent_adcode=None, city_adcode=None, label_lon=119.45, label_lat=32.98)
    for f in cities:
        p = f["properties"]
        g.add(S.divisions, adcode=p["adcode"], name=p["name"], short_name=geo.short_name(p["name"]),
              level="city", parent_adcode=geo.PROVINCE_ADCODE, city_adcode=p["adcode"],
              label_lon=p["label_point"][0], label_lat=p["label_point"][1])
    by_city = defaultdict(list)
    for f in counties:
        p = f["properties"]
        g.add(S.divisions, adcode=p["adcode"], name=p["name"], short_name=geo.short_name(p["name"]),
              level="county", parent_adcode=p["parent_adcode"], city_adcode=p["parent_adcode"],
              label_lon=p["label_point"][0], label_lat=p["label_point"][1])
        by_city[p["parent_adcode"]].append(f)
    order = 0
    for code, name, in_scope in SECTIONS:
        order += 1
        g.add(S.industries, code=code, name=name, kind="section", parent_code=None, high_risk=False,
              risk_report_scope=in_scope, sort_order=order)
    for code, name, parent in DIVISIONS:
        order += 1
        g.add(S.industries, code=code, name=name, kind="division", parent_code=parent, high_risk=False,
              risk_report_scope=parent in ("B", "C", "D") or code in ("G57", "G59"), sort_order=order)
    for code, name, hr, _ in SECTORS:
        order += 1
        g.add(S.industries, code=code, name=name, kind="sector", parent_code=None, high_risk=hr,
              risk_report_scope=code in RISK_REPORT_SECTORS, sort_order=order)
    return by_city


def gen_grids_and_sources(g: Gen, by_city) -> dict:
    """Grids of three kinds per county and the member units feeding each city's platform."""
    anquan = defaultdict(list)  # county -> anquan grid ids
    kinds = ("zongzhi", "yingji", "anquan")
    kind_cn = {"zongzhi": "综治网格", "yingji": "应急网格", "anquan": "安全生产监管网格"}
    for city, prof in CITIES.items():
        feats = by_city[city]
        w = g.rng.uniform(0.6, 1.6, size=len(feats))
        for kind, total in zip(kinds, prof.grids):
            per_county = g.split(total, w)
            filed_total = CAL["N9"] if (city == NANJING) else int(total * prof.filed_per_grid)
            filed = g.split(filed_total, np.ones(total)) if kind == "anquan" else None
            k = 0
            for f, n in zip(feats, per_county):
                county = f["properties"]["adcode"]
                est = g.rday(dt.date(2018, 1, 1), dt.date(2020, 6, 30), n)
                for i in range(n):
                    gid = g.add(S.grids, code=f"{county}{kind[0].upper()}{i + 1:05d}", kind=kind,
                                name=f"{f['properties']['name']}{kind_cn[kind]}{i + 1}号",
                                city_adcode=city, county_adcode=county,
                                enterprises_filed=filed[k] if filed else 0, established_on=est[i],
                                recorded_at=dt.datetime.combine(est[i], dt.time(9)))
                    k += 1
                    if kind == "anquan":
                        anquan[county].append(gid)
        for i, unit in enumerate(MEMBER_UNITS[: prof.data_sources]):
            d = dt.date(2019, 3, 1) + dt.timedelta(days=g.r.randrange(0, 500))
            g.add(S.data_sources, city_adcode=city, name=unit, connected_on=d,
                  recorded_at=dt.datetime.combine(d, dt.time(10)))
    return anquan


# --- enterprises ------------------------------------------------------------------------------------------

def gen_enterprises(g: Gen, by_city, anquan) -> dict[int, list[Ent]]:
    ents: dict[int, list[Ent]] = {}
    sector_divs = {code: divs for code, _, _, divs in SECTORS}
    serial = 0
    for city, prof in CITIES.items():
        feats = by_city[city]
        n = prof.enterprises
        cw = g.rng.uniform(0.5, 1.8, size=len(feats))
        per_county = g.split(n, cw)
        sectors = list(prof.mix)
        sw = np.asarray([prof.mix[s] for s in sectors], dtype=float)
        sec_idx = g.rng.choice(len(sectors), size=n, p=sw / sw.sum())
        key_n = CAL["N2"] if city == NANJING else int(round(n * prof.key_share))
        key = np.zeros(n, dtype=bool)
        key[g.rng.choice(n, size=key_n, replace=False)] = True
        in_scope = np.asarray([sectors[i] in RISK_REPORT_SECTORS for i in sec_idx])
        above = np.zeros(n, dtype=bool)
        scope_idx = np.flatnonzero(in_scope)
        n_above = CAL["S2"] if city == SUQIAN else int(round(len(scope_idx) * 0.24))
        above[g.rng.choice(scope_idx, size=n_above, replace=False)] = True
        other = np.flatnonzero(~in_scope)
        above[g.rng.choice(other, size=int(len(other) * 0.08), replace=False)] = True
        lst: list[Ent] = []
        k = 0
        for f, cn in zip(feats, per_county):
            county = f["properties"]["adcode"]
            short = geo.short_name(f["properties"]["name"])
            pts = geo.sample_points(f, cn, g.rng)
            grids = anquan[county]
            est = g.rday(dt.date(1995, 1, 1), dt.date(2019, 12, 31), cn)
            for i in range(cn):
                sector = sectors[sec_idx[k]]
                industry = g.choice(sector_divs[sector])
                serial += 1
                b1, b2 = g.choice(BRANDS), g.choice(BRANDS)
                name = f"江苏{short}{b1}{b2}{g.choice(SUFFIX[sector])}有限公司"
                if g.r.random() < 0.5:
                    name = f"{short}{b1}{b2}{g.choice(SUFFIX[sector])}有限公司"
                eid = g.add(S.enterprises, uscc=make_uscc(county, serial), name=name, city_adcode=city,
                            county_adcode=county, industry_code=industry, sector_code=sector,
                            above_scale=bool(above[k]), is_key=bool(key[k]), lon=float(pts[i, 0]),
                            lat=float(pts[i, 1]), grid_id=grids[g.r.randrange(len(grids))],
                            established_on=est[i], recorded_at=dt.datetime(2020, 1, 1, 8))
                lst.append(Ent(eid, city, county, industry, sector, bool(above[k]), bool(key[k]), name))
                k += 1
        ents[city] = lst
    return ents


# --- major hazard sources and live monitoring --------------------------------------------------------

def gen_monitoring(g: Gen, ents) -> None:
    anchor = g.anchor
    step = dt.timedelta(minutes=READING_MINUTES)
    end_slot = anchor.replace(second=0, microsecond=0) - dt.timedelta(minutes=anchor.minute % READING_MINUTES)
    slots = [end_slot - step * i for i in range(24 * 60 // READING_MINUTES)][::-1]
    kinds = POINT_KINDS
    kw = np.asarray([k[7] for k in kinds])
    kw = kw / kw.sum()
    points = []  # (point_id, kind tuple, ent, hazard_source_id)
    hz_ents = {}
    for city, prof in CITIES.items():
        cand = [e for e in ents[city] if e.sector in HAZARD_SECTORS and e.above]
        pick = g.rng.choice(len(cand), size=prof.hazard_enterprises, replace=False)
        chosen = [cand[i] for i in sorted(pick)]
        connected = len(chosen) if city == NANJING else len(chosen) - g.r.randrange(1, 4)
        total_points = CAL["N4"] if city == NANJING else connected * prof.points_per_enterprise
        per_ent = [12 + x for x in g.split(total_points - 12 * connected, g.rng.uniform(0.4, 1.6, connected))]
        hz_ents[city] = chosen[:connected]
        for j, e in enumerate(chosen):
            n_src = g.r.randrange(1, 4)
            src_ids = []
            for s in range(n_src):
                r = float(np.round(g.rng.lognormal(2.6, 0.9), 2))
                level = 1 if r >= 100 else 2 if r >= 50 else 3 if r >= 10 else 4
                online = dt.date(2019, 6, 1) + dt.timedelta(days=g.r.randrange(0, 500))
                sid = g.add(S.hazard_sources, enterprise_id=e.id, code=f"HS{e.id:07d}{s + 1:02d}",
                            name=g.choice(["罐区", "仓库", "生产装置", "储罐区", "装卸区"]) + f"{s + 1}号",
                            level=level, r_value=r, **_scope(e),
                            online_since=online if j < connected else None,
                            recorded_at=dt.datetime.combine(online, dt.time(9)))
                src_ids.append(sid)
            if j >= connected:
                continue
            kidx = g.rng.choice(len(kinds), size=per_ent[j], p=kw)
            for p_i, ki in enumerate(kidx):
                k = kinds[ki]
                sid = src_ids[p_i % n_src]
                pid = g.add(S.monitoring_points, hazard_source_id=sid, enterprise_id=e.id,
                            code=f"MP{e.id:07d}{p_i + 1:04d}", name=f"{k[1]}{p_i + 1:03d}", kind=k[0], unit=k[2],
                            normal_value=k[3], low_alarm=k[4], high_alarm=k[5], high_high_alarm=k[6],
                            **_scope(e), recorded_at=dt.datetime(2020, 6, 1, 9))
                points.append((pid, k, e, sid))
    # warnings: 30 days of history plus the live 24 h; the newest ones are still open
    n_points = len(points)
    status = np.array(["normal"] * n_points, dtype=object)
    offline = g.rng.random(n_points) < 0.012
    status[offline] = "offline"
    warn_rate_per_point_day = 0.004
    days = 30
    n_warn = int(n_points * warn_rate_per_point_day * days)
    which = g.rng.choice(n_points, size=n_warn)
    # the newest warnings cluster in the last day
    age_h = np.where(g.rng.random(n_warn) < 0.12, g.rng.uniform(0, 24, n_warn), g.rng.uniform(0, days * 24, n_warn))
    order = np.argsort(-age_h)
    alarm_points = set()
    ack_mean = {1: 4, 2: 12, 3: 35, 4: 90}  # minutes
    gen_deadlines(g)
    h = random.Random(g.seed * 31 + 5)  # the handling history's own draws (the rest of the data stays the same)
    wcode = 0
    for i in order:
        pid, k, e, sid = points[which[i]]
        raised = anchor - dt.timedelta(hours=float(age_h[i]))
        raised = raised.replace(microsecond=0)
        u = g.r.random()
        if k[0] in ("gas_flammable", "gas_toxic"):
            wtype = "gas_leak"
            level = 1 if (k[0] == "gas_toxic" and u < 0.12) else 2 if u < 0.3 else 3 if u < 0.75 else 4
            peak = k[5] * (1 + (4 - level) * 0.35 + g.r.random() * 0.3)
        elif u < 0.82:
            wtype = "over_limit"
            level = 2 if u < 0.07 else 3 if u < 0.4 else 4
            peak = k[5] * (1.02 + (4 - level) * 0.12 + g.r.random() * 0.1)
        else:
            wtype, level, peak = ("equipment", 4, None) if u < 0.9 else ("offline", 4, None)
        pushed = raised + dt.timedelta(seconds=g.r.randrange(5, 90))
        ack = pushed + dt.timedelta(minutes=g.r.expovariate(1 / ack_mean[level]) + 0.5)
        verified = ack + dt.timedelta(hours=g.r.uniform(0.5, 6)) if level <= 3 else None
        closed = (verified or ack) + dt.timedelta(hours=g.r.uniform(0.3, 10))
        stamps = []
        for t in (pushed, ack, verified, closed):
            stamps.append(t.replace(microsecond=0) if (t is not None and t <= anchor) else None)
        if stamps[1] is None:  # not acknowledged yet: nothing after it either
            stamps[2] = stamps[3] = None
        if level <= 3 and stamps[2] is None:
            stamps[3] = None
        repeat = 1 + int(g.rng.geometric(0.45)) - 1
        last_seen = min(anchor, raised + dt.timedelta(minutes=5 * (repeat - 1)))
        handling, steps = plan_handling(h, level, wtype, e.county, e.city, raised, stamps, float(age_h[i]), anchor)
        wcode += 1
        name_short = e.name.replace("有限公司", "")
        title = {"over_limit": f"{name_short}{k[1]}超限", "gas_leak": f"{name_short}{k[1]}报警",
                 "equipment": f"{name_short}监测设备故障", "offline": f"{name_short}监测点位离线"}[wtype]
        wid = g.add(S.warnings, code=f"YJ{raised:%Y%m%d}{wcode:06d}", point_id=pid, hazard_source_id=sid,
                    enterprise_id=e.id, level=level, type=wtype, title=title,
                    peak_value=None if peak is None else round(float(peak), 2), repeat_count=repeat,
                    raised_at=raised, last_seen_at=last_seen, pushed_at=stamps[0], **handling, **_scope(e),
                    recorded_at=raised)
        for version, (step, at, actor, role, result, note) in enumerate(steps, 1):
            g.add(S.warning_steps, warning_id=wid, step=step, result=result, note=note, actor=actor, actor_role=role,
                  at=at, version=version, recorded_at=at)
        if stamps[3] is None and wtype in ("over_limit", "gas_leak") and age_h[i] < 3:
            alarm_points.add(int(which[i]))
        if stamps[0] is not None:
            recips = [("enterprise", "主要负责人"), ("enterprise", "安全管理负责人"), ("regulator", "属地应急管理局值班室")]
            if level <= 2:
                recips.append(("regulator", "市应急管理局值班室"))
            for kind_, who in recips:
                ok = g.r.random() > 0.01
                g.add(S.sms_pushes, warning_id=wid, recipient_kind=kind_, recipient=who,
                      phone=f"1{g.r.randrange(30, 90)}****{g.r.randrange(1000, 9999)}",
                      sent_at=stamps[0], status="delivered" if ok else "failed", recorded_at=stamps[0])
    for i in alarm_points:
        if status[i] != "offline":
            status[i] = "alarm"
    # readings for 24 h and the latest state of every point
    n_slots = len(slots)
    phase = g.rng.uniform(0, 2 * math.pi, n_points)
    tgrid = np.arange(n_slots) / n_slots * 2 * math.pi
    normal = np.asarray([p[1][3] for p in points])
    high = np.asarray([p[1][5] for p in points])
    vals = normal[:, None] * (1 + 0.08 * np.sin(tgrid[None, :] + phase[:, None])
                              + 0.03 * g.rng.standard_normal((n_points, n_slots)))
    vals = np.round(np.maximum(vals, 0), 3)
    stop_slot = np.full(n_points, n_slots)
    for i in np.flatnonzero(status == "offline"):
        stop_slot[i] = g.r.randrange(n_slots // 2, n_slots - 4)
    for i in np.flatnonzero(status == "alarm"):
        vals[i, -3:] = np.round(high[i] * (1.05 + 0.1 * g.rng.random(3)), 3)
    slot_strs = slots
    rec = g.rows["readings"]
    g.cols["readings"] = ["point_id", "ts", "value", "recorded_at"]
    for i, p in enumerate(points):
        pid = p[0]
        row = vals[i]
        for s in range(stop_slot[i]):
            rec.append((pid, slot_strs[s], float(row[s]), slot_strs[s]))
        last = stop_slot[i] - 1
        g.add(S.point_state, point_id=pid, value=float(row[last]), status=str(status[i]),
              reading_at=slots[last], updated_at=anchor.replace(microsecond=0))
    # the points' states counted at the anchor, as queries.ingest.record_point_counts counts them every hour while the
    # feed or a gateway runs (the tiles compare 报警/离线 with 24 h and 7 days earlier once those counts exist)
    counts: dict[tuple, list[int]] = {}
    for i, p in enumerate(points):
        e = p[2]
        c = counts.setdefault((e.county, e.sector, e.industry, e.city), [0, 0, 0])
        c[0] += 1
        c[1] += int(status[i] == "alarm")
        c[2] += int(status[i] == "offline")
    taken = anchor.replace(second=0, microsecond=0)
    for (county, sector, industry, city), (n, alarm, offline) in sorted(counts.items()):
        g.add(S.point_counts, taken_at=taken, county_adcode=county, sector_code=sector, industry_code=industry,
              city_adcode=city, points=n, alarm=alarm, offline=offline)


# --- handling of warnings (the history behind the handling desk) ---------------------------------------------

# who handles the demo history's warnings in the regions that have demo officer accounts (elsewhere the history
# is the simulator's, actor "system"); a county officer takes its county's warnings
DEMO_OFFICERS = {320115: "jiangning-officer", 320100: "nanjing-officer", 320900: "yancheng-officer"}
SYSTEM_ACTOR = "system"
ACK_NOTES = ["", "已签收，已电话通知企业立即排查", "已签收，联系企业安全管理负责人到场"]
VERIFY_NOTES = {
    "confirmed": ["现场核查属实，企业已启动应急处置", "现场核查属实，参数确有超限，已责令企业降负荷运行"],
    "false_alarm": ["现场核查为误报：工艺参数正常波动，复测正常", "现场核查为误报：检修作业时触发"],
    "device_fault": ["现场核查为设备故障：传感器零点漂移", "现场核查为设备故障：通讯模块中断"],
}
HANDLE_NOTES = ["责令企业停车检修，已更换密封件", "企业已降温降压，参数恢复正常", "已组织泄漏处置，现场气体浓度恢复正常",
                "督促企业完成整改并加强巡检"]
CLOSE_NOTES = {"confirmed": "处置完毕，参数恢复正常，经复核予以消警", "false_alarm": "核查为误报，予以消警",
               "device_fault": "设备已修复，点位恢复正常，予以消警", None: "点位恢复正常，予以消警"}
ESCALATE_NOTE = "超过核查时限，省厅值班室督办"


def gen_deadlines(g: Gen) -> None:
    for level, (ack, verify, close) in DEFAULT_DEADLINES.items():
        g.add(S.handling_deadlines, level=level, ack_minutes=ack, verify_minutes=verify, close_minutes=close,
              version=0, updated_by=None, updated_at=g.anchor)


def plan_handling(h: random.Random, level: int, wtype: str, county: int, city: int, raised: dt.datetime,
                  stamps: list, age_h: float, anchor: dt.datetime) -> tuple[dict, list[tuple]]:
    """A demo warning's handling: its columns (acknowledged … closed, handled_at, verify_result, close_reason,
    escalated_at, touched_at, version) and its steps ``(step, at, actor, role, result, note)`` in order.

    ``stamps`` are the simulator-style times (pushed, acknowledged, verified, closed; None = not by the anchor).
    Where a demo officer exists (南京市, 盐城市) about half the warnings are handled by people (the duty room
    acknowledges some, escalates some overdue 重大/较大 ones; the officer verifies, handles, closes — a 低 warning
    is verified too, as people must); elsewhere the history is the simulator's. About 8 % of the warnings older
    than three hours are closed only after their close deadline (or are still open, past it). Draws only from
    ``h``, so the rest of the demo data does not change."""
    ack_d, verify_d, close_d = DEFAULT_DEADLINES[level]
    _, ack, verified, closed = stamps
    people = city in (320100, 320900) and h.random() < 0.5
    officer = DEMO_OFFICERS.get(county) or DEMO_OFFICERS.get(city)
    device = wtype in ("equipment", "offline")
    if people:
        u = h.random()
        result = ("device_fault" if u < 0.75 else "confirmed") if device else (
            "confirmed" if u < 0.8 else "false_alarm" if u < 0.94 else "device_fault")
    else:
        result = "device_fault" if device else "confirmed"
    if ack is not None and verified is None and people:  # people verify every level (the simulator skips 低)
        t = ack + dt.timedelta(minutes=(closed - ack).total_seconds() / 60 * h.uniform(0.2, 0.6)) if closed \
            else ack + dt.timedelta(hours=h.uniform(0.3, 4))
        verified = t.replace(microsecond=0) if t <= anchor else None
        if verified is None:
            closed = None
    late = age_h >= 3 and h.random() < 0.08
    if late and ack is not None:
        t = raised + dt.timedelta(minutes=close_d * h.uniform(1.02, 1.5))
        if verified is None and level <= 3 or people and verified is None:
            closed = None  # nothing to close without a verification
        else:
            closed = t.replace(microsecond=0) if t <= anchor else None
    if verified is None:
        result = None
    handled = None
    if verified is not None and result == "confirmed":
        if closed is not None:
            handled = verified + dt.timedelta(seconds=(closed - verified).total_seconds() * h.uniform(0.3, 0.9))
        else:
            t = verified + dt.timedelta(hours=h.uniform(0.5, 12))
            handled = t if t <= anchor else None
        handled = handled and handled.replace(microsecond=0)
    if closed is not None and result == "confirmed" and handled is None:
        closed = None
    steps: list[tuple] = []
    actor = officer if people else SYSTEM_ACTOR
    role = "officer" if people else "system"
    if ack is not None:
        by_duty = people and h.random() < 0.3
        steps.append(("ack", ack, "duty" if by_duty else actor, "duty" if by_duty else role, None,
                      h.choice(ACK_NOTES) if people else ""))
    escalated = None
    if people and level <= 2 and ack is not None:
        due = raised + dt.timedelta(minutes=verify_d)
        t = (due + dt.timedelta(minutes=h.uniform(5, 60))).replace(microsecond=0)
        if (verified is None or verified > t) and t <= anchor and (closed is None or closed > t):
            escalated = t
            steps.append(("escalate", t, "duty", "duty", None, ESCALATE_NOTE))
    if verified is not None:
        steps.append(("verify", verified, actor, role, result, h.choice(VERIFY_NOTES[result]) if people else ""))
    if handled is not None:
        steps.append(("handle", handled, actor, role, None, h.choice(HANDLE_NOTES) if people else ""))
    reason = None
    if closed is not None:
        reason = CLOSE_NOTES[result] if people else CLOSE_NOTES[None]
        steps.append(("close", closed, actor, role, None, reason))
    steps.sort(key=lambda s: s[1])
    touched = next((s[1] for s in steps if s[3] != "system"), None)
    cols = dict(acknowledged_at=ack, verified_at=verified, closed_at=closed, handled_at=handled,
                verify_result=result, close_reason=reason, escalated_at=escalated, touched_at=touched,
                version=len(steps))
    return cols, steps


# --- enforcement ------------------------------------------------------------------------------------------

CHECK_COMMON = ["安全生产责任制不落实", "安全管理机构和人员配备不足", "安全教育培训不到位", "隐患排查治理制度不健全",
                "应急预案未演练", "特种作业人员无证上岗", "安全警示标志缺失", "劳动防护用品配备不足",
                "安全投入不足", "外包作业安全管理缺失", "动火作业审批不规范", "有限空间作业管理不到位",
                "消防设施维护不到位", "安全台账记录不完整", "危险作业现场监护缺失", "设备设施检测检验过期"]


def gen_campaigns(g: Gen) -> dict:
    """A province-wide campaign and a 2021 spring campaign per city (Yancheng's is the calibrated one)."""
    camps = {}
    prov = g.add(S.campaigns, name="安全生产专项整治三年行动", city_adcode=None, start_on=dt.date(2020, 4, 1),
                 end_on=dt.date(2022, 12, 31), target_inspections=900000, recorded_at=dt.datetime(2020, 3, 25, 9))
    camps["province"] = (prov, [])
    sector_codes = [s[0] for s in SECTORS]
    for city, prof in CITIES.items():
        if city == YANCHENG:
            n_ind, n_common, n_indiv, n_dept = CAL["Y1"]
            name = "2021年安全生产百日执法专项行动"
            target = 20000
        else:
            n_ind = g.r.randrange(8, 16)
            n_common = g.r.randrange(8, 13)
            n_indiv = g.r.randrange(40, 90)
            n_dept = g.r.randrange(9, 17)
            name = "2021年安全生产执法专项行动"
            target = int(prof.insp_per_month * 3.3 * 1.1)
        rec = dt.datetime(2020, 12, 28, 9)
        cid = g.add(S.campaigns, name=name, city_adcode=city, start_on=dt.date(2021, 1, 1),
                    end_on=dt.date(2021, 4, 10), target_inspections=target, recorded_at=rec)
        inds = []
        for i in range(n_ind):
            sc = sector_codes[i % len(sector_codes)]
            label = SECTORS[i % len(SECTORS)][1] + ("" if i < len(SECTORS) else f"（{['有限空间', '粉尘涉爆', '涉氨制冷', '重大危险源', '油气储存'][i % 5]}）")
            g.add(S.campaign_industries, campaign_id=cid, name=label, sector_code=sc, recorded_at=rec)
            inds.append(sc)
        items = []
        for i in range(n_common):
            items.append(g.add(S.checklist_items, campaign_id=cid, kind="common", sector_code=None,
                               text=CHECK_COMMON[i % len(CHECK_COMMON)], recorded_at=rec))
        for i in range(n_indiv):
            sc = inds[i % len(inds)]
            items.append(g.add(S.checklist_items, campaign_id=cid, kind="individual", sector_code=sc,
                               text=f"{dict((s[0], s[1]) for s in SECTORS)[sc]}重点事项{i // len(inds) + 1}",
                               recorded_at=rec))
        for i in range(n_dept):
            g.add(S.campaign_departments, campaign_id=cid, name=DEPARTMENTS[i % len(DEPARTMENTS)], recorded_at=rec)
        camps[city] = (cid, items, DEPARTMENTS[:n_dept])
    return camps


def _block(g: Gen, city: int, pool: list[Ent], start: dt.date, end: dt.date, n_insp: int, n_distinct: int,
           n_haz: int, n_susp: int, n_cases: int, campaign, late_ok: bool, compliance: float) -> list:
    """Inspections of one city in [start, end] with exactly the given counts; returns the case rows' ids."""
    camp_id, items, depts = campaign
    weights = np.asarray([3.0 if e.key else 1.0 for e in pool]) * np.asarray(
        [2.0 if e.sector in HIGH_RISK_SECTORS else 1.0 for e in pool])
    distinct = g.rng.choice(len(pool), size=n_distinct, replace=False, p=weights / weights.sum())
    repeats = g.rng.choice(distinct, size=n_insp - n_distinct)
    targets = np.concatenate([distinct, repeats])
    days = g.rday(start, end, n_insp)
    insp = []
    for idx, d in zip(targets, days):
        e = pool[int(idx)]
        dept = depts[0] if g.r.random() < 0.72 else g.choice(depts)
        iid = g.add(S.inspections, campaign_id=camp_id, enterprise_id=e.id, department=dept, inspected_on=d,
                    online=bool(g.r.random() < 0.93), **_scope(e), recorded_at=g.recorded(d, late_ok))
        insp.append((iid, e, d))
    # hidden hazards spread over the inspections (some find none)
    hw = g.rng.gamma(0.9, 1.0, size=n_insp)
    per = g.rng.multinomial(n_haz, hw / hw.sum())
    major_p = 0.025 * (1.3 - compliance)
    for (iid, e, d), k in zip(insp, per):
        for _ in range(int(k)):
            major = bool(g.r.random() < major_p)
            deadline = d + dt.timedelta(days=g.r.randrange(7, 46 if not major else 91))
            rect = d + dt.timedelta(days=g.r.randrange(1, (deadline - d).days + 20))
            rect = rect if (g.r.random() < 0.9 + 0.08 * compliance and rect <= DATA_END) else None
            item = items[g.r.randrange(len(items))] if (items and g.r.random() < 0.8) else None
            g.add(S.hidden_hazards, inspection_id=iid, enterprise_id=e.id, checklist_item_id=item, major=major,
                  found_on=d, rectify_deadline=deadline, rectified_on=rect, **_scope(e),
                  recorded_at=g.recorded(d, late_ok))
    serious = np.flatnonzero(per >= 2)
    pick = g.rng.choice(serious if len(serious) >= n_susp else np.arange(n_insp), size=n_susp, replace=False)
    for i in pick:
        iid, e, d = insp[int(i)]
        lifted = d + dt.timedelta(days=g.r.randrange(10, 60))
        g.add(S.suspension_orders, enterprise_id=e.id, inspection_id=iid, ordered_on=d,
              lifted_on=lifted if lifted <= DATA_END else None, **_scope(e), recorded_at=g.recorded(d, late_ok))
    case_ids = []
    for i in g.rng.choice(n_insp, size=n_cases, replace=False):
        iid, e, d = insp[int(i)]
        filed = min(end, d + dt.timedelta(days=g.r.randrange(0, 6)))
        decided = filed + dt.timedelta(days=g.r.randrange(15, 60))
        closed = decided + dt.timedelta(days=g.r.randrange(10, 45))
        stage = "closed" if closed <= DATA_END else "executing" if decided <= DATA_END else g.choice(
            ["investigating", "notified", "filed"])
        fine = round(float(np.clip(g.rng.lognormal(10.3, 0.8), 5000, 2_000_000)), -2) if decided <= DATA_END else 0
        cid = g.add(S.cases, case_no=f"{city}应急罚〔{filed.year}〕{g.ids['cases'] + 1:06d}号", enterprise_id=e.id,
                    inspection_id=iid, filed_on=filed, stage=stage,
                    decided_on=decided if decided <= DATA_END else None,
                    closed_on=closed if closed <= DATA_END else None, fine_yuan=fine,
                    online=bool(g.r.random() < 0.9), transferred_judicial=bool(g.r.random() < 0.01),
                    **_scope(e), recorded_at=g.recorded(filed, late_ok))
        case_ids.append((cid, e, filed))
    return case_ids


def gen_enforcement(g: Gen, ents, camps) -> None:
    yc_window = (dt.date(2021, 1, 1), dt.date(2021, 2, 28))
    nj_case_total = 4720  # Nanjing cases filed 2020-01 .. 2021-03, of which N5 were handled fully online
    for city, prof in CITIES.items():
        pool = ents[city]
        blocks = []
        for s, e in _months(DATA_START, DATA_END):
            if city == YANCHENG and yc_window[0] <= s <= yc_window[1]:
                if s.month == 1:
                    blocks.append((yc_window[0], yc_window[1], "calibrated"))
                continue
            blocks.append((s, e, "month"))
        nj_cases = None
        if city == NANJING:
            upto = [b for b in blocks if b[1] <= dt.date(2021, 3, 31)]
            nj_cases = g.split(nj_case_total, np.ones(len(upto))) + [None] * (len(blocks) - len(upto))
        all_cases = []
        for bi, (s, e, kind) in enumerate(blocks):
            camp = camps[city] if dt.date(2021, 1, 1) <= s <= dt.date(2021, 4, 10) else (
                (camps["province"][0], [], DEPARTMENTS[:6]) if s >= dt.date(2020, 4, 1) else (None, [], DEPARTMENTS[:6]))
            if kind == "calibrated":
                n_distinct, n_haz, n_susp, n_cases = CAL["Y2"], CAL["Y3"], CAL["Y4"], CAL["Y5"]
                n_insp = int(n_distinct * 1.165)
                late_ok = False
            else:
                season = 0.65 if s.month == 2 else 1.15 if s.month in (6, 11, 12) else 1.0
                if camp[0] == camps[city][0]:
                    season *= 1.5  # spring campaign
                n_insp = int(g.rng.poisson(prof.insp_per_month * season))
                n_distinct = int(n_insp * g.rng.uniform(0.9, 0.96))
                n_haz = int(n_insp * prof.hazards_per_insp * g.rng.uniform(0.9, 1.1))
                n_susp = max(0, int(g.rng.poisson(n_insp * 0.0045 * (1.3 - prof.compliance))))
                if city != NANJING:
                    n_cases = int(g.rng.poisson(n_insp * prof.case_rate))
                elif nj_cases[bi] is not None:
                    n_cases = nj_cases[bi]
                else:
                    n_cases = int(g.rng.poisson(nj_case_total / 15))
                late_ok = city != YANCHENG or s > dt.date(2021, 3, 31)
            all_cases += _block(g, city, pool, s, e, n_insp, n_distinct, n_haz, n_susp, n_cases, camp, late_ok,
                                prof.compliance)
        if city == NANJING:
            # exactly N5 of the cases filed up to 2021-03 were handled fully online
            t = S.cases.name
            cols = g.cols[t]
            oi, fi, ci = cols.index("online"), cols.index("filed_on"), cols.index("city_adcode")
            rows = g.rows[t]
            idx = [i for i, r in enumerate(rows) if r[ci] == NANJING and r[fi] <= dt.date(2021, 3, 31)]
            online = set(int(x) for x in g.rng.choice(idx, size=CAL["N5"], replace=False))
            for i in idx:
                r = list(rows[i])
                r[oi] = i in online
                rows[i] = tuple(r)
        gen_publicity(g, city, prof, pool, all_cases)


def gen_publicity(g: Gen, city, prof, pool, cases) -> None:
    """Exposures, joint punishments, blacklist and watch-list entries, joint actions and work orders."""
    camp_window = (dt.date(2021, 1, 1), BULLETIN_DAY)
    in_camp = [c for c in cases if camp_window[0] <= c[2] <= camp_window[1]]
    other = [c for c in cases if not (camp_window[0] <= c[2] <= camp_window[1])]
    exp_n, pun_n, bl_n = CAL["Y6"] if city == YANCHENG else (
        int(len(in_camp) * 0.06), g.r.randrange(0, 3), g.r.randrange(0, 2))
    channels = ["现场会", "警示会", "电视台", "报刊", "微信公众号", "政府网站"]
    for group, counts in ((in_camp, (exp_n, pun_n, bl_n)), (other, (int(len(other) * 0.03), 2, 1))):
        if not group:
            continue
        ne, npun, nbl = counts
        for i in g.rng.choice(len(group), size=min(ne, len(group)), replace=False):
            cid, e, filed = group[int(i)]
            d = filed + dt.timedelta(days=g.r.randrange(0, 8))
            if group is in_camp:
                d = min(d, camp_window[1])
            g.add(S.exposures, case_id=cid, enterprise_id=e.id, channel=g.choice(channels), exposed_on=d,
                  **_scope(e), recorded_at=g.recorded(d, late_ok=False))
        for i in g.rng.choice(len(group), size=min(npun, len(group)), replace=False):
            cid, e, filed = group[int(i)]
            d = min(filed + dt.timedelta(days=g.r.randrange(5, 20)), camp_window[1]) if group is in_camp else filed
            g.add(S.joint_punishments, enterprise_id=e.id, measures="限制招投标、限制融资授信、提高检查频次",
                  decided_on=d, **_scope(e), recorded_at=g.recorded(d, late_ok=False))
        for i in g.rng.choice(len(group), size=min(nbl, len(group)), replace=False):
            cid, e, filed = group[int(i)]
            d = min(filed + dt.timedelta(days=g.r.randrange(5, 20)), camp_window[1]) if group is in_camp else filed
            g.add(S.blacklist_entries, enterprise_id=e.id, reason="严重违法违规且拒不整改，纳入安全生产失信联合惩戒对象",
                  listed_on=d, removed_on=None, **_scope(e), recorded_at=g.recorded(d, late_ok=False))
    # “不放心” chemical enterprises pushed to other departments (monthly from 2020-09 in Nanjing's 联检)
    chem = [e for e in pool if e.sector in HAZARD_SECTORS]
    n_watch = 46 if city == NANJING else g.r.randrange(6, 20)
    for i, d in zip(g.rng.choice(len(chem), size=min(n_watch, len(chem)), replace=False),
                    sorted(g.rday(dt.date(2020, 9, 1), DATA_END, n_watch))):
        e = chem[int(i)]
        g.add(S.watchlist_entries, enterprise_id=e.id, reason=g.choice(
            ["隐患整改反复", "重大危险源报警频繁", "风险报告与检查记录不符", "信用等级为红色"]),
              pushed_to="生态环境局、住房和城乡建设局、交通运输局", listed_on=d, **_scope(e),
              recorded_at=g.recorded(d, late_ok=False))
    # joint enforcement actions
    counties = sorted({e.county for e in pool})
    if city == NANJING:
        spans = [(dt.date(2020, 9, 1), dt.date(2021, 3, 31), CAL["N6"]), (dt.date(2021, 4, 1), DATA_END, 21)]
        name = "金陵安全联检"
    else:
        spans = [(DATA_START, DATA_END, g.r.randrange(25, 70))]
        name = "安全生产联合执法"
    for s, e_, n in spans:
        for d in sorted(g.rday(s, e_, n)):
            depts = "、".join(g.rng.choice(DEPARTMENTS[:8], size=g.r.randrange(2, 5), replace=False))
            g.add(S.joint_actions, campaign_id=None, name=name, departments=str(depts), action_on=d,
                  enterprises_checked=g.r.randrange(3, 25), city_adcode=city,
                  county_adcode=counties[g.r.randrange(len(counties))], recorded_at=g.recorded(d, False))
    # supervision work orders (数字监督)
    if city == NANJING:
        spans = [(DATA_START, dt.date(2020, 12, 31), CAL["N7"]), (dt.date(2021, 1, 1), DATA_END, 702)]
    else:
        spans = [(DATA_START, DATA_END, int(prof.enterprises * g.rng.uniform(0.02, 0.05)))]
    subjects = ["检查记录未按期上传", "隐患整改逾期未销号", "执法文书不规范", "重大危险源报警未及时处置",
                "风险报告未按期审核", "网格员巡查覆盖不足"]
    for s, e_, n in spans:
        for d in sorted(g.rday(s, e_, n)):
            due = d + dt.timedelta(days=g.r.randrange(3, 15))
            closed = d + dt.timedelta(days=g.r.randrange(1, 25))
            cty = counties[g.r.randrange(len(counties))]
            g.add(S.work_orders, code=f"GD{city}{g.ids['work_orders'] + 1:07d}",
                  kind="reminder" if g.r.random() < 0.62 else "supervision", subject=g.choice(subjects),
                  enterprise_id=None, created_on=d, due_on=due, closed_on=closed if closed <= DATA_END else None,
                  city_adcode=city, county_adcode=cty, recorded_at=g.recorded(d, False))


# --- risk reports ------------------------------------------------------------------------------------------

def gen_risk_reports(g: Gen, ents) -> None:
    cutoff = _day_end(BULLETIN_DAY)
    catalogue = ["WHP-01 液氨储存", "WHP-02 液氯使用", "HG-03 硝化工艺", "YJ-01 高温熔融金属", "YJ-02 煤气区域",
                 "GM-01 粉尘涉爆", "GM-02 涉氨制冷", "GM-03 有限空间", "RQ-01 燃气储配站", "JC-01 窑炉"]
    accident = ["火灾", "爆炸", "中毒和窒息", "灼烫", "机械伤害", "高处坠落", "容器爆炸"]
    for city, prof in CITIES.items():
        scope_ents = [e for e in ents[city] if e.sector in RISK_REPORT_SECTORS]
        obl = {}
        for e in scope_ents:
            rec = dt.datetime(2021, 2, 1, 9) + dt.timedelta(minutes=g.r.randrange(0, 600))
            obl[e.id] = g.add(S.risk_obligations, enterprise_id=e.id, kind="initial", year=2021,
                              above_scale=e.above, due_on=FIRST_REPORT_DUE, **_scope(e), recorded_at=rec)
        above = [e for e in scope_ents if e.above]
        below = [e for e in scope_ents if not e.above]
        n_early = CAL["S1"] if city == SUQIAN else int(round(len(above) * prof.report_share_0313))
        order = g.rng.permutation(len(above))
        early = [above[i] for i in order[:n_early]]
        rest = [above[i] for i in order[n_early:]]
        final_share = g.rng.uniform(0.93, 0.995)
        later = rest[: int(len(rest) * final_share)]
        below_rep = [below[i] for i in g.rng.choice(len(below), size=int(len(below) * 0.35), replace=False)]
        reports = []  # (ent, submitted_at, recorded_at, early?)
        for e in early:
            sub = g.at(RULES_IN_FORCE + dt.timedelta(days=g.r.randrange(0, 41)), 8, 22)
            sub = min(sub, cutoff - dt.timedelta(hours=2))
            reports.append((e, sub, min(sub + dt.timedelta(minutes=g.r.randrange(1, 90)), cutoff), True))
        # a few were submitted before the cut-off but entered after it: not counted "as of" 2021-03-13
        for j, e in enumerate(later):
            if j < 6:
                sub = g.at(BULLETIN_DAY, 17, 23)
                reports.append((e, sub, cutoff + dt.timedelta(hours=g.r.randrange(10, 30)), False))
                continue
            frac = g.rng.beta(2.2, 1.6)
            d = BULLETIN_DAY + dt.timedelta(days=1 + int(frac * (DATA_END - BULLETIN_DAY).days - 1))
            sub = g.at(d, 8, 22)
            reports.append((e, sub, sub + dt.timedelta(minutes=g.r.randrange(1, 600)), False))
        for e in below_rep:
            d = RULES_IN_FORCE + dt.timedelta(days=g.r.randrange(0, (DATA_END - RULES_IN_FORCE).days))
            sub = g.at(d, 8, 22)
            rec = sub + dt.timedelta(minutes=g.r.randrange(1, 600))
            reports.append((e, sub, rec, rec <= cutoff))
        # 较大以上 risk items: exact totals for Suqian's reports recorded by the cut-off
        zero_p = {s: (0.55 if s in HIGH_RISK_SECTORS else 0.75) for s in RISK_REPORT_SECTORS}
        zero = [bool(g.r.random() < zero_p[r[0].sector] * (0.5 if r[0].sector in HAZARD_SECTORS else 1))
                for r in reports]
        if city == SUQIAN:
            nz = [i for i, r in enumerate(reports) if r[3] and not zero[i]]
            big = g.split(CAL["S4"][0], g.rng.uniform(0.3, 2.0, len(nz)))
            major_idx = set(int(x) for x in g.rng.choice(CAL["S4"][0], size=CAL["S4"][1], replace=False))
            big_by = {}
            k = 0
            for i, n in zip(nz, big):
                big_by[i] = [1 if (k + j) in major_idx else 2 for j in range(n)]
                k += n
        else:
            big_by = {}
        for i, (e, sub, rec, is_early) in enumerate(reports):
            z = zero[i]
            if i in big_by:
                levels = big_by[i]
                z = not levels
            elif z:
                levels = []
            else:
                nbig = 1 + int(g.rng.poisson(1.6 if e.sector in HIGH_RISK_SECTORS else 0.8))
                levels = [1 if g.r.random() < 0.055 else 2 for _ in range(nbig)]
            key_control = bool(z and e.sector in HIGH_RISK_SECTORS and g.r.random() < 0.7)
            verification = verified_on = deadline = None
            if key_control and rec.date() + dt.timedelta(days=10) <= DATA_END:
                verified_on = rec.date() + dt.timedelta(days=g.r.randrange(5, 30))
                verification = "under_reported" if g.r.random() < 0.3 else "confirmed"
                deadline = verified_on + dt.timedelta(days=30) if verification == "under_reported" else None
            rid = g.add(S.risk_reports, obligation_id=obl[e.id], enterprise_id=e.id, kind="initial",
                        submitted_at=sub, zero_risk=z, key_control=key_control, verification=verification,
                        verified_on=verified_on, rectify_deadline=deadline, **_scope(e), recorded_at=rec)
            small = g.r.randrange(1, 4)
            for lvl in levels + [3 if g.r.random() < 0.5 else 4 for _ in range(small)]:
                cat = g.choice(catalogue) if lvl <= 2 else None
                g.add(S.risk_items, report_id=rid, name=(cat.split(" ", 1)[1] if cat else g.choice(
                    ["一般机械伤害风险", "触电风险", "物体打击风险", "车辆伤害风险"])) + "风险",
                      place=g.choice(["生产车间", "罐区", "仓库", "配电房", "装卸区"]), level=lvl,
                      accident_type=g.choice(accident), controls="落实管控措施，定期检查，设置警示标志",
                      catalogue_code=cat.split(" ", 1)[0] if cat else None, recorded_at=rec)


# --- credit and training ----------------------------------------------------------------------------------

COLOUR_P = {"green": 0.36, "blue": 0.38, "yellow": 0.18, "red": 0.08}


def gen_credit(g: Gen, ents) -> None:
    for city, prof in CITIES.items():
        pool = ents[city]
        sectors = [s for s in dict.fromkeys(e.sector for e in pool)]
        # the sectors rated first are the high-risk and industrial ones
        sectors.sort(key=lambda s: (s not in HIGH_RISK_SECTORS, s not in RISK_REPORT_SECTORS, s))
        rated_sectors = sectors[: prof.credit_sectors]
        cand = [e for e in pool if e.sector in rated_sectors]
        n = CAL["N10"][0] if city == NANJING else min(len(cand), int(len(pool) * prof.rated_share))
        # make sure every rated sector has at least one rated enterprise
        first = {}
        for i, e in enumerate(cand):
            first.setdefault(e.sector, i)
        must = list(first.values())
        rest = [i for i in range(len(cand)) if i not in set(must)]
        pick = must + [rest[int(i)] for i in g.rng.choice(len(rest), size=n - len(must), replace=False)]
        c = prof.compliance
        p = np.asarray([COLOUR_P["green"] * (0.5 + c), COLOUR_P["blue"], COLOUR_P["yellow"] * (1.5 - c),
                        COLOUR_P["red"] * (1.6 - c)])
        p = p / p.sum()
        colours = ["green", "blue", "yellow", "red"]
        score_of = {"green": (90, 100), "blue": (80, 90), "yellow": (70, 80), "red": (50, 70)}
        for i in pick:
            e = cand[i]
            col = g.r.choices(colours, weights=p)[0]
            d = dt.date(2020, 6, 1) + dt.timedelta(days=g.r.randrange(0, 213))
            g.add(S.credit_ratings, enterprise_id=e.id, colour=col,
                  score=round(g.r.uniform(*score_of[col]), 1), rated_on=d, **_scope(e),
                  recorded_at=g.recorded(d, False))
            if g.r.random() < 0.3:  # re-rated in 2021
                col2 = colours[max(0, min(3, colours.index(col) + g.r.randrange(-1, 2)))]
                d2 = dt.date(2021, 1, 4) + dt.timedelta(days=g.r.randrange(0, 170))
                g.add(S.credit_ratings, enterprise_id=e.id, colour=col2,
                      score=round(g.r.uniform(*score_of[col2]), 1), rated_on=d2, **_scope(e),
                      recorded_at=g.recorded(d2, False))


def gen_training(g: Gen, ents) -> None:
    for city, prof in CITIES.items():
        counties = sorted({e.county for e in ents[city]})
        if city == SUQIAN:
            n, total = CAL["S5"]
        else:
            n = g.r.randrange(25, 90)
            total = int(n * g.rng.uniform(50, 80))
        parts = [20 + x for x in g.split(total - 20 * n, g.rng.uniform(0.5, 1.5, n))]
        for d, k in zip(sorted(g.rday(dt.date(2020, 12, 1), dt.date(2021, 3, 31), n)), parts):
            g.add(S.training_sessions, title=g.choice(["风险报告推进部署会", "《规定》宣贯培训会", "风险辨识专家辅导",
                                                       "风险报告系统操作培训"]),
                  topic="risk_report", held_on=d, participants=k, enterprises=max(1, k // 3), city_adcode=city,
                  county_adcode=counties[g.r.randrange(len(counties))], recorded_at=g.recorded(d, False))
        for d in sorted(g.rday(DATA_START, DATA_END, g.r.randrange(15, 40))):
            k = g.r.randrange(30, 300)
            g.add(S.training_sessions, title="安全生产培训", topic="general", held_on=d, participants=k,
                  enterprises=max(1, k // 4), city_adcode=city,
                  county_adcode=counties[g.r.randrange(len(counties))], recorded_at=g.recorded(d, False))


def gen_users(g: Gen) -> None:
    import bcrypt

    for username, display, role, region in DEMO_USERS:
        pw = f"{username}-demo".encode()
        h = bcrypt.hashpw(pw, bcrypt.gensalt(rounds=10)).decode()
        g.add(S.users, username=username, display_name=display, password_hash=h, role=role, region_adcode=region,
              active=True, demo=True, created_at=g.anchor.replace(microsecond=0))


# --- 督办 and list checks (queries.supervision) ------------------------------------------------------------

def _col(g: Gen, table: str):
    idx = {c: i for i, c in enumerate(g.cols.get(table, []))}
    return lambda r, c: r[idx[c]]


# (issuer, role, binding, addressee, subject kind, days ago sent, days to the deadline, the events after sending)
DEMO_ORDERS = [
    ("leader", "leader", None, YANCHENG, "campaign", 10, 7, []),  # open, overdue
    ("leader", "leader", None, NANJING, "view", 6, 10, ["reply"]),  # answered, waiting to be closed
    ("leader", "leader", None, 320115, "text", 20, 8, ["reply", "close"]),
    ("leader", "leader", None, SUQIAN, "text", 15, 10, ["reply", "return", "reply", "close"]),
    ("nanjing", "city", NANJING, 320115, "enterprise", 4, 7, []),
    ("duty", "duty", None, YANCHENG, "warning", 1, 2, []),
    ("leader", "leader", None, 320300, "view", 8, 7, []),  # open, overdue
    ("yancheng", "city", YANCHENG, 320902, "text", 12, 6, ["reply", "close"]),
]
DEMO_INSTRUCTIONS = {
    "campaign": "专项行动进度滞后，请于期限内报送整改推进情况及下一步措施。",
    "view": "请核实本地区有关数据并说明原因，提出针对性措施。",
    "text": "请对辖区重点企业开展一次全面排查，并将排查整治情况按期反馈。",
    "enterprise": "该企业隐患反复出现，请组织专项检查并反馈处理结果。",
    "warning": "该预警超过处置时限，请立即组织现场核查处置并反馈。",
}
DEMO_TEXTS = {"reply": "已组织专项检查，问题已整改到位，相关情况报告如下。", "return": "反馈内容不够具体，请补充整改措施和完成时限。",
              "close": "同意办结。"}
REPLIERS = {YANCHENG: ("yancheng-officer", "officer"), NANJING: ("nanjing-officer", "officer"),
            320115: ("jiangning-officer", "officer"), SUQIAN: ("suqian", "city"), 320300: ("system", "officer"),
            320902: ("yancheng-officer", "officer")}
CHECKERS = {NANJING: "nanjing-officer", YANCHENG: "yancheng-officer", SUQIAN: "suqian"}


def gen_supervision(g: Gen) -> None:
    """A handful of 督办 in every state (some overdue, one returned once) and the checks of the list entries: the
    key-control reports' on-site verification as recorded (属实 = 瞒报漏报, with its notice and deadline; a follow-up
    for some) and about half of the “不放心” entries. Draws only from its own stream, so nothing else changes."""
    h = random.Random(g.seed * 31 + 15)
    anchor = g.anchor
    ent, camp, warn = _col(g, "enterprises"), _col(g, "campaigns"), _col(g, "warnings")
    seq = 0
    for issuer, role, binding, addressee, kind, ago, days, steps in DEMO_ORDERS:
        created = (anchor - dt.timedelta(days=ago, minutes=h.randrange(0, 600))).replace(microsecond=0)
        county = addressee if addressee % 100 else None
        city = addressee - addressee % 100
        if kind == "campaign":
            c = next(r for r in g.rows["campaigns"] if camp(r, "city_adcode") in (city, None))
            ref, title = str(camp(c, "id")), camp(c, "name")
        elif kind == "enterprise":
            e = next(r for r in g.rows["enterprises"] if ent(r, "county_adcode") == addressee)
            ref, title = str(ent(e, "id")), ent(e, "name")
        elif kind == "warning":
            ws = [r for r in g.rows["warnings"] if warn(r, "city_adcode") == city and warn(r, "closed_at") is None]
            w = ws[h.randrange(len(ws))] if ws else next(r for r in g.rows["warnings"] if warn(r, "city_adcode") == city)
            ref, title = str(warn(w, "id")), f"{warn(w, 'code')} {warn(w, 'title')}"
        elif kind == "view":
            page = "enforcement" if addressee == 320300 else "risk"
            ref = f"page={page}&region={addressee}&industry=&from=2021-01-01&to=2021-06-30&as_of=" + \
                created.isoformat(sep=" ").replace(" ", "+").replace(":", "%3A")
            title = "执法专项行动" if page == "enforcement" else "风险报告"
        else:
            ref, title = "", "辖区重点企业全面排查"
        seq += 1
        events = [("send", created, issuer, role, DEMO_INSTRUCTIONS[kind])]
        t = created
        for step in steps:
            t = (t + dt.timedelta(hours=h.uniform(6, 60))).replace(microsecond=0)
            who = REPLIERS[addressee] if step == "reply" else (issuer, role)
            events.append((step, t, who[0], who[1], DEMO_TEXTS[step]))
        state, answered, closed, returned = "open", None, None, 0
        for step, at, *_ in events[1:]:
            if step == "reply":
                state, answered = "answered", at
            elif step == "return":
                state, answered, returned = "open", None, returned + 1
            elif step == "close":
                state, closed = "closed", at
        oid = g.add(S.supervision_orders, code=f"DB-{created.year}-{seq:04d}", issuer=issuer, issuer_role=role,
                    issuer_region=binding, region_adcode=addressee, city_adcode=city, county_adcode=county,
                    subject_kind=kind, subject_ref=ref, subject_title=title[:200],
                    instruction=DEMO_INSTRUCTIONS[kind], deadline=(created + dt.timedelta(days=days)).replace(
                        hour=23, minute=59, second=59), state=state, version=len(events), created_at=created,
                    answered_at=answered, closed_at=closed, returned_count=returned, recorded_at=created)
        for v, (step, at, actor, arole, text) in enumerate(events, 1):
            g.add(S.supervision_events, order_id=oid, kind=step, text=text, actor=actor, actor_role=arole, at=at,
                  version=v, recorded_at=at)
    # list checks: the key-control reports' verification as recorded
    rr = _col(g, "risk_reports")
    n = 0
    for r in g.rows["risk_reports"]:
        if not rr(r, "key_control") or rr(r, "verification") is None:
            continue
        city, day = rr(r, "city_adcode"), rr(r, "verified_on")
        sub = rr(r, "verification") == "under_reported"
        at = dt.datetime.combine(day, dt.time(17, 0))
        notice = deadline = rectified = None
        if sub:
            n += 1
            notice, deadline = f"整改通知〔{day.year}〕{n}号", rr(r, "rectify_deadline")
            t = deadline - dt.timedelta(days=h.randrange(0, 25))
            rectified = t if h.random() < 0.6 and t <= min(DATA_END, anchor.date()) else None
        who = CHECKERS.get(city, "system")
        g.add(S.list_checks, list_kind="key_control", entry_id=rr(r, "id"), enterprise_id=rr(r, "enterprise_id"),
              city_adcode=city, county_adcode=rr(r, "county_adcode"),
              finding="substantiated" if sub else "unfounded", verified_on=day, verified_by=who,
              verify_note="现场核查：企业风险辨识不全，存在瞒报漏报" if sub else "现场核查：企业确无较大以上风险",
              notice_no=notice, notice_deadline=deadline, noticed_by=who if sub else None, rectified_on=rectified,
              followed_by=who if rectified else None, version=1 + bool(notice) + bool(rectified),
              updated_at=dt.datetime.combine(rectified or day, dt.time(17, 0)), recorded_at=at)
    wl = _col(g, "watchlist_entries")
    for r in g.rows["watchlist_entries"]:
        listed = wl(r, "listed_on")
        if h.random() >= 0.55 or listed + dt.timedelta(days=15) > DATA_END:
            continue
        city = wl(r, "city_adcode")
        day = listed + dt.timedelta(days=h.randrange(2, 15))
        sub = h.random() < 0.5
        notice = deadline = rectified = None
        if sub:
            n += 1
            notice, deadline = f"整改通知〔{day.year}〕{n}号", day + dt.timedelta(days=30)
            t = day + dt.timedelta(days=h.randrange(5, 40))
            rectified = t if h.random() < 0.7 and t <= min(DATA_END, anchor.date()) else None
        who = CHECKERS.get(city, "system")
        g.add(S.list_checks, list_kind="watchlist", entry_id=wl(r, "id"), enterprise_id=wl(r, "enterprise_id"),
              city_adcode=city, county_adcode=wl(r, "county_adcode"),
              finding="substantiated" if sub else "unfounded", verified_on=day, verified_by=who,
              verify_note="联合检查组现场核查", notice_no=notice, notice_deadline=deadline,
              noticed_by=who if sub else None, rectified_on=rectified, followed_by=who if rectified else None,
              version=1 + bool(notice) + bool(rectified),
              updated_at=dt.datetime.combine(rectified or day, dt.time(17, 0)),
              recorded_at=dt.datetime.combine(day, dt.time(17, 0)))


# --- driver -------------------------------------------------------------------------------------------------

def generate(seed: int = DEFAULT_SEED, anchor: dt.datetime | None = None, *, users: bool = True) -> Gen:
    anchor = (anchor or dt.datetime.now()).replace(microsecond=0)
    g = Gen(seed, anchor)
    by_city = gen_reference(g)
    anquan = gen_grids_and_sources(g, by_city)
    ents = gen_enterprises(g, by_city, anquan)
    gen_monitoring(g, ents)
    camps = gen_campaigns(g)
    gen_enforcement(g, ents, camps)
    gen_risk_reports(g, ents)
    gen_credit(g, ents)
    gen_training(g, ents)
    gen_supervision(g)
    if users:
        gen_users(g)
    return g


def clear(conn) -> None:
    for t in reversed(S.metadata.sorted_tables):
        if t.name in ("alembic_version",):
            continue
        conn.execute(delete(t))


def seed_demo(engine: Engine, seed: int = DEFAULT_SEED, anchor: dt.datetime | None = None,
              progress=None, users: bool = True) -> dict:
    """Replace the database's contents with the demo data, in one transaction. Returns a summary.

    ``users=False`` leaves out the demo accounts (production mode never has them).
    """
    t0 = time.perf_counter()
    started = dt.datetime.now().replace(microsecond=0)
    g = generate(seed, anchor, users=users)
    t_gen = time.perf_counter() - t0
    counts = {}
    with engine.begin() as conn:
        # bulk-load without secondary indexes and derived-column triggers, then build them once (all inside this
        # one transaction)
        with derived.suspended(conn):
            clear(conn)
            loaded = [t for t in S.metadata.sorted_tables if t.name in g.rows]
            for t in loaded:
                for ix in t.indexes:
                    ix.drop(conn)
            for t in loaded:
                counts[t.name] = insert_rows(conn, t, g.cols[t.name], g.rows[t.name])
                if progress:
                    progress(t.name, counts[t.name])
        # the derived columns and aggregate cells are computed (above, as the load ends), then each index is built
        # once over the final rows: the refresh's UPDATE of every inspection no longer maintains them (the demo's
        # seeding on PostgreSQL: 43 → 38 s)
        for t in loaded:
            for ix in t.indexes:
                ix.create(conn)
        reset_sequences(conn, S.metadata.sorted_tables)
        total = sum(counts.values())
        seconds = time.perf_counter() - t0
        conn.execute(insert(S.seed_runs).values(scale="demo", seed=seed, started_at=started, anchor_at=g.anchor,
                                                seconds=round(seconds, 2), rows=total))
    derived.compact(engine)  # (with the planner's statistics)
    return {"rows": counts, "total_rows": sum(counts.values()), "generate_s": round(t_gen, 2),
            "seconds": round(time.perf_counter() - t0, 2), "anchor": g.anchor.isoformat(sep=" ")}
