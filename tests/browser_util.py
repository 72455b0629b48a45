"""Real-browser helpers: a Streamlit server on a free port and headless Debian Chromium via Playwright.

Never downloads a browser: Chromium comes from Debian (`make system-deps`); tests are skipped (with a reason)
where it is missing.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make system-deps)")


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(app: str, db_url: str, env: dict | None = None, port: int | None = None):
    """Serve ``dashboards/<app>.py`` against ``db_url``; yields the base URL."""
    port = port or free_port()
    e = {**os.environ, "OVERSIGHT_DB_URL": db_url, **(env or {})}
    e.pop("OVERSIGHT_DB_READ_URL", None)
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboards" / f"{app}.py"),
           "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--server.enableStaticServing", "true"]
    log = open(ARTIFACTS.mkdir(exist_ok=True) or ARTIFACTS / f"streamlit_{app}_{port}.log", "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=e, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(base + "/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError(f"streamlit did not start: see {log.name}")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


_shared: dict[tuple[str, str], tuple[contextlib.ExitStack, str]] = {}


def shared_server(app: str, db_url: str) -> str:
    """The base URL of a server of ``app`` on ``db_url`` kept for the whole test process (the browser tests run
    one after another on one worker): tests that only read share it, and its warm caches, instead of each paying
    a start and cold pages. Stopped when the process ends."""
    key = (app, db_url)
    if key not in _shared:
        import atexit

        stack = contextlib.ExitStack()
        base = stack.enter_context(streamlit_server(app, db_url))
        atexit.register(stack.close)
        _shared[key] = (stack, base)
    return _shared[key][1]


# a phone's browser (what the pages' phone layout and a map's zoom look for): an Android Chrome User-Agent
PHONE_AGENT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/126.0.0.0 Mobile Safari/537.36")


def shots_wanted() -> bool:
    """Pictures for a person to read (``OVERSIGHT_TEST_SHOTS=1``): whole pages, and maps drawn."""
    return os.environ.get("OVERSIGHT_TEST_SHOTS") == "1"


# Chromium draws WebGL (the maps) with SwiftShader on these machines, on the CPU: a third of a page walk's time went
# to its GPU process (compiling shaders anew for every page opened). Tests draw without a GPU unless they look at a
# map (``webgl=True``) or take pictures for a person.
WEBGL_ARGS = ["--use-gl=swiftshader", "--enable-unsafe-swiftshader"]
NO_GPU_ARGS = ["--disable-gpu", "--disable-gpu-compositing", "--disable-software-rasterizer"]


@contextlib.contextmanager
def chromium(webgl: bool | None = None):
    """One headless Debian Chromium; yields ``new_page(viewport, phone, **context options)``, a Playwright page in a
    context of its own (its own cookies: another user signed in beside the others). ``page.requests`` lists every
    URL the page requested. ``phone``: a phone's browser (its User-Agent, touch, a mobile viewport). ``webgl``: draw
    WebGL (the maps); by default only with ``OVERSIGHT_TEST_SHOTS=1``."""
    need_chromium()
    from playwright.sync_api import sync_playwright

    gl = WEBGL_ARGS if (shots_wanted() if webgl is None else webgl) else NO_GPU_ARGS
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", *gl, "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"])

        def new_page(viewport=(1600, 1000), phone: bool = False, **options):
            extra = dict(user_agent=PHONE_AGENT, is_mobile=True, has_touch=True, device_scale_factor=2) if phone else {}
            ctx = b.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN",
                                accept_downloads=True, **extra, **options)
            page = ctx.new_page()
            page.requests = []  # type: ignore[attr-defined]
            page.on("request", lambda r: page.requests.append(r.url))
            # script runs the app's server started for this page (follow_link: the server has taken up a request)
            page.runs_started = [0]  # type: ignore[attr-defined]
            page.on("websocket", lambda ws: ws.on("framereceived", lambda f: _count_run(page, f)))
            return page

        try:
            yield new_page
        finally:
            b.close()


def _count_run(page, frame) -> None:
    """Count the server's messages that begin a script run (Streamlit's ``new_session``) on ``page``."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    if isinstance(frame, (bytes, bytearray)):
        msg = ForwardMsg()
        try:
            msg.ParseFromString(bytes(frame))
        except Exception:  # noqa: BLE001 - not a ForwardMsg: not a run's start
            return
        if msg.WhichOneof("type") == "new_session":
            page.runs_started[0] += 1


@contextlib.contextmanager
def browser(viewport=(1600, 1000), phone: bool = False, webgl: bool | None = None):
    """A Playwright page in a Chromium of its own (see ``chromium``)."""
    with chromium(webgl) as new_page:
        yield new_page(viewport, phone)


def foreign_requests(urls) -> list[str]:
    """Requests that left the serving host (anything but localhost, data: and blob: URLs)."""
    out = []
    for u in urls:
        p = urlparse(u)
        if p.scheme in ("data", "blob", "about", "chrome-extension"):
            continue
        if (p.hostname or "") not in LOCAL_HOSTS:
            out.append(u)
    return out


def wait_idle(page, timeout_ms: int = 60000, quiet_ms: int = 400) -> None:
    """Wait until the Streamlit script run has finished and no skeleton placeholders remain."""
    # idle = the script is not running and no skeleton is shown, and it has stayed so for ``quiet_ms`` since this
    # call (a chart's first event or a query-parameter change starts another run right after the first one ends; an
    # idle time counted from an earlier call would let a click's run that has not started yet pass for finished)
    page.evaluate("() => { window.__ovIdleSince = null; }")
    page.wait_for_function("""() => {
        const app = document.querySelector("[data-testid='stApp']");
        const idle = !!app && app.dataset.testScriptState === "notRunning"
                     && !document.querySelector("[data-testid='stSkeleton']");
        if (!idle) { window.__ovIdleSince = null; return false; }
        if (window.__ovIdleSince == null) window.__ovIdleSince = performance.now();
        return performance.now() - window.__ovIdleSince >= %d;
    }""" % quiet_ms, timeout=timeout_ms, polling=100)


def on_path(url_path: str):
    """A predicate of ``page.wait_for_url``: the address is that page's (with or without a query: a page may write
    its scope into the address as it draws)."""
    return lambda u: urlparse(u).path.rstrip("/").endswith("/" + url_path)


def open_by_navigation(page, url_path: str) -> None:
    """Open a page through the sidebar navigation's link, as a click on it does (the app stays loaded, ~1 s a page
    less than opening its address anew; a collapsed sidebar's link too, as a tap in the opened sidebar would), and
    wait until it has drawn. The address changes when the server starts the page's run (not at the click), so the
    run has begun once it shows the page; the script-state attribute alone can miss a fast run (React may never
    draw its "running")."""
    assert url_path and not on_path(url_path)(page.url), f"not a move to another page: {url_path!r} from {page.url}"
    page.locator(f"[data-testid='stSidebarNavLink'][href$='/{url_path}']").first.dispatch_event("click")
    page.wait_for_url(on_path(url_path), timeout=60000)
    wait_idle(page)


def follow_link(page, base: str, path_and_query: str) -> None:
    """Open ``path_and_query`` (``"warnings?region=320100"``) in the loaded app as the browser's history moves to it
    (Back or Forward to that address: the app asks the server for that page with that query, in the same session),
    and wait until it has drawn. The server runs the page with the page and the query string a link opened anew
    gives it, without reloading the app (~3–5 s of Chromium's CPU a page on these machines), in the session already
    signed in: its session state (a refusal still being said, widgets' values) stays. A test that means a new tab,
    or a session restored from the sign-in cookie, uses ``page.goto``; one whose visits could pass on the page
    before checks what is particular to each visit."""
    wait_idle(page)  # nothing under way: no run of the page before can start after the move
    started = page.runs_started[0]  # (read after a call to the page: every message received before it counted)
    page.evaluate("(u) => { history.pushState(null, '', u); dispatchEvent(new PopStateEvent('popstate')); }",
                  f"{base}/{path_and_query}")
    # the address changes at once; the page's run has begun once the server starts a run (an app whose pages
    # refresh by themselves, the wall screen, is opened anew instead: its runs never stop)
    deadline = time.monotonic() + 60
    while page.runs_started[0] == started:
        assert time.monotonic() < deadline, f"the server did not take up {path_and_query!r}"
        page.wait_for_timeout(50)
    wait_idle(page)
    want = urlparse(f"{base}/{path_and_query}").path.rstrip("/")
    assert urlparse(page.url).path.rstrip("/") == want, f"{path_and_query!r} led to {page.url}"


def sign_in(page, base: str, username: str, password: str | None = None, path: str = "") -> None:
    """Sign in through the form at ``path`` (every page's address shows the form signed out; signed in, the page
    itself is drawn there: a light page spares drawing the home page for a test that goes elsewhere)."""
    page.goto(f"{base}/{path}")
    page.get_by_role("textbox", name="用户名").wait_for(timeout=60000)
    page.get_by_role("textbox", name="用户名").fill(username)
    page.get_by_role("textbox", name="密码").fill(password or f"{username}-demo")
    page.get_by_role("button", name="登录").click()
    wait_idle(page)
    # the sign-in cookie is written by the authenticator's cookie component a moment after the run ends; a page
    # opened before it lands would show the sign-in form again (what a busy machine made happen once)
    try:
        page.wait_for_function("() => document.cookie.split('; ').some(c => c.startsWith('oversight_auth='))",
                               timeout=60000, polling=100)
    except Exception:  # noqa: BLE001 - say what the page shows instead
        pytest.fail(f"{username} was not signed in; the page shows: {page.inner_text('body')[:300]!r}")
    # the cookie component's answer starts one more run of the page (seen up to ~420 ms after the cookie landed): a
    # test acting on the page at once would act on a page about to redraw
    wait_idle(page, quiet_ms=1000)


def exceptions_on(page) -> list[str]:
    return [e.inner_text() for e in page.query_selector_all("[data-testid='stException']")]


# every number and label of every metric tile fits its tile (Streamlit would cut it off with an ellipsis; the apps'
# pages/static/fit.js shrinks or wraps what is too wide)
TILE_TEXT = ('[data-testid="stMetric"] [data-testid="stMarkdownContainer"], '
             '[data-testid="stMetric"] [data-testid="stCaptionContainer"]')
NOTHING_CUT = f"""() => Array.from(document.querySelectorAll('{TILE_TEXT}')).every(x => x.scrollWidth <= x.clientWidth + 1)"""
_CUT = f"""() => Array.from(document.querySelectorAll('{TILE_TEXT}')).filter(x => x.scrollWidth > x.clientWidth + 1)
    .map(x => x.innerText + ' ' + x.scrollWidth + '/' + x.clientWidth)"""


def assert_nothing_cut(page, where: str, timeout_ms: int = 15000) -> None:
    """Wait until no tile's text is cut off (the script fits them a frame after a change); fail naming what is."""
    try:
        page.wait_for_function(NOTHING_CUT, timeout=timeout_ms, polling=100)
    except Exception:  # noqa: BLE001 - say what is cut
        pytest.fail(f"{where}: cut off: {page.evaluate(_CUT)}")

# Text that a table's or chart's toolbar (shown above its top edge when it is hovered or tapped) would cover: the
# toolbars (in the page, hidden until then) against the text of every label, heading, caption, tab and tile outside
# their own element.
TOOLBARS_OVER_TEXT = """() => {
  const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const textRects = e => { const rg = document.createRange(); rg.selectNodeContents(e); return Array.from(rg.getClientRects()).filter(q => q.width && q.height); };
  const out = [];
  for (const tb of document.querySelectorAll('[data-testid="stElementToolbar"]')) {
    const own = tb.closest('[data-testid="stElementContainer"]');
    const a = tb.getBoundingClientRect();
    if (!a.width || !a.height) continue;
    for (const t of document.querySelectorAll('[role="tab"], h1, h2, h3, h4, [data-testid="stCaptionContainer"], [data-testid="stMarkdownContainer"] p, [data-testid="stMetric"], label')) {
      if (own && own.contains(t)) continue;
      if (textRects(t).some(b => hit(a, b))) out.push([(own && own.querySelector('[data-testid]') || {}).dataset?.testid, (t.innerText || '').slice(0, 30)]);
    }
  }
  return out;
}"""


def toolbars_over_text(page) -> list:
    """[[the element's kind, the covered text], …] for every toolbar that would cover text (empty: none)."""
    return page.evaluate(TOOLBARS_OVER_TEXT)



# the charts' own words (plotly's tool bar, pages/charts.py PLOTLY_ZH): Chinese, but for the file format and
# Streamlit's own full-screen button
CHART_WORDS_ALLOWED = {"PNG", "Fullscreen"}


def english_chart_words(page) -> list[str]:
    """The chart tool bars' button titles on the page that hold an English word other than those allowed."""
    titles = page.eval_on_selector_all(".modebar-btn[data-title]", "els => els.map(e => e.getAttribute('data-title'))")
    return sorted({t for t in titles if set(re.findall(r"[A-Za-z]+", t)) - CHART_WORDS_ALLOWED})


# every plotly chart's legend lies outside its plot area (a legend that wraps on a phone once covered the first bar)
LEGENDS_OVER_PLOTS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map((p, i) => {
  const l = p.querySelector('.legend'), area = p.querySelector('.nsewdrag');
  if (!l || !area) return null;
  const a = l.getBoundingClientRect(), b = area.getBoundingClientRect();
  return a.bottom > b.top + 1 && a.top < b.bottom - 1 && a.right > b.left && a.left < b.right ? i : null;
}).filter(x => x !== null)"""


def legends_over_plots(page) -> list[int]:
    """The indexes of the page's charts whose legend covers part of the plot (empty: none)."""
    return page.evaluate(LEGENDS_OVER_PLOTS)


def tiles_on(page) -> int:
    return page.evaluate("() => document.querySelectorAll('[data-testid=\"stMetric\"]').length")


def snapshot(page, path, full_page: bool = True) -> None:
    """A screenshot for a person to read, taken with ``OVERSIGHT_TEST_SHOTS=1`` only (each one is ~0.3–1 s of
    Chromium's drawing; a test that looks at the pixels itself calls ``page.screenshot``)."""
    if shots_wanted():
        page.screenshot(path=str(path), full_page=full_page)


def whole_page_shot(page, path) -> None:
    """A screenshot of the whole page: the apps scroll inside their main element, so the window grows to it for the
    picture (and the tiles are fitted to that window first). Taken with ``OVERSIGHT_TEST_SHOTS=1`` only: growing the
    window redraws every chart, ~15 s over a run of the suite, for pictures only a person reads."""
    if not shots_wanted():
        return
    size = page.viewport_size
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    assert_nothing_cut(page, str(path))
    page.screenshot(path=str(path))
    page.set_viewport_size(size)

