"""Webhook URLs are user input: only allowed robot hosts, no redirects, nothing leaves
the machine for a refused URL; addresses shown masked."""
from __future__ import annotations

import pytest

from policy_search.domain.channels import Message, Sender
from policy_search.domain.notify import subscribe
from policy_search.settings import Settings
from policy_search.domain.subscriptions import (SubscriptionError, WebhookRefused, check_webhook_url,
                                         mask_address, parse_allowed_hosts)
from tests.notify_site import make_settings
from tests.policy_search.test_channels import subscription

DEFAULT = Settings().webhook_allowed_hosts


def refused_urls(robot) -> list[tuple[str, str]]:
    port = robot.port
    return [
        ("wecom", f"http://127.0.0.2:{port}/cgi-bin/webhook/send?key=x"),       # not listed
        ("wecom", f"http://localhost:{port}/cgi-bin/webhook/send?key=x"),       # a name for it
        ("wecom", f"http://2130706433:{port}/cgi-bin/webhook/send?key=x"),      # 127.0.0.1 as a number
        ("wecom", f"http://0x7f.1:{port}/cgi-bin/webhook/send?key=x"),
        ("wecom", f"http://127.0.0.1:{port + 1}/cgi-bin/webhook/send?key=x"),   # another port
        ("wecom", f"http://user:pw@127.0.0.1:{port}/cgi-bin/webhook/send?key=x"),
        ("wecom", "http://169.254.169.254/latest/meta-data/"),
        ("wecom", "file:///etc/passwd"),
        ("wecom", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"),     # official, not https
        ("wecom", "https://oapi.dingtalk.com/robot/send?access_token=x"),        # another platform's
        ("dingtalk", "https://evil.example/robot/send?access_token=x"),
        ("feishu", "https://open.feishu.cn.evil.example/open-apis/bot/v2/hook/x"),
    ]


def test_refused_urls_are_refused_before_any_request(tmp_path, robot):
    settings = make_settings(tmp_path, robot)
    sender = Sender(settings, sleep=lambda s: None, resolve=lambda host: pytest.fail(
        f"looked up {host}"))
    for channel, url in refused_urls(robot):
        with pytest.raises(WebhookRefused):
            check_webhook_url(channel, url, settings.webhook_allowed_hosts, resolve=None)
        result = sender.send(subscription(channel, url), Message(title="测试"), retries=3)
        assert not result.ok and len(result.attempts) == 1, url
        assert result.attempts[0].status == "refused"
    assert robot.received == []


def test_subscribing_a_refused_url_says_why_and_keeps_nothing(tmp_path, robot, store):
    settings = make_settings(tmp_path, robot)
    with pytest.raises(SubscriptionError) as refused:
        subscribe(store, settings, Sender(settings), kind="search", query="q=补贴",
                  channel="wecom", address="https://hooks.evil.example/send?key=1")
    assert "hooks.evil.example" in str(refused.value)
    assert "qyapi.weixin.qq.com" in str(refused.value)
    assert store.subscriptions.list() == [] and robot.received == []


def test_loopback_only_when_listed(tmp_path, robot):
    url = robot.url("wecom")
    with pytest.raises(WebhookRefused):
        check_webhook_url("wecom", url, DEFAULT, resolve=None)
    assert check_webhook_url("wecom", url, f"{DEFAULT}, 127.0.0.1:{robot.port}", resolve=None) == url
    assert check_webhook_url("wecom", url, "127.0.0.1", resolve=None) == url  # any port


def test_official_hosts_must_resolve_to_public_addresses():
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"
    assert check_webhook_url("wecom", url, DEFAULT, resolve=lambda h: ["101.91.42.232"]) == url
    with pytest.raises(WebhookRefused, match="内部地址"):
        check_webhook_url("wecom", url, DEFAULT, resolve=lambda h: ["10.1.2.3"])
    with pytest.raises(WebhookRefused, match="内部地址"):
        check_webhook_url("wecom", url, DEFAULT, resolve=lambda h: ["::ffff:127.0.0.1"])


def test_platform_urls_are_accepted_by_default():
    for channel, url in (("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"),
                         ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abc"),
                         ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/abc"),
                         ("feishu", "https://open.larksuite.com/open-apis/bot/v2/hook/abc")):
        assert check_webhook_url(channel, url, DEFAULT, resolve=None) == url


def test_allowed_hosts_setting_forms():
    entries = parse_allowed_hosts("QYAPI.weixin.qq.com, 10.0.0.8:8080; [::1]:9000, https://robot.lan")
    assert [(e.host, e.port) for e in entries] == [
        ("qyapi.weixin.qq.com", None), ("10.0.0.8", 8080), ("::1", 9000), ("robot.lan", None)]


def test_addresses_are_masked():
    assert mask_address("email", "zhangsan@company.example") == "z***@company.example"
    assert mask_address("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa") \
        == "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=****5aaa"
    assert mask_address("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=50cb6e954c89afa14fb9") \
        == "oapi.dingtalk.com/robot/send?access_token=****4fb9"
    assert mask_address("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/5e3d587e-d78e-4a07-bd07-265f269f86fd") \
        == "open.feishu.cn/open-apis/bot/v2/hook/****86fd"


def test_an_unresolvable_official_host_is_a_retryable_failure(tmp_path, clock):
    from policy_search.domain.url_safety import UnsafeURL

    def no_dns(host):
        raise UnsafeURL(f"无法解析主机名 {host}")

    settings = make_settings(tmp_path)
    sender = Sender(settings, sleep=clock.sleep, resolve=no_dns)
    result = sender.send(subscription("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"),
                         Message(title="测试"), retries=1)
    assert not result.ok and [a.status for a in result.attempts] == ["dns", "dns"]
    assert "无法解析主机名 qyapi.weixin.qq.com" in result.error and clock.slept == [2.0]
