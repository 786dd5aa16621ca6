"""`policy-search subscribe add|list|remove`, `policy-search notify [--dry-run]`, and the
worker's delivery rounds (after a crawl or import, and on notify_schedule)."""
from __future__ import annotations

import json

import pytest

from policy_search import jobs
from policy_search.schedule import enqueue_due, parse_schedule
from policy_search.domain.subscriptions import ACTIVE, PENDING
from tests.conftest import cli_on, held_files
from tests.notify_site import DING_SECRET, policy


@pytest.fixture
def cli(notify_site, monkeypatch):
    settings = notify_site.settings
    (settings.data_dir / "config.toml").write_text(
        f'public_base_url = "{settings.public_base_url}"\n'
        f'webhook_allowed_hosts = "{settings.webhook_allowed_hosts}"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {settings.smtp_port}\nsmtp_starttls = 0\n'
        f'mail_from = "{settings.mail_from}"\n', encoding="utf-8")
    return cli_on(settings.data_dir, monkeypatch)


def import_new_policy(cli, tmp_path):
    """`import` of one new county policy that the 专精特新 subscriptions match."""
    data = tmp_path / "new.jsonl"
    data.write_text(json.dumps({"title": "专精特新企业融资奖励办法", "body": "对专精特新企业融资给予奖励。",
                                "url": "http://www.csx.gov.cn/t/1.html", "level": "county",
                                "region": "长沙县", "publish_date": "2024-05-01"},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    return cli("import", str(data))


def test_subscribe_add_list_remove(cli, notify_site):
    notify_site.robot.ding_secret = DING_SECRET
    added = cli("subscribe", "add", "--search", "q=专精特新&region=长沙县", "--channel", "dingtalk",
                "--to", notify_site.robot.url("dingtalk", "token-abcdefgh1234"), "--every", "week",
                "--name", "县里的专精特新", "--secret", DING_SECRET)
    assert added.exit_code == 0, added.output
    subscription_id = int(added.stdout.strip())
    assert "测试消息已发送成功，订阅已生效" in added.stderr
    [test_message] = notify_site.robot.received
    assert test_message.query["sign"] and test_message.json["msgtype"] == "markdown"

    email = cli("subscribe", "add", "--match", "region=长沙县&industry=制造业", "--channel", "email",
                "--to", "boss@company.example")
    assert email.exit_code == 0, email.output
    assert "已发送确认邮件" in email.stderr
    assert len(notify_site.mailbox.wait_for(1)) == 1

    listed = cli("subscribe", "list")
    assert f"#{subscription_id}" in listed.output and "推送中" in listed.output
    assert "****1234" in listed.output and "token-abcdefgh1234" not in listed.output
    assert "待确认邮件" in listed.output and "b***@company.example" in listed.output
    as_json = json.loads(cli("subscribe", "list", "--json").output)
    assert [(s["id"], s["state"], s["channel"], s["frequency"], s["signed"]) for s in as_json] == [
        (subscription_id, ACTIVE, "dingtalk", "week", True),
        (subscription_id + 1, PENDING, "email", "day", False)]
    assert as_json[1]["kind"] == "match" and "region=430121" in as_json[1]["query"]
    assert DING_SECRET not in json.dumps(as_json)

    assert cli("subscribe", "remove", str(subscription_id)).exit_code == 0
    missing = cli("subscribe", "remove", str(subscription_id))
    assert missing.exit_code == 2 and "没有编号为" in missing.output
    assert len(json.loads(cli("subscribe", "list", "--json").output)) == 1


def test_subscribe_add_refuses_bad_input(cli, notify_site):
    both = cli("subscribe", "add", "--search", "q=a", "--match", "region=长沙县", "--channel", "wecom",
               "--to", notify_site.robot.url("wecom"))
    assert both.exit_code == 2 and "exactly one of --search or --match" in both.output
    bad = cli("subscribe", "add", "--search", "level=township", "--channel", "wecom",
              "--to", notify_site.robot.url("wecom"))
    assert bad.exit_code == 2 and "level" in bad.output
    refused = cli("subscribe", "add", "--search", "q=补贴", "--channel", "wecom",
                  "--to", "https://hooks.evil.example/send?key=1")
    assert refused.exit_code == 2 and "不允许向 hooks.evil.example 发送" in refused.output
    assert notify_site.robot.received == []
    notify_site.robot.script = [("status", 503, {})]
    failed = cli("subscribe", "add", "--search", "q=补贴", "--channel", "wecom",
                 "--to", notify_site.robot.url("wecom"))
    assert failed.exit_code == 1
    assert failed.stdout.strip().isdigit() and "测试消息发送失败：503" in failed.stderr


def test_notify_dry_run_then_for_real(cli, notify_site):
    readers = held_files("READERS")
    added = cli("subscribe", "add", "--search", "q=专精特新", "--channel", "wecom",
                "--to", notify_site.robot.url("wecom"))
    subscription_id = int(added.stdout.strip())
    first = cli("notify")
    assert first.exit_code == 0, first.output
    assert f"#{subscription_id} 企业微信群机器人" in first.output
    assert "首次推送：已有的 1 条相符政策作为起点" in first.output and "没有新政策" in first.output

    notify_site.add(policy("专精特新企业贷款贴息办法", "对专精特新企业贷款给予贴息。"))
    dry = cli("notify", "--dry-run")
    assert dry.exit_code == 0
    assert "将推送 1 条：专精特新企业贷款贴息办法" in dry.output and "演练" in dry.output
    assert len(notify_site.robot.received) == 1  # only the test message

    real = cli("notify")  # brings the index up to date itself
    assert real.exit_code == 0, real.output
    assert "已推送 1 条：专精特新企业贷款贴息办法" in real.output
    assert "发送 1 条消息" in real.output
    assert len(notify_site.robot.received) == 2
    again = cli("notify")
    assert "没有新政策" in again.output and len(notify_site.robot.received) == 2
    assert held_files("READERS") == readers  # each round closes the index it opened


def test_the_worker_runs_a_round_after_an_import_and_on_schedule(cli, notify_site, tmp_path):
    cli("subscribe", "add", "--search", "q=专精特新", "--channel", "wecom",
        "--to", notify_site.robot.url("wecom"))
    cli("notify")  # the starting point
    imported = import_new_policy(cli, tmp_path)
    assert imported.exit_code == 0, imported.output
    assert "推送任务 #" in imported.output
    worker = cli("worker", "--once")
    assert worker.exit_code == 0, worker.output
    assert "推送" in worker.output and "结束：成功" in worker.output
    digest = notify_site.robot.received[-1].json["markdown"]["content"]
    assert "专精特新企业融资奖励办法" in digest
    [job] = [j for j in jobs.list_jobs(notify_site.store) if j["kind"] == "notify"]
    assert job["result"] == {"subscriptions": 1, "sent": 1, "failed": 0}

    # notify_schedule: queued by the worker's schedule check like a scheduled crawl
    import datetime as dt

    schedule = parse_schedule("08:30", "Asia/Shanghai")
    moment = dt.datetime(2024, 5, 6, 1, 0, tzinfo=dt.timezone.utc)  # 09:00 in Shanghai
    assert enqueue_due(notify_site.store, schedule, moment, name="notify", kind="notify") is None  # first: recorded
    later = moment + dt.timedelta(days=1)
    job_id = enqueue_due(notify_site.store, schedule, later, name="notify", kind="notify")
    assert jobs.job_dict(notify_site.store, job_id)["kind"] == "notify"


def test_a_bad_notify_schedule_is_a_usage_error(cli, notify_site):
    with open(notify_site.settings.data_dir / "config.toml", "a", encoding="utf-8") as f:
        f.write('notify_schedule = "25:00"\n')
    result = cli("worker", "--once")
    assert result.exit_code == 2 and "notify_schedule" in result.output


def test_a_succeeded_crawl_is_followed_by_one_round(notify_site):
    from policy_search.app.delivery import queue_round_after

    crawl = notify_site.store.jobs.get(jobs.enqueue(notify_site.store, "crawl", {}, "tester"))
    jobs.claim_next(notify_site.store, ["crawl"])
    jobs._finish(notify_site.store, crawl.id, jobs.SUCCEEDED)
    crawl = notify_site.store.jobs.get(crawl.id)
    assert queue_round_after(notify_site.store, crawl) is None  # no active subscription: no round
    notify_site.store.subscriptions.activate(notify_site.store.subscriptions.create(
        kind="search", query="q=专精特新", channel="wecom", address=notify_site.robot.url("wecom")).id)
    job_id = queue_round_after(notify_site.store, crawl)
    assert jobs.job_dict(notify_site.store, job_id)["kind"] == "notify"
    assert queue_round_after(notify_site.store, crawl) is None  # one round queued is enough
    failed = notify_site.store.jobs.get(jobs.enqueue(notify_site.store, "crawl", {"source": "x"}, "tester"))
    jobs.cancel(notify_site.store, failed.id)
    assert queue_round_after(notify_site.store, notify_site.store.jobs.get(failed.id)) is None


@pytest.mark.parametrize("answers, state, shown", [
    ([("status", 404, {})], "部分失败", "发送 1 条消息，失败 1 个"),
    ([("status", 404, {}), ("status", 404, {})], "失败", "2 个订阅的推送全部失败"),
])
def test_a_round_with_failed_deliveries_does_not_end_as_a_success(cli, notify_site, tmp_path,
                                                                    answers, state, shown):
    for key in ("k3y-first-00001", "k3y-second-0002"):
        added = cli("subscribe", "add", "--search", "q=专精特新", "--channel", "wecom",
                    "--to", notify_site.robot.url("wecom", key))
        assert added.exit_code == 0, added.output
    cli("notify")  # the starting point
    assert import_new_policy(cli, tmp_path).exit_code == 0  # queues the round
    notify_site.robot.script = list(answers)  # the next digests are refused
    worker = cli("worker", "--once")
    assert worker.exit_code == 0, worker.output
    [job] = [j for j in jobs.list_jobs(notify_site.store) if j["kind"] == "notify"]
    assert job["state_label"] == state, (job["result"], job["log"])
    assert shown in (job["summary"] or "") + (job["error"] or "")
    assert job["result"]["failed"] == len(answers)
