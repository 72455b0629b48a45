"""Real browser: the admin uploads a city file, reads the problems by row and column, fixes it, previews and
confirms; the rows land once with their provenance. A copy of the test database is used (this writes)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from queries import db as dbmod
from seed import schema as S
from tests.browser_util import (ARTIFACTS, browser, exceptions_on, foreign_requests, sign_in, snapshot, streamlit_server,
                                wait_idle)
from tests.dbcache import clone_database, remove_copy
from tests.intake_util import counties, xlsx

pytestmark = pytest.mark.browser


def test_admin_uploads_previews_and_confirms(db, session_tmp, tmp_path, request):
    if db.dialect.name != "sqlite":
        pytest.skip("one browser walk is enough; the import itself is tested on both databases")
    url = clone_database(db, "intake_browser", session_tmp)
    request.addfinalizer(lambda: remove_copy(url))
    eng = dbmod.get_engine(url)
    county = counties(eng, 320500)[0]
    row = {"code": "G-WEB-1", "name": "浏览器测试网格", "kind": "应急网格", "county": county, "enterprises_filed": 7,
           "established_on": dt.date(2020, 3, 1)}
    bad, good = tmp_path / "网格-有误.xlsx", tmp_path / "网格.xlsx"
    bad.write_bytes(xlsx("grids", [row, dict(row, code="G-WEB-2", enterprises_filed=-3)]))
    good.write_bytes(xlsx("grids", [row, dict(row, code="G-WEB-2", enterprises_filed=3)]))
    with streamlit_server("leadership", url) as base, browser() as page:
        sign_in(page, base, "admin", path="imports")  # (the sign-in draws it)
        page.get_by_text("数据类型").wait_for(timeout=30000)
        page.get_by_role("combobox").first.click()
        page.get_by_role("option", name="网格登记（grids）").click()
        # the page has been drawn for the new kind (its own uploader) before a file is given to it: on a busy
        # machine the run the choice starts may begin after the page looked idle for a moment
        page.get_by_text("按“网格编码”识别同一条记录").wait_for(timeout=60000)
        wait_idle(page)
        page.locator("input[type='file']").set_input_files(str(bad))
        page.get_by_text("文件未通过校验").wait_for(timeout=60000)
        body = page.inner_text("[data-testid='stMain']")
        assert "数据库未做任何改动" in body
        snapshot(page, ARTIFACTS / "imports_rejected.png")
        grid = page.locator("[data-testid='stDataFrame']").first.inner_text()
        assert "建档企业数" in body or "建档企业数" in grid
        with eng.connect() as c:
            assert c.execute(select(func.count()).select_from(S.grids).where(S.grids.c.code.like("G-WEB-%"))).scalar() == 0
        page.locator("input[type='file']").set_input_files(str(good))
        page.get_by_text("校验通过").wait_for(timeout=60000)
        assert "新增 2" in page.inner_text("[data-testid='stMain']")
        page.get_by_role("button", name="确认导入 2 行").click()
        page.get_by_text("已导入").wait_for(timeout=60000)
        wait_idle(page)
        snapshot(page, ARTIFACTS / "imports_done.png")
        assert not exceptions_on(page)
        requests = page.requests
    with eng.connect() as c:
        rows = c.execute(select(S.grids.c.code, S.grids.c.import_id, S.grids.c.import_row)
                         .where(S.grids.c.code.like("G-WEB-%")).order_by(S.grids.c.code)).all()
        batch = c.execute(select(S.import_batches).order_by(S.import_batches.c.id.desc()).limit(1)).one()
    assert [(r.code, r.import_row) for r in rows] == [("G-WEB-1", 2), ("G-WEB-2", 3)]
    assert {r.import_id for r in rows} == {batch.id}
    assert (batch.file_name, batch.importer, batch.inserted) == ("网格.xlsx", "admin", 2)
    assert foreign_requests(requests) == []
    eng.dispose()
