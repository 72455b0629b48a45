"""Real browser: `suqian` opens every page it has through a deep link to 南京市 or 盐城市 (every kind of link), is
refused, and finds none of their figures on the page it is shown instead."""
from __future__ import annotations

import pytest

from pages.app import pages_for
from tests.browser_util import (ARTIFACTS, browser, exceptions_on, follow_link, foreign_requests, shared_server,
                                sign_in, snapshot, wait_idle)

pytestmark = pytest.mark.browser
# names and figures that only 南京市 or 盐城市 data would show
FOREIGN = ["玄武区", "秦淮区", "建邺区", "鼓楼区", "浦口区", "江宁区", "亭湖区", "盐都区", "大丰区", "东台市", "射阳县",
           "4,264", "16,000", "9,306", "11,703", "22,509", "402,316"]


REFUSED = {"?region=320100": "南京市", "?region=320900": "盐城市", "?region=320102": "玄武区"}


def test_suqian_sees_nothing_of_nanjing_or_yancheng(db):
    if db.dialect.name != "sqlite":
        pytest.skip("one browser walk is enough; it runs against the SQLite test database")
    url = db.url.render_as_string(hide_password=False)
    pages = pages_for("leadership", "city")
    assert len(pages) >= 8
    base = shared_server("leadership", url)
    with browser() as page:
        sign_in(page, base, "suqian")
        # every page through a deep link to another city, which it refuses and then draws its own default view
        # (the same view as without the link: pages.common.current_scope), and the home page plain too; the
        # deep-link kinds rotate over the pages so each kind is tried in the browser (each page's own refusal is
        # tested in AppTest: tests/test_page_*.py)
        links = ["?region=320100", "?region=320900", "?region=320102", "?region=320100&industry=chem",
                 "?region=320900&from=2021-01-01&to=2021-02-28"]
        for i, spec in enumerate(pages):
            path = "" if i == 0 else spec.url_path
            for query in (*([""] if i == 0 else []), links[i % len(links)],
                          *(links[len(pages):] if i == len(pages) - 1 else [])):
                if path or query:  # (the home page plain: the sign-in has drawn it)
                    if query == links[0]:  # the first link as a new tab opens it; the others followed in the app
                        page.goto(f"{base}/{path}{query}")
                        wait_idle(page)
                    else:
                        follow_link(page, base, f"{path}{query}")
                body = page.inner_text("[data-testid='stMain']")
                assert not exceptions_on(page), (spec.url_path, query)
                assert spec.title in body, (spec.url_path, query)  # this visit's page, not the one before
                if query:  # refused, naming the region the link asked for (each visit's own)
                    assert f"无权查看{REFUSED[query.split('&')[0]]}" in body, (spec.url_path, query)
                # everything on the page but the refusal message (which names the region it refused)
                body = page.evaluate("""() => { const m = document.querySelector("[data-testid='stMain']").cloneNode(true);
                    m.querySelectorAll("[data-testid='stAlert'], [data-testid='stAlertContainer']").forEach(e => e.remove());
                    return m.innerText; }""")
                for word in FOREIGN:
                    assert word not in body, (spec.url_path, query, word)
            snapshot(page, ARTIFACTS / f"suqian_{spec.url_path}.png")
    assert foreign_requests(page.requests) == []
