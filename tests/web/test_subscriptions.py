"""The subscribe form, e-mail double opt-in, the manage page and its unsubscribe links,
CSRF and the rate limit, and the staff subscriptions page."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from policy_search import jobs
from policy_search.domain.accounts import create_user
from policy_search.domain.channels import Sender
from policy_search.app.delivery import IndexMatcher
from policy_search.domain.notify import run_round
from policy_search.domain.subscriptions import ACTIVE, PAUSED, PENDING
from tests.notify_site import day, make_settings, policy

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
SEARCH = "q=专精特新&region=长沙县"


def csrf(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return TOKEN.search(page.get_data(as_text=True)).group(1)


def post_form(client, path: str, **fields):
    return client.post(path, data={"csrf_token": csrf(client, path), **fields})


def subscribe_form(client, query: str = SEARCH, kind: str = "search", **fields):
    return post_form(client, f"/subscribe/{kind}?{query}", **fields)


def run(notify_site, when="2024-05-06"):
    notify_site.sync()
    return run_round(notify_site.store, notify_site.settings, IndexMatcher(notify_site.settings, notify_site.store),
                     Sender(notify_site.settings, sleep=lambda s: None), now=day(when))


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_search_page_links_to_the_subscribe_form(notify_site, client):
    page = text(client.get(f"/?{SEARCH}&sort=newest&page=1"))
    link = re.search(r'class="subscribe-link" href="([^"]+)"', page).group(1)
    assert link.startswith("/subscribe/search?")
    form = client.get(link.replace("&amp;", "&"))
    assert form.status_code == 200
    body = text(form)
    assert "关键词：专精特新 · 地区：长沙县" in body
    assert "目前已有 1 条相符政策" in body
    for label in ("电子邮件", "企业微信群机器人", "钉钉群机器人", "飞书群机器人", "每日", "每周"):
        assert label in body


def test_a_webhook_subscription_is_tested_at_once(notify_site, client):
    response = subscribe_form(client, channel="wecom", address=notify_site.robot.url("wecom"),
                              frequency="week", name="专精特新（县）")
    assert response.status_code == 201, text(response)
    body = text(response)
    assert "订阅已生效" in body and "测试消息已发送" in body
    [sub] = notify_site.store.subscriptions.list()
    assert (sub.state, sub.kind, parse_qsl(sub.query), sub.frequency, sub.name) == (
        ACTIVE, "search", [("q", "专精特新"), ("region", "长沙县")], "week", "专精特新（县）")
    assert sub.created_by.startswith("网站:")
    [test_message] = notify_site.robot.received
    content = test_message.json["markdown"]["content"]
    assert "测试消息" in content
    assert f"https://zc.example.gov.cn/subscriptions/{sub.token}" in content
    assert f"/subscriptions/{sub.token}" in body  # the manage link, for the subscriber
    assert notify_site.robot.url("wecom") not in body    # the address only masked
    assert "****" in body


def test_a_failed_test_message_keeps_it_inactive_until_a_retest(notify_site, client):
    notify_site.robot.script = [("status", 200, {"errcode": 93000, "errmsg": "invalid webhook url"})]
    response = subscribe_form(client, channel="wecom", address=notify_site.robot.url("wecom"))
    assert response.status_code == 201
    assert "测试消息发送失败" in text(response) and "invalid webhook url" in text(response)
    [sub] = notify_site.store.subscriptions.list()
    assert sub.state == PENDING
    manage = f"/subscriptions/{sub.token}"
    assert "重新发送测试消息" in text(client.get(manage))
    retest = client.post(f"{manage}/test", data={"csrf_token": csrf(client, manage)},
                         follow_redirects=True)
    assert "测试消息已发送成功，订阅已生效" in text(retest)
    assert notify_site.store.subscriptions.get(sub.id).state == ACTIVE


def test_email_double_opt_in_and_unsubscribe(notify_site, client):
    response = subscribe_form(client, channel="email", address="Boss@Company.example")
    assert response.status_code == 201
    body = text(response)
    assert "确认邮件已发送到 B***@company.example" in body
    [sub] = notify_site.store.subscriptions.list()
    assert sub.state == PENDING and sub.address == "Boss@company.example"
    assert sub.token not in body  # no way to confirm without the mailbox
    [mail] = notify_site.mailbox.wait_for(1)
    assert "请确认订阅" in str(mail["Subject"])
    plain = mail.get_body(("plain",)).get_content()
    link = re.search(r"https://zc\.example\.gov\.cn(/subscriptions/[\w-]+)", plain).group(1)
    assert link == f"/subscriptions/{sub.token}"

    # not confirmed: no round touches it
    notify_site.add(policy("专精特新企业贷款贴息办法", "对专精特新企业贷款给予贴息。"))
    assert run(notify_site).outcomes == []

    page = text(client.get(link))
    assert "确认订阅" in page and "待确认" in page
    confirmed = client.post(f"{link}/confirm", data={"csrf_token": csrf(client, link)},
                            follow_redirects=True)
    assert "订阅已确认" in text(confirmed)
    assert notify_site.store.subscriptions.get(sub.id).state == ACTIVE

    run(notify_site)  # the starting point: the 贷款贴息 policy came after the subscription
    messages = notify_site.mailbox.wait_for(2)
    assert len(messages) == 2
    digest = messages[1]
    assert "新政策 1 条" in str(digest["Subject"])
    plain = digest.get_body(("plain",)).get_content()
    assert "专精特新企业贷款贴息办法" in plain
    manage = re.search(r"管理或退订此订阅：https://zc\.example\.gov\.cn(\S+)", plain).group(1)
    assert manage == link

    gone = client.post(f"{manage}/unsubscribe", data={"csrf_token": csrf(client, manage)})
    assert gone.status_code == 200 and "已退订" in text(gone)
    assert notify_site.store.subscriptions.list() == []
    assert client.get(manage).status_code == 404


def test_one_click_unsubscribe_from_a_mail_client(notify_site, client):
    subscribe_form(client, channel="wecom", address=notify_site.robot.url("wecom"))
    [sub] = notify_site.store.subscriptions.list()
    url = f"/subscriptions/{sub.token}/one-click"
    assert client.post(url, data={}).status_code == 400
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert notify_site.store.subscriptions.list() == []
    assert client.post("/subscriptions/not-a-token/one-click",
                       data={"List-Unsubscribe": "One-Click"}).status_code == 404


def test_manage_page_changes_frequency_pauses_and_resumes(notify_site, client):
    subscribe_form(client, channel="wecom", address=notify_site.robot.url("wecom"))
    [sub] = notify_site.store.subscriptions.list()
    manage = f"/subscriptions/{sub.token}"
    page = client.get(manage)
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    client.post(f"{manage}/settings", data={"csrf_token": csrf(client, manage),
                                              "frequency": "week", "name": "每周汇总"})
    client.post(f"{manage}/pause", data={"csrf_token": csrf(client, manage)})
    changed = notify_site.store.subscriptions.get(sub.id)
    assert (changed.frequency, changed.name, changed.state, changed.pause_reason) == (
        "week", "每周汇总", PAUSED, "subscriber")
    client.post(f"{manage}/resume", data={"csrf_token": csrf(client, manage)})
    assert notify_site.store.subscriptions.get(sub.id).state == ACTIVE


def test_forms_need_their_csrf_token(notify_site, client):
    response = client.post(f"/subscribe/search?{SEARCH}",
                           data={"channel": "wecom", "address": notify_site.robot.url("wecom")})
    assert response.status_code == 400
    assert notify_site.store.subscriptions.list() == [] and notify_site.robot.received == []
    subscribe_form(client, channel="wecom", address=notify_site.robot.url("wecom"))
    [sub] = notify_site.store.subscriptions.list()
    assert client.post(f"/subscriptions/{sub.token}/unsubscribe").status_code == 400
    assert notify_site.store.subscriptions.list() != []


def test_creation_is_rate_limited_per_address(tmp_path, notify_site, robot):
    from index.search import SearchIndex
    from web import create_app

    settings = make_settings(notify_site.settings.data_dir, robot, subscribe_max_per_hour=2)
    client = create_app(settings, store=notify_site.store, index=SearchIndex(settings.index_path),
                        testing=True).test_client()
    for _ in range(2):
        assert subscribe_form(client, channel="wecom", address=robot.url("wecom")).status_code == 201
    refused = subscribe_form(client, channel="wecom", address=robot.url("wecom"))
    assert refused.status_code == 429 and "请一小时后再试" in text(refused)
    assert len(notify_site.store.subscriptions.list()) == 2 and len(robot.received) == 2


def test_bad_input_is_explained(notify_site, client):
    response = subscribe_form(client, channel="wecom", address="https://hooks.evil.example/x")
    assert response.status_code == 400 and "不允许向 hooks.evil.example 发送" in text(response)
    response = subscribe_form(client, channel="email", address="not-an-address")
    assert response.status_code == 400 and "电子邮件地址无效" in text(response)
    assert notify_site.store.subscriptions.list() == [] and notify_site.robot.received == []


def test_a_match_profile_is_subscribed_from_the_match_page(notify_site, client):
    assert "请先在" in text(client.get("/subscribe/match"))
    page = text(client.get("/match?region=430121&industry=制造业"))
    link = re.search(r'class="subscribe-link" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    response = post_form(client, link, channel="wecom", address=notify_site.robot.url("wecom"))
    assert response.status_code == 201
    [sub] = notify_site.store.subscriptions.list()
    assert sub.kind == "match" and "region=430121" in sub.query and "长沙县" in sub.description


def test_email_is_offered_only_with_a_mail_server(tmp_path, notify_site, robot):
    from index.search import SearchIndex
    from web import create_app

    settings = make_settings(notify_site.settings.data_dir, robot)  # no smtp_host
    client = create_app(settings, store=notify_site.store, index=SearchIndex(settings.index_path),
                        testing=True).test_client()
    assert "本站暂未开通邮件推送" in text(client.get(f"/subscribe/search?{SEARCH}"))
    response = subscribe_form(client, channel="email", address="boss@company.example")
    assert response.status_code == 400 and "未开通邮件推送" in text(response)


# --- staff ------------------------------------------------------------------------------

def login(client, username: str, password: str) -> None:
    response = post_form(client, "/login", username=username, password=password)
    assert response.status_code == 302, text(response)


@pytest.fixture
def accounts(notify_site):
    create_user(notify_site.store, "boss", "admin-password-1", "admin")
    create_user(notify_site.store, "staffer", "staff-password-1", "staff")


def test_staff_page_lists_masked_and_needs_a_role(notify_site, client, app, accounts):
    subscribe_form(client, channel="dingtalk", address=notify_site.robot.url("dingtalk", "ding-secret-token-1234"),
                   secret="SECsecret-value-0000")
    [sub] = notify_site.store.subscriptions.list()
    anonymous = app.test_client()
    assert anonymous.get("/staff/subscriptions/").status_code == 302
    assert anonymous.post(f"/staff/subscriptions/{sub.id}/pause").status_code in (302, 400)

    staff = app.test_client()
    login(staff, "staffer", "staff-password-1")
    page = text(staff.get("/staff/subscriptions/"))
    assert "钉钉群机器人" in page and "****1234" in page and "已签名" in page
    assert "ding-secret-token-1234" not in page and "SECsecret-value-0000" not in page
    assert sub.token not in page
    from policy_search.domain.local_time import beijing_time
    assert f"创建 {beijing_time(sub.created_at)}" in page  # Beijing time, like every page
    listing = "/staff/subscriptions/"
    staff.post(f"/staff/subscriptions/{sub.id}/pause", data={"csrf_token": csrf(staff, listing)})
    assert notify_site.store.subscriptions.get(sub.id).pause_reason == "staff"
    owner_page = text(client.get(f"/subscriptions/{sub.token}"))
    assert "工作人员已暂停" in owner_page and "恢复推送" not in owner_page
    staff.post(f"/staff/subscriptions/{sub.id}/resume", data={"csrf_token": csrf(staff, listing)})
    assert notify_site.store.subscriptions.get(sub.id).state == ACTIVE
    queued = staff.post("/staff/subscriptions/round", data={"csrf_token": csrf(staff, listing)},
                        follow_redirects=True)
    assert "推送任务 #" in text(queued)
    [job] = [j for j in jobs.list_jobs(notify_site.store) if j["kind"] == "notify"]
    assert job["created_by"] == "staffer" and job["state"] == "queued"
    log = text(staff.get(f"/staff/subscriptions/log?subscription={sub.id}"))
    assert "测试消息" in log and "成功" in log

    admin = app.test_client()
    login(admin, "boss", "admin-password-1")
    assert "钉钉群机器人" in text(admin.get("/staff/subscriptions/"))
    staff.post(f"/staff/subscriptions/{sub.id}/delete", data={"csrf_token": csrf(staff, listing)})
    assert notify_site.store.subscriptions.list() == []
    audit = [a["action"] for a in notify_site.store.conn.execute(
        "SELECT action FROM tag_audit WHERE value = ?", (f"subscription:{sub.id}",))]
    assert audit == ["subscription_pause", "subscription_resume", "subscription_delete"]


def test_staff_see_subscriptions_paused_by_failures(notify_site, client, app, accounts):
    subscribe_form(client, channel="wecom", address=notify_site.robot.url("wecom"))
    [sub] = notify_site.store.subscriptions.list()
    for _ in range(5):
        notify_site.store.subscriptions.record_failed_delivery(sub.id, "502：bad gateway",
                                          next_attempt_at="2000-01-01T00:00:00+00:00", pause_after=5)
    staff = app.test_client()
    login(staff, "staffer", "staff-password-1")
    page = text(staff.get("/staff/subscriptions/?failing=1"))
    assert "连续发送失败，已自动暂停" in page and "502：bad gateway" in page
    assert re.search(r'<span class="number">1</span>因连续失败自动暂停', page)
    assert urlsplit(f"/staff/subscriptions/log?subscription={sub.id}").path == "/staff/subscriptions/log"
