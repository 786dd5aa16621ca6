"""The review flow in headless Chromium (Debian's /usr/bin/chromium via Playwright):
log in, open a policy from the queue, accept the suggestions, add a tag, save and go
on to the next one with the keyboard. JavaScript is on (the staff pages load their own
script files) and any console error, such as a CSP violation, fails the test."""
from __future__ import annotations

import re

import pytest

from tests.staff.conftest import PASSWORDS
from tests.web.test_browser import CHROMIUM_ARGS, DESKTOP, chromium_path
from tests.conftest import serve_in_thread

pytestmark = pytest.mark.browser


@pytest.fixture
def server(site):
    from web import create_app
    from tests.staff.conftest import NoIndex

    app = create_app(site.settings, store=site.store, index=NoIndex(), testing=True)
    with serve_in_thread(app) as url:
        yield url


def test_review_flow(server, site):
    from playwright.sync_api import expect, sync_playwright

    policy_id = max(site.ids, key=lambda i: len(site.store.get_policy(i).tags))
    proposed = {(t.facet, t.value) for t in site.store.get_policy(policy_id).tags}
    assert len(proposed) >= 3
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        page.goto(server + "/staff/")
        expect(page).to_have_url(re.compile(r"/login\?next="))
        page.fill("#username", "staffer")
        page.fill("#password", PASSWORDS["staffer"])
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("审核队列")

        page.click(f'a.queue-title[href^="/staff/policy/{policy_id}"]')
        expect(page).to_have_url(re.compile(policy_id))
        expect(page.locator("mark.ev-mark").first).to_be_visible()
        page.click("button[value=accept_all]")
        expect(page.locator(".flash").first).to_contain_text("已保存")
        staff = {(t.facet, t.value) for t in site.store.get_policy(policy_id).tags
                 if t.origin == "staff"}
        assert staff == proposed

        # add a value with the autocomplete: typing fills the list from the JSON endpoint
        page.fill("#add-value", "税费")
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('#taxonomy-values option'))"
            ".some(o => o.value === '税费减免') && document.querySelectorAll('#taxonomy-values option').length < 10")
        page.fill("#add-value", "税费减免")
        page.dispatch_event("#add-value", "input")
        expect(page.locator("#add-facet")).to_have_value("support")
        # Enter in a text field saves (never "accept all"); then the keyboard goes on
        page.locator("#beneficiaries").focus()
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        expect(page.locator("button[value=save_next]")).to_be_focused()
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: "/staff/policy/" in url and policy_id not in url)
        expect(page.locator(".flash").first).to_contain_text("标记为已审核")
        browser.close()

    policy = site.store.get_policy(policy_id)
    assert policy.review_state == "reviewed"
    staff = {(t.facet, t.value) for t in policy.tags if t.origin == "staff"}
    assert staff == proposed | {("support", "税费减免")}
    assert problems == []
