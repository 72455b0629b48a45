"""审计日志 (admin only): sign-in, sign-out, failed sign-in, lockout, page views and exports. Read-only."""
import datetime as dt

import pandas as pd
import streamlit as st

from pages.common import engine, plain, require_admin
from queries import accounts, audit, handling
from queries.regions import reference

EVENT_NAMES = {"login": "登录", "logout": "退出", "login_failed": "登录失败", "lockout": "账号锁定",
               "page_view": "页面访问", "export": "导出", "user_add": "新增账号", "user_disable": "停用账号",
               "user_enable": "启用账号", "password_reset": "重置密码", "user_unlock": "解锁账号",
               "import": "数据导入", "import_rejected": "导入被拒", "warning_step": "预警处置",
               "step_refused": "处置被拒", "deadline_update": "修改处置时限", "deadline_refused": "修改时限被拒"}

u = require_admin("查看审计日志")  # before anything is drawn
st.markdown("## 审计日志")
st.caption("记录登录、退出、登录失败、账号锁定、页面访问（页面与查询范围）、数据导出（类型与范围）和数据导入"
           "（文件、批次与行数，含被拒的文件）。日志只能追加，本系统中任何人都不能修改或删除。")
c1, c2, c3, c4 = st.columns([1, 1, 1, 1])
event = c1.selectbox("事件", [None, *EVENT_NAMES], format_func=lambda e: "全部" if e is None else EVENT_NAMES[e],
                      placeholder="全部")
who = c2.text_input("账号", max_chars=32).strip() or None
today = dt.date.today()
period = c3.date_input("日期", value=(today - dt.timedelta(days=7), today), format="YYYY-MM-DD")
limit = c4.selectbox("最多显示", [100, 500, 2000], index=1, placeholder="请选择")
since = until = None
if isinstance(period, (tuple, list)) and len(period) == 2:
    since = dt.datetime.combine(period[0], dt.time())
    until = dt.datetime.combine(period[1], dt.time(23, 59, 59))
rows = audit.recent(event=event, username=who, since=since, until=until, limit=limit, engine=engine())
df = pd.DataFrame(rows, columns=["id", "at", "username", "event", "detail"])
if not df.empty:
    df["event"] = [EVENT_NAMES.get(e, e) for e in df["event"]]
    df["detail"] = [d if isinstance(d, str) else ", ".join(f"{k}={v}" for k, v in (d or {}).items())
                    for d in df["detail"]]
st.dataframe(df, hide_index=True, width="stretch",
             column_config={"id": "序号", "at": st.column_config.DatetimeColumn("时间", format="YYYY-MM-DD HH:mm:ss"),
                            "username": "账号", "event": "事件", "detail": "详情"})
st.caption(f"共 {len(df):,} 条（最新在前）。")

st.markdown("#### 账号")
ref = reference(engine())
users = pd.DataFrame(accounts.list_users(engine=engine()))
if not users.empty:
    users["region_adcode"] = [ref.name(int(a)) if pd.notna(a) else "全省" for a in users["region_adcode"]]
st.dataframe(users, hide_index=True, width="stretch",
             column_config={"username": "账号", "display_name": "名称", "role": "角色", "region_adcode": "绑定地区",
                            "active": "启用", "demo": "演示账号", "created_at": "创建时间"})
st.caption("账号通过命令行管理：oversight users add | disable | enable | reset-password | list。")

st.markdown("#### 处置时限")
_said = st.session_state.pop("deadline_flash", None)  # (kind, message) of the save before the rerun
if _said:
    (st.success if _said[0] == "ok" else st.warning)(plain(_said[1]))
dl = handling.deadlines(engine=engine())
st.dataframe(pd.DataFrame({"等级": dl["level_name"], "签收时限(分钟)": dl["ack_minutes"], "核查时限(分钟)": dl["verify_minutes"],
                           "消警时限(分钟)": dl["close_minutes"], "修改人": dl["updated_by"],
                           "修改时间": pd.to_datetime(dl["updated_at"])}),
             hide_index=True, width="stretch",
             column_config={"修改时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
st.caption("自预警产生时起算。以上为本系统的默认设置，并非国家规定；各地可按本地要求调整。须满足 签收 ≤ 核查 ≤ 消警，"
           "最长 30 天。修改立即生效（含对历史预警的及时率统计），并记入审计日志。")
rows = {int(r["level"]): r for r in dl.to_dict("records")}
lv = st.selectbox("修改等级", list(rows), format_func=lambda v: rows[v]["level_name"], key="dl_level", placeholder="请选择")
r = rows[lv]
with st.form(f"deadline_{lv}_{int(r['version'])}"):
    c1, c2, c3 = st.columns(3)
    ack = c1.number_input("签收时限（分钟）", min_value=0, step=1, value=int(r["ack_minutes"]), key=f"dl_ack_{lv}")
    ver = c2.number_input("核查时限（分钟）", min_value=0, step=1, value=int(r["verify_minutes"]), key=f"dl_ver_{lv}")
    clo = c3.number_input("消警时限（分钟）", min_value=0, step=1, value=int(r["close_minutes"]), key=f"dl_clo_{lv}")
    save = st.form_submit_button("保存处置时限", type="primary")
if save:
    try:
        handling.set_deadlines(lv, int(ack), int(ver), int(clo), handling.actor_of(u), version=int(r["version"]))
    except handling.Conflict as e:
        st.session_state["deadline_flash"] = ("conflict", str(e))  # someone saved meanwhile: theirs is shown
        st.rerun()
    except handling.StepFailed:
        st.error("数据库暂时不可用，处置时限未保存。请稍后重试。")
    except handling.HandlingError as e:
        st.error(plain(str(e)))
    else:
        st.session_state["deadline_flash"] = ("ok", f"已保存{rows[lv]['level_name']}预警的处置时限。")
        st.rerun()
