"""Real browser: a signed-in leader opens a page while the throwaway PostgreSQL server is down; the page says so
in Chinese, then shows its figures again by itself (the retry fragment reruns it) once the server is back."""
from __future__ import annotations

import time

import pytest

from pages.app import OUTAGE_MESSAGE
from tests.browser_util import ARTIFACTS, browser, exceptions_on, sign_in, snapshot, streamlit_server, wait_idle
from tests.pgserver import pg_demo  # noqa: F401 - fixture

pytestmark = pytest.mark.browser
RETRY_S = 2


def test_page_recovers_by_itself_after_a_database_restart(pg_demo):
    with streamlit_server("leadership", pg_demo.url("oversight"), env={"OVERSIGHT_DB_RETRY_S": str(RETRY_S)}) as base, \
            browser() as page:
        sign_in(page, base, "leader")
        main = page.locator("[data-testid='stMain']")
        main.locator("[data-testid='stMetric']").first.wait_for(timeout=60000)  # the overview has drawn
        assert not exceptions_on(page)
        pg_demo.stop()
        try:
            page.get_by_role("link", name="网格化监管").click()  # figures not cached yet: they need the database
            page.get_by_text(OUTAGE_MESSAGE).wait_for(timeout=30000)
            assert not exceptions_on(page)
            snapshot(page, ARTIFACTS / "fault_page_database_down.png")
            page.wait_for_timeout(RETRY_S * 1000 * 2)  # retries while it is still down keep the message
            assert page.get_by_text(OUTAGE_MESSAGE).count() == 1
            assert page.get_by_text("最近一次重试").count() == 1
        finally:
            pg_demo.start()
        t0 = time.monotonic()
        page.wait_for_function(
            "m => !document.body.innerText.includes(m) && "
            "document.querySelectorAll(\"[data-testid='stMain'] [data-testid='stMetric']\").length > 0",
            arg=OUTAGE_MESSAGE, timeout=30000)
        recovered = time.monotonic() - t0
        wait_idle(page)
        print(f"page back {recovered:.1f} s after the database")
        assert not exceptions_on(page)
        assert "网格" in main.inner_text()
        assert recovered < RETRY_S * 5
        snapshot(page, ARTIFACTS / "fault_page_recovered.png")
