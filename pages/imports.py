"""数据导入 (admin only): a city's spreadsheet → preview (full validation, exact counts, nothing written) → confirm.

The import itself is ``queries.intake.import_file``: one transaction on the primary database, upsert by natural
key, provenance on every row. This page only uploads, shows and confirms.
"""
import hashlib

import pandas as pd
import streamlit as st

from pages.common import engine, plain, require_admin
from queries import db
from queries.intake import KINDS, ImportRefused, import_file, template_bytes
from queries.intake.cells import limits
from queries.intake.core import problems_csv, recent_batches

u = require_admin("导入数据")  # before anything is drawn
st.markdown("## 数据导入")
st.caption("各设区市上报的执法检查记录、专项行动月报、风险报告导出、信用评定名单和网格登记表。上传后先完整校验并预览"
           "（不写入），确认后整批写入；有任何一行不合格则整个文件不导入。同一文件重复导入不会产生重复数据。")

primary = db.get_engine()  # imports write to the primary even when pages read from a replica
kind = st.selectbox("数据类型", list(KINDS), format_func=lambda k: f"{KINDS[k].title}（{k}）", key="imp_kind",
                    placeholder="请选择")
spec = KINDS[kind]
c1, c2 = st.columns([3, 1])
c1.markdown(f"**{spec.title}**：{spec.summary} 按“{'、'.join(spec.col(k).header for k in spec.natural_key)}”"
            "识别同一条记录。")
c2.download_button("下载 Excel 模板", template_bytes(kind), file_name=f"{kind}-模板.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", width="stretch")
with st.expander("模板各列说明"):
    st.dataframe(pd.DataFrame([{"列名": c.header, "必填": "是" if c.required else "", "格式": c.fmt(),
                                "示例": c.example, "说明": c.note} for c in spec.columns]),
                 hide_index=True, width="stretch")

max_bytes = limits().max_bytes
up = st.file_uploader(f"上传文件（.xlsx 或 .csv，不超过 {max_bytes / 1048576:g} MB）", type=["xlsx", "csv"],
                      key=f"imp_file_{kind}")
if up is not None:
    data = up.getvalue()
    token = f"{kind}:{hashlib.sha256(data).hexdigest()}"
    state = st.session_state.setdefault("imp_state", {})
    if len(data) > max_bytes:
        st.error(f"文件过大（{len(data) / 1048576:.1f} MB），上限 {max_bytes / 1048576:g} MB。")
        st.stop()
    if token not in state:
        try:
            with st.spinner("正在逐行校验…"):
                state[token] = {"preview": import_file(kind, data, up.name, engine=primary, importer=u.username,
                                                       region=u.binding, dry_run=True), "done": None}
        except ImportRefused as e:
            st.error(plain(e))
            st.stop()
    pre, done = state[token]["preview"], state[token]["done"]
    st.text(f"文件：{up.name}")  # the file's name as plain text (it is whatever the uploader called it)
    if done is not None:
        st.success(f"{done.summary_zh()} 批次号 {done.batch_id}。")
    elif not pre.ok:
        st.error(f"{pre.summary_zh()}请按下表逐项修改后重新上传。")
        probs = pd.DataFrame([{"行": p.row, "列": p.column or "（整行）", "问题": p.message} for p in pre.problems])
        st.dataframe(probs, hide_index=True, width="stretch", height=min(600, 38 + 35 * len(probs)))
        if pre.problem_total > len(pre.problems):
            st.caption(f"仅列出前 {len(pre.problems)} 处，共 {pre.problem_total} 处。")
        st.download_button("下载问题清单（CSV）", problems_csv(pre),
                           file_name=f"{up.name}-问题清单.csv", mime="text/csv")
    else:
        st.info(f"校验通过。{pre.summary_zh()}")
        if pre.previous:
            p = pre.previous
            st.warning(f"同一文件（内容完全相同）已于 {p['imported_at']:%Y-%m-%d %H:%M} 由 {plain(p['importer'])} 导入"
                       f"（批次 {p['id']}）；再次导入不会改变任何数据。")
        if st.button(f"确认导入 {pre.rows} 行", type="primary", key=f"imp_go_{token}"):
            try:
                with st.spinner("正在写入（一次事务）…"):
                    res = import_file(kind, data, up.name, engine=primary, importer=u.username, region=u.binding)
            except ImportRefused as e:
                st.error(plain(e))
            else:
                if res.ok:
                    state[token]["done"] = res
                    st.cache_data.clear()  # every page shows the new figures at once
                    st.rerun()
                else:  # the database changed between preview and confirm
                    state[token]["preview"] = res
                    st.rerun()

st.markdown("#### 最近导入")
batches = recent_batches(engine=engine(), limit=20)
if batches.empty:
    st.caption("尚无导入记录。")
else:
    batches["kind"] = [KINDS[k].title if k in KINDS else k for k in batches["kind"]]
    st.dataframe(batches, hide_index=True, width="stretch", column_config={
        "id": "批次", "kind": "类型", "file_name": "文件", "importer": "导入人",
        "imported_at": st.column_config.DatetimeColumn("时间", format="YYYY-MM-DD HH:mm"),
        "rows": "行数", "inserted": "新增", "updated": "更新", "unchanged": "未变化", "file_sha256": None})
