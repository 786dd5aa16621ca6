"""In headless Chromium: the widget inside a portal page of another origin (and the site's
other pages refused there), the digest preview with its inline styles and its copy button,
at a desktop's and a phone's width. Screenshots go to $WEB_SCREENSHOTS when set."""
from __future__ import annotations

import dataclasses
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.web.channel_site import PASSWORDS
from tests.conftest import serve_in_thread

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}

PORTAL_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>某县人民政府门户网站</title></head>
<body style="margin:0;font-family:sans-serif;background:#eef2f7">
<header style="background:#1d4e89;color:#fff;padding:14px 16px;font-size:20px">某县人民政府</header>
<main style="display:flex;flex-wrap:wrap;gap:16px;padding:16px">
  <section style="flex:2 1 480px;background:#fff;padding:12px"><h2>政务要闻</h2><p>……</p></section>
  <aside style="flex:1 1 320px;min-width:0"><h2 style="margin:0 0 8px">惠企政策</h2>
    <iframe id="widget" src="{site}/embed?region=长沙县" title="政策超市" width="100%" height="520"
            style="border:0;max-width:100%;background:#fff"></iframe></aside>
</main>
<iframe id="home" src="{site}/" title="首页" width="300" height="200"></iframe>
<iframe id="policy" src="{site}/policy/county-fund" title="政策" width="300" height="200"></iframe>
</body></html>
"""


@pytest.fixture(scope="module")
def portal():
    """A portal page on its own origin (another port of 127.0.0.1); its text set later."""
    content = {"page": ""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = content["page"].encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", content
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def portal_site(channel_site, portal):
    """The site, with the portal's origin allowed to frame the widget."""
    from web import create_app

    origin, content = portal
    settings = dataclasses.replace(channel_site.settings, embed_origins=origin)
    app = create_app(settings, store=channel_site.store, index=channel_site.index, testing=True)
    with serve_in_thread(app) as url:
        content["page"] = PORTAL_PAGE.replace("{site}", url)
        yield url


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_the_widget_shows_inside_a_portal_page_and_no_other_page_does(
        browser, portal, portal_site, screenshots, width):  # noqa: F811
    origin, _ = portal
    context = browser.new_context(viewport=WIDTHS[width], locale="zh-CN")
    page = context.new_page()
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "frame" in m.text.lower() else None)
    page.goto(origin + "/")
    widget = page.frame_locator("#widget")
    titles = widget.locator("a.embed-title")
    titles.first.wait_for(timeout=30_000)
    assert titles.count() >= 3
    assert all(a.get_attribute("target") == "_blank" for a in titles.all())
    # the widget fits its frame: no horizontal scrolling inside
    frame = next(f for f in page.frames if "/embed" in f.url)
    assert frame.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(screenshots / f"embed-in-portal-{width}.png"), full_page=True)
    # searching inside the widget stays in the frame
    widget.locator("input[name=q]").fill("贴息")
    widget.locator("button[type=submit]").click()
    frame.wait_for_url(lambda url: "q=%E8%B4%B4%E6%81%AF" in url, timeout=30_000)
    widget.locator("a.embed-title").first.wait_for(timeout=30_000)
    assert page.url == origin + "/"
    # the site's other pages are refused in the portal's frames
    page.wait_for_load_state("load")
    for name in ("home", "policy"):
        assert page.frame_locator(f"#{name}").locator(".site-header").count() == 0
    assert not any(f.url.startswith(portal_site + "/policy") and f.locator(".policy-title").count()
                   for f in page.frames)
    context.close()


def login(page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORDS[username])
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_the_digest_preview_keeps_its_inline_styles_and_copies(
        browser, live_server, screenshots, width):  # noqa: F811
    context = browser.new_context(viewport=WIDTHS[width], locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, live_server, "staffer")
    page.goto(live_server + "/staff/digest?region=长沙县&since=7d")
    preview = page.locator("#digest-preview")
    assert preview.locator("section").count() >= 3
    first_title = preview.locator("section section p").first
    # the inline styles apply (the page's CSP lets style attributes through, nothing else)
    assert first_title.evaluate("e => getComputedStyle(e).fontWeight") in ("700", "bold")
    group = preview.locator("p", has_text="资金补贴奖励").first
    assert group.evaluate("e => getComputedStyle(e).color") == "rgb(179, 38, 30)"
    assert not [e for e in errors if "Content Security Policy" in e], errors
    page.locator("button[data-copy-rich]").click()
    page.locator(".copy-status", has_text="已复制").first.wait_for(timeout=10_000)
    copied = page.evaluate("""async () => {
        const items = await navigator.clipboard.read();
        const blob = await items[0].getType("text/html");
        return await blob.text();
    }""")
    assert "style=" in copied and "资金补贴奖励" in copied and "<script" not in copied
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(screenshots / f"digest-preview-{width}.png"), full_page=True)
    preview.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / f"digest-preview-{width}-screen.png"))
    context.close()
