"""风险报告: completion of the above-scale industrial enterprises' risk reports (江苏省政府令第140号) against the
deadline, by region and sector, over time; 较大/重大 risks; the key control list and its checks (核查, 整改通知, 复查:
pages/listchecks.py, with its 核查率 and 整改完成率); training."""
from functools import partial

import streamlit as st

from pages import listchecks
from pages.charts import bar, line, region_map
from pages.common import (
    child_label, comparisons, current_scope, drill_on_click, engine, figure_label, fmt, map_values, metric,
    page_header, picked_custom, prefetch, q, rate_column, rates_of_nothing, scope_token, set_params, tile_changes,
    topic_keys,
)
from pages.ui import when
from queries import risk
from queries import supervision as SV
from queries.labels import LEVEL_HEX, LEVEL_NAMES
from queries.scope import resolve

scope = current_scope()
page_header("风险报告", scope)
rs = resolve(scope, engine())
tok = scope_token(scope)
cut = rs.cutoff
cut_text = when(cut, missing="当前")
st.caption(f"完成情况是截至截止时间（{cut_text}：统计期末，或所选数据截止时间，取较早者）的累计数，不是统计期内的"
           "增量：已完成 = 截至该时刻已提交并入库首次风险报告的规模以上工业企业；应报 = 负有首次报告义务的规模以上工业企业"
           "（省政府令第140号，既有企业首次报告期限 2021-05-01，目标 100%）。培训场次与人数按统计期内统计。")

prefetch(scope, risk.completion, comparisons(topic_keys("risk")), risk.key_control_summary,
         risk.by_region, risk.trend, risk.by_sector, risk.major_risks, risk.training)
c = q(risk.completion, scope)
tile = partial(metric, changes=tile_changes(scope, topic_keys("risk")))
st.markdown("#### 完成情况（截至截止时间）")
cols = st.columns(5)
tile("risk.required", c["required"], where=cols[0],
     extra=f"含规下企业的全部应报工业企业 {c['required_all']:,} 家")
tile("risk.completed", c["completed"], where=cols[1], extra=f"含规下企业共已报 {c['completed_all']:,} 家")
tile("risk.completion_rate", c, where=cols[2],
       extra=f"含规下企业的完成率 {fmt(c['completion_rate_all'] if c['required_all'] else None, '%')}")
tile("risk.outstanding", c["outstanding"], where=cols[3])
days = c["days_to_deadline"]
due = c["due_on"].isoformat() if c["due_on"] else "—"
if days is None:
    dl_value = "—"
elif days >= 0:
    dl_value = f"剩余 {days:,} 天"
else:
    dl_value = f"已过 {-days:,} 天"
cols[4].metric("距首次报告期限", dl_value, border=True,
               help=f"既有企业首次报告期限 {due}，按截止时间（{cut_text[:10]}）计算")
if days is not None and days < 0 and c["outstanding"] > 0:
    st.warning(f"首次报告期限（{due}）已过，仍有 {c['outstanding']:,} 家规上工业企业未完成风险报告。")

st.markdown("#### 报告内容与质量核查（截至截止时间）")
kc = q(risk.key_control_summary, scope)
cols = st.columns(6)
tile("risk.risks_major_or_above", c["risks_major_or_above"], where=cols[0])
tile("risk.risks_major", c["risks_major"], where=cols[1])
tile("risk.zero_risk_reports", c["zero_risk_reports"], where=cols[2])
cols[3].metric("高危零风险报告", fmt(kc["zero_risk_high_risk"], "份"), border=True,
               help="危险化学品、化工、冶金、有色、烟花爆竹、非煤矿山、城镇燃气等高危行业中未报告较大以上风险的“零风险”报告数，疑似瞒报漏报，需核查")
tile("risk.key_control", kc["key_control"], where=cols[4])
kr = SV.check_rates("key_control", scope, engine=engine())  # live: a check taken on this page shows at once
cols[5].metric("核查发现瞒报漏报", fmt(kr["substantiated"], "家"), border=True,
               help=f"重点管控清单中截至截止时间经现场核查属实（瞒报漏报）的报告数，其中已下达限期整改通知 {kr['noticed']:,} 家；"
                    f"核查不属实 {kr['unfounded']:,} 家，尚未核查 {kr['entries'] - kr['verified']:,} 家")

# --- by region ---------------------------------------------------------------------------------------------
kids = child_label(scope)
st.markdown(f"#### 各{kids}完成上报率")
reg = q(risk.by_region, scope)
left, right = st.columns([5, 6])
with left:
    ev = region_map(scope, engine(), map_values(reg, "risk.completion_rate"),
                    figure_label("risk.completion_rate"), "%", key=f"risk_map_{scope.region}", higher_is_worse=False,
                    height=500, fit_width=360)  # (a 5:6 column: ~365 px at 1280 px with the sidebar open)
with right:
    ev_bar = bar(reg, "name", ["required", "completed"], ["应报规上工业企业（家）", "已完成上报（家）"],
                 key=f"risk_region_bar_{scope.region}", colors=["#9aa7b8", "#2e9d48"], height=500)
drill_on_click(scope, ev, ev_bar)
st.caption(f"地图绿色越深表示完成上报率越高。点击地图上的{kids}或柱子可下钻；用页面上方的地区路径返回上级。")
with st.expander(f"各{kids}明细"):
    st.dataframe(rates_of_nothing(reg, "risk.completion_rate").drop(columns=["adcode"]), hide_index=True,
                 key=f"risk_region_tbl_{tok}", column_config={
        "name": kids, "required": "应报（家）", "completed": "已完成（家）",
        "completion_rate": rate_column("完成上报率"),
        "risks_major_or_above": "较大以上风险（条）", "risks_major": "重大风险（条）",
        "zero_risk_reports": "“零风险”报告（份）", "key_control": "重点管控（家）"})

# --- trend and sectors ---------------------------------------------------------------------------------------
left, right = st.columns(2)
with left:
    st.markdown("#### 累计完成上报率走势")
    tr = q(risk.trend, scope)
    if tr.empty:
        st.info("截至截止时间尚无已完成的风险报告。")
    else:
        years = {d.year for d in tr["day"]}
        # short category labels (a plotly date axis would print English month names)
        tr = tr.assign(label=[(f"{d.year}/" if len(years) > 1 else "") + f"{d.month}/{d.day}" for d in tr["day"]])
        line(tr, "label", ["rate"], ["累计完成上报率"], key=f"risk_trend_{tok}", colors=["#2e9d48"], height=360,
             hlines=[(100, "目标 100%", "#e02020")], yaxis_title="%")
        st.caption(f"按日累计的完成上报率（分母为截至截止时间的应报规上工业企业数）；首次报告期限 {due}。")
with right:
    st.markdown("#### 各行业完成上报率")
    sec = q(risk.by_sector, scope)
    shown = sec.assign(label=[f"{n}（高危）" if h else n for n, h in zip(sec["sector_name"], sec["high_risk"])])
    ev_sec = bar(shown, "label", ["completion_rate"], ["完成上报率（%）"], key=f"risk_sector_{scope.region}_{scope.industry}",
                 custom="sector", horizontal=True, colors=["#2e9d48"], height=max(320, 28 * len(sec) + 80))
    code = picked_custom(ev_sec)
    if isinstance(code, str) and code != scope.industry:
        set_params(industry=code)
        st.rerun()
    st.caption("点击行业柱子可按该行业筛选全页（侧栏“行业”可恢复全部行业）。")

# --- major risks ---------------------------------------------------------------------------------------------
st.markdown("#### 较大以上风险（按《较大以上安全生产风险目录》）")
mr = q(risk.major_risks, scope)
if mr.empty:
    st.info("截至截止时间没有上报较大以上风险。")
else:
    wide = (mr.pivot(index=["catalogue_code", "name"], columns="level", values="risks")
            .reindex(columns=[1, 2]).fillna(0).astype(int).reset_index())
    wide.columns = ["catalogue_code", "name", "level_1", "level_2"]
    wide["label"] = wide["catalogue_code"].fillna("") + " " + wide["name"]
    wide = wide.sort_values(["level_1", "level_2"], ascending=False, ignore_index=True)
    bar(wide, "label", ["level_1", "level_2"], [LEVEL_NAMES[1] + "风险（红）", LEVEL_NAMES[2] + "风险（橙）"],
        key=f"risk_major_{tok}", colors=[LEVEL_HEX[1], LEVEL_HEX[2]], stacked=True, horizontal=True, custom=None,
        selectable=False, height=max(320, 24 * len(wide) + 80), yaxis_title="")

# --- key control list ----------------------------------------------------------------------------------------
st.markdown("#### 重点管控清单及核查整改")
st.caption("高危行业“零风险”等疑似瞒报漏报的报告纳入重点管控清单，由属地监管人员或市级账号逐一现场核查；核查属实（瞒报漏报）"
           "的下达限期整改通知，到期复查确认整改完成。")
listchecks.section("key_control", scope)

# --- training ------------------------------------------------------------------------------------------------
st.markdown("#### 推进部署与培训（统计期内）")
t = q(risk.training, scope)
cols = st.columns(3)
tile("risk.training_sessions", t["sessions"], where=cols[0])
tile("risk.training_participants", t["participants"], where=cols[1])
cols[2].metric("参培企业", fmt(t["enterprises"], "家次"), border=True, help="统计期内风险报告培训覆盖的企业家次")
