"""简报取数 in a real browser (Debian chromium + Playwright): sign in as ``writer``, set the scope with the form,
download every export from the page and check its content; nothing leaves the serving host; every download is in
the audit log. Then the DOCX goes through LibreOffice to PDF (and PNG), the way a writer opens it.

Set ``BRIEFING_ARTIFACTS=<dir>`` to keep the downloads, the PDF and the page images for a look.
"""
from __future__ import annotations

import datetime as dt
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

from queries import audit
from tests.briefing_checks import YC_SENTENCE, assert_calibration, read_docx

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
PORTS = range(8630, 8640)
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")]


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                s.close()
                with socket.socket(socket.AF_INET6) as s6:
                    s6.bind(("::", port))
                return port
            except OSError:
                continue
    pytest.skip("no free port in 8630-8639")


@pytest.fixture
def server(db, tmp_path):
    port = _free_port()
    env = {**os.environ, "OVERSIGHT_DB_URL": db.url.render_as_string(hide_password=False),
           "OVERSIGHT_COOKIE_KEY": "browser-test-" + "k" * 40}
    log = open(tmp_path / "streamlit.log", "w")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "streamlit"), "run", "dashboards/briefing.py", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
         "--server.enableStaticServing", "true"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not start: " + (tmp_path / "streamlit.log").read_text()[-2000:])
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _settled(page, timeout=120_000) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stSkeleton\"]').length === 0",
                           timeout=timeout)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_writer_downloads_every_export(db, server, tmp_path):
    from playwright.sync_api import sync_playwright

    port = server
    keep = Path(os.environ["BRIEFING_ARTIFACTS"]) if os.environ.get("BRIEFING_ARTIFACTS") else None
    since = dt.datetime.now().replace(microsecond=0) - dt.timedelta(seconds=1)
    requests: list[str] = []
    got: dict[str, bytes] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--use-gl=swiftshader", "--enable-unsafe-swiftshader"])
        ctx = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
        page = ctx.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"http://localhost:{port}/")
        page.get_by_role("textbox", name="用户名").fill("writer")
        page.get_by_role("textbox", name="密码").fill("writer-demo")
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector("text=简报取数", timeout=60_000)
        page.wait_for_selector("[class*='st-key-br_regions_']", timeout=60_000)
        _settled(page)

        # the scope, through the form: 盐城市, 2021-01-01 – 2021-02-28, as of 2021-03-13 23:59
        page.get_by_role("button", name="Remove 江苏省（全省）").click()  # the default region
        page.get_by_role("combobox", name="地区（可多选，每个地区一节）").click()
        page.keyboard.type("盐城市", delay=30)
        page.get_by_role("option", name="盐城市", exact=True).click()
        page.keyboard.press("Escape")
        for field, digits in (("year, 统计期 start date", "20210101"), ("year, 统计期 end date", "20210228"),
                              ("year, 数据截止日期", "20210313"), ("hour, 截止时间", "2359")):
            page.get_by_role("spinbutton", name=field).click()
            page.keyboard.type(digits, delay=30)
        page.get_by_role("button", name="取数").click()
        page.wait_for_url("**regions=320900**", timeout=60_000)
        _settled(page)
        assert "from=2021-01-01&to=2021-02-28&as_of=2021-03-13+23%3A59%3A59" in page.url, page.url
        page.get_by_text(YC_SENTENCE, exact=True).first.wait_for(timeout=120_000)  # the rerun after 取数 renders it
        assert page.get_by_text(YC_SENTENCE, exact=True).count() >= 1
        if keep:
            keep.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(keep / "briefing_page.png"), full_page=True)

        for fmt in ("docx", "xlsx", "csv"):
            with page.expect_download(timeout=120_000) as dl:
                page.locator(f".st-key-br_dl_{fmt} button").click()
            d = dl.value
            assert d.suggested_filename.endswith(f".{fmt}") and "盐城市" in d.suggested_filename
            got[fmt] = Path(d.path()).read_bytes()
            if keep:
                (keep / d.suggested_filename).write_bytes(got[fmt])
        browser.close()

    for fmt, data in got.items():
        assert_calibration(fmt, data, regions=("盐城市",))
    hosts = {urlparse(u).netloc for u in requests if urlparse(u).scheme in ("http", "https", "ws", "wss")}
    assert hosts <= {f"localhost:{port}", f"127.0.0.1:{port}"}, hosts
    rec = audit.recent(event="export", username="writer", since=since, engine=db)
    assert sorted(r["detail"]["format"] for r in rec) == ["csv", "docx", "xlsx"]
    assert all(r["detail"]["scope"]["regions"] == [320900] and r["detail"]["scope"]["as_of"] == "2021-03-13 23:59:59"
               and r["detail"]["source"] == "page" for r in rec)

    # open the DOCX as a writer would: LibreOffice renders it to PDF, poppler to images
    _, text, _ = read_docx(got["docx"], ["盐城市"])
    assert YC_SENTENCE in text
    soffice = shutil.which("soffice")
    if not soffice:
        pytest.skip("LibreOffice (soffice) is not installed: DOCX rendering not checked")
    out = keep or tmp_path
    docx = tmp_path / "brief.docx"
    docx.write_bytes(got["docx"])
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--convert-to",
                    "pdf", "--outdir", str(out), str(docx)], check=True, capture_output=True, timeout=180)
    pdf = out / "brief.pdf"
    assert pdf.exists() and pdf.stat().st_size > 10_000
    if shutil.which("pdftotext"):
        txt = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "江苏应急管理简报" in txt and "11703" in txt and "抄送" in txt
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(out / "brief-page")], check=True)
        assert list(out.glob("brief-page*.png"))
