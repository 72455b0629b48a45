"""What every page shares: the engine, the signed-in user, the scope from the URL, cached queries, widgets.

A page renders; the numbers come from ``queries`` through ``q()``, which caches by (function, scope, args):
the scope carries the user's binding, so a cached result never crosses a binding.
"""
from __future__ import annotations

import datetime as dt
import html
import importlib
import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, replace
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from pages.settings import env_num
from queries import change, db, memo
from queries.figures import BASIS_NAMES, BETTER_NAMES, catalogue
from queries.regions import PROVINCE, reference
from queries.scope import Scope, ScopeError, resolve, scope_from_params

PAGES_DIR = Path(__file__).resolve().parent  # the page scripts

# seconds a shared period result lives before one background recomputation (OVERSIGHT_QUERY_TTL, at least 5)
QUERY_TTL = env_num("OVERSIGHT_QUERY_TTL", 60, 5)
_log = logging.getLogger(__name__)


def shared_cache(ttl: float, max_entries: int):
    """The cache every session shares for period figures: a result lives ``ttl`` seconds; when it has expired,
    the first session to ask starts one recomputation in the background and every session (that one included)
    gets the previous result meanwhile (for at most another ``ttl``). So an expired key costs the database one
    computation, never one per waiting leader, and nobody waits for it; a key never computed is computed once
    while the others asking wait for it (Streamlit's per-key lock)."""
    return st.cache_data(ttl=ttl, max_entries=max_entries, show_spinner=False, refresh_mode="background")


@st.cache_resource(show_spinner="正在准备数据库（首次启动会生成演示数据，约需一分钟）…")
def _engine(primary_url: str, read_url: str):
    return db.reader()


def engine():
    """The engine pages read from (one per database URL per process)."""
    return _engine(db.database_url(), db.read_url())


def primary():
    """The primary database's engine. Where people act (the handling desk, 督办, the list checks), the one item a
    form acts on is read from here: a read replica may lag behind the write just made, and the page would show the
    old state and post its old version (a step refused as if someone else had taken one). Lists and figures stay
    on the replica."""
    return _engine_primary(db.database_url())


@st.cache_resource(show_spinner=False)
def _engine_primary(primary_url: str):
    return db.ensure_database()


def ref():
    return reference(engine())


def user():
    return st.session_state.get("oversight_user")


def require_admin(what: str):
    """The signed-in admin; anyone else gets ``仅管理员可{what}。`` and the page stops (the navigation hides admin
    pages from other roles; this guards a direct URL)."""
    u = user()
    if u is None or u.role != "admin":
        st.error(f"仅管理员可{what}。")
        st.stop()
    return u


def binding() -> int | None:
    u = user()
    return u.binding if u else None


# --- text from users, URLs and files: shown as text, never as markdown or HTML ------------------------------

# Every ASCII punctuation character may be backslash-escaped in CommonMark and then renders as itself: links,
# images, autolinks <…>, raw HTML, emphasis, headings, lists, LaTeX ($), :color[…] directives lose their meaning.
_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")
# Some of Streamlit's markdown plugins rewrite the *parsed* text, where escapes are already gone: GFM's bare-URL
# and e-mail autolinks (http://…, www.…, a@b.c), :streamlit: / :material_…: icons, emoji shortcodes and
# typographic arrows (->, <=, --). A WORD JOINER (U+2060, invisible, never a line break) inside each such
# pattern keeps the text as it reads and stops the rewrite.
_WJ = "\u2060"
_MD_REWRITTEN = re.compile(r"(?<=:)|(?=@)|(?i:(?<=www)(?=\.))|(?<=[-<>~=])(?=[-<>=])")


def _visible(ch: str) -> str:
    """Control, format (bidi overrides, zero-width) and line/paragraph separator characters as ``\\u202e`` text."""
    import unicodedata

    if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return ch.encode("unicode_escape").decode("ascii")
    return ch


def plain(value: Any, limit: int | None = None) -> str:
    """``value`` as literal text inside Streamlit markdown (st.markdown / error / warning / info / caption, metric
    labels and values, help): nothing in it renders as a link, image, HTML, formula, icon or formatting, and
    control characters show as escapes (``\\x00``, ``\\u202e``). ``limit`` shortens it (with …) first."""
    s = "" if value is None else str(value)
    if limit is not None and len(s) > limit:
        s = s[:limit] + "…"
    s = "".join(_visible(ch) for ch in s)
    s = _MD_REWRITTEN.sub(_WJ, s)
    return _MD_PUNCT.sub(r"\\\1", s)


def html_text(value: Any) -> str:
    """``value`` as text inside HTML rendered with unsafe_allow_html / st.html (quotes escaped too)."""
    return html.escape("" if value is None else str(value), quote=True)


# --- cached queries ------------------------------------------------------------------------------------

@shared_cache(QUERY_TTL, 4000)
def _run(db_url: str, fn_path: str, scope_t: tuple, args: tuple, kwargs: tuple):
    mod, name = fn_path.rsplit(".", 1)
    fn = getattr(importlib.import_module(mod), name)
    return fn(*args, Scope(*scope_t), engine=engine(), **dict(kwargs))


def q(fn: Callable, scope: Scope, *args, **kwargs) -> Any:
    """Call a query function ``fn(*args, scope, engine=..., **kwargs)`` through the cache shared by all sessions.

    The key is (database, function, scope incl. the user's binding, arguments): no result crosses a binding.
    """
    key = _key(db.read_url(), fn, scope, args, kwargs)
    fut = _started(key)
    if fut is not None:
        try:
            return fut.result()
        except Exception:  # noqa: BLE001 - computed again here, where its error is reported
            pass
    return _run(*key)


# Short-lived variants for live parts (wall screen fragments that rerun every few seconds): a fragment that
# refreshes every N seconds uses a TTL of at most N, and every screen still shares one cached result. They refresh
# in the foreground (a live figure is never older than its TTL); the per-key lock still makes one computation of
# an expired key, the other sessions waiting for it.
def _call(fn_path: str, scope_t: tuple, args: tuple, kwargs: tuple):
    mod, name = fn_path.rsplit(".", 1)
    fn = getattr(importlib.import_module(mod), name)
    return fn(*args, Scope(*scope_t), engine=engine(), **dict(kwargs))


@st.cache_data(ttl=2, max_entries=1000, show_spinner=False)
def _run_ttl2(db_url: str, fn_path: str, scope_t: tuple, args: tuple, kwargs: tuple):
    return _call(fn_path, scope_t, args, kwargs)


@st.cache_data(ttl=5, max_entries=1000, show_spinner=False)
def _run_ttl5(db_url: str, fn_path: str, scope_t: tuple, args: tuple, kwargs: tuple):
    return _call(fn_path, scope_t, args, kwargs)


@st.cache_data(ttl=10, max_entries=1000, show_spinner=False)
def _run_ttl10(db_url: str, fn_path: str, scope_t: tuple, args: tuple, kwargs: tuple):
    return _call(fn_path, scope_t, args, kwargs)


_TTL_RUNNERS = ((10, _run_ttl10), (5, _run_ttl5), (2, _run_ttl2))


def q_ttl(fn: Callable, scope: Scope, *args, ttl: float, **kwargs) -> Any:
    """Like ``q`` but cached for at most ``ttl`` seconds (10, 5 or 2: the largest not above ``ttl``)."""
    runner = next((r for t, r in _TTL_RUNNERS if t <= ttl), _run_ttl2)
    return runner(db.read_url(), f"{fn.__module__}.{fn.__name__}", astuple(scope), tuple(args),
                  tuple(sorted(kwargs.items())))


# The page's later parts, started while it draws its first ones (``prefetch``): a process-wide pool, so that many
# sessions opening pages at once add at most PREFETCH_WORKERS statements to the database's load.
PREFETCH_WORKERS = env_num("OVERSIGHT_PREFETCH_WORKERS", 2, 0)
_prefetch_pool: ThreadPoolExecutor | None = None
_prefetch_lock = threading.Lock()
_PREFETCHED = object()  # the run's started parts are kept in its store (queries/memo.py) under (_PREFETCHED, key)


def _pool() -> ThreadPoolExecutor:
    global _prefetch_pool
    with _prefetch_lock:
        if _prefetch_pool is None:
            _prefetch_pool = ThreadPoolExecutor(max_workers=int(PREFETCH_WORKERS), thread_name_prefix="prefetch")
        return _prefetch_pool


def prefetch(scope: Scope, *calls) -> None:
    """Start the queries of a page's later parts now, in the background: the database reads them while the page
    draws its first parts (a page's Python and its SQL otherwise take turns). Each call is a query function (called
    with the scope alone) or a tuple ``(fn, *args)``, its last item a dict of keyword arguments where it has any, as
    ``q(fn, scope, *args, **kwargs)`` takes them; they go through the same shared cache as ``q``.

    When the page reaches the part, ``q`` takes the started call's result (waiting for it if it is under way), or
    computes it itself if the pool has not started it yet; a failed start is computed again by ``q``, which reports
    its error. Within a page run only (``pages/app.py``); the figures a run shares (queries/memo.py) are shared with
    the started calls."""
    store = memo.this_run()
    if not PREFETCH_WORKERS or store is None:
        return
    url, pool = db.read_url(), _pool()
    for c in calls:
        if callable(c):
            fn, args, kwargs = c, (), {}
        else:
            fn, *args = c
            kwargs = args.pop() if args and isinstance(args[-1], dict) else {}
        key = _key(url, fn, scope, args, kwargs)
        tag = _tag(key)
        if tag is not None and tag not in store:
            store[tag] = pool.submit(memo.in_this_run(_run, *key))


def drop_prefetched() -> None:
    """At the end of a page run: cancel its started calls the pool has not begun (a run stopped early, or a part
    not drawn this time, leaves no work queued behind it)."""
    store = memo.this_run()
    for tag in [t for t in list(store or ()) if isinstance(t, tuple) and t and t[0] is _PREFETCHED]:
        fut = store.pop(tag, None)
        if fut is not None:
            fut.cancel()


def _frozen(v: Any) -> Any:
    if isinstance(v, dict):
        return (dict, tuple(sorted((k, _frozen(x)) for k, x in v.items())))
    if isinstance(v, (list, tuple)):
        return (type(v), tuple(_frozen(x) for x in v))
    return v


def _tag(key: tuple) -> tuple | None:
    """The run store's name of a started call (arguments such as a dict of counts made hashable); None if none
    can be made (the call is then not started early)."""
    try:
        tag = (_PREFETCHED, _frozen(key))
        hash(tag)
    except TypeError:
        return None
    return tag


def _key(url: str, fn: Callable, scope: Scope, args, kwargs: dict) -> tuple:
    return url, f"{fn.__module__}.{fn.__name__}", astuple(scope), tuple(args), tuple(sorted(kwargs.items()))


def _started(key: tuple) -> Any:
    """The run's started call of ``key`` (taken: a second ``q`` of it reads the cache), None where there is none
    or the pool has not begun it (it is cancelled: the page's own thread computes it now rather than wait)."""
    store, tag = memo.this_run(), _tag(key)
    fut = store.pop(tag, None) if store is not None and tag is not None else None
    if fut is None or fut.cancel():
        return None
    return fut


def q_or_stop(fn: Callable, scope: Scope, *args, **kwargs) -> Any:
    """Like ``q`` but a refused scope (unknown or foreign object) ends the page with its message."""
    try:
        return q(fn, scope, *args, **kwargs)
    except ScopeError as e:
        st.error(str(e))
        st.stop()


# --- scope from and to the URL --------------------------------------------------------------------------

def default_period() -> tuple[dt.date, dt.date]:
    """The latest calendar year that holds enforcement data, up to its last day with data."""
    return _default_period(db.read_url())


@st.cache_data(ttl=600, show_spinner=False)
def _default_period(db_url: str) -> tuple[dt.date, dt.date]:
    from queries import enforcement

    _, last = enforcement.data_range(engine=engine())
    last = last or dt.date.today()
    return dt.date(last.year, 1, 1), last


SCOPE_KEYS = ("region", "industry", "from", "to", "as_of")


def current_scope() -> Scope:
    """The scope of this run, read from the URL and validated against the user's binding."""
    b = binding()
    start, end = default_period()
    defaults = Scope(region=b or PROVINCE, date_from=start, date_to=end, binding=b)
    params = {k: st.query_params.get(k) for k in SCOPE_KEYS if st.query_params.get(k)}
    try:
        s = scope_from_params(params, engine(), binding=b, defaults=defaults)
    except ScopeError as e:
        for k in SCOPE_KEYS:
            if k in st.query_params:
                del st.query_params[k]
        # keep saying so while the view stays the one we fell back to (the next rerun no longer has the bad link)
        st.session_state["oversight_scope_refused"] = (str(e), _view_key())
        s = defaults
    future = None
    if s.as_of is not None and s.as_of.date() > dt.date.today():
        # data cannot be "as of" a day to come: the view is today's, and says so (a briefing would cite the date)
        future = f"链接中的数据截止时间 {s.as_of:%Y-%m-%d} 晚于今天，已按当前数据显示。"
        del st.query_params["as_of"]
        s = s.with_(as_of=None)
    say_refused("as_of_future", future)
    refused = st.session_state.get("oversight_scope_refused")
    if refused and refused[1] == _view_key():
        st.error(f"链接中的查询条件无效：{plain(refused[0])}。已显示默认视图。")
    elif refused:
        del st.session_state["oversight_scope_refused"]
    rs = resolve(s, engine())
    if rs.region != s.region:  # a bound user asking for the province sees their own region
        s = s.with_(region=rs.region)
    return s


def say_refused(name: str, message: str | None = None) -> None:
    """A warning about a bad value in the link (``message``, already escaped) that keeps being said while the view
    stays the one the page fell back to: the page cleans the link at once, and a browser reruns a page when its
    charts first report their selection. Call it on every run; ``message`` None says nothing new."""
    k = f"oversight_refused_{name}"
    if message is not None:
        st.session_state[k] = (message, _view_key())
    said = st.session_state.get(k)
    if said and said[1] == _view_key():
        st.warning(said[0])
    elif said:
        del st.session_state[k]


def forget_refused(name: str) -> bool:
    """The user chose a value since: stop saying the link's was bad (True if something was being said)."""
    return st.session_state.pop(f"oversight_refused_{name}", None) is not None


def _view_key() -> tuple:
    """The page and its scope parameters (what a refusal message belongs to; a page's own parameters such as
    ``campaign`` do not change it)."""
    page = st.session_state.get("oversight_page", "")  # set by pages.app.run before the page runs
    return (page, tuple((k, st.query_params.get(k)) for k in SCOPE_KEYS))


def set_params(**kw) -> None:
    """Change the URL (the view's state); ``None`` removes a parameter."""
    for k, v in kw.items():
        if v is None or v == "":
            if k in st.query_params:
                del st.query_params[k]
        else:
            st.query_params[k] = str(v)


def drill_to(adcode: int) -> None:
    set_params(region=adcode if adcode != PROVINCE else None, enterprise=None)
    st.rerun()


def drill_on_click(scope: Scope, *events) -> None:
    """If a map region or a bar of a child region was clicked, drill into it (the shared drill-down step)."""
    for ev in events:
        picked = selected_region(ev)
        if picked and picked != scope.region:
            drill_to(picked)


def scope_token(scope: Scope) -> str:
    return "_".join(str(x) for x in astuple(scope)).replace(" ", "T").replace(":", "")


def date_bounds(*dates: dt.date | None) -> tuple[dt.date, dt.date]:
    """The range a date picker offers: 2019 – 2030, widened to hold every given date (a link may ask for any
    date the query layer accepts, 2000 – 2099; a value outside the picker's range would raise)."""
    given = [d for d in dates if d is not None]
    return min([dt.date(2019, 1, 1), *given]), max([dt.date(2030, 12, 31), *given])


def scope_controls(scope: Scope) -> None:
    """Sidebar filters: city, county, industry, period, as-of. Each change is written to the URL."""
    r = ref()
    b = binding()
    rs = resolve(scope, engine())
    tok = scope_token(scope)
    sb = st.sidebar
    sb.markdown("#### 查询条件")
    # region: city then county
    if b is None:
        cities = [PROVINCE] + [d.adcode for d in r.cities()]
    else:
        bd = r.divisions[b]
        cities = [bd.city if bd.level == "county" else b]
    cur_city = rs.city or PROVINCE
    city = sb.selectbox("地区", cities, index=cities.index(cur_city) if cur_city in cities else 0, placeholder="全省",
                        format_func=lambda a: "江苏省（全省）" if a == PROVINCE else r.name(a), key=f"city_{tok}")
    ALL = 0  # "全部区县" (None would show Streamlit's English placeholder)
    counties = [ALL] + ([d.adcode for d in r.children(city)] if city != PROVINCE else [])
    if b is not None and r.divisions[b].level == "county":
        counties = [b]
    cur_county = rs.county if rs.county in counties else counties[0]
    county = sb.selectbox("区县", counties, index=counties.index(cur_county), placeholder="全部区县",
                          format_func=lambda a: "全部区县" if a == ALL else r.name(a), key=f"county_{tok}",
                          disabled=city == PROVINCE)
    target = county or city
    if target != rs.region:
        set_params(region=target if target != PROVINCE else None, enterprise=None)
        st.rerun()
    # industry
    # "" is 全部行业: a None option is "nothing chosen" to Streamlit, which then shows its English placeholder
    inds = [""] + [i.code for i in r.sectors()] + [i.code for i in r.industries.values() if i.kind == "section"]
    cur = scope.industry if scope.industry in inds else ""
    ind = sb.selectbox("行业", inds, index=inds.index(cur), key=f"ind_{tok}", placeholder="全部行业",
                       format_func=lambda c: "全部行业" if not c else (
                           r.industries[c].name + ("（国民经济门类）" if r.industries[c].kind == "section" else "")))
    ind = ind or None
    if ind != scope.industry:
        set_params(industry=ind)
        st.rerun()
    # period
    lo, hi = date_bounds(scope.date_from, scope.date_to)
    val = sb.date_input("统计期", value=(scope.date_from, scope.date_to), min_value=lo, max_value=hi,
                        key=f"period_{tok}", format="YYYY-MM-DD")
    if isinstance(val, (tuple, list)) and len(val) == 2 and (val[0], val[1]) != (scope.date_from, scope.date_to):
        set_params(**{"from": val[0].isoformat(), "to": val[1].isoformat()})
        st.rerun()
    # as-of
    use_asof = sb.toggle("按截止时间统计（仅计入截止前录入的数据）", value=scope.as_of is not None, key=f"asof_on_{tok}")
    if use_asof:
        d0 = scope.as_of.date() if scope.as_of else scope.date_to
        d = sb.date_input("数据截止日期", value=d0, key=f"asof_{tok}", format="YYYY-MM-DD")
        new = dt.datetime.combine(d, dt.time(23, 59, 59))
        if new != scope.as_of:
            set_params(as_of=new.isoformat(sep=" "))
            st.rerun()
    elif scope.as_of is not None:
        set_params(as_of=None)
        st.rerun()


def breadcrumb(scope: Scope, key: str = "crumb", extra: Callable[[], None] | None = None) -> None:
    """江苏省 › 市 › 区县: each level a button back up, then what the figures cover; ``extra`` draws at the row's end
    (the header's actions)."""
    r = ref()
    chain = r.chain(scope.region)
    b = binding()
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        for i, d in enumerate(chain):
            allowed = b is None or r.contains(b, d.adcode) or d.adcode == b
            last = i == len(chain) - 1
            label = ("› " if i else "") + d.name
            if st.button(label, key=f"{key}_{d.adcode}", disabled=last or not allowed, type="tertiary"):
                drill_to(d.adcode)
        desc = resolve(scope, engine()).describe()
        period = f"{desc['from']} 至 {desc['to']}" if desc["from"] else "全部时间"
        asof = f" · 数据截至 {desc['as_of']}" if desc["as_of"] else ""
        st.caption(f"｜ {desc['industry_name']} · 统计期 {period}{asof}")
        if extra is not None:
            extra()


# --- formatting -------------------------------------------------------------------------------------------

def fmt(v: Any, unit: str = "") -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "—"
    if unit == "%":
        s = f"{float(v):,.1f}"  # rates always with one decimal, as the bulletin writes them (22.4%, 97.0%)
    elif isinstance(v, float) and not float(v).is_integer():
        s = f"{v:,.2f}"
    else:
        s = f"{int(v):,}"
    return f"{s}{unit}" if unit in ("%",) else (f"{s} {unit}" if unit else s)


# --- catalogue figures: a figure's label, unit and 口径 come from its declaration (queries/figures.py) -----------

_FIGURES = catalogue()


def figure(key: str):
    """The declaration of catalogue figure ``key`` (``queries.figure_defs.FigureDef``)."""
    return _FIGURES[key]


def figure_text(key: str, result: dict) -> str:
    """Catalogue figure ``key`` of its source's ``result`` as text with its unit (— for a rate of nothing)."""
    d = figure(key)
    return fmt(d.value_of(result), d.unit)


def map_values(df: pd.DataFrame, key: str) -> pd.DataFrame:
    """``adcode, value`` of catalogue figure ``key`` per region of a by-region frame that holds the figure's field
    (and its base): a rate of nothing (its base 0 in a region) is no value, drawn as no data rather than as 0 %."""
    return pd.DataFrame({"adcode": df["adcode"], "value": figure(key).per_region(df)})


def rates_of_nothing(df: pd.DataFrame, *keys: str) -> pd.DataFrame:
    """A by-region frame whose rate columns (catalogue figures ``keys``) hold no value where a region's base is 0,
    for a table that shows them in a progress column (empty there, where a number column would say "None")."""
    return df.assign(**{figure(k).field: figure(k).per_region(df) for k in keys})


def rate_column(label: str, help: str | None = None) -> Any:  # noqa: A002 - Streamlit's own name for it
    """A table column of a rate in %: a bar with its value, empty for a rate of nothing."""
    return st.column_config.ProgressColumn(label, format="%.1f%%", min_value=0, max_value=100, help=help)


def figure_label(key: str, *, short: bool = False) -> str:
    """The figure's label (``short``: its label for tight places, e.g. the wall screen's tiles)."""
    return figure(key).short if short else figure(key).label


def figure_help(key: str, extra: str = "") -> str:
    """A figure's help text: its definition (口径), basis and better direction, then ``extra`` (e.g. a breakdown)."""
    d = figure(key)
    better = f"；{BETTER_NAMES[d.better]}" if d.better else ""
    extra = extra.rstrip("。")
    return f"{d.definition}。统计类型：{BASIS_NAMES[d.basis]}{better}。" + (f"{extra}。" if extra else "")


def metric(key: str, value: Any, *, where: Any = None, unit: str | None = None, extra: str = "",
           unit_in_label: bool = False, label_suffix: str = "", changes: dict | None = None, **kwargs) -> None:
    """``st.metric`` of catalogue figure ``key``: its label, ``value`` formatted with its unit (``unit`` overrides;
    a str value is shown as it is; a dict is the figure's source's result, read as the catalogue reads it, so a rate
    or an average of nothing shows — and no change), its help text (``figure_help``). ``where``: a column or
    container (default ``st``); ``unit_in_label``: the unit goes into the label, for long values; ``label_suffix``: e.g. （红）;
    ``changes``: the page's ``tile_changes`` — the tile then shows its 环比 (or 24 h) change coloured by the figure's
    better direction, its 同比 (or 7 days) beside it and its 12-point trend."""
    d = figure(key)
    if isinstance(value, dict):
        value = d.value_of(value)
    label = d.label + label_suffix
    if unit_in_label:
        label, unit = f"{label}（{d.unit}）", ""
    text = value if isinstance(value, str) else fmt(value, d.unit if unit is None else unit)
    kwargs.setdefault("border", True)
    c = (changes or {}).get(key)
    if value is None or (isinstance(value, str) and value.strip() in ("", "—")):
        c = None  # no value (e.g. a rate of nothing): nothing to compare
    elif c is not None and not isinstance(value, str) and c.value is not None:
        c = replace(c, value=value)  # the change of the number on the tile (read a moment apart from the earlier ones)
    if c is not None and c.kind != "none" and c.value is not None:
        kwargs.update(change_args(c, d.unit))
        extra = "；".join(x for x in (extra.rstrip("。"), change_help(c, d.unit)) if x)
    (where or st).metric(label, text, help=figure_help(key, extra), **kwargs)


def topic_keys(*topics: str) -> tuple[str, ...]:
    """The catalogue figures of ``topics`` (a page's tiles: one computation per source and earlier scope)."""
    return tuple(k for k, d in _FIGURES.items() if d.topic in topics)


def comparisons(keys) -> tuple:
    """``tile_changes(scope, keys)``'s query, as ``prefetch`` takes it."""
    return (change.changes, {"keys": tuple(keys)})


def tile_changes(scope: Scope, keys) -> dict:
    """The ``Change`` of each catalogue figure of ``keys`` for ``scope`` (queries/change.py), shared-cached like
    every query; ``{}`` when the comparisons cannot be computed (the tiles then show their values alone: a failure
    of the earlier periods' queries never takes the page's own figures down)."""
    try:
        return q(change.changes, scope, keys=tuple(keys))
    except (SQLAlchemyError, ScopeError) as e:
        _log.warning("tile comparisons unavailable for %s: %s", keys, e)
        return {}


def change_args(c, unit: str) -> dict:
    """``st.metric`` arguments showing a ``Change``: delta = the first comparison, coloured by the figure's better
    direction (grey for a neutral figure), the second comparison as the delta's description, the trend as the chart."""
    first, second = c.labels
    diff = change.difference(c.value, c.prev, unit)
    out: dict[str, Any] = {}
    if diff is not None:
        short = change.describe(c.value, c.prev, unit, short=True)
        # Streamlit colours any string but "0": a change that rounds to nothing is the grey numeric 0
        out["delta"] = 0 if diff == 0 or re.fullmatch(r"[+-]0(\.0+)?(%| 个百分点)?", short) else short
        out["delta_color"] = {"up": "normal", "down": "inverse"}.get(c.better, "off")
        out["delta_description"] = (f"{first}{'持平' if out['delta'] == 0 else ''} · {second} "
                                    f"{change.describe(c.value, c.yoy, unit, short=True)}")
    elif c.yoy is not None:
        out["delta_description"] = f"{second} {change.describe(c.value, c.yoy, unit, short=True)}"
    points = [v for _, v in c.trend if v is not None and not isinstance(v, str)]
    if len(points) >= 2:
        out["chart_data"] = [float(v) for v in points]
        out["chart_type"] = "area"
    return out


def change_help(c, unit: str) -> str:
    """The comparisons in full for the tile's help: the earlier values and the trend's span."""
    first, second = c.labels
    def one(label: str, earlier: Any, when: str) -> str:
        if earlier is None:
            return f"{label}：无可比数据"
        return f"{label}：{change.describe(c.value, earlier, unit)}（比较值 {fmt(earlier, unit)}" + (
            f"，{when}" if when else "") + "）"

    parts = [one(first, c.prev, c.prev_when), one(second, c.yoy, c.yoy_when)]
    if c.trend:
        span = "近 12 个月逐月" if c.kind == "period" else "近 12 天同一时刻"
        parts.append(f"趋势：{span}（{c.trend[0][0]} 至 {c.trend[-1][0]}）")
    return "；".join(parts) + f"。{change.DIRECTION_NOTE}"


def child_label(scope: Scope) -> str:
    return "城市" if resolve(scope, engine()).level == "province" else "区县"


def selected_region(event, key: str = "adcode") -> int | None:
    """The adcode a user clicked in a plotly or pydeck selection event (None if nothing)."""
    if not event:
        return None
    sel = event.get("selection") if isinstance(event, dict) else getattr(event, "selection", None)
    if not sel:
        return None
    pts = sel.get("points") if isinstance(sel, dict) else getattr(sel, "points", None)
    if pts:
        cd = pts[0].get("customdata")
        if isinstance(cd, (list, tuple)):
            cd = cd[0]
        return int(cd) if cd is not None else None
    objs = sel.get("objects") if isinstance(sel, dict) else getattr(sel, "objects", None)
    if objs:
        for layer_objs in objs.values():
            if layer_objs:
                props = layer_objs[0].get("properties", layer_objs[0])
                v = props.get(key)
                return int(v) if v is not None else None
    return None


def page_link(file: str, label: str, **extra) -> None:
    """A link to another page of the app that keeps the current scope (region, industry, period, as-of)."""
    params = {k: st.query_params.get(k) for k in SCOPE_KEYS if st.query_params.get(k)}
    params.update({k: str(v) for k, v in extra.items() if v is not None})
    try:
        st.page_link(PAGES_DIR / file, label=label, query_params=params or None)
    except Exception:  # noqa: BLE001 - the page is not registered for this role: no link
        pass


# Actions at the end of every topic page's region header, registered by the router (pages.app), which knows them:
# ``fn(title, scope)`` draws in the breadcrumb row (e.g. the 督办 button of pages.supervision_ui) and may return a
# callable that draws below the row (what the action said).
HEADER_ACTIONS: list[Callable[[str, Scope], Callable[[], None] | None]] = []


def add_header_action(fn: Callable[[str, Scope], Callable[[], None] | None]) -> None:
    if fn not in HEADER_ACTIONS:
        HEADER_ACTIONS.append(fn)


def page_header(title: str, scope: Scope) -> None:
    """Title, breadcrumb (with the header's actions) and sidebar filters of a topic page."""
    st.markdown(f"## {title}")
    below: list[Callable[[], None]] = []

    def actions() -> None:
        for fn in HEADER_ACTIONS:
            after = fn(title, scope)
            if after is not None:
                below.append(after)

    breadcrumb(scope, extra=actions if HEADER_ACTIONS else None)
    for draw in below:
        draw()
    scope_controls(scope)


def picked_custom(event):
    """The raw customdata of a clicked plotly point (e.g. a sector code), or None."""
    if not event:
        return None
    sel = event.get("selection") if isinstance(event, dict) else getattr(event, "selection", None)
    pts = (sel.get("points") if isinstance(sel, dict) else getattr(sel, "points", None)) if sel else None
    if not pts:
        return None
    cd = pts[0].get("customdata")
    return cd[0] if isinstance(cd, (list, tuple)) else cd


def goto_enterprise(enterprise_id: int) -> None:
    """Open the enterprise page for one enterprise, keeping the scope in the URL."""
    params = {k: st.query_params.get(k) for k in SCOPE_KEYS if st.query_params.get(k)}
    params["enterprise"] = str(int(enterprise_id))
    st.switch_page(PAGES_DIR / "enterprise.py", query_params=params)


def open_enterprise(event, ids: list) -> None:
    """A selected dataframe row opens the enterprise page, keeping the scope in the URL."""
    rows = event.selection.rows if event and getattr(event, "selection", None) else []
    if rows:
        goto_enterprise(ids[rows[0]])


def parse_id(raw: Any) -> int | None:
    """A positive database id from text: ASCII digits (fullwidth ones folded), at most 18 of them (a bigger number
    overflows SQLite's INTEGER); None for anything else (superscripts, signs, decimals, 1_000 …)."""
    from queries.regions import fold_fullwidth

    s = fold_fullwidth(str(raw)).strip()
    if not (s.isascii() and s.isdigit()) or len(s) > 18 or int(s) <= 0:
        return None
    return int(s)


def url_id(param: str, what: str, back_label: str, key: str) -> int | None:
    """A positive integer id from the URL (``?enterprise=12``); a malformed one ends the page with a message
    and a button back (which removes the parameter)."""
    raw = st.query_params.get(param)
    if raw is None or str(raw).strip() == "":
        return None
    v = parse_id(raw)
    if v is None:
        st.error(f"链接中的{what}编号无效：{plain(raw, 40)}")
        if st.button(back_label, key=key):
            set_params(**{param: None})
            st.rerun()
        st.stop()
    return v
