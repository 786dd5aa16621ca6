"""End to end in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

JavaScript is switched off in the browser: the site must work without it. The server
under test is waitress on 127.0.0.1 in a thread (the `live_server` fixture).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.web.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser


def query_of(url: str) -> dict:
    return parse_qs(urlsplit(url).query)


def visible_dates(page) -> list[str]:
    return [t.removeprefix("发布 ") for t in page.locator(".hit .date").all_inner_texts()]


def test_search_filter_sort_open_and_subscribe(page, live_server):
    page.goto(live_server + "/")
    assert page.locator("h1#hero-heading").is_visible()

    # type a query and submit the form
    page.fill("input[name=q]", "专精特新")
    page.press("input[name=q]", "Enter")
    page.wait_for_load_state()
    assert query_of(page.url) == {"q": ["专精特新"]}
    assert page.locator(".hit").count() >= 3
    assert page.locator(".hit mark").count() >= 1
    assert page.input_value("input[name=q]") == "专精特新"

    # apply two facet filters
    page.locator(".facet-level a.facet-value", has_text="县").first.click()
    assert query_of(page.url) == {"q": ["专精特新"], "level": ["county"]}
    # beside the filters, the results start on the first screen: the page does not jump
    # past the search box in the header
    assert page.locator(".site-header input[name=q]").bounding_box()["y"] >= 0
    page.locator(".facet-support a.facet-value", has_text="资金补贴奖励").first.click()
    assert query_of(page.url) == {"q": ["专精特新"], "level": ["county"], "support": ["资金补贴奖励"]}
    assert page.locator(".active-filters .chip-active").count() == 2
    titles = page.locator(".hit-title").all_inner_texts()
    assert titles and all("长沙县" in t for t in titles)

    # the back button returns to the previous state
    page.go_back()
    assert query_of(page.url) == {"q": ["专精特新"], "level": ["county"]}
    page.go_forward()
    assert page.locator(".active-filters .chip-active").count() == 2

    # remove both filters again, one through its chip, one through the facet list
    page.locator(".chip-active", has_text="层级").click()
    assert query_of(page.url) == {"q": ["专精特新"], "support": ["资金补贴奖励"]}
    page.locator(".facet-support a.facet-value.active").click()
    assert query_of(page.url) == {"q": ["专精特新"]}
    assert page.locator(".active-filters").count() == 0

    # sort by newest
    page.locator("nav.sort a", has_text="最新发布").click()
    assert query_of(page.url) == {"q": ["专精特新"], "sort": ["newest"]}
    dates = visible_dates(page)
    assert len(dates) >= 3 and dates == sorted(dates, reverse=True)

    # open a policy
    first_title = page.locator(".hit-title a").first.inner_text()
    page.locator(".hit-title a").first.click()
    assert "/policy/" in page.url
    assert page.locator("h1.policy-title").inner_text() == first_title
    assert page.locator(".policy-body").inner_text().strip()
    page.go_back()

    # follow the feed link
    with page.expect_response(lambda r: urlsplit(r.url).path == "/feed") as feed_info:
        page.locator("a.feed-link").click()
    response = feed_info.value
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.body())
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert entries and query_of(response.url) == {"q": ["专精特新"]}
    assert page.problems == []


def test_empty_result_page_suggests_a_way_out(page, live_server):
    page.goto(live_server + "/?q=量子引力火星殖民&level=county")
    assert "没有找到" in page.locator(".empty h2").inner_text()
    page.locator(".empty a", has_text="去掉全部筛选").click()
    assert query_of(page.url) == {"q": ["量子引力火星殖民"]}
    page.locator(".empty a", has_text="浏览全部政策").click()
    assert page.locator(".hit").count() > 0
    assert page.locator("h1.results-count").inner_text().startswith("全部政策")


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def box(page, selector):
    return page.locator(selector).first.bounding_box()


@pytest.mark.parametrize("name, viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_layout_at_phone_and_desktop_widths(browser, live_server, corpus_site, screenshots, name, viewport):
    # JavaScript is needed here only for the layout measurements, not by the site.
    context = browser.new_context(viewport=viewport, locale="zh-CN",
                                  device_scale_factor=2 if name == "phone" else 1)
    page = context.new_page()
    try:
        page.goto(live_server + "/?q=专精特新&support=资金补贴奖励")
        page.screenshot(path=screenshots / f"search-{name}.png", full_page=True)
        assert no_horizontal_overflow(page)
        results = box(page, ".results")
        search_input = box(page, "input[name=q]")
        assert search_input["width"] >= viewport["width"] * (0.5 if name == "phone" else 0.3)
        if name == "phone":
            # the results the full width; the filters behind the 筛选 button
            assert results["width"] > viewport["width"] * 0.85
            assert page.locator("a.filter-button").is_visible()
            assert not page.locator(".facets").is_visible()
        else:
            facets = box(page, ".facets")
            assert facets["x"] + facets["width"] <= results["x"]
            assert abs(facets["y"] - results["y"]) < 5
            assert not page.locator("a.filter-button").is_visible()
        # text is readable: the body font is not shrunk on a phone
        size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.hit-title')).fontSize)")
        assert size >= 16

        page.goto(live_server + f"/policy/{corpus_site.ids['county']}")
        page.screenshot(path=screenshots / f"policy-{name}.png", full_page=True)
        assert no_horizontal_overflow(page)
        assert page.locator(".policy-body table").is_visible()

        page.goto(live_server + f"/policy/{corpus_site.ids['xss']}")
        assert no_horizontal_overflow(page)
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(live_server + "/?q=测试通知")
        page.goto(live_server + "/?q=<img src=x onerror=alert(1)>")
        assert dialogs == []  # no payload ran, with JavaScript switched on

        page.goto(live_server + "/policy/nope")
        assert "页面不存在" in page.locator("h1").inner_text()
        assert no_horizontal_overflow(page)
    finally:
        context.close()


def test_print_layout_hides_navigation(browser, live_server, corpus_site):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        page.goto(live_server + f"/policy/{corpus_site.ids['county']}")
        page.emulate_media(media="print")
        assert not page.locator(".site-header").is_visible()
        assert page.locator(".policy-title").is_visible()
        assert page.locator(".print-url").is_visible()
    finally:
        context.close()


def phone_page(browser):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="zh-CN",
                                  device_scale_factor=2)
    return context, context.new_page()


def top_in_view(page, selector: str) -> float:
    """Where the first such element starts, from the top of the screen as the page lands."""
    return page.locator(selector).first.bounding_box()["y"]


def test_the_phone_filter_sheet_keeps_the_readers_place(browser, live_server, screenshots):
    context, page = phone_page(browser)
    try:
        page.goto(live_server + "/?q=专精特新")
        assert no_horizontal_overflow(page)
        # the first result shows without scrolling past any filters
        assert top_in_view(page, ".hit") < PHONE["height"] - 100
        assert not page.locator(".facets").is_visible()
        page.locator("a.filter-button").click()
        sheet = page.locator(".facets")
        assert sheet.is_visible()
        sheet_box = sheet.bounding_box()
        # the whole screen, no taller: the filters below scroll inside the sheet
        assert sheet_box["y"] == 0 and abs(sheet_box["height"] - PHONE["height"]) <= 1
        assert sheet.evaluate("el => el.scrollHeight > el.clientHeight")
        assert no_horizontal_overflow(page)
        page.screenshot(path=screenshots / "filter-sheet-phone.png")
        # the last filter of the sheet is reached by scrolling the sheet, and chosen
        last = sheet.locator("a.facet-value:visible").last
        last_href = last.get_attribute("href")
        page.mouse.move(PHONE["width"] / 2, PHONE["height"] / 2)
        for _ in range(200):
            if last.bounding_box()["y"] + 30 < PHONE["height"]:
                break
            page.mouse.wheel(0, 400)
        assert 0 < last.bounding_box()["y"] < PHONE["height"] - 30
        assert sheet.locator(".sheet-head").bounding_box()["y"] == 0   # the way out stays on top
        last.click()
        assert page.url.endswith(last_href)
        page.goto(live_server + "/?q=专精特新")
        page.locator("a.filter-button").click()
        # choose a filter: the list again, scrolled to the results, the sheet closed
        page.locator(".facet-level a.facet-value", has_text="县").first.click()
        assert query_of(page.url) == {"q": ["专精特新"], "level": ["county"]}
        assert urlsplit(page.url).fragment == "results"
        assert not page.locator(".facets").is_visible()
        assert 0 <= top_in_view(page, ".hit") < PHONE["height"] - 100
        assert "已选 1" in page.locator("a.filter-button").inner_text()
        page.screenshot(path=screenshots / "after-filter-phone.png")
        # a second filter is one tap on 筛选 away, not a scroll to the bottom
        page.locator("a.filter-button").click()
        page.locator(".facet-support a.facet-value", has_text="资金补贴奖励").first.click()
        assert query_of(page.url) == {"q": ["专精特新"], "level": ["county"],
                                      "support": ["资金补贴奖励"]}
        assert 0 <= top_in_view(page, ".hit") < PHONE["height"] - 100
        # the sheet closes without choosing too
        page.locator("a.filter-button").click()
        page.locator(".sheet-done").click()
        assert not page.locator(".facets").is_visible()
    finally:
        context.close()


PUBLIC_PAGES = ["/", "/?sort=newest", "/?q=专精特新", "/?q=专精特新&level=county&support=资金补贴奖励",
                "/?q=量子引力火星殖民", "/match", "/match?region=430121&industry=制造业&need=资金",
                "/match?region=430121&industry=制造业&need=资金&show=unmet",
                "/subscribe/search?q=专精特新&level=county", "/subscribe/match?region=430121",
                "/policy/nope"]


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1366, "height": 900}], ids=["390", "1366"])
def test_every_public_page_fits_the_screen(browser, live_server, corpus_site, screenshots, viewport):
    context = browser.new_context(java_script_enabled=False, viewport=viewport, locale="zh-CN")
    page = context.new_page()
    try:
        urls = PUBLIC_PAGES + [f"/policy/{corpus_site.ids[name]}" for name in ("county", "xss")]
        for number, url in enumerate(urls):
            page.goto(live_server + url)
            assert no_horizontal_overflow(page), url
            page.screenshot(path=screenshots / f"page-{viewport['width']}-{number}.png")
            header = page.locator(".site-header")
            assert header.locator("a.nav-match").is_visible() and header.locator("a.nav-subscribe").is_visible()
            for first in (".results .hit", ".match-hit"):
                if page.locator(first).count():
                    # the first result is on the first screen, not below filters or a form
                    assert top_in_view(page, first) < viewport["height"] - 80, url
    finally:
        context.close()
