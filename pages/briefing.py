"""简报取数: citable figures (口径, scope, period, as-of, source) for the chosen regions, copy-ready sentences in
the bulletin's style, and the exports (CSV, XLSX, a DOCX draft issue). Every export is recorded in the audit log.

The choice lives in the URL (``regions``, ``industry``, ``from``, ``to``, ``as_of``), so a link reproduces the
same figures later: with an as-of cut-off only rows recorded by then count.
"""
import copy
import datetime as dt

import pandas as pd
import streamlit as st

from pages.common import (
    binding, current_scope, date_bounds, engine, parse_id, plain, q, ref, scope_token, set_params, user,
)
from queries import audit, briefing, exports
from queries.figures import BASIS_NAMES, TOPIC_NAMES
from queries.regions import PROVINCE
from queries.scope import ScopeError

scope = current_scope()  # industry, period and as-of from the URL, validated against the user's binding
r = ref()
b = binding()
me = user()
st.markdown("## 简报取数")
st.caption("选定地区、行业、统计期和数据截止时间，取得可直接引用的数字（每个数字附口径、范围、统计期、截止时间和来源查询）、"
           "简报体例的句子，并导出 CSV、Excel 和简报 Word 初稿。")

# --- the choice (URL → widgets) ------------------------------------------------------------------------------
options = briefing.region_options(r, b)
default_regions = [b or PROVINCE]
regions = default_regions
raw = st.query_params.get("regions", "")
if raw:
    asked = [parse_id(x) for x in raw.split(",")[:50] if x.strip()]
    if None in asked:
        asked = []
        st.warning("链接中的地区无效（应为逗号分隔的行政区划代码），已改为默认地区。")
    ok = []
    for a in asked:
        try:  # validated against the binding like any scope (an ancestor of the binding is narrowed to it)
            ok += [x.region for x in briefing.scopes_for([a], industry=None, date_from=None, date_to=None, as_of=None,
                                                          binding=b, engine=engine())]
        except ScopeError as e:
            st.error(f"{plain(e)}（已从所选地区中去掉）")
    regions = [a for a in dict.fromkeys(ok) if a in options] or default_regions

if "brief_default_as_of" not in st.session_state:  # "now" fixed once per session: the end of the last whole minute
    st.session_state["brief_default_as_of"] = dt.datetime.now().replace(second=0, microsecond=0) - dt.timedelta(
        seconds=1)
as_of = scope.as_of or st.session_state["brief_default_as_of"]
tok = scope_token(scope.with_(as_of=as_of)) + "_" + "-".join(map(str, regions))

with st.form("brief_scope", border=True):
    c1, c2 = st.columns([3, 2])
    chosen = c1.multiselect("地区（可多选，每个地区一节）", options, default=regions,
                            format_func=lambda a: "江苏省（全省）" if a == PROVINCE else briefing.region_label(r, a),
                            key=f"br_regions_{tok}", placeholder="选择设区市或县（市、区）")
    inds = [None] + [i.code for i in r.sectors()] + [i.code for i in r.industries.values() if i.kind == "section"]
    ind = c2.selectbox("行业", inds, index=inds.index(scope.industry) if scope.industry in inds else 0,
                       key=f"br_ind_{tok}", placeholder="全部行业",
                       format_func=lambda c: "全部行业" if c is None else (
                           r.industries[c].name + ("（国民经济门类）" if r.industries[c].kind == "section" else "")))
    c3, c4, c5, c6 = st.columns([2, 1.2, 1, 1])
    lo, hi = date_bounds(scope.date_from, scope.date_to, as_of.date())
    period = c3.date_input("统计期", value=(scope.date_from, scope.date_to), min_value=lo, max_value=hi,
                           format="YYYY-MM-DD", key=f"br_period_{tok}")
    d_as_of = c4.date_input("数据截止日期", value=as_of.date(), min_value=lo, max_value=hi, format="YYYY-MM-DD",
                            key=f"br_asof_d_{tok}")
    t_as_of = c5.time_input("截止时间", value=as_of.time().replace(second=0), step=60, key=f"br_asof_t_{tok}")
    c6.markdown("<div style='height:1.8rem'></div>", unsafe_allow_html=True)
    submitted = c6.form_submit_button("取数", type="primary", width="stretch")
if submitted:
    kept = "未重新取数：以下仍是上次取数的结果和文件（统计范围见下方蓝色提示）。"
    if not chosen:
        st.warning("请至少选择一个地区。" + kept)
    elif not (isinstance(period, (tuple, list)) and len(period) == 2):
        st.warning("请选择统计期的开始和结束日期。" + kept)
    else:
        new_as_of = dt.datetime.combine(d_as_of, t_as_of.replace(second=59))
        set_params(regions=",".join(str(a) for a in chosen), industry=ind, **{
            "from": period[0].isoformat(), "to": period[1].isoformat(),
            "as_of": new_as_of.isoformat(sep=" ")})
        st.rerun()

# --- figures --------------------------------------------------------------------------------------------------
scopes = [scope.with_(region=a, as_of=as_of) for a in regions]
datas = [q(briefing.section_data, s) for s in scopes]
with st.expander("期号、印发日期和各节标题（用于 Word 初稿）"):
    e1, e2 = st.columns(2)
    issue_no = e1.text_input("期号", value="", placeholder="例如：第5期", key="br_issue", max_chars=40)
    issue_date = e2.date_input("印发日期", value=as_of.date(), format="YYYY-MM-DD", key=f"br_issue_date_{tok}")
    titles = {d.region: st.text_input(f"{d.name} 一节的标题", value=briefing.default_title(d),
                                      key=f"br_title_{d.region}_{tok}") for d in datas}
brief = briefing.assemble(datas, industry=scope.industry, date_from=scope.date_from, date_to=scope.date_to,
                          as_of=as_of, issue_no=issue_no, issue_date=issue_date,
                          generated_by=me.username if me else "", titles=titles)

st.info(f"统计范围：{'、'.join(d.name for d in datas)} · {brief.industry_name}　|　统计期：{brief.period_text()}　|　"
        f"数据截止：{brief.as_of_text()}")
st.caption("统计期内指标只计统计期内发生、且在数据截止时间前录入的数据；“目前”“截至”类累计指标取数据截止时的状态。"
           "重大危险源监测点的实时状态无法回溯到过去的时间，未列入。同一截止时间以后再次取数，结果不变。")


# --- exports (generated when clicked, then recorded in the audit log) -----------------------------------------
def _deferred(fmt: str):
    username = me.username if me else None

    def make() -> bytes:
        out = copy.copy(brief)
        out.generated_at = dt.datetime.now().replace(microsecond=0)
        data = exports.render(fmt, out)
        audit.record("export", username, exports.audit_detail(out, fmt, source="page"))
        return data

    return make


d1, d2, d3, d4 = st.columns([1.5, 1.3, 1.3, 2.4])  # (the labels whole at a desk width)
for col, fmt, label in ((d1, "docx", "简报初稿（Word）"), (d2, "xlsx", "指标表（Excel）"), (d3, "csv", "指标表（CSV）")):
    col.download_button(label, data=_deferred(fmt), file_name=exports.file_name(brief, fmt), mime=exports.MIME[fmt],
                        icon=":material/download:", key=f"br_dl_{fmt}", on_click="ignore", width="stretch")
d4.caption("导出文件注明统计范围、统计期、数据截止时间、生成人和生成时间；每次导出记入审计日志。")
with st.expander("复现命令（命令行）"):
    st.code(brief.command(), language="bash")

# --- sentences ------------------------------------------------------------------------------------------------
st.markdown("#### 可直接引用的句子")
for sec in brief.sections:
    st.markdown(f"**{sec.data.name}**")
    for sent in sec.sentences:
        st.code(sent.text, language=None, wrap_lines=True)

# --- the figures table ---------------------------------------------------------------------------------------
st.markdown("#### 指标与口径")
figs = brief.figures
table = pd.DataFrame({
    "地区": [f.region_name for f in figs],
    "专题": [TOPIC_NAMES[f.topic] for f in figs],
    "指标": [f.label for f in figs],
    "数值": [briefing.num(f.value) for f in figs],
    "单位": [f.unit for f in figs],
    "口径": [f.definition for f in figs],
    "统计类型": [BASIS_NAMES[f.basis] for f in figs],
    "统计期": [f.period for f in figs],
    "数据截止": [f.as_of for f in figs],
    "统计范围": [f.scope for f in figs],
    "来源查询": [f.source for f in figs],
    "指标代码": [f.key for f in figs],
})
st.dataframe(table, hide_index=True, width="stretch", height=420, key="br_figures",
             column_config={"口径": st.column_config.TextColumn(width=360),
                            "数值": st.column_config.TextColumn(width=90, help="简报中的写法（不含千位分隔符）"),
                            "统计期": st.column_config.TextColumn(width=190),
                            "数据截止": st.column_config.TextColumn(width=150)})

# --- per-region tables (the Word draft's tables) --------------------------------------------------------------
st.markdown("#### 分地区明细（Word 初稿中的表格）")
for sec in brief.sections:
    df = sec.table_with_total
    cols = {"name": sec.data.table_kind, **{c: f"{h}（{u}）" for c, h, u, _ in briefing.TABLE_COLUMNS}}
    st.markdown(f"**{sec.data.name}**：执法检查为统计期内，风险报告截至数据截止时间")
    st.dataframe(df[list(cols)].rename(columns=cols), hide_index=True, width="stretch",
                 key=f"br_table_{sec.data.region}")
