"""企业档案: the drill-down's last level. ?enterprise=<id> shows one enterprise's basics, safety credit and its record
in every topic; without an id, a search by name or unified social credit code whose results open the profile."""
import hashlib

import pandas as pd
import streamlit as st

from pages.common import (
    current_scope, engine, fmt, html_text, metric, page_header, page_link, plain, q, q_or_stop, set_params, url_id,
)
from pages.supervision_ui import send_button, send_flash
from pages.ui import step_history
from queries import enterprise, handling
from queries import supervision as SV
from queries.labels import CREDIT_HEX, CREDIT_MEANING, CREDIT_NAMES

SEARCH_KEY = "qe"  # the search text, kept in the URL
SEARCH_SHOWN = 50  # search results shown


def _yes(v) -> str:
    return "是" if bool(v) else "否"


def profile_view(scope, eid: int) -> None:
    p = q_or_stop(enterprise.profile, scope, eid)
    e, f, cr = p["enterprise"], p["figures"], p["credit"]
    if st.button("← 返回企业查询", key="e_back", type="tertiary"):
        set_params(enterprise=None)
        st.rerun()
    st.markdown(f"### {plain(e['name'])}")
    city, county = int(e["city_adcode"]), int(e["county_adcode"])
    ctx = f"enterprise_{eid}"
    send_button(ctx, SV.enterprise_subject(eid), e["name"], within=[city, county],
                default=[scope.region, city, county], label="督办该企业",
                help="就该企业向所在市或县（市、区）发出督办单")
    send_flash(ctx)
    c1, c2 = st.columns([3, 2])
    with c1:
        basics = pd.DataFrame({"项目": ["统一社会信用代码", "所在地", "行业", "国民经济行业", "规模以上企业", "重点企业",
                                       "成立日期"],
                               "内容": [e["uscc"], f"{e['city']} {e['county']}", e["sector"],
                                      f"{e['industry']}（{e['industry_code']}）", _yes(e["above_scale"]),
                                      _yes(e["is_key"]), str(e["established_on"])[:10]]})
        st.dataframe(basics, hide_index=True, width="stretch")
    with c2:
        st.markdown("##### 安全信用脸谱")
        if cr:
            colour = cr["colour"]
            st.markdown(
                f"<div style='border-left:10px solid {CREDIT_HEX[colour]};padding:6px 12px;background:#f6f7f9'>"
                f"<div style='font-size:1.3em;font-weight:600;color:{CREDIT_HEX[colour]}'>{CREDIT_NAMES[colour]}</div>"
                f"<div>{CREDIT_MEANING[colour]}</div>"
                f"<div style='color:#666;font-size:0.9em'>评分 {html_text(cr['score'])} · "
                f"评定日期 {html_text(str(cr['rated_on'])[:10])}</div>"
                "</div>", unsafe_allow_html=True)
        else:
            st.info("截至截止时间尚无信用评定。")
        st.caption("信用颜色：绿色最好，其次蓝色、黄色，红色最差。")

    st.markdown("#### 统计期内")
    cols = st.columns(3)
    metric("enforcement.inspections", f["inspections"], where=cols[0], unit="", extra="仅计该企业")
    metric("enforcement.hazards_found", f["hazards_found"], where=cols[1], extra="仅计该企业")
    metric("enforcement.cases_filed", f["cases_filed"], where=cols[2], extra="仅计该企业")
    st.markdown("#### 当前（或截止时间）")
    cols = st.columns(4)
    cols[0].metric("未整改隐患", fmt(f["hazards_open"], "个"), border=True, help="尚未整改完成的隐患（不限发现时间）")
    metric("hazards.hazard_sources", f["hazard_sources"], where=cols[1], extra="仅计该企业（GB 18218-2018）")
    metric("warnings.open", f["open_warnings"], where=cols[2], extra="仅计该企业")
    cols[3].metric("风险报告", fmt(f["risk_reports"], "份"), border=True,
                   help="截至截止时间已提交的安全生产风险报告")
    st.caption("“统计期内”按侧边栏统计期计算；“当前”指实时状态，按截止时间统计时为截止时刻的状态。")
    if f["hazard_sources"]:
        page_link("hazards.py", "重大危险源监测点读数 →", enterprise=eid)

    st.markdown("#### 预警处置记录（最近 10 步）")
    steps = handling.enterprise_steps(eid, scope, engine=engine(), limit=10)
    if steps.empty:
        st.caption("该企业的预警尚无处置记录。")
    step_history(steps, warning_label=True)


def search_view(scope) -> None:
    st.markdown("#### 企业查询")
    cur = st.query_params.get(SEARCH_KEY, "")
    cur = cur.strip()[:64]
    text = st.text_input("企业名称或统一社会信用代码", value=cur, max_chars=64,
                         key=f"e_search_{hashlib.md5(cur.encode()).hexdigest()[:10]}",
                         placeholder="输入企业名称中的文字，或统一社会信用代码的开头，按回车查询")
    text = (text or "").strip()
    if text != cur:  # the URL is the state: write the new text back and rerun with a widget keyed by it
        set_params(**{SEARCH_KEY: text or None})
        st.rerun()
    if not text:
        st.caption("在当前地区和行业范围内查找企业；选中结果中的一行打开企业档案。")
        return
    # one row more than is shown: whether there are more than SEARCH_SHOWN (a count of every match would read them all)
    res = q(enterprise.search, scope, text=text, limit=SEARCH_SHOWN + 1)
    more = len(res) > SEARCH_SHOWN
    res = res.iloc[:SEARCH_SHOWN]
    if res.empty:
        st.warning(f"当前范围内没有名称包含或信用代码以“{plain(text, 40)}”开头的企业。")
        return
    view = pd.DataFrame({"企业名称": res["name"], "统一社会信用代码": res["uscc"], "城市": res["city"],
                         "区县": res["county"], "行业": res["sector"], "规模以上": res["above_scale"],
                         "重点企业": res["is_key"]})
    tag = hashlib.md5(text.encode()).hexdigest()[:10]  # a fresh selection for each search text
    sel = st.dataframe(view, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                       key=f"e_results_{scope.region}_{scope.industry}_{tag}")
    rows = sel.selection.rows if sel and sel.selection else []
    if rows:
        set_params(enterprise=int(res.iloc[rows[0]]["id"]))
        st.rerun()
    found = (f"找到超过 {SEARCH_SHOWN} 家企业，仅显示按名称排序的前 {SEARCH_SHOWN} 家，请输入更完整的名称或代码" if more
             else f"找到 {len(res):,} 家（按名称排序）")
    st.caption(f"{found}。选中一行打开企业档案。")


scope = current_scope()
page_header("企业档案", scope)
eid = url_id("enterprise", "企业", "返回企业查询", "e_bad_back")
if eid is not None:
    profile_view(scope, eid)
else:
    search_view(scope)
