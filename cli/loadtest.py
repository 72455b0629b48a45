"""``oversight loadtest``: many wall screens against one app server, over Streamlit's own protocol.

Each session is what a duty room's browser does, without the browser: it opens the app's websocket
(``/_stcore/stream``), sends the ``rerun_script`` BackMsg a browser sends when it connects (query string, page,
context), and reads the ForwardMsgs of the run until ``script_finished``. The wall's live part is an
``st.fragment(run_every=…)``: the server announces it with an ``auto_rerun`` ForwardMsg (interval, fragment id)
and the browser's timer then sends ``rerun_script`` with that ``fragment_id`` and ``is_auto_rerun`` every
interval; so does each session here. A refresh is timed from that request to the fragment's ``script_finished``.

Sign-in, as the duty room's screen does it:
- ``cookie`` (default): the kiosk screen comes back signed in from its sign-in cookie. The cookie is issued the
  way the app issues it (an HS256 JWT ``{username, exp_date, iat, sv}`` under the app's cookie key, with the
  account's current session version, ``pages.auth``), and sent in the websocket handshake; this needs the same
  ``OVERSIGHT_COOKIE_KEY`` (or ``data/.cookie_key``) and the same database (``OVERSIGHT_DB_URL``) as the server.
- ``form``: fill in the sign-in form's widgets (用户名, 密码) and submit it through BackMsg widget states, as a
  person at the screen does (one bcrypt check and one audit entry per session).

**Cockpit mode** (``--cockpit``): the sessions are leaders on the leadership app (signed in with the same cookie,
as ``--user``, default ``leader``), each opening the overview and the enforcement page in turn, a whole page run
every interval. The point is the shared query cache under a crowd: when a cached result expires, one session
recomputes it and the others keep the previous value, so the database sees one computation per expired key, not
one per leader. The report counts the scans of the fact and aggregate tables over the run (PostgreSQL's
``pg_stat_user_tables``, sequential + index scans: one per statement reading a table, more where a join probes
an index per row; read from ``OVERSIGHT_DB_URL``, which must be the server's database, after the counters have
settled) beside the page runs.

Errors (each counted by kind): connection refused or dropped, a run that does not finish within the timeout,
an exception element or a compile error in the stream, a page-not-found, no live fragment after sign-in, a
refresh without the wall's header (the heartbeat ``wall-beat``) or with the 数据库连接中断 banner or a view that
failed (本屏暂时无法显示), a cached-message reference the session cannot resolve. Meanwhile the server
process (and its children) is sampled with psutil: CPU % and RSS.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

STREAM_PATH = "_stcore/stream"
BEAT_RE = re.compile(r"wall-beat' data-beat='(\d+)'")
DB_BANNER = "wall-banner db"
VIEW_FAILED = "本屏暂时无法显示"


# --- results ------------------------------------------------------------------------------------------------------

@dataclass
class SessionResult:
    index: int
    refresh_ms: list[float] = field(default_factory=list)
    first_run_ms: float | None = None
    late: int = 0  # refreshes that took longer than the interval (the next tick had to wait)
    page_runs: Counter = field(default_factory=Counter)  # cockpit mode: whole page runs per page
    errors: Counter = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    messages: int = 0
    bytes: int = 0
    ref_hits: int = 0
    fragment_interval: float | None = None

    def error(self, kind: str, detail: str = "") -> None:
        self.errors[kind] += 1
        if len(self.samples) < 5:
            self.samples.append(f"session {self.index}: {kind}{': ' + detail if detail else ''}")


class RunOutcome:
    """What one run (a chain of script runs ending in a final ``script_finished``) produced."""

    def __init__(self):
        self.status: int | None = None
        self.exceptions: list[str] = []
        self.htmls: list[str] = []
        self.alerts: list[str] = []
        self.metrics = 0
        self.text_inputs: list = []
        self.submit = None
        self.page_not_found = False
        self.done = asyncio.get_running_loop().create_future()


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return round(s[lo] + (s[hi] - s[lo]) * (k - lo), 1)


def summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": _pct(values, 50), "p95": _pct(values, 95), "p99": _pct(values, 99),
            "max": round(max(values), 1), "mean": round(statistics.fmean(values), 1)}


# --- the cookie the app issues --------------------------------------------------------------------------------------

def kiosk_cookie(username: str, key: str | None = None, hours: float = 2.0) -> tuple[str, str]:
    """(cookie name, value): the sign-in cookie ``pages.auth`` accepts (``pages.auth.cookie_for``: the account's
    current session version, read from ``OVERSIGHT_DB_URL``) under the app's cookie key (``OVERSIGHT_COOKIE_KEY``,
    ``st.secrets`` or ``data/.cookie_key``)."""
    from streamlit import logger

    logger.set_log_level("ERROR")  # importing the pages outside a server run warns about the missing runtime
    from pages import auth
    from queries.db import get_engine

    return auth.COOKIE_NAME, auth.cookie_for(username, engine=get_engine(), days=hours / 24, key=key)


# --- one session --------------------------------------------------------------------------------------------------

class Session:
    def __init__(self, index: int, cfg: "Config", result: SessionResult):
        self.i, self.cfg, self.r = index, cfg, result
        self.ws = None
        self.run: RunOutcome | None = None
        self.page_hash = ""
        self.fragment_id: str | None = None
        self.max_age = 2
        self.cache: dict[str, list] = {}  # hash -> [raw bytes, run count, fragment id] (the browser's message cache)
        self.run_count = 0
        self.last_beat = 0

    # -- protocol --------------------------------------------------------------------------------------------------
    def _client_state(self, *, fragment_id: str | None = None, widgets=None, page: str | None = None):
        from streamlit.proto.BackMsg_pb2 import BackMsg

        m = BackMsg()
        cs = m.rerun_script
        cs.query_string = self.cfg.query_string
        if page is not None:  # cockpit mode: open this page (as a click in the navigation does)
            cs.page_name = page
        else:
            cs.page_script_hash = self.page_hash
            if not self.page_hash:
                cs.page_name = self.cfg.page_name
        if fragment_id:
            cs.fragment_id = fragment_id
            cs.is_auto_rerun = True
        if widgets is not None:
            cs.widget_states.CopyFrom(widgets)
        cs.cached_message_hashes.extend(self.cache.keys())
        ci = cs.context_info
        ci.timezone, ci.timezone_offset, ci.locale = "Asia/Shanghai", -480, "zh-CN"
        ci.url, ci.is_embedded, ci.color_scheme = self.cfg.url, False, "dark"
        return m

    async def request(self, **kw) -> RunOutcome:
        self.run = RunOutcome()
        await self.ws.send(self._client_state(**kw).SerializeToString())
        return self.run

    def _handle(self, raw: bytes) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = ForwardMsg()
        msg.ParseFromString(raw)
        self.r.messages += 1
        self.r.bytes += len(raw)
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            entry = self.cache.get(msg.ref_hash)
            if entry is None:
                self.r.error("cache_miss", msg.ref_hash)
                return
            self.r.ref_hits += 1
            entry[1] = self.run_count
            full = ForwardMsg()
            full.ParseFromString(entry[0])
            full.metadata.CopyFrom(msg.metadata)
            msg, kind = full, full.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash and msg.hash not in self.cache:
            self.cache[msg.hash] = [raw, self.run_count, msg.delta.fragment_id or None]
        run = self.run
        if kind == "new_session":
            self.page_hash = msg.new_session.page_script_hash or self.page_hash
            self.max_age = msg.new_session.config.max_cached_message_age or self.max_age
        elif kind == "auto_rerun":
            self.fragment_id = msg.auto_rerun.fragment_id
            self.r.fragment_interval = msg.auto_rerun.interval
        elif kind == "page_not_found":
            if run:
                run.page_not_found = True
        elif kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
            if run:
                run.exceptions.append(msg.session_event.script_compilation_exception.message)
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element" and run is not None:
            el = msg.delta.new_element
            t = el.WhichOneof("type")
            if t == "exception":
                run.exceptions.append(f"{el.exception.type}: {el.exception.message}"[:300])
            elif t == "html":
                run.htmls.append(el.html.body)
            elif t == "markdown":
                run.htmls.append(el.markdown.body)
            elif t == "metric":
                run.metrics += 1
            elif t == "alert" and el.alert.format == el.alert.ERROR:
                run.alerts.append(el.alert.body[:200])
            elif t == "text_input":
                run.text_inputs.append(el.text_input)
            elif t == "button" and el.button.is_form_submitter:
                run.submit = el.button
        elif kind == "script_finished":
            status = msg.script_finished
            if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return  # st.rerun(): the chain goes on
            self._age_cache(list(msg.metadata.run.fragment_ids))
            if run is not None and not run.done.done():
                run.status = status
                run.done.set_result(status)

    def _age_cache(self, fragment_ids: list[str]) -> None:
        """The browser's cache policy: after each finished run, drop messages unused for ``max_age`` runs (a
        fragment run only ages that fragment's messages)."""
        self.run_count += 1
        for h, (_, seen, frag) in list(self.cache.items()):
            if fragment_ids and (not frag or frag not in fragment_ids):
                continue
            if self.run_count - seen > self.max_age:
                del self.cache[h]

    async def _reader(self) -> None:
        import websockets

        try:
            async for raw in self.ws:
                if isinstance(raw, bytes):
                    self._handle(raw)
        except websockets.ConnectionClosed:
            pass
        finally:
            if self.run is not None and not self.run.done.done():
                self.run.done.set_exception(ConnectionError("connection closed"))

    async def wait(self, run: RunOutcome) -> RunOutcome | None:
        try:
            await asyncio.wait_for(asyncio.shield(run.done), self.cfg.timeout)
        except asyncio.TimeoutError:
            self.r.error("timeout", f"no script_finished within {self.cfg.timeout:g} s")
            return None
        except ConnectionError as e:
            self.r.error("disconnect", str(e))
            return None
        return run

    def check(self, run: RunOutcome, *, refresh: bool) -> bool:
        ok = True
        if run.exceptions:
            self.r.error("exception", run.exceptions[0])
            ok = False
        if run.status == 1:
            self.r.error("compile_error")
            ok = False
        if run.page_not_found:
            self.r.error("page_not_found")
            ok = False
        if self.cfg.cockpit and run.alerts:
            self.r.error("error_alert", run.alerts[0])
            ok = False
        if not self.cfg.wall_checks:
            return ok
        body = "".join(run.htmls)
        beats = [int(b) for b in BEAT_RE.findall(body)]
        if not beats:
            self.r.error("missing_elements", "no wall header (wall-beat) in the run")
            return False
        if refresh and beats[-1] <= self.last_beat:
            self.r.error("missing_elements", f"heartbeat did not advance ({beats[-1]} after {self.last_beat})")
            ok = False
        self.last_beat = beats[-1]
        if DB_BANNER in body:
            self.r.error("db_down_banner")
            ok = False
        if VIEW_FAILED in body:
            self.r.error("view_failed")
            ok = False
        if run.alerts:
            self.r.error("error_alert", run.alerts[0])
            ok = False
        return ok

    # -- the session -----------------------------------------------------------------------------------------------
    async def sign_in_form(self, run: RunOutcome) -> RunOutcome | None:
        from streamlit.proto.WidgetStates_pb2 import WidgetStates

        if len(run.text_inputs) < 2 or run.submit is None:
            self.r.error("sign_in", "no sign-in form on the first run")
            return None
        ws = WidgetStates()
        for ti, value in zip(run.text_inputs[:2], (self.cfg.user, self.cfg.password)):
            w = ws.widgets.add()
            w.id, w.string_value = ti.id, value
        w = ws.widgets.add()
        w.id, w.trigger_value = run.submit.id, True
        return await self.wait(await self.request(widgets=ws))

    async def main(self, start_at: float, stop_at: float) -> None:
        import websockets

        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        headers = {"Origin": self.cfg.origin}
        if self.cfg.cookie:
            headers["Cookie"] = f"{self.cfg.cookie[0]}={self.cfg.cookie[1]}"
        try:
            self.ws = await websockets.connect(self.cfg.ws_url, subprotocols=["streamlit"], additional_headers=headers,
                                               max_size=None, open_timeout=self.cfg.timeout, ping_interval=20,
                                               ping_timeout=max(20.0, self.cfg.timeout))
        except (OSError, asyncio.TimeoutError, websockets.WebSocketException) as e:
            self.r.error("connect", f"{type(e).__name__}: {e}")
            return
        reader = asyncio.create_task(self._reader())
        try:
            t0 = time.perf_counter()
            run = await self.wait(await self.request())
            if run is None:
                return
            if self.cfg.auth == "form" and self.fragment_id is None:
                run = await self.sign_in_form(run)
                if run is None:
                    return
            self.r.first_run_ms = (time.perf_counter() - t0) * 1000
            if self.cfg.cockpit:
                await self.cockpit(run, reader, stop_at)
                return
            if self.fragment_id is None:
                self.r.error("no_fragment", "no live fragment (auto_rerun) after the first run: not signed in?"
                             + (f" ({run.alerts[0]})" if run.alerts else ""))
                return
            self.check(run, refresh=False)
            interval = self.cfg.interval or self.r.fragment_interval or 10.0
            tick = time.monotonic() + interval
            while tick < stop_at and not reader.done():
                await asyncio.sleep(max(0.0, tick - time.monotonic()))
                t = time.perf_counter()
                run = await self.wait(await self.request(fragment_id=self.fragment_id))
                if run is None:
                    if reader.done():
                        return
                    tick += interval
                    continue
                ms = (time.perf_counter() - t) * 1000
                if self.check(run, refresh=True):
                    self.r.refresh_ms.append(ms)
                tick += interval
                if time.monotonic() > tick:  # the browser's timer would have fired meanwhile
                    self.r.late += 1
                    tick = time.monotonic()
            if reader.done():
                self.r.error("disconnect", "the server closed the connection")
        except (websockets.ConnectionClosed, OSError) as e:
            self.r.error("disconnect", f"{type(e).__name__}: {e}")
        finally:
            await self.ws.close()
            reader.cancel()


    async def cockpit(self, run: RunOutcome, reader, stop_at: float) -> None:
        """A leader: the pages of ``cfg.pages`` in turn, one whole page run every interval."""
        self.check(run, refresh=False)
        interval = self.cfg.interval or 10.0
        tick, k = time.monotonic() + interval, self.i  # sessions start on different pages
        while tick < stop_at and not reader.done():
            await asyncio.sleep(max(0.0, tick - time.monotonic()))
            page = self.cfg.pages[k % len(self.cfg.pages)]
            k += 1
            t = time.perf_counter()
            run = await self.wait(await self.request(page=page))
            tick += interval
            if run is None:
                if reader.done():
                    return
                continue
            if self.check(run, refresh=True):
                self.r.refresh_ms.append((time.perf_counter() - t) * 1000)
                self.r.page_runs[page] += 1
            if time.monotonic() > tick:
                self.r.late += 1
                tick = time.monotonic()
        if reader.done():
            self.r.error("disconnect", "the server closed the connection")


def table_reads(tables=("period_cells", "enterprise_cells", "campaign_cells", "department_cells", "report_day_cells",
                        "catalogue_cells", "enterprise_year_cells", "risk_items", "inspections",
                        "hidden_hazards", "cases", "risk_reports", "risk_obligations", "credit_ratings",
                        "enterprises")) -> dict[str, int] | None:
    """Statements that read each table so far (PostgreSQL: sequential + index scans of ``pg_stat_user_tables``, on
    ``OVERSIGHT_DB_URL``); ``None`` on SQLite or when the database does not answer."""
    try:
        from sqlalchemy import text

        from queries.db import get_engine

        eng = get_engine()
        if eng.dialect.name != "postgresql":
            return None
        with eng.connect() as c:
            c.execute(text("SELECT pg_stat_clear_snapshot()"))
            rows = c.execute(text("SELECT relname, seq_scan + coalesce(idx_scan, 0) FROM pg_stat_user_tables "
                                  "WHERE relname = ANY(:t)"), {"t": list(tables)}).all()
        return {r[0]: int(r[1]) for r in rows}
    except Exception:  # noqa: BLE001 - the count is a bonus; the load test stands without it
        return None


async def settled_reads(limit_s: float = 45.0) -> dict[str, int] | None:
    """``table_reads`` once the server's connections have reported everything: a PostgreSQL backend flushes its
    counters at most once a second while busy and within 10 s of going idle, so the counts are read until two
    readings 11 s apart agree (at most ``limit_s``)."""
    prev = table_reads()
    end = time.monotonic() + limit_s
    while prev is not None and time.monotonic() < end:
        await asyncio.sleep(11)
        cur = table_reads()
        if cur == prev:
            return cur
        prev = cur
    return prev


# --- the server's process -------------------------------------------------------------------------------------------

def server_pid(port: int) -> int | None:
    """The process listening on ``port`` (this machine)."""
    import psutil

    try:
        for c in psutil.net_connections(kind="tcp"):
            if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid:
                return c.pid
    except psutil.AccessDenied:
        return None
    return None


class Sampler:
    """CPU % and RSS of a process and its children, every ``every`` seconds; the machine's load average."""

    def __init__(self, pid: int | None, every: float = 2.0):
        self.pid, self.every = pid, every
        self.cpu: list[float] = []
        self.rss: list[float] = []
        self.load: list[float] = []
        self.procs: dict[int, object] = {}
        self.gone = False

    def _tree(self):
        import psutil

        root = psutil.Process(self.pid)
        procs = [root] + root.children(recursive=True)
        for p in procs:
            if p.pid not in self.procs:
                self.procs[p.pid] = p
                p.cpu_percent(None)  # prime
        return procs

    def sample(self) -> None:
        import psutil

        self.load.append(os.getloadavg()[0])
        if self.pid is None or self.gone:
            return
        try:
            procs = self._tree()
            cpu = rss = 0.0
            for p in procs:
                try:
                    cpu += self.procs[p.pid].cpu_percent(None)
                    rss += p.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
        except psutil.NoSuchProcess:
            self.gone = True
            return
        self.cpu.append(cpu)
        self.rss.append(rss / 2**20)

    async def loop(self, stop: asyncio.Event) -> None:
        if self.pid is not None:
            try:
                self._tree()
            except Exception:  # noqa: BLE001
                self.gone = True
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), self.every)
            except asyncio.TimeoutError:
                pass
            self.sample()

    def report(self) -> dict:
        cpu = self.cpu[1:] or self.cpu  # the first reading covers the priming interval only
        out = {"pid": self.pid, "samples": len(self.cpu), "cores": os.cpu_count(), "exited": self.gone}
        if cpu:
            out["cpu_pct"] = {"mean": round(statistics.fmean(cpu), 1), "p95": _pct(cpu, 95), "max": round(max(cpu), 1)}
        if self.rss:
            out["rss_mib"] = {"start": round(self.rss[0], 1), "max": round(max(self.rss), 1),
                              "end": round(self.rss[-1], 1)}
        if self.load:
            out["loadavg_1m"] = {"start": round(self.load[0], 2), "mean": round(statistics.fmean(self.load), 2),
                                 "max": round(max(self.load), 2), "end": round(self.load[-1], 2)}
        return out


# --- the whole test -------------------------------------------------------------------------------------------------

@dataclass
class Config:
    url: str
    sessions: int = 100
    interval: float | None = 10.0  # None: the fragment's own run_every
    seconds: float = 600.0
    ramp: float | None = None  # sessions start evenly over this many seconds (default: the interval)
    timeout: float = 30.0
    auth: str = "cookie"
    user: str = "duty"
    password: str | None = None
    cookie_key: str | None = None
    pid: int | None = None
    wall_checks: bool = True
    cookie: tuple[str, str] | None = None
    cockpit: bool = False
    pages: tuple[str, ...] = ("overview", "enforcement")

    def __post_init__(self):
        u = urlsplit(self.url if "://" in self.url else "http://" + self.url)
        self.origin = f"{u.scheme}://{u.netloc}"
        base = u.path.rstrip("/")
        # the app's own pages live under the base path; a deep link's page is the last path segment
        self.page_name = ""
        self.cfg_base = "/" + self.cfg_base.strip("/") if self.cfg_base and self.cfg_base.strip("/") else ""
        self.ws_url = f"{'wss' if u.scheme == 'https' else 'ws'}://{u.netloc}{self.cfg_base}/{STREAM_PATH}"
        if base and base != self.cfg_base:
            self.page_name = base[len(self.cfg_base):].strip("/")
        self.query_string = u.query
        self.port = u.port or (443 if u.scheme == "https" else 80)
        if self.password is None:
            self.password = f"{self.user}-demo"
        if self.cockpit:
            self.wall_checks = False

    cfg_base: str | None = None  # the server's base URL path (server.baseUrlPath), if any


async def _run(cfg: Config, progress=None) -> dict:
    if cfg.auth == "cookie" and cfg.cookie is None:
        cfg.cookie = kiosk_cookie(cfg.user, cfg.cookie_key, hours=max(2.0, cfg.seconds / 3600 + 1))
    pid = cfg.pid or server_pid(cfg.port)
    sampler = Sampler(pid)
    stop = asyncio.Event()
    sampling = asyncio.create_task(sampler.loop(stop))
    results = [SessionResult(i) for i in range(cfg.sessions)]
    ramp = cfg.ramp if cfg.ramp is not None else (cfg.interval or 10.0)
    t0 = time.monotonic()
    stop_at = t0 + cfg.seconds
    cpu0 = time.process_time()
    reads0 = table_reads()
    sessions = [Session(i, cfg, r) for i, r in enumerate(results)]
    tasks = [asyncio.create_task(s.main(t0 + ramp * i / max(1, cfg.sessions), stop_at)) for i, s in enumerate(sessions)]

    async def report_progress():
        while True:
            await asyncio.sleep(30)
            if progress:
                n = sum(len(r.refresh_ms) for r in results)
                e = sum(sum(r.errors.values()) for r in results)
                progress(f"{time.monotonic() - t0:5.0f} s: {n} refreshes, {e} errors, "
                         f"server CPU {sampler.cpu[-1] if sampler.cpu else float('nan'):.0f} %, "
                         f"RSS {sampler.rss[-1] if sampler.rss else float('nan'):.0f} MiB, "
                         f"load {os.getloadavg()[0]:.2f}")

    prog = asyncio.create_task(report_progress())
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - t0
    prog.cancel()
    stop.set()
    await sampling
    reads1 = await settled_reads() if reads0 is not None else None
    reads = ({t: reads1[t] - reads0.get(t, 0) for t in reads1} if reads0 is not None and reads1 is not None
             else None)
    refresh = [ms for r in results for ms in r.refresh_ms]
    errors = Counter()
    for r in results:
        errors.update(r.errors)
    per_session = [len(r.refresh_ms) for r in results]
    return {
        "url": cfg.url, "sessions": cfg.sessions, "auth": cfg.auth, "user": cfg.user,
        "interval_s": cfg.interval, "fragment_run_every_s": next((r.fragment_interval for r in results
                                                                  if r.fragment_interval), None),
        "planned_s": cfg.seconds, "elapsed_s": round(elapsed, 1), "ramp_s": ramp, "timeout_s": cfg.timeout,
        "started": dt.datetime.now().replace(microsecond=0).isoformat(sep=" "),
        "refreshes": len(refresh), "refresh_ms": summary(refresh),
        "first_run_ms": summary([r.first_run_ms for r in results if r.first_run_ms is not None]),
        "refreshes_per_session": {"min": min(per_session), "max": max(per_session)} if per_session else {},
        "late": sum(r.late for r in results),
        "errors": sum(errors.values()), "error_kinds": dict(errors),
        "error_samples": [s for r in results for s in r.samples][:20],
        "messages": {"received": sum(r.messages for r in results), "bytes": sum(r.bytes for r in results),
                     "cached_refs": sum(r.ref_hits for r in results)},
        "server": sampler.report(),
        "client_cpu_s": round(time.process_time() - cpu0, 1),
        "mode": "cockpit" if cfg.cockpit else "wall", "pages": list(cfg.pages) if cfg.cockpit else None,
        "page_runs": dict(sum((r.page_runs for r in results), Counter())) if cfg.cockpit else None,
        "table_reads": reads,
    }


def run(cfg: Config, progress=None) -> dict:
    """Run the load test; returns the report (see ``_run``)."""
    return asyncio.run(_run(cfg, progress))


# --- command line ---------------------------------------------------------------------------------------------------

def cmd_loadtest(args) -> int:
    from cli.output import out_refused, save_out

    if (rc := out_refused(args.out)) is not None:  # before minutes of load, not after
        return rc
    cfg = Config(url=args.url, sessions=args.sessions, interval=args.interval or None, seconds=args.minutes * 60,
                 ramp=args.ramp, timeout=args.timeout, auth=args.auth, user=args.user, password=args.password,
                 pid=args.pid, cfg_base=args.base_path, cockpit=args.cockpit)
    if args.user is None:  # the duty room's kiosk account on the wall; a leader in the cockpit
        cfg.user = "leader" if args.cockpit else "duty"
        cfg.password = args.password or f"{cfg.user}-demo"
    say = (lambda s: print(s, file=sys.stderr, flush=True)) if not args.quiet else None
    if say:
        say(f"{cfg.sessions} sessions → {cfg.ws_url} for {args.minutes:g} min, refresh every "
            f"{cfg.interval or 'run_every'} s, signed in as {cfg.user} ({cfg.auth})")
    rep = run(cfg, say)
    text = json.dumps(rep, ensure_ascii=False, indent=2)
    if args.out and (rc := save_out(args.out, text + "\n")) is not None:
        return rc
    r, s = rep["refresh_ms"], rep["server"]
    print(f"{rep['refreshes']} refreshes by {rep['sessions']} sessions in {rep['elapsed_s']:.0f} s; errors "
          f"{rep['errors']} {rep['error_kinds'] or ''}")
    if rep.get("table_reads") is not None:
        print("statements reading each table during the run: "
              + ", ".join(f"{t} {n}" for t, n in sorted(rep["table_reads"].items())))
    if r.get("n"):
        print(f"refresh ms: p50 {r['p50']:.0f}, p95 {r['p95']:.0f}, max {r['max']:.0f}; late {rep['late']}")
    if "cpu_pct" in s:
        print(f"server pid {s['pid']}: CPU mean {s['cpu_pct']['mean']:.0f} % (p95 {s['cpu_pct']['p95']:.0f} %, "
              f"{s['cores']} cores), RSS {s['rss_mib']['start']:.0f} → max {s['rss_mib']['max']:.0f} MiB")
    if "loadavg_1m" in s:
        print(f"load average (1 min): mean {s['loadavg_1m']['mean']:.2f}, max {s['loadavg_1m']['max']:.2f}")
    if not args.quiet:
        for line in rep["error_samples"][:10]:
            print("  " + line)
    return 0 if rep["errors"] == 0 and rep["refreshes"] else 1


def register_cli(sub) -> None:
    p = sub.add_parser("loadtest", help="many wall screens against one app server, over Streamlit's websocket "
                                        "protocol (no browser): refresh times, errors, server CPU and memory")
    p.add_argument("--url", required=True, help="the app, e.g. http://127.0.0.1:8502 (a ?view=… query is kept)")
    p.add_argument("--sessions", type=int, default=100)
    p.add_argument("--interval", type=float, default=10.0,
                   help="seconds between refreshes of each session (0: the fragment's own run_every)")
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--ramp", type=float, default=None, help="start the sessions evenly over this many seconds "
                                                            "(default: one interval)")
    p.add_argument("--timeout", type=float, default=30.0, help="a run that takes longer is an error")
    p.add_argument("--auth", choices=("cookie", "form"), default="cookie",
                   help="cookie: the kiosk sign-in cookie (needs the server's cookie key); form: the sign-in form")
    p.add_argument("--user", default=None, help="the account (default duty; leader with --cockpit)")
    p.add_argument("--password", default=None, help="for --auth form (default <user>-demo)")
    p.add_argument("--pid", type=int, default=None, help="the server's process (default: whoever listens on "
                                                         "the URL's port)")
    p.add_argument("--base-path", default=None, help="the server's server.baseUrlPath, if any")
    p.add_argument("--cockpit", action="store_true",
                   help="leaders on the leadership app opening the overview and the enforcement page in turn "
                        "(user leader unless --user); counts the statements reading the fact tables")
    p.add_argument("--out", default=None, help="write the report as JSON here")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(fn=cmd_loadtest)
