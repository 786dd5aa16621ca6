"""Each channel's message in its platform's format, sent to loopback servers that check
payloads and signatures as the platforms document them."""
from __future__ import annotations

import json

import pytest

from policy_search.domain.channels import (DigestItem, Message, Sender, dingtalk_sign, feishu_sign,
                                    wecom_payload)
from policy_search.domain.subscriptions import Subscription
from tests.notify_site import DING_SECRET, FEISHU_SECRET, make_settings

EVIL_TITLE = "[点我领补贴](http://evil.example/)**紧急**<script>alert(1)</script>"


def subscription(channel: str, address: str, secret: str = "") -> Subscription:
    return Subscription(
        id=1, kind="search", query="q=专精特新", channel=channel, address=address, secret=secret,
        frequency="day", name="", token="tok", state="active", pause_reason=None,
        created_at="2024-05-01T00:00:00+00:00", created_by="", created_seq=0,
        confirmed_at=None, seen_seq=0, last_sent_at=None, last_attempt_at=None,
        next_attempt_at=None, failures=0, last_error=None)


def digest(count: int = 2, title: str = "关于开展2024年专精特新企业奖励申报的通知") -> Message:
    items = [DigestItem(title=title if n == 0 else f"{title}（之{n}）",
                        url=f"https://zc.example.gov.cn/policy/{n:016x}", issuer="长沙县工业和信息化局",
                        date="2024-05-05", status="申报中", deadline="截止 2024-06-30",
                        summary="对认定的专精特新企业给予一次性奖励30万元")
             for n in range(count)]
    return Message(title="政策超市 · 专精特新：新政策", lines=["您订阅的检索有新政策："], items=items,
                   more_url="https://zc.example.gov.cn/?q=专精特新&sort=newest",
                   manage_url="https://zc.example.gov.cn/subscriptions/tok",
                   unsubscribe_url="https://zc.example.gov.cn/subscriptions/tok/one-click")


@pytest.fixture
def settings(tmp_path, robot, mailbox):
    return make_settings(tmp_path, robot, mailbox)


def send(settings, channel, address, message, secret="", clock=None):
    sender = Sender(settings, sleep=(clock.sleep if clock else lambda s: None), timeout=5.0)
    return sender.send(subscription(channel, address, secret), message, retries=0)


def test_wecom_markdown_message(settings, robot):
    result = send(settings, "wecom", robot.url("wecom"), digest())
    assert result.ok, result.error
    [request] = robot.received
    assert request.path == "/cgi-bin/webhook/send" and request.query["key"] == ["k3y-0123456789"]
    assert request.headers["Content-Type"].startswith("application/json")
    payload = request.json
    assert payload["msgtype"] == "markdown"
    content = payload["markdown"]["content"]
    assert content.startswith("### 政策超市 · 专精特新：新政策\n")
    assert ("1. [关于开展2024年专精特新企业奖励申报的通知](https://zc.example.gov.cn/policy/0000000000000000)"
            in content)
    assert "> 长沙县工业和信息化局 · 发布 2024-05-05 · 申报中 截止 2024-06-30" in content
    assert "> 支持标准：对认定的专精特新企业给予一次性奖励30万元" in content
    assert content.endswith("[管理或退订](https://zc.example.gov.cn/subscriptions/tok)")


def test_dingtalk_markdown_with_its_signature(settings, robot):
    robot.ding_secret = DING_SECRET
    result = send(settings, "dingtalk", robot.url("dingtalk"), digest(), secret=DING_SECRET)
    assert result.ok, result.error
    [request] = robot.received
    assert set(request.query) == {"access_token", "timestamp", "sign"}
    payload = request.json
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["title"] == "政策超市 · 专精特新：新政策"
    # 钉钉 needs a blank line between paragraphs
    assert "\n\n> 支持标准：对认定的专精特新企业给予一次性奖励30万元\n\n" in payload["markdown"]["text"]


def test_dingtalk_wrong_secret_is_reported_not_retried(settings, robot, clock):
    robot.ding_secret = DING_SECRET
    sender = Sender(settings, sleep=clock.sleep)
    result = sender.send(subscription("dingtalk", robot.url("dingtalk"), "SECwrong"), digest())
    assert not result.ok
    assert result.error == "200/310000：sign not match"
    assert len(robot.received) == 1 and clock.slept == []


def test_dingtalk_sign_matches_the_documented_example():
    # timestamp + "\n" + secret, HMAC-SHA256 keyed with the secret, Base64
    import base64
    import hashlib
    import hmac

    expected = base64.b64encode(hmac.new(b"SECabc", b"1577262236757\nSECabc",
                                         hashlib.sha256).digest()).decode()
    assert dingtalk_sign("SECabc", 1577262236757) == expected


def test_feishu_post_with_its_signature(settings, robot):
    robot.feishu_secret = FEISHU_SECRET
    result = send(settings, "feishu", robot.url("feishu"), digest(), secret=FEISHU_SECRET)
    assert result.ok, result.error
    [request] = robot.received
    payload = request.json
    assert payload["msg_type"] == "post"
    assert payload["timestamp"].isdigit() and payload["sign"] == feishu_sign(
        FEISHU_SECRET, int(payload["timestamp"]))
    post = payload["content"]["post"]["zh_cn"]
    assert post["title"] == "政策超市 · 专精特新：新政策"
    links = [node for row in post["content"] for node in row if node["tag"] == "a"]
    assert links[0] == {"tag": "a", "text": "关于开展2024年专精特新企业奖励申报的通知",
                        "href": "https://zc.example.gov.cn/policy/0000000000000000"}
    assert links[-1]["href"] == "https://zc.example.gov.cn/subscriptions/tok"


def test_feishu_wrong_signature_fails(settings, robot):
    robot.feishu_secret = FEISHU_SECRET
    result = send(settings, "feishu", robot.url("feishu"), digest(), secret="wrong")
    assert not result.ok and "19021" in result.error


@pytest.mark.parametrize("channel", ["wecom", "dingtalk", "feishu"])
def test_a_long_digest_fits_the_platform_limit(settings, robot, channel):
    result = send(settings, channel, robot.url(channel), digest(300))
    assert result.ok, result.error  # the loopback robot refuses oversized messages
    text = robot.received[0].body.decode("utf-8")
    assert "未列出" in text and "在网站上查看全部" in text
    assert "https://zc.example.gov.cn/?q=专精特新&sort=newest" in text
    assert "管理或退订" in text


def test_crawled_text_cannot_smuggle_markup_into_a_chat():
    content = wecom_payload(digest(1, EVIL_TITLE))["markdown"]["content"]
    assert "](http://evil.example/)" not in content and "**紧急**" not in content
    assert "<script>" not in content
    assert "［点我领补贴］（http://evil.example/）＊＊紧急＊＊＜script＞" in content


def test_email_has_text_and_html_parts_and_one_click_unsubscribe(settings, mailbox):
    result = send(settings, "email", "boss@company.example", digest(2, EVIL_TITLE))
    assert result.ok, result.error
    [(sender, recipients, mail)] = mailbox.messages
    assert sender == "noreply@zc.example.gov.cn" and recipients == ["boss@company.example"]
    assert mail["Subject"] == "政策超市 · 专精特新：新政策"
    assert mail["List-Unsubscribe"] == "<https://zc.example.gov.cn/subscriptions/tok/one-click>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_content()
             for part in mail.walk() if not part.is_multipart()}
    assert set(parts) == {"text/plain", "text/html"}
    assert EVIL_TITLE in parts["text/plain"]
    assert "https://zc.example.gov.cn/policy/0000000000000000" in parts["text/plain"]
    assert "管理或退订此订阅：https://zc.example.gov.cn/subscriptions/tok" in parts["text/plain"]
    assert "<script>" not in parts["text/html"] and "&lt;script&gt;" in parts["text/html"]
    assert 'href="https://zc.example.gov.cn/subscriptions/tok"' in parts["text/html"]


def test_email_temporary_refusal_is_retried_permanent_is_not(settings, mailbox, clock):
    mailbox.refuse = [(451, "try again later")]
    sender = Sender(settings, sleep=clock.sleep)
    result = sender.send(subscription("email", "boss@company.example"), digest(), retries=2)
    assert result.ok and [a.status for a in result.attempts] == ["451", "250"]
    assert clock.slept == [2.0]
    mailbox.refuse = [(550, "mailbox unavailable")]
    result = sender.send(subscription("email", "boss@company.example"), digest(), retries=2)
    assert not result.ok and [a.status for a in result.attempts] == ["550"]


def test_email_without_a_mail_server_says_so(tmp_path):
    settings = make_settings(tmp_path)  # no smtp_host
    result = send(settings, "email", "boss@company.example", digest())
    assert not result.ok and "smtp_host" in result.error


def test_a_redirect_is_not_followed(settings, robot):
    robot.script = [("redirect", robot.url("wecom", "other"))]
    result = send(settings, "wecom", robot.url("wecom"), digest())
    assert not result.ok and "重定向" in result.error
    assert len(robot.received) == 1


def test_the_payload_is_utf8_json(settings, robot):
    send(settings, "wecom", robot.url("wecom"), digest())
    assert "专精特新".encode("utf-8") in robot.received[0].body
    json.loads(robot.received[0].body.decode("utf-8"))
