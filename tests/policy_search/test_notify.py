"""Delivery rounds: what each subscription gets, once, and when."""
from __future__ import annotations

import re

import pytest

from policy_search.domain.channels import Sender
from policy_search.app.delivery import IndexMatcher
from policy_search.domain.derive import derive_kinds, enrich_changed
from policy_search.domain.notify import PAUSE_AFTER, RETRIES, run_round, subscribe
from policy_search.domain.subscriptions import ACTIVE, PAUSED
from tests.notify_site import day, policy


def make(notify_site, clock, *, kind="search", query="q=专精特新", channel="wecom", frequency="day",
         **extra):
    sender = Sender(notify_site.settings, sleep=clock.sleep, timeout=2.0)
    created = subscribe(notify_site.store, notify_site.settings, sender, kind=kind, query=query,
                        channel=channel, address=notify_site.robot.url(channel), frequency=frequency,
                        **extra)
    assert created.active, created.result
    return created.subscription


def round_(notify_site, clock, when="2024-05-06", dry_run=False, timeout=2.0):
    notify_site.sync()
    sender = Sender(notify_site.settings, sleep=clock.sleep, timeout=timeout)
    return run_round(notify_site.store, notify_site.settings, IndexMatcher(notify_site.settings, notify_site.store), sender,
                     now=day(when), dry_run=dry_run)


def digests(notify_site):
    """The markdown digests the robot received (test messages left out)."""
    return [r.json["markdown"]["content"] for r in notify_site.robot.received
            if re.search(r"新政策 \d+ 条", r.json.get("markdown", {}).get("content", ""))]


def test_a_subscription_gets_new_matches_once_and_nothing_from_before(notify_site, clock):
    sub = make(notify_site, clock)
    first = round_(notify_site, clock)
    # The county 专精特新 policy existed before the subscription: never sent.
    assert [o.action for o in first.outcomes] == ["nothing"]
    assert notify_site.store.subscriptions.policy_counts(sub.id) == {"baseline": 1}

    new_id = notify_site.add(policy("关于开展2024年专精特新企业奖励申报的通知",
                             "一、支持标准\n对认定的专精特新企业给予一次性奖励30万元。\n二、申报时间\n2024年5月1日至2024年6月30日。",
                             published="2024-05-05", doc_kind="申报通知"))
    other = notify_site.add(policy("关于开展科技型中小企业评价的通知", "科技型中小企业评价工作。",
                            published="2024-05-05"))
    enrich_changed(notify_site.store)  # its card: 支持标准 and the deadline
    second = round_(notify_site, clock)
    assert [o.action for o in second.outcomes] == ["sent"]
    assert second.outcomes[0].policies == ["关于开展2024年专精特新企业奖励申报的通知"]
    [digest] = digests(notify_site)
    assert "关于开展2024年专精特新企业奖励申报的通知" in digest
    assert f"https://zc.example.gov.cn/policy/{new_id}" in digest
    assert "长沙县人民政府 · 发布 2024-05-05 · 申报中 截止 2024-06-30" in digest
    assert "支持标准：对认定的专精特新企业给予一次性奖励30万元" in digest
    assert "长沙县支持专精特新中小企业高质量发展的若干措施" not in digest
    assert other not in digest
    assert f"https://zc.example.gov.cn/subscriptions/{sub.token}" in digest

    # idempotent: a second round in a row (another day, so the period is free) sends nothing
    third = round_(notify_site, clock, when="2024-05-07")
    assert [o.action for o in third.outcomes] == ["nothing"]
    assert len(digests(notify_site)) == 1
    assert notify_site.store.subscriptions.policy_counts(sub.id) == {"baseline": 1, "sent": 1}


def test_a_subscription_made_after_a_policy_never_receives_it(notify_site, clock):
    existing = notify_site.add(policy("长沙县小微企业融资担保费补贴办法", "对小微企业融资担保费给予补贴。"))
    notify_site.sync()
    sub = make(notify_site, clock, query="q=融资担保")
    for when in ("2024-05-06", "2024-05-07"):
        round_(notify_site, clock, when=when)
    # re-crawled unchanged: no change, nothing looked at again
    notify_site.add(policy("长沙县小微企业融资担保费补贴办法", "对小微企业融资担保费给予补贴。"))
    # changed text: looked at again, still known from before the subscription
    notify_site.add(policy("长沙县小微企业融资担保费补贴办法", "对小微企业融资担保费给予补贴，最高20万元。"))
    report = round_(notify_site, clock, when="2024-05-08")
    assert [o.action for o in report.outcomes] == ["nothing"]
    assert digests(notify_site) == []
    assert notify_site.store.subscriptions.known_policy_ids(sub.id, [existing]) == {existing}


def test_an_old_policy_that_newly_matches_after_a_staff_tag_edit_is_sent_once(notify_site, clock):
    old = notify_site.add(policy("长沙县工业企业技术改造奖补办法", "对工业企业技术改造项目给予奖补。"))
    notify_site.sync()
    make(notify_site, clock, query="enterprise=专精特新")
    round_(notify_site, clock)
    assert digests(notify_site) == []
    notify_site.store.tags.set_staff(old, "enterprise", "专精特新", by="reviewer")
    report = round_(notify_site, clock, when="2024-05-07")
    assert report.outcomes[0].policies == ["长沙县工业企业技术改造奖补办法"]
    notify_site.store.tags.set_staff(old, "enterprise", "专精特新", by="reviewer2")  # edited again
    report = round_(notify_site, clock, when="2024-05-08")
    assert [o.action for o in report.outcomes] == ["nothing"]
    assert len(digests(notify_site)) == 1


def test_at_most_one_message_per_period(notify_site, clock):
    make(notify_site, clock, frequency="week")
    round_(notify_site, clock, when="2024-05-06")  # a Monday: the starting point
    notify_site.add(policy("专精特新企业贷款贴息办法", "对专精特新企业贷款给予贴息。", published="2024-05-06"))
    assert round_(notify_site, clock, when="2024-05-07").outcomes[0].action == "sent"
    notify_site.add(policy("专精特新企业上市奖励办法", "对专精特新企业上市给予奖励。", published="2024-05-07"))
    waiting = round_(notify_site, clock, when="2024-05-12")  # the same ISO week
    assert waiting.outcomes[0].action == "waiting"
    assert "2024-05-13" in waiting.outcomes[0].detail
    assert len(digests(notify_site)) == 1
    later = round_(notify_site, clock, when="2024-05-13")  # next week: the waiting one goes out
    assert later.outcomes[0].policies == ["专精特新企业上市奖励办法"]
    assert len(digests(notify_site)) == 2


def test_dry_run_sends_and_records_nothing(notify_site, clock):
    sub = make(notify_site, clock)
    round_(notify_site, clock)
    notify_site.add(policy("专精特新企业贷款贴息办法", "对专精特新企业贷款给予贴息。"))
    before = notify_site.store.subscriptions.get(sub.id)
    report = round_(notify_site, clock, dry_run=True)
    assert report.outcomes[0].action == "would_send"
    assert report.outcomes[0].policies == ["专精特新企业贷款贴息办法"]
    assert digests(notify_site) == []
    assert notify_site.store.subscriptions.get(sub.id).seen_seq == before.seen_seq
    assert round_(notify_site, clock).outcomes[0].action == "sent"


def test_a_profile_subscription_gets_the_policies_that_apply(notify_site, clock):
    make(notify_site, clock, kind="match", query="region=430121&industry=制造业")
    round_(notify_site, clock)
    applies = notify_site.add(policy("长沙县制造业企业技术改造补贴", "对制造业企业技改给予补贴。"),
                       [("industry", "制造业")])
    notify_site.add(policy("长沙县餐饮企业消费券活动", "面向餐饮企业。"), [("industry", "住宿和餐饮业")])
    notify_site.add(policy("广东省制造业高质量发展措施", "支持制造业。", region=("440000", "广东省"),
                    level="provincial"), [("industry", "制造业")])
    report = round_(notify_site, clock, when="2024-05-07")
    assert report.outcomes[0].policies == ["长沙县制造业企业技术改造补贴"]
    assert applies in digests(notify_site)[0]


def test_failing_endpoint_is_retried_with_back_off_then_paused(notify_site, clock):
    sub = make(notify_site, clock)
    round_(notify_site, clock)
    notify_site.add(policy("专精特新企业贷款贴息办法", "对专精特新企业贷款给予贴息。"))
    before = len(notify_site.robot.received)
    notify_site.robot.script = [("status", 502, {"error": "bad gateway"})] * (RETRIES + 1)
    report = round_(notify_site, clock, when="2024-05-07")
    outcome = report.outcomes[0]
    assert outcome.action == "failed" and "502" in outcome.detail
    assert len(notify_site.robot.received) - before == RETRIES + 1
    assert clock.slept == [2.0, 4.0, 8.0]
    log = notify_site.store.subscriptions.delivery_log(sub.id)
    assert [(e["attempt"], e["ok"], e["status"]) for e in log[:RETRIES + 1]] == \
        [(n, 0, "502") for n in range(RETRIES + 1, 0, -1)]
    state = notify_site.store.subscriptions.get(sub.id)
    assert state.failures == 1 and state.next_attempt_at > day("2024-05-07").isoformat()

    # within the back-off nothing is tried; a 4xx is not retried within a round
    assert round_(notify_site, clock, when="2024-05-07").outcomes[0].action == "waiting"
    for number in range(2, PAUSE_AFTER + 1):
        notify_site.robot.script = [("status", 400, {"errcode": 93000, "errmsg": "invalid webhook url"})]
        sent_before = len(notify_site.robot.received)
        report = round_(notify_site, clock, when=f"2024-05-{7 + number:02d}")
        assert len(notify_site.robot.received) == sent_before + 1
    assert "已暂停" in report.outcomes[0].detail
    paused = notify_site.store.subscriptions.get(sub.id)
    assert paused.state == PAUSED and paused.pause_reason == "failures"
    assert paused.failures == PAUSE_AFTER
    assert notify_site.store.subscriptions.pending_policy_ids(sub.id)  # nothing lost: still pending
    # paused: not processed; resumed (by staff): delivered
    assert round_(notify_site, clock, when="2024-05-20").outcomes == []
    notify_site.store.subscriptions.resume(sub.id)
    assert round_(notify_site, clock, when="2024-05-21").outcomes[0].action == "sent"
    assert notify_site.store.subscriptions.get(sub.id).state == ACTIVE


def test_a_timeout_is_retried(notify_site, clock):
    make(notify_site, clock)
    round_(notify_site, clock)
    notify_site.add(policy("专精特新企业贷款贴息办法", "对专精特新企业贷款给予贴息。"))
    notify_site.robot.script = [("hang",)]
    # the robot never answers the first post: it is given up after the timeout, then retried
    report = round_(notify_site, clock, when="2024-05-07", timeout=0.5)
    assert report.outcomes[0].action == "sent"
    assert clock.slept == [2.0]
    log = notify_site.store.subscriptions.delivery_log()
    assert [(e["status"], e["ok"]) for e in log[:2]] == [("200", 1), ("timeout", 0)]


@pytest.mark.parametrize("channel", ["dingtalk", "feishu"])
def test_rounds_deliver_to_signed_robots(notify_site, clock, channel):
    from tests.notify_site import DING_SECRET, FEISHU_SECRET

    secret = DING_SECRET if channel == "dingtalk" else FEISHU_SECRET
    setattr(notify_site.robot, "ding_secret" if channel == "dingtalk" else "feishu_secret", secret)
    make(notify_site, clock, channel=channel, secret=secret)
    round_(notify_site, clock)
    notify_site.add(policy("专精特新企业贷款贴息办法", "对专精特新企业贷款给予贴息。"))
    assert round_(notify_site, clock, when="2024-05-07").outcomes[0].action == "sent"


def test_unconfirmed_subscriptions_are_deleted_after_a_week(notify_site, clock):
    import datetime as dt

    from policy_search.domain.notify import PENDING_DAYS

    pending = notify_site.store.subscriptions.create(kind="search", query="q=补贴", channel="email",
                                             address="boss@company.example")
    notify_site.sync()
    sender = Sender(notify_site.settings, sleep=clock.sleep)
    matcher = IndexMatcher(notify_site.settings, notify_site.store)
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=PENDING_DAYS - 1)
    run_round(notify_site.store, notify_site.settings, matcher, sender, now=soon)
    assert notify_site.store.subscriptions.get(pending.id) is not None
    late = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=PENDING_DAYS, hours=1)
    report = run_round(notify_site.store, notify_site.settings, matcher, sender, now=late)
    assert notify_site.store.subscriptions.get(pending.id) is None
    assert any("未确认" in note for note in report.notes)


def test_a_broken_subscription_does_not_stop_the_round(notify_site, clock):
    broken = notify_site.store.subscriptions.create(kind="search", query="level=township", channel="wecom",
                                            address=notify_site.robot.url("wecom"), state=ACTIVE)
    make(notify_site, clock)
    report = round_(notify_site, clock)
    outcomes = {o.subscription.id: o for o in report.outcomes}
    assert outcomes[broken.id].action == "failed" and "ParamError" in outcomes[broken.id].detail
    assert [o.action for o in report.outcomes if o.subscription.id != broken.id] == ["nothing"]


def test_the_digest_gives_a_call_the_status_the_site_gives_it(store, tmp_path):
    """A call for applications whose window was not found, published years ago: the site
    says 已截止 (deadlines.policy_status), and so does the digest."""
    import datetime as dt

    from policy_search.domain.deadlines import CLOSED, policy_status
    from policy_search.domain.notify import digest_message
    from policy_search.settings import Settings

    call = policy("关于组织申报2022年度专精特新中小企业的通知",
                  "一、申报条件\n在本县注册的中小企业。\n二、申报材料\n申报表一份。\n"
                  "三、申报方式\n请符合条件的企业向县工信局申报。", published="2022-03-01")
    store.policies.upsert(call)
    derive_kinds(store)
    subscription = store.subscriptions.create(kind="search", query="q=专精特新", channel="wecom",
                                              address="https://qyapi.weixin.qq.com/x", name="专精特新")
    day = dt.date(2026, 11, 30)
    assert policy_status(store.policies.get(call.id), day) == CLOSED
    item, = digest_message(store, Settings(data_dir=tmp_path, secret_key="t"), subscription,
                           [call.id], today=day).items
    assert item.status == CLOSED and item.deadline is None
