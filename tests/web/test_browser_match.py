"""The 政策计算器 form in headless Chromium with JavaScript off: fill it in, read the
reasons, follow the shareable link back to the same form."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.web.conftest import DESKTOP, PHONE
from tests.web.test_browser import no_horizontal_overflow

pytestmark = pytest.mark.browser


def open_page(browser, viewport):
    context = browser.new_context(java_script_enabled=False, viewport=viewport, locale="zh-CN")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    return context, page, problems


def test_fill_in_the_form_and_share_the_result(browser, live_server):
    context, page, problems = open_page(browser, DESKTOP)
    page.goto(f"{live_server}/match")
    page.select_option("#m-region", "430121")
    page.select_option("#m-industry", "制造业")
    page.select_option("#m-ownership", "民营")
    page.fill("#m-age", "5")
    page.fill("#m-revenue", "800")
    page.fill("#m-employees", "60")
    page.check("input[name=need][value=资金]")
    page.click("form.match-form button[type=submit]")
    page.wait_for_load_state()
    params = parse_qs(urlsplit(page.url).query)
    assert params["region"] == ["430121"] and params["industry"] == ["制造业"]
    assert params["need"] == ["资金"] and params["revenue"] == ["800"]
    first = page.locator(".match-hit").first
    assert first.locator(".hit-title").inner_text() == \
        "长沙县中小企业发展专项资金（第一批, 试点; 制造业）申报通知"
    reasons = first.locator(".reason").all_inner_texts()
    assert any("营业收入" in r and "符合" in r and "800万元" in r for r in reasons)
    assert page.locator("a.unmet-link").count() == 1  # the ones left out, on request
    titles = page.locator(".match-hit .hit-title").all_inner_texts()
    assert "浏阳市招商引资奖励办法" not in titles and "长沙县促进制造业发展若干政策" not in titles
    # the shareable link opens the same result with the form filled in
    share = page.locator("a.share-link").get_attribute("href")
    other, again, _ = open_page(browser, PHONE)
    again.goto(share)
    assert again.locator(".match-hit .hit-title").all_inner_texts() == titles
    assert again.locator("#m-region").input_value() == "430121"
    assert again.locator("#m-industry").input_value() == "制造业"
    assert again.locator("#m-revenue").input_value() == "800"
    assert again.locator("input[name=need][value=资金]").is_checked()
    # on a phone the form and the results stack without horizontal scrolling
    box = again.locator(".match-results").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1
    # the feed link answers with Atom
    feed = page.locator("a.feed-link").get_attribute("href")
    response = page.request.get(f"{live_server}{feed}")
    assert response.ok and "atom" in response.headers["content-type"]
    assert problems == []
    other.close()
    context.close()


def test_reasons_kinds_and_the_policies_left_out(browser, live_server, tmp_path):
    """The reasons with their evidence, the kind of each policy, and the 显示不适用的 toggle,
    at desktop and phone width (screenshots kept in the test's tmp dir for a look)."""
    query = "region=430121&industry=制造业&revenue=800&employees=60&age=5&need=资金&need=融资"
    for viewport in (DESKTOP, PHONE):
        context, page, problems = open_page(browser, viewport)
        page.goto(f"{live_server}/match?{query}")
        first = page.locator(".match-hit").first
        assert first.locator(".badge.kind").inner_text() == "申报通知"
        reasons = first.locator(".reason").all_inner_texts()
        assert any("需求：资金" in r and "原文：" in r and "给予一次性奖励20万元" in r for r in reasons)
        assert any("需求：融资" in r and "不符合" in r for r in reasons)
        page.screenshot(path=str(tmp_path / f"match-{viewport['width']}.png"), full_page=True)
        page.click("a.unmet-link")
        page.wait_for_load_state()
        assert "show=unmet" in page.url
        left_out = page.locator(".unmet-hits .match-hit")
        assert left_out.count() >= 2
        titles = left_out.locator(".hit-title").all_inner_texts()
        # the left-out list holds candidates that apply in the county but fail a condition;
        # another county's policy never is a candidate (region = applies in)
        assert "长沙县2023年度商务发展资金申报通知" in titles and "浏阳市招商引资奖励办法" not in titles
        first_reason = left_out.first.locator(".reason").first
        assert "不符合" in first_reason.inner_text()
        box = page.locator(".unmet-hits").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1
        page.screenshot(path=str(tmp_path / f"match-unmet-{viewport['width']}.png"), full_page=True)
        assert problems == []
        context.close()


# The texts of the elements that wrap onto a second line.
ONE_LINE_EACH = """selector => [...document.querySelectorAll(selector)].filter(el => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1;
}).map(el => el.textContent)"""


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1366, "height": 900}], ids=["390", "1366"])
def test_the_home_page_for_entrepreneurs(browser, live_server, card_site, viewport, tmp_path):
    context, page, problems = open_page(browser, viewport)
    try:
        page.goto(f"{live_server}/")
        page.screenshot(path=str(tmp_path / f"home-{viewport['width']}.png"), full_page=True)
        assert no_horizontal_overflow(page)
        # the search box first, on the first screen; the calculator and 订阅 in the header
        search = page.locator("form.hero-search input[name=q]").bounding_box()
        assert search["y"] < 400 and search["width"] >= viewport["width"] * 0.5 - 40
        assert page.locator(".site-nav a.nav-match").is_visible()
        assert page.locator(".site-nav a.nav-subscribe").is_visible()
        tiles = page.locator(".by-support .tiles a")
        assert tiles.count() >= 3 and tiles.first.is_visible()
        # each shortcut's name on one line, never broken in two ("资金补贴奖 / 励")
        assert page.evaluate(ONE_LINE_EACH, ".shortcuts .value") == []
        open_calls = page.locator(".list-open")
        assert "还剩 10 天" in open_calls.locator(".hit").first.inner_text()
        if viewport is not PHONE:   # the lists side by side on a desktop
            assert abs(open_calls.bounding_box()["y"] - page.locator(".list-huiqi").bounding_box()["y"]) < 5
        # a shortcut lands on the list of its policies
        label = tiles.first.locator(".value").inner_text()
        tiles.first.click()
        assert parse_qs(urlsplit(page.url).query) == {"support": [label], "huiqi": ["是"]}
        chips = page.locator(".chip-active").all_inner_texts()
        assert any(c.startswith(f"支持方式：{label}") for c in chips), chips
        assert any(c.startswith("惠企") for c in chips), chips
        assert page.locator(".results .hit").count() >= 1
        assert problems == []
    finally:
        context.close()


def test_the_calculator_on_a_phone_shows_results_first(browser, live_server, tmp_path):
    context, page, problems = open_page(browser, PHONE)
    try:
        page.goto(f"{live_server}/match")
        assert page.locator("form.match-form").is_visible()        # no result yet: the form
        page.select_option("#m-region", "430121")
        page.select_option("#m-industry", "制造业")
        page.check("input[name=size][value=小微]")
        page.check("input[name=need][value=资金]")
        page.click("form.match-form button[type=submit]")
        page.wait_for_load_state()
        page.screenshot(path=str(tmp_path / "match-phone.png"))
        assert no_horizontal_overflow(page)
        # "需要：资金" moves to a line of its own whole, never "需 / 要：资金"
        assert page.evaluate(ONE_LINE_EACH, ".profile-need") == []
        # the results on the first screen, the profile summed up above them, the form folded
        first = page.locator(".match-hit").first.bounding_box()
        assert first["y"] < PHONE["height"] - 150
        summary = page.locator(".match-profile > summary")
        assert summary.is_visible() and "长沙县" in summary.inner_text() and "制造业" in summary.inner_text()
        assert "修改" in summary.inner_text()
        assert not page.locator("form.match-form").is_visible()
        # editable: open the form, change the profile, search again
        summary.click()
        assert page.locator("form.match-form").is_visible()
        page.select_option("#m-industry", "")
        page.click("form.match-form button[type=submit]")
        page.wait_for_load_state()
        query = parse_qs(urlsplit(page.url).query)
        assert query["region"] == ["430121"] and "industry" not in query
        assert page.locator(".match-hit").first.bounding_box()["y"] < PHONE["height"] - 150
        assert "制造业" not in page.locator(".match-profile > summary").inner_text()
        assert problems == []
    finally:
        context.close()
