"""Real-browser helpers: a Streamlit server on a free port and headless Debian Chromium via Playwright.

Never downloads a browser: Chromium comes from Debian (`make system-deps`); tests are skipped (with a reason)
where it is missing.
"""
from __future__ import annotations

import contextlib
import os
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


@contextlib.contextmanager
def browser(viewport=(1600, 1000)):
    """A Playwright page in headless Debian Chromium; ``page.requests`` lists every URL it requested."""
    need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--use-gl=swiftshader", "--enable-unsafe-swiftshader", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"])
        ctx = b.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN",
                            accept_downloads=True)
        page = ctx.new_page()
        page.requests = []  # type: ignore[attr-defined]
        page.on("request", lambda r: page.requests.append(r.url))
        try:
            yield page
        finally:
            ctx.close()
            b.close()


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


def wait_idle(page, timeout_ms: int = 60000) -> None:
    """Wait until the Streamlit script run has finished and no skeleton placeholders remain."""
    # idle = the script is not running and no skeleton is shown, and it has stayed so for 400 ms (a chart's first
    # event or a query-parameter change starts another run right after the first one ends)
    page.wait_for_function("""() => {
        const app = document.querySelector("[data-testid='stApp']");
        const idle = !!app && app.dataset.testScriptState === "notRunning"
                     && !document.querySelector("[data-testid='stSkeleton']");
        if (!idle) { window.__ovIdleSince = null; return false; }
        if (window.__ovIdleSince == null) window.__ovIdleSince = performance.now();
        return performance.now() - window.__ovIdleSince >= 400;
    }""", timeout=timeout_ms, polling=100)


def sign_in(page, base: str, username: str, password: str | None = None) -> None:
    page.goto(base + "/")
    page.get_by_role("textbox", name="用户名").wait_for(timeout=60000)
    page.get_by_role("textbox", name="用户名").fill(username)
    page.get_by_role("textbox", name="密码").fill(password or f"{username}-demo")
    page.get_by_role("button", name="登录").click()
    wait_idle(page)


def exceptions_on(page) -> list[str]:
    return [e.inner_text() for e in page.query_selector_all("[data-testid='stException']")]
