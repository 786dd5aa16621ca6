"""The review flow in headless Chromium (Debian's /usr/bin/chromium via Playwright):
log in, open a policy from the queue, accept the suggestions, add a tag, save and go
on to the next one with the keyboard. JavaScript is on (the staff pages load their own
script files) and any console error, such as a CSP violation, fails the test."""
from __future__ import annotations

import re

import pytest

from tests.web.staff_site import PASSWORDS
from tests.web.conftest import CHROMIUM_ARGS, DESKTOP, PHONE, chromium_path

pytestmark = pytest.mark.browser


def test_review_flow(live_server, tagged_site):
    from playwright.sync_api import expect, sync_playwright

    policy_id = max(tagged_site.ids, key=lambda i: len(tagged_site.store.policies.get(i).tags))
    proposed = {(t.facet, t.value) for t in tagged_site.store.policies.get(policy_id).tags}
    assert len(proposed) >= 3
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        page.goto(live_server + "/staff/")
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
        staff = {(t.facet, t.value) for t in tagged_site.store.policies.get(policy_id).tags
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

    policy = tagged_site.store.policies.get(policy_id)
    assert policy.review_state == "reviewed"
    staff = {(t.facet, t.value) for t in policy.tags if t.origin == "staff"}
    assert staff == proposed | {("support", "税费减免")}
    assert problems == []


# --- the review page's layout, its own keys and the bulk action, as a reviewer meets them

def _open_review(playwright, live_server, viewport, username="staffer"):
    browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(live_server + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORDS[username])
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/"))
    return browser, page, problems


def _richest(tagged_site) -> str:
    return max(tagged_site.ids, key=lambda i: len([t for t in tagged_site.store.policies.get(i).tags
                                              if t.origin == "auto"]))


# For every evidence mark: drawn inline (as wide as its own text, not its container's
# line), and going on the line of the text before it (or wrapped, when that text filled
# its line).
_MARK_LAYOUT = """() => Array.from(document.querySelectorAll('mark.ev-mark')).map(mark => {
  const range = document.createRange();
  range.selectNodeContents(mark);
  const text = range.getBoundingClientRect(), box = mark.getBoundingClientRect();
  const parent = mark.parentElement.getBoundingClientRect();
  const size = parseFloat(getComputedStyle(mark).fontSize);
  let flows = null;
  const before = mark.previousSibling;
  if (before && before.nodeType === Node.TEXT_NODE && before.textContent.trim()) {
    const prev = document.createRange();
    prev.selectNodeContents(before);
    const rects = prev.getClientRects(), first = mark.getClientRects()[0];
    const last = rects[rects.length - 1];
    const sameLine = last.top < first.bottom && first.top < last.bottom;
    const wrapped = last.right > parent.right - 3 * size && first.left < parent.left + size;
    flows = sameLine || wrapped;
  }
  return {display: getComputedStyle(mark).display, box: box.width, text: text.width,
          flows, words: mark.textContent, before: before && before.textContent.slice(-8)};
})"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_evidence_marks_stay_inside_their_text_lines(live_server, tagged_site, viewport):
    from playwright.sync_api import sync_playwright

    policy_id = _richest(tagged_site)
    with sync_playwright() as playwright:
        browser, page, problems = _open_review(playwright, live_server, viewport)
        page.goto(live_server + f"/staff/policy/{policy_id}")
        marks = page.evaluate(_MARK_LAYOUT)
        browser.close()
    assert len(marks) >= 3
    for mark in marks:
        assert mark["display"] == "inline", mark
        # its own text and padding, never the width of its container
        assert mark["box"] <= mark["text"] + 12, mark
    beside_text = [m for m in marks if m["flows"] is not None]
    assert beside_text and all(m["flows"] for m in beside_text), [m for m in beside_text if not m["flows"]]
    assert problems == []


def test_review_keys_decide_save_and_move_between_policies(live_server, tagged_site):
    from playwright.sync_api import expect, sync_playwright

    policy_id = _richest(tagged_site)
    with sync_playwright() as playwright:
        browser, page, problems = _open_review(playwright, live_server, DESKTOP)
        page.goto(live_server + f"/staff/policy/{policy_id}")
        help_box = page.locator("#kbd-help")
        expect(help_box).to_be_visible()  # the keys are shown on the page
        expect(help_box).to_contain_text("接受 / 否决 / 不变")
        expect(page.locator("button[value=save] kbd")).to_have_text("S")
        keys = page.eval_on_selector_all(".tag-row[data-tag-key]", "rows => rows.map(r => r.dataset.tagKey)")
        assert len(keys) >= 3
        row = lambda n: page.locator(f'.tag-row[data-tag-key="{keys[n]}"]')
        chosen = lambda n: row(n).locator("input[type=radio]:checked")

        # the first open suggestion has the focus: A accepts it and goes on to the next
        page.keyboard.press("a")
        expect(chosen(0)).to_have_value("accept")
        expect(row(1)).to_have_class(re.compile("kb-current"))
        page.keyboard.press("r")
        expect(chosen(1)).to_have_value("reject")
        page.keyboard.press("k")  # back to the second: U takes the rejection back
        expect(row(1)).to_have_class(re.compile("kb-current"))
        page.keyboard.press("u")
        expect(chosen(1)).to_have_value("keep")
        page.keyboard.press("j")
        expect(row(2)).to_have_class(re.compile("kb-current"))
        page.keyboard.press("r")
        expect(chosen(2)).to_have_value("reject")
        # a key typed into a text box is text, not a command
        page.locator("#add-value").press("a")
        expect(page.locator("#add-value")).to_have_value("a")
        expect(chosen(2)).to_have_value("reject")  # the current suggestion is untouched
        page.locator("#add-value").fill("")
        page.locator(".review-title").click()  # out of the text box
        page.keyboard.press("s")
        expect(page.locator(".flash").first).to_contain_text("已保存 2 处改动")
        title = tagged_site.store.policies.get(policy_id).title
        expect(page.locator(".flash").first).to_contain_text(title[:10])
        tags = {f"d:{t.facet}:{t.value}": t for t in tagged_site.store.policies.get(policy_id).tags}
        assert tags[keys[0]].origin == "staff" and not tags[keys[0]].rejected
        assert tags[keys[1]].origin == "auto"
        assert tags[keys[2]].origin == "staff" and tags[keys[2]].rejected

        # N with unsaved changes warns first; a second N leaves (nothing saved)
        row(1).locator("input[value=keep]").focus()
        page.keyboard.press("a")
        expect(chosen(1)).to_have_value("accept")
        page.keyboard.press("n")
        expect(page.locator("#kbd-notice")).to_contain_text("未保存的修改")
        assert policy_id in page.url
        next_href = page.locator("#next-policy").get_attribute("href")
        page.keyboard.press("n")
        page.wait_for_url(re.compile(re.escape(next_href.split("?")[0])))
        page.keyboard.press("p")  # and back, to the policy before it in the queue
        page.wait_for_url(re.compile(policy_id))
        # Shift+A accepts every open suggestion; D saves, marks reviewed and goes on
        page.locator(".review-title").click()
        page.keyboard.press("Shift+A")
        expect(page.locator(".flash").first).to_contain_text("已保存")
        page.locator(".review-title").click()
        page.keyboard.press("d")
        page.wait_for_url(lambda url: "/staff/policy/" in url and policy_id not in url)
        expect(page.locator(".flash").first).to_contain_text("已标记为已审核")
        browser.close()

    policy = tagged_site.store.policies.get(policy_id)
    assert policy.review_state == "reviewed"
    tags = {f"d:{t.facet}:{t.value}": t for t in policy.tags}
    assert tags[keys[2]].rejected and tags[keys[1]].origin == "staff"  # settled by Shift+A
    assert problems == []


def test_bulk_accepting_one_facet_leaves_the_others_open_and_says_so(live_server, tagged_site):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser, page, problems = _open_review(playwright, live_server, DESKTOP)
        page.goto(live_server + "/staff/")
        listed = page.eval_on_selector_all("input[name=ids]", "boxes => boxes.map(b => b.value)")
        open_elsewhere = [i for i in listed if any(
            t.origin == "auto" and not t.rejected and t.facet != "support"
            for t in tagged_site.store.policies.get(i).tags)]
        assert open_elsewhere
        page.check("#select-all")
        page.select_option("select[name=op]", "accept_review")
        page.select_option("select[name=facet]", "support")
        page.click(".bulk-bar button[type=submit]")
        expect(page.locator(".flash-error").first).to_contain_text("未标记已审核，仍在队列中")
        short = tagged_site.store.policies.get(open_elsewhere[0]).title[:12]
        expect(page.locator(".flash-error").first).to_contain_text(short)
        # still in the queue, with their other suggestions
        for policy_id in open_elsewhere[:3]:
            expect(page.locator(f'a.queue-title[href^="/staff/policy/{policy_id}"]')).to_have_count(1)
        browser.close()

    for policy_id in open_elsewhere:
        policy = tagged_site.store.policies.get(policy_id)
        assert policy.review_state != "reviewed"
        assert all(t.origin == "staff" for t in policy.tags if t.facet == "support" and not t.rejected)
    assert problems == []


# Headings and badges of the admin tables on one line each; nothing wider than the window.
_TABLE_LAYOUT = """() => {
  const broken = [];
  for (const el of document.querySelectorAll('.data th, .data .badge, .tabs a')) {
    if (getComputedStyle(el).display === 'none' || !el.textContent.trim()) continue;
    const lines = el.getClientRects().length;
    const height = el.getBoundingClientRect().height;
    const line = parseFloat(getComputedStyle(el).lineHeight) || parseFloat(getComputedStyle(el).fontSize) * 1.6;
    if (lines > 1 || height > line * 1.5 + 12) broken.push(el.textContent.trim());
  }
  const scrolled = [...document.querySelectorAll('.table-scroll')]
    .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.firstElementChild.className);
  return {broken, overflow: document.documentElement.scrollWidth - window.innerWidth, scrolled};
}"""


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, PHONE], ids=["1366", "390"])
def test_admin_tables_keep_headings_and_badges_whole_at_desktop_and_phone_widths(live_server, tagged_site, viewport):
    from playwright.sync_api import sync_playwright

    store = tagged_site.store
    failed = store.jobs.create("crawl", {"source": "csx"}, "boss")
    store.jobs.update(failed, state="failed", error="长沙县人民政府 政府信息公开：无法访问",
                     finished_at="2026-05-01T08:00:00+00:00")
    store.jobs.create("import", {"name": "a-rather-long-file-name-of-policies.csv"}, "boss")
    store.subscriptions.create(kind="search", query="q=专精特新&region=长沙县", channel="wecom",
                               address="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdef123456",
                               name="长沙县专精特新", state="active", created_by="boss")
    pages = ["/admin/sources", "/admin/jobs", "/admin/users", "/admin/audit", "/staff/",
             f"/staff/policy/{tagged_site.ids[0]}/history", "/staff/subscriptions/"]
    found = {}
    with sync_playwright() as playwright:
        browser, page, problems = _open_review(playwright, live_server, viewport, username="boss")
        for path in pages:
            page.goto(live_server + path)
            found[path] = page.evaluate(_TABLE_LAYOUT)
        browser.close()
    for path, layout in found.items():
        assert layout["broken"] == [], (path, layout)
        assert layout["overflow"] <= 0, (path, layout)
    # a subscription is read and acted on without scrolling sideways, on a phone too
    assert found["/staff/subscriptions/"]["scrolled"] == []
    assert found["/admin/users"]["scrolled"] == []
    assert problems == []
