"""审计日志 (admin only): sign-in, sign-out, failed sign-in, lockout, page views and exports. Read-only."""
import datetime as dt

import pandas as pd
import streamlit as st

from pages.common import engine, require_admin
from queries import accounts, audit
from queries.regions import reference

EVENT_NAMES = {"login": "登录", "logout": "退出", "login_failed": "登录失败", "lockout": "账号锁定",
               "page_view": "页面访问", "export": "导出", "user_add": "新增账号", "user_disable": "停用账号",
               "user_enable": "启用账号", "password_reset": "重置密码", "user_unlock": "解锁账号",
               "import": "数据导入", "import_rejected": "导入被拒"}

u = require_admin("查看审计日志")  # before anything is drawn
st.markdown("## 审计日志")
st.caption("记录登录、退出、登录失败、账号锁定、页面访问（页面与查询范围）、数据导出（类型与范围）和数据导入"
           "（文件、批次与行数，含被拒的文件）。日志只能追加，本系统中任何人都不能修改或删除。")
c1, c2, c3, c4 = st.columns([1, 1, 1, 1])
event = c1.selectbox("事件", [None, *EVENT_NAMES], format_func=lambda e: "全部" if e is None else EVENT_NAMES[e])
who = c2.text_input("账号", max_chars=32).strip() or None
today = dt.date.today()
period = c3.date_input("日期", value=(today - dt.timedelta(days=7), today), format="YYYY-MM-DD")
limit = c4.selectbox("最多显示", [100, 500, 2000], index=1)
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
