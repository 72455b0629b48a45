"""排名: the cities (or the counties of a city) ranked on the key figures, with the previous period's rank, the change
and the last three (后三名); one indicator in detail; the whole as a spreadsheet for meetings."""
import datetime as dt

import pandas as pd
import streamlit as st

from pages.common import (
    current_scope, figure, figure_help, figure_label, fmt, forget_refused, page_header, plain, q, ref, say_refused,
    set_params, user,
)
from queries import audit, ranking
from queries.exports import MIME

BOTTOM_STYLE = "background-color: #fde2e2; color: #a8071a; font-weight: 600"
FOCUS_STYLE = "background-color: #e3edfb; font-weight: 700"  # the county in view, among its city's counties

scope = current_scope()
page_header("排名", scope)
r = q(ranking.rankings, scope)

if not r.ranked:
    st.info("排名在下级地区之间进行：当前范围是区县，没有下级地区可排名。请在左侧“查询条件”中选择全省或设区市。")
    st.stop()
focus_name = ref().name(r.focus) if r.focus else None
if focus_name:
    st.info(f"当前为{plain(focus_name)}：下面是它在{plain(r.region_name)}各县（市、区）中的排名（蓝底）。")

st.caption(f"排名范围：{plain(r.scope_text())}　|　本期：{r.period_text()}　|　上期：{r.prev_text()}　|　"
           f"数据截止：{r.as_of_text()}")


def _change(c) -> str:
    return ranking.change_text(c)


def _rank_cell(rank, change) -> str:
    if rank is None or pd.isna(rank):
        return "—"
    if change is None or pd.isna(change):
        return f"{int(rank)}"
    return f"{int(rank)} {_change(change)}"


# --- every indicator at a glance --------------------------------------------------------------------------------
st.markdown("#### 排名总览")
st.caption("每格：本期名次 与 较上期的变化（↑ 前进、↓ 后退）；红底：后三名。")
board = r.board()
cols = {k: figure_label(k, short=True) for k in r.tables}
view = pd.DataFrame({"地区": board["name"]})
for k, label in cols.items():
    view[label] = [_rank_cell(a, c) for a, c in zip(board[k], board[f"{k}:change"])]
view["后三名项数"] = board["bottoms"]
mask = pd.DataFrame(False, index=view.index, columns=view.columns)
for k, label in cols.items():
    mask[label] = board[f"{k}:bottom"].to_numpy()
styles = mask.replace({True: BOTTOM_STYLE, False: ""})
styles.loc[(board["adcode"] == r.focus).to_numpy(), "地区"] = FOCUS_STYLE
styled = view.style.apply(lambda _: styles, axis=None)
st.dataframe(styled, hide_index=True, width="stretch", height="content", key="rank_board",
             column_config={"地区": st.column_config.TextColumn("地区", pinned=True)}
             | {label: st.column_config.TextColumn(label, help=figure_help(k)) for k, label in cols.items()}
             | {"后三名项数": st.column_config.NumberColumn(help="该地区在多少项指标中位列后三名")})

# --- one indicator in detail -------------------------------------------------------------------------------------
st.markdown("#### 分项排名")
keys = list(r.tables)
raw = st.query_params.get("ind", keys[0])
msg = None
if raw not in keys:
    msg = f"链接中的排名指标无效：{plain(raw, 40)}，已显示{figure_label(keys[0])}。"
    raw = keys[0]
elif "ind" in st.query_params:
    forget_refused("rank_ind")
say_refused("rank_ind", msg)
key = st.selectbox("指标", keys, index=keys.index(raw), format_func=figure_label, key=f"rank_ind_{raw}",
                   placeholder="请选择")
if key != raw:
    forget_refused("rank_ind")
    set_params(ind=None if key == keys[0] else key)
    st.rerun()
if "ind" in st.query_params and st.query_params["ind"] != raw:  # an invalid value: drop it
    set_params(ind=None)

d = figure(key)
t = r.tables[key]
st.caption(plain(figure_help(key)))
unit = d.unit
detail = pd.DataFrame({
    "本期名次": [("—" if pd.isna(x) else int(x)) for x in t["rank"]],
    r.child_kind: t["name"],
    f"本期{d.label}": [fmt(v, unit) if not pd.isna(v) else "—" for v in t["value"]],
    "上期名次": [("—" if pd.isna(x) else int(x)) for x in t["prev_rank"]],
    "排名变化": [_change(c) for c in t["change"]],
    "上期数值": [fmt(v, unit) if not pd.isna(v) else "—" for v in t["prev_value"]],
    "标记": ["后三名" if b else "" for b in t["bottom"]],
}).astype({"本期名次": str, "上期名次": str})
bottom, focus = t["bottom"].to_numpy(), (t["adcode"] == r.focus).to_numpy()
st.dataframe(detail.style.apply(lambda row: [BOTTOM_STYLE if bottom[row.name] else FOCUS_STYLE if focus[row.name]
                                             else ""] * len(row), axis=1),
             hide_index=True, width="stretch", height="content", key=f"rank_detail_{key}",
             column_config={r.child_kind: st.column_config.TextColumn(r.child_kind, pinned=True)})
if d.basis == "live":
    st.caption("实时指标无法回溯到过去的时间，没有上期名次。")
elif r.prev_from is None:
    st.caption("统计期没有起止日期，没有上期名次。")
elif t["prev_rank"].isna().all() and t["prev_value"].notna().any():
    st.caption("上期各地数值相同（或仅一地有值），不排上期名次，也不计名次变化。")

with st.expander("排名口径"):
    st.markdown(plain(ranking.NOTE))


# --- the spreadsheet (generated when clicked, then recorded in the audit log) -------------------------------------
_me = user()
_username = _me.username if _me else None  # taken now: the file is made later, outside this run


def _xlsx() -> bytes:
    data = ranking.to_xlsx(r, generated_by=_username or "", generated_at=dt.datetime.now())
    audit.record("export", _username, ranking.audit_detail(r, source="page"))
    return data


c1, c2 = st.columns([1, 2])
c1.download_button("下载排名表（Excel）", data=_xlsx, file_name=ranking.file_name(r), mime=MIME["xlsx"],
                   icon=":material/download:", key="rank_xlsx", on_click="ignore", width="stretch")
c2.caption("表中注明排名范围、本期与上期、数据截止时间、口径、生成人和生成时间；每次导出记入审计日志。")
