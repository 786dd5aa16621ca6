"""Subscriptions at work: making one (with its confirmation or test message) and the
delivery round that pushes new matches.

A delivery round, for each active subscription:

1. what it has not looked at: the policies with a change-log entry after its `seen_seq`
   and up to what the index has applied (searchable), that it does not know yet;
2. which of those match it (a search: the index, all words required; a profile: the
   matching of /match) — they become pending;
3. when it is due (nothing sent yet this day / ISO week, no back-off running), one digest
   of all its pending policies; on success they are sent, and never sent again.

The first round of a subscription takes its starting point: what matches then and was
already in the store when it was made is its baseline, never sent — so a new
subscription gets nothing from before it was made, while a policy added since, or an old
one that newly matches after it was made (a staff tag edit, a window opening), is sent
once. A re-crawled unchanged policy writes no change and is not looked at again.

A failed digest is retried within the round (timeouts, 5xx: `channels.Sender`), then in
later rounds after growing delays; after PAUSE_AFTER failed rounds in a row the
subscription is paused and staff see it. Every attempt is logged.

Matching needs the index, which lives above this layer: the caller passes a Matcher.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from policy_search.domain.channels import DigestItem, Message, SendResult, Sender
from policy_search.domain.deadlines import UNKNOWN, china_today, policy_status
from policy_search.domain.matching import EnterpriseProfile, match_policy, profile_filters
from policy_search.domain.subscriptions import (ACTIVE, Subscription, SubscriptionError,
                                         check_address, check_channel, check_frequency,
                                         check_name, check_query, check_secret,
                                         next_period_start, query_params, sent_this_period)

SITE_NAME = "政策超市"
RETRIES = 3                      # within a round, after the first attempt
RETRY_DELAYS = (15 * 60, 60 * 60, 4 * 3600, 12 * 3600)  # before the next round may retry
PAUSE_AFTER = 5                  # failed rounds in a row
PENDING_DAYS = 7                 # an unconfirmed subscription is deleted after this
CLAIM_MINUTES = 30               # a round holds a subscription at most this long
SUMMARY_CHARS = 60
MATCH_CHUNK = 500

log = logging.getLogger(__name__)


class Matcher(Protocol):
    """What a round needs from the index (wired in policy_search.app.delivery)."""

    def searchable_seq(self) -> int | None:
        """The change-log position the index has applied (None: no index yet)."""

    def search_ids(self, query: str, candidates: list[str] | None) -> set[str]:
        """Ids the search (a URL query string) finds with all its words, among candidates
        (None: among all)."""

    def scope_ids(self, filters: dict[str, list[str]], candidates: list[str] | None) -> set[str]:
        """Ids passing search filters (keys as in /api/search), among candidates."""


# --- links -------------------------------------------------------------------------------

def site_url(settings) -> str:
    base = (settings.public_base_url or "").strip().rstrip("/")
    return base or f"http://{settings.host}:{settings.port}"


def manage_url(settings, subscription: Subscription) -> str:
    return f"{site_url(settings)}/subscriptions/{subscription.token}"


def one_click_url(settings, subscription: Subscription) -> str:
    return f"{manage_url(settings, subscription)}/one-click"


def policy_url(settings, policy_id: str) -> str:
    return f"{site_url(settings)}/policy/{policy_id}"


def results_url(settings, subscription: Subscription) -> str:
    """The subscription's whole list on the site (a search newest first, or the profile)."""
    if subscription.kind == "match":
        return f"{site_url(settings)}/match?{subscription.query}"
    pairs = [(k, v) for k, v in parse_qsl(subscription.query) if k != "sort"] + [("sort", "newest")]
    return f"{site_url(settings)}/?{urlencode(pairs)}"


# --- making a subscription ------------------------------------------------------------------

@dataclass
class Created:
    subscription: Subscription
    result: SendResult | None   # the test message (webhooks)
    confirmation_sent: bool = False

    @property
    def active(self) -> bool:
        return self.subscription.state == ACTIVE


def subscribe(store, settings, sender: Sender, *, kind: str, query: str, channel: str,
              address: str, secret: str = "", frequency: str = "day", name: str = "",
              created_by: str = "") -> Created:
    """Validate and save a subscription, then ask for confirmation (e-mail: a link) or
    test the robot (webhooks: active only when the test message went through).

    SubscriptionError for bad input; an e-mail whose confirmation cannot be sent is not
    kept (the error says why)."""
    if kind not in ("search", "match"):
        raise SubscriptionError("只能订阅检索或政策计算器的结果")
    channel = check_channel(channel)
    fields = dict(kind=kind, query=check_query(query), channel=channel,
                  address=check_address(channel, address, settings.webhook_allowed_hosts),
                  secret=check_secret(channel, secret), frequency=check_frequency(frequency),
                  name=check_name(name), created_by=created_by)
    if channel == "email" and not (settings.smtp_host and settings.mail_from):
        raise SubscriptionError("本站尚未开通邮件推送，请选择企业微信、钉钉或飞书群机器人")
    subscription = store.subscriptions.create(**fields)
    if channel == "email":
        result = send_confirmation(store, settings, sender, subscription)
        if not result.ok:
            store.subscriptions.delete(subscription.id)
            raise SubscriptionError(f"确认邮件发送失败：{result.error}。请检查邮件地址后重试")
        return Created(subscription, None, confirmation_sent=True)
    result = send_test(store, settings, sender, subscription)
    return Created(store.subscriptions.get(subscription.id), result)


def send_confirmation(store, settings, sender: Sender, subscription: Subscription) -> SendResult:
    link = manage_url(settings, subscription)
    message = Message(
        title=f"{SITE_NAME} · 请确认订阅：{subscription.title}",
        lines=[f"有人（希望是您）在{SITE_NAME}订阅了“{subscription.description}”的新政策，"
               f"{subscription.frequency_name}推送到本邮箱。",
               f"请在 {PENDING_DAYS} 天内打开下面的链接并点击“确认订阅”；不是您本人操作请忽略本邮件，"
               "未确认的订阅会被自动删除。"],
        action=("确认订阅", link))
    result = sender.send(subscription, message, retries=1)
    _log_attempts(store, subscription.id, "confirm", result, 0)
    return result


def send_test(store, settings, sender: Sender, subscription: Subscription) -> SendResult:
    """The robot's test message; success makes a pending webhook subscription active."""
    message = Message(
        title=f"{SITE_NAME} · 订阅测试消息",
        lines=[f"本群已订阅“{subscription.description}”的新政策，{subscription.frequency_name}推送。",
               "这是一条测试消息：收到它说明机器人地址可用。"],
        manage_url=manage_url(settings, subscription))
    result = sender.send(subscription, message, retries=0)
    _log_attempts(store, subscription.id, "test", result, 0)
    if result.ok:
        store.subscriptions.activate(subscription.id)
    else:
        store.subscriptions.record_test_failure(subscription.id, result.error)
    return result


def _log_attempts(store, subscription_id: int, purpose: str, result: SendResult,
                  policies: int) -> int | None:
    last = None
    for attempt in result.attempts:
        last = store.subscriptions.log_delivery(subscription_id, purpose=purpose, attempt=attempt.number,
                                                ok=attempt.ok, policies=policies, status=attempt.status,
                                                detail=attempt.detail)
    return last


# --- matching --------------------------------------------------------------------------------

def matches(store, matcher: Matcher, subscription: Subscription, candidates: list[str] | None,
            today: dt.date | None = None) -> set[str]:
    """Which candidates (None: all policies) the subscription's search or profile finds."""
    if candidates is not None and not candidates:
        return set()
    if subscription.kind == "search":
        return matcher.search_ids(subscription.query, candidates)
    profile = EnterpriseProfile.from_params(query_params(subscription.query))
    scope = sorted(matcher.scope_ids(profile_filters(profile), candidates))
    found: set[str] = set()
    for start in range(0, len(scope), MATCH_CHUNK):
        # the whole record: a profile is matched on the text's evidence, kind and 惠企 flag too
        chunk = store.policies.get_many(scope[start:start + MATCH_CHUNK])
        cards = store.cards.get_many([p.id for p in chunk])
        found.update(p.id for p in chunk
                     if match_policy(profile, p, cards.get(p.id), today).applies)
    return found


# --- the digest ---------------------------------------------------------------------------

def digest_message(store, settings, subscription: Subscription, policy_ids: list[str],
                   today: dt.date | None = None) -> Message:
    """Newest first: title, issuer, date, 申报状态 and deadline when known, the card's 支持标准."""
    today = today or china_today()
    policies = store.policies.get_many(policy_ids)
    policies.sort(key=lambda p: (p.publish_date or "", p.id), reverse=True)
    cards = store.cards.get_many([p.id for p in policies])
    items = []
    for policy in policies:
        # the status the site shows (policy_status, the one place), the date when known
        status = policy_status(policy, today)
        end = policy.deadline.next_end(today) if policy.deadline is not None else None
        deadline = f"截止 {end.isoformat()}" if end and status != UNKNOWN else None
        status = None if status == UNKNOWN else status
        card = cards.get(policy.id)
        support = card.get("support") if card else []
        summary = _one_line(support[0].value) if support else None
        items.append(DigestItem(title=policy.title, url=policy_url(settings, policy.id),
                                issuer=policy.issuer, date=policy.publish_date, status=status,
                                deadline=deadline, summary=summary))
    what = subscription.name or subscription.description
    return Message(
        title=f"{SITE_NAME} · {what} · 新政策 {len(items)} 条",
        lines=[f"您订阅的“{subscription.description}”有 {len(items)} 条新政策"
               f"（{subscription.frequency_name}推送）："],
        items=items, more_url=results_url(settings, subscription),
        manage_url=manage_url(settings, subscription),
        unsubscribe_url=one_click_url(settings, subscription))


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS - 1] + "…"


# --- the round -------------------------------------------------------------------------------

@dataclass
class Outcome:
    subscription: Subscription
    action: str                  # sent / would_send / failed / waiting / nothing / started / skipped
    policies: list[str] = field(default_factory=list)   # titles sent or to send
    detail: str = ""

    def describe(self) -> str:
        sub = self.subscription
        head = f"#{sub.id} {sub.channel_name} {sub.masked_address} {sub.frequency_name}「{sub.title}」"
        return f"{head}：{self.detail}"


@dataclass
class RoundReport:
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def sent(self) -> int:
        return sum(1 for o in self.outcomes if o.action == "sent")

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if o.action == "failed")

    def summary(self) -> str:
        if self.dry_run:
            would = sum(1 for o in self.outcomes if o.action == "would_send")
            return f"演练：{len(self.outcomes)} 个订阅，{would} 个将收到推送（未发送任何消息）"
        return f"推送完成：{len(self.outcomes)} 个订阅，发送 {self.sent} 条消息，失败 {self.failed} 个"


def run_round(store, settings, matcher: Matcher, sender: Sender, *, dry_run: bool = False,
              now: dt.datetime | None = None,
              progress: Callable[[int, int], None] | None = None) -> RoundReport:
    """One delivery round over every active subscription (see the module's docstring)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    report = RoundReport(dry_run=dry_run)
    if not (settings.public_base_url or "").strip():
        report.notes.append(f"提示：未设置 public_base_url，消息中的链接将指向 {site_url(settings)}")
    if not dry_run:
        stale = store.subscriptions.delete_stale_pending((now - dt.timedelta(days=PENDING_DAYS)).isoformat())
        if stale:
            report.notes.append(f"已删除 {len(stale)} 个超过 {PENDING_DAYS} 天未确认的订阅")
    bound = matcher.searchable_seq()
    if bound is None:
        report.notes.append("索引尚未建立，本轮不推送（先运行 policy-search index rebuild）")
        return report
    round_ = _Round(store, settings, matcher, sender, bound, now, dry_run)
    subscriptions = store.subscriptions.list(ACTIVE)
    for number, subscription in enumerate(subscriptions):
        if progress is not None:
            progress(number, len(subscriptions))
        report.outcomes.append(round_.process(subscription))
    if progress is not None:
        progress(len(subscriptions), len(subscriptions))
    return report


class _Round:
    def __init__(self, store, settings, matcher, sender, bound, now, dry_run):
        self.store, self.settings, self.matcher, self.sender = store, settings, matcher, sender
        self.bound, self.now, self.dry_run = bound, now, dry_run
        self.timezone = settings.schedule_timezone or "Asia/Shanghai"
        self.today = now.astimezone(ZoneInfo(self.timezone)).date()
        self._changed: dict[int, list[str]] = {}

    def changed(self, after: int) -> list[str]:
        # Subscriptions usually share their position: the change log is read once for them.
        if after not in self._changed:
            self._changed[after] = self.store.policies.changed_between(after, self.bound)
        return self._changed[after]

    def process(self, subscription: Subscription) -> Outcome:
        if (subscription.seen_seq is not None and subscription.seen_seq >= self.bound
                and not self.store.subscriptions.pending_policy_ids(subscription.id)):
            # nothing changed since it last looked, nothing waiting: no write at all
            return Outcome(subscription, "nothing", detail="没有新政策")
        if not self.dry_run and not self.store.subscriptions.claim(subscription.id, CLAIM_MINUTES):
            return Outcome(subscription, "skipped", detail="另一轮推送正在处理，跳过")
        try:
            started, new = self.look(subscription)
            pending = self.store.subscriptions.pending_policy_ids(subscription.id)
            if self.dry_run:
                pending = list(dict.fromkeys(pending + sorted(new)))
            return self.deliver(self.store.subscriptions.get(subscription.id) or subscription,
                                pending, started)
        except Exception as exc:  # one broken subscription must not stop the others
            log.exception("delivery round: subscription %s failed", subscription.id)
            return Outcome(subscription, "failed", detail=f"内部错误：{type(exc).__name__}: {exc}")
        finally:
            if not self.dry_run:
                self.store.subscriptions.release(subscription.id)

    def look(self, subscription: Subscription) -> tuple[str, set[str]]:
        """New matches since the subscription last looked; records them (not in a dry run).

        Returns a note on the starting point (first round) and the new matches."""
        if subscription.seen_seq is None:
            found = matches(self.store, self.matcher, subscription, None, self.today)
            fresh = found & self.store.policies.added_after(subscription.created_seq)
            baseline, new = found - fresh, fresh
            note = f"首次推送：已有的 {len(baseline)} 条相符政策作为起点，不再推送；"
        else:
            baseline, note = set(), ""
            after = subscription.seen_seq
            candidates = self.changed(after) if self.bound > after else []
            known = self.store.subscriptions.known_policy_ids(subscription.id, candidates)
            new = matches(self.store, self.matcher, subscription,
                          [c for c in candidates if c not in known], self.today)
        seen = max(self.bound, subscription.seen_seq or 0)
        if not self.dry_run and (baseline or new or seen != subscription.seen_seq):
            self.store.subscriptions.record_matches(subscription.id, baseline=baseline, pending=new,
                                                    seen_seq=seen)
        return note, new

    def deliver(self, subscription: Subscription, pending: list[str], note: str) -> Outcome:
        if not pending:
            return Outcome(subscription, "nothing", detail=note + "没有新政策")
        if sent_this_period(subscription, self.now, self.timezone):
            start = next_period_start(subscription.frequency, self.now, self.timezone)
            return Outcome(subscription, "waiting", detail=(
                f"{note}{len(pending)} 条待推送：本{'日' if subscription.frequency == 'day' else '周'}"
                f"已推送过，{start.strftime('%Y-%m-%d')} 起的下一轮推送"))
        if subscription.next_attempt_at and subscription.next_attempt_at > self.now.isoformat():
            return Outcome(subscription, "waiting", detail=(
                f"{note}{len(pending)} 条待推送：上次发送失败（{subscription.last_error}），"
                f"{_local(subscription.next_attempt_at, self.timezone)} 后重试"))
        message = digest_message(self.store, self.settings, subscription, pending, self.today)
        titles = [item.title for item in message.items]
        if self.dry_run:
            return Outcome(subscription, "would_send", titles,
                           f"{note}将推送 {len(titles)} 条：" + "；".join(titles))
        if not message.items:  # every pending policy was deleted meanwhile
            self.store.subscriptions.record_delivered(subscription.id, pending, 0, self.now.isoformat())
            return Outcome(subscription, "nothing", detail=note + "没有新政策")
        result = self.sender.send(subscription, message, retries=RETRIES)
        last = _log_attempts(self.store, subscription.id, "digest", result, len(titles))
        if result.ok:
            self.store.subscriptions.record_delivered(subscription.id, pending, last, self.now.isoformat())
            return Outcome(subscription, "sent", titles,
                           f"{note}已推送 {len(titles)} 条：" + "；".join(titles))
        delay = RETRY_DELAYS[min(subscription.failures, len(RETRY_DELAYS) - 1)]
        retry_at = (self.now + dt.timedelta(seconds=delay)).isoformat()
        failures = self.store.subscriptions.record_failed_delivery(subscription.id, result.error,
                                                                   next_attempt_at=retry_at,
                                                                   pause_after=PAUSE_AFTER)
        if failures >= PAUSE_AFTER:
            tail = f"已连续失败 {failures} 次，订阅已暂停（工作人员可在订阅管理页恢复）"
        else:
            tail = f"第 {failures} 次失败，{_local(retry_at, self.timezone)} 后重试"
        return Outcome(subscription, "failed", titles,
                       f"{note}发送失败（{len(result.attempts)} 次尝试）：{result.error}；{tail}")


def _local(stamp: str, timezone: str) -> str:
    return dt.datetime.fromisoformat(stamp).astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")

