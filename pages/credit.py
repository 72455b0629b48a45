"""安全信用脸谱: enterprises by their latest four-colour credit rating (绿 best .. 红 worst), by region and sector."""
import pandas as pd
import streamlit as st

from pages.charts import bar, region_map
from pages.common import (
    child_label, comparisons, current_scope, drill_on_click, engine, goto_enterprise, map_values, metric,
    page_header, picked_custom, prefetch, q, rate_column, rates_of_nothing, ref, set_params, tile_changes, topic_keys,
)
from pages.ui import rgba, stripe
from queries import credit
from queries.labels import CREDIT_COLOURS, CREDIT_HEX, CREDIT_MEANING, CREDIT_NAMES
from queries.regions import PROVINCE

MAX_POINTS = 3000  # enterprises drawn on the map at most, worst first: pydeck's JSON costs ~15 ms per 1,000 points
MAX_LIST = 2000  # enterprises listed at most: the worst red and yellow ones; the list's filters search all of them
assert MAX_POINTS >= MAX_LIST  # the map's fetch holds the list's first red and yellow enterprises
WORST_FIRST = list(reversed(CREDIT_COLOURS))  # red, yellow, blue, green
FILL = {c: rgba(CREDIT_HEX[c]) for c in CREDIT_COLOURS}


def _clicked_point(event, ids: pd.Series):
    """The enterprise id of a clicked map point (layer ``points``, row i of ``ids``), or None."""
    sel = event.get("selection") if isinstance(event, dict) else getattr(event, "selection", None)
    idx = (sel.get("indices") if isinstance(sel, dict) else getattr(sel, "indices", None)) if sel else None
    hit = (idx or {}).get("points") or []
    return int(ids.iloc[hit[0]]) if hit and 0 <= hit[0] < len(ids) else None


scope = current_scope()
page_header("安全信用脸谱", scope)
prefetch(scope, comparisons(topic_keys("credit")))
d = q(credit.distribution, scope)
# one fetch, worst first, serves the map and the list as it opens (its first MAX_LIST red and yellow enterprises)
prefetch(scope, (credit.enterprises, {"limit": MAX_POINTS, "counts": d}), credit.by_region, credit.by_sector)
ch = tile_changes(scope, topic_keys("credit"))
newest = d["newest_rating"]
st.caption("四色评级从好到差依次为 **绿色（最好）→ 蓝色 → 黄色 → 红色（最差）**，按颜色分级监管。"
           "每家企业只计一次，取其截至截止时间（统计期末，或数据截止时间，取较早者）的最新一次评级"
           + (f"；最新评级日期 {newest}。" if newest else "。"))

cols = st.columns(4)
metric("credit.rated", d["rated"], changes=ch, where=cols[0])
metric("credit.sectors", d["sectors"], changes=ch, where=cols[1])
metric("credit.red_yellow_share", d, changes=ch, where=cols[2])
metric("credit.red_yellow", d["red_yellow"], changes=ch, where=cols[3])

cols = st.columns(4)
for i, c in enumerate(CREDIT_COLOURS):
    with cols[i]:
        stripe(CREDIT_HEX[c])
        metric(f"credit.{c}", d[c], changes=ch, extra=f"占评级企业 {d['shares'][c]}%。{CREDIT_MEANING[c]}")
        st.caption(f"占 {d['shares'][c]}% · {CREDIT_MEANING[c]}")

if not d["rated"]:
    st.info("当前查询条件下没有评级企业。")
    st.stop()

kid = child_label(scope)
left, right = st.columns([3, 2])
with left:
    st.markdown(f"#### 各{kid}红黄色企业占比与评级企业分布")
    reg = q(credit.by_region, scope)
    ents = q(credit.enterprises, scope, limit=MAX_POINTS, counts=d)
    points = pd.DataFrame({  # (worst colours first)
        "lon": ents["lon"].round(4), "lat": ents["lat"].round(4), "fill": ents["colour"].map(FILL),
        "tip": ents["name"] + "（" + ents["colour"].map(CREDIT_NAMES) + " · " + ents["sector"] + "）",
    })
    ev = region_map(scope, engine(), map_values(reg, "credit.red_yellow_share"),
                    "红黄色企业占比", "%", key=f"credit_map_{scope.region}_{scope.industry}", points=points,
                    points_outline=True, height=560)
    ent_id = _clicked_point(ev, ents["id"])
    if ent_id is not None:
        goto_enterprise(ent_id)
    drill_on_click(scope, ev)
    capped = d["rated"] > len(ents)
    st.caption(f"底色：各{kid}红黄色企业占比（越红越需关注）；圆点：评级企业，按最新评级着色。"
               + (f"评级企业 {d['rated']:,} 家，地图仅绘制最差的 {len(ents):,} 家（红、黄色优先）。" if capped
                  else f"共绘制 {len(ents):,} 家。")
               + f"点击{kid}可下钻，点击圆点打开企业档案。")
with right:
    st.markdown("#### 各行业评级构成")
    sec = q(credit.by_sector, scope)
    ev = bar(sec, "sector_name", WORST_FIRST, [CREDIT_NAMES[c] for c in WORST_FIRST],
             colors=[CREDIT_HEX[c] for c in WORST_FIRST], custom="sector", stacked=True, horizontal=True,
             height=max(300, 60 + 36 * len(sec)), key=f"credit_sector_{scope.region}_{scope.industry}")
    sector = picked_custom(ev)
    if sector and sector != scope.industry:
        set_params(industry=sector)
        st.rerun()
    if scope.industry:
        if st.button("显示全部行业", key="credit_all_industries", icon=":material/filter_alt_off:"):
            set_params(industry=None)
            st.rerun()
    st.caption("点击行业条可只看该行业。颜色从左到右：红（最差）、黄、蓝、绿（最好）。")

st.markdown(f"#### 各{kid}评级情况")
table = rates_of_nothing(reg, "credit.red_yellow_share")[["name", "rated", *WORST_FIRST, "red_yellow_share"]]
st.dataframe(table, hide_index=True, width="stretch", height=38 + 35 * len(table), column_config={
    "name": st.column_config.TextColumn(kid),
    "rated": st.column_config.NumberColumn("评级企业（家）", format="localized"),
    **{c: st.column_config.NumberColumn(f"{CREDIT_NAMES[c]}（家）", format="localized") for c in WORST_FIRST},
    "red_yellow_share": rate_column("红黄色占比"),
})

st.markdown("#### 红黄色企业名单")
f1, f2, f3, f4 = st.columns([1, 1, 1, 2])
colours = f1.multiselect("评级颜色", ["red", "yellow"], default=["red", "yellow"], format_func=CREDIT_NAMES.get,
                         key="credit_list_colour", placeholder="请选择")
r = ref()
places = {c.adcode: c.name for c in r.children(scope.region)} if scope.region != PROVINCE else {
    co.adcode: f"{city.name} {co.name}" for city in r.cities() for co in r.children(city.adcode)}
everywhere = "全部" if places else r.name(scope.region)  # (a county's view: that county)
county = f2.selectbox("区县", [None, *places], format_func=lambda a: everywhere if a is None else places[a],
                      key=f"credit_list_county_{scope.region}", disabled=not places, placeholder=everywhere)
own = r.industries.get(scope.industry) if scope.industry else None
sectors = {} if own is not None and own.kind == "sector" else {i.code: i.name for i in r.sectors()}
every_sector = "全部" if sectors else own.name  # (a sector's view: that sector)
sector_f = f3.selectbox("行业", [None, *sectors], format_func=lambda c: every_sector if c is None else sectors[c],
                        key=f"credit_list_sector_{scope.region}_{scope.industry}", disabled=not sectors,
                        placeholder=every_sector)
name_q = f4.text_input("企业名称包含", key="credit_list_name", max_chars=40).strip()
if sorted(colours) == ["red", "yellow"] and county is None and sector_f is None and not name_q:
    listed = ents[ents["colour"].isin(colours)]  # the map's worst enterprises: their red and yellow ones
    more = d["red_yellow"] > MAX_LIST
elif colours:  # a search among all the view's rated enterprises
    listed = q(credit.enterprises, scope.with_(region=county) if county is not None else scope,
               colours=tuple(sorted(colours)), sector=sector_f, name_contains=name_q or None, limit=MAX_LIST + 1)
    more = len(listed) > MAX_LIST
else:
    listed, more = ents.head(0), False
shown = listed.head(MAX_LIST)
shown = shown.assign(colour_name=shown["colour"].map(CREDIT_NAMES))
sel = st.dataframe(
    shown[["id", "name", "colour_name", "score", "rated_on", "sector", "county"]], hide_index=True, width="stretch",
    height=420, on_select="rerun", selection_mode="single-row", key=f"credit_list_{scope.region}_{scope.industry}",
    column_config={
        "id": None,
        "name": st.column_config.TextColumn("企业名称", width="large"),
        "colour_name": st.column_config.TextColumn("最新评级"),
        "score": st.column_config.NumberColumn("信用评分", format="%.1f"),
        "rated_on": st.column_config.DateColumn("评级日期", format="YYYY-MM-DD"),
        "sector": st.column_config.TextColumn("行业"),
        "county": st.column_config.TextColumn("区县"),
    })
rows = sel.selection.rows if sel else []
if rows:
    goto_enterprise(int(shown.iloc[rows[0]]["id"]))
st.caption(f"显示 {len(shown):,} 家" + (f"（仅列最差的 {MAX_LIST:,} 家，可用上方的区县、行业、名称筛选查找其他企业）" if more else "")
           + f"；本视图共有红色 {d['red']:,} 家、黄色 {d['yellow']:,} 家。按颜色和评分由差到好排列，筛选在全部评级企业中查找。"
           "选中一行即可打开该企业档案。")
