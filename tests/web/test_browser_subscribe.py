"""The subscribe form in headless Chromium with JavaScript off, at desktop and phone
widths: from a search to a group robot's test message; then the manage page."""
from __future__ import annotations

import pytest

from tests.web.conftest import PHONE

pytestmark = pytest.mark.browser
WIDE = {"width": 1366, "height": 900}


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("name, viewport", [("desktop", WIDE), ("phone", PHONE)])
def test_subscribe_a_search_to_a_group_robot(browser, live_server, notify_site, screenshots,
                                             name, viewport):
    context = browser.new_context(java_script_enabled=False, viewport=viewport, locale="zh-CN",
                                  device_scale_factor=2 if name == "phone" else 1)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{live_server}/?q=专精特新&region=长沙县")
        page.locator("a.subscribe-link").click()
        assert page.locator("h1").inner_text() == "订阅新政策推送"
        assert page.locator(".subscribe-description").inner_text() == "关键词：专精特新 · 地区：长沙县"
        assert page.locator("input[name=channel][value=wecom]").is_checked()
        page.screenshot(path=screenshots / f"subscribe-form-{name}.png", full_page=True)
        assert fits(page)

        page.locator("summary", has_text="如何获取群机器人").click()
        assert page.locator(".webhook-help li").count() == 3
        page.check("input[name=channel][value=feishu]")
        page.fill("#s-address", notify_site.robot.url("feishu"))
        page.check("input[name=frequency][value=week]")
        page.fill("#s-name", "县级专精特新")
        page.locator("button", has_text="订阅").click()

        assert page.locator("h1").inner_text() == "订阅已生效"
        assert "测试消息已发送到飞书群机器人" in page.locator(".flash").inner_text()
        page.screenshot(path=screenshots / f"subscribed-{name}.png", full_page=True)
        assert fits(page)
        [request] = notify_site.robot.wait_for(1)
        assert request.json["msg_type"] == "post"

        page.locator("a.button", has_text="管理此订阅").click()
        assert page.locator("h1").inner_text() == "管理订阅"
        assert "推送中" in page.locator(".subscription-facts").inner_text()
        page.screenshot(path=screenshots / f"manage-{name}.png", full_page=True)
        assert fits(page)
        page.locator("button", has_text="暂停推送").click()
        assert "已暂停推送" in page.locator(".flash").inner_text()
        page.locator("button", has_text="退订并删除").click()
        assert page.locator("h1").inner_text() == "已退订"
        assert notify_site.store.subscriptions.list() == []
        assert problems == []
    finally:
        context.close()


def test_a_mistyped_address_keeps_what_was_typed(browser, live_server, notify_site):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/subscribe/search?q=融资")
        page.check("input[name=channel][value=dingtalk]")
        page.fill("#s-address", "https://oapi.dingtalk.com.evil.example/robot/send?access_token=1")
        page.fill("#s-name", "融资")
        page.locator("button", has_text="订阅").click()
        assert "不允许向 oapi.dingtalk.com.evil.example 发送" in page.locator(".flash-error").inner_text()
        assert page.locator("input[name=channel][value=dingtalk]").is_checked()
        assert page.input_value("#s-name") == "融资"
        assert notify_site.robot.received == []
    finally:
        context.close()
