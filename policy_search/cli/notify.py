"""`policy-search subscribe add|list|remove` and `policy-search notify`; the delivery
round as a job (kind `notify`) and the index matcher the round needs.

The use cases are policy_search.notify; here they are wired to the index (matching) and
to the site's parameter parsing (web.params: `--search` takes what /api/search takes).
"""
from __future__ import annotations

import getpass
import json
import sys
from urllib.parse import parse_qsl

import click

from policy_search import jobs
from policy_search.cli import open_store
from policy_search.settings import Settings
from policy_search.subscriptions import (ACTIVE, CHANNELS, FREQUENCIES, SubscriptionError,
                                         canonical_profile_query, query_params)

ROUND_KINDS = ("crawl", "import")  # a finished job of these kinds is followed by a round


# --- wiring -----------------------------------------------------------------------------

def parse_search_query(query: str):
    """A search URL query string read as /api/search reads it (web.params.ParamError)."""
    from werkzeug.datastructures import MultiDict

    from web.params import parse_search_args

    return parse_search_args(MultiDict(parse_qsl(query.lstrip("?"), keep_blank_values=True)))


def canonical_search_query(query: str) -> str:
    """The query string of a search as the site writes it, without sort or paging."""
    state = parse_search_query(query)
    return state.query_string(sort="relevance", page=1, size=state.default_size)


class IndexMatcher:
    """policy_search.notify.Matcher on the live index of the data directory."""

    def __init__(self, settings: Settings, store, index=None):
        from index.search import SearchIndex

        self.index_path = settings.index_path
        self.index = index or SearchIndex(settings.index_path)

    def searchable_seq(self) -> int | None:
        from index import layout

        generation = layout.current_generation(self.index_path)
        if generation is None:
            return None
        seq = layout.sync_seq(generation)
        self.index.refresh(force=True)  # the searcher sees at least what seq says
        return seq

    def search_ids(self, query: str, candidates: list[str] | None) -> set[str]:
        request = parse_search_query(query).to_request(highlight=False, facets=False)
        return self.index.matching_ids(request, candidates) or set()

    def scope_ids(self, filters: dict[str, list[str]], candidates: list[str] | None) -> set[str]:
        from index.api import SearchRequest

        return self.index.matching_ids(SearchRequest(filters=filters), candidates) or set()


def sync_index(store, settings: Settings) -> str:
    """Apply the store's changes to the index first: a round sends what is searchable."""
    from index.build import sync

    report = sync(store, settings.index_path, create=False)
    if report.generation is None:
        return "尚无索引"
    return f"索引已更新：{report.applied} 篇写入，{report.deleted} 篇删除"


def round_job(ctx: jobs.JobContext) -> dict:
    """The `notify` job: bring the index up to date, then one delivery round."""
    from policy_search.channels import Sender
    from policy_search.notify import run_round

    store, settings = ctx.store, ctx.settings
    ctx.progress(0, 0, "更新索引")
    ctx.log(sync_index(store, settings))
    ctx.progress(0, 0, "推送")
    report = run_round(store, settings, IndexMatcher(settings, store), Sender(settings),
                       progress=lambda done, total: ctx.progress(done, total, "推送"))
    for line in report.notes + [o.describe() for o in report.outcomes]:
        ctx.log(line)
    ctx.log(report.summary())
    return {"subscriptions": len(report.outcomes), "sent": report.sent, "failed": report.failed}


def queue_round_after(store, job) -> int | None:
    """After a crawl or import job succeeded: queue a delivery round (see queue_round)."""
    if job is None or job.kind not in ROUND_KINDS or job.state != jobs.SUCCEEDED:
        return None
    return queue_round(store, f"工作进程（{jobs.kind_label(job.kind)}之后）")


def queue_round(store, by: str) -> int | None:
    """Queue a delivery round when some subscription is active; its job id (None: none
    needed, or one is queued already)."""
    if not store.subscriptions.counts().get(ACTIVE):
        return None
    try:
        return jobs.enqueue(store, "notify", {}, by)
    except jobs.JobRefused:
        return None


# --- subscribe ----------------------------------------------------------------------------

@click.group("subscribe")
def subscribe_group():
    """订阅: push a search or a /match profile by e-mail or to a group robot."""


@subscribe_group.command("add")
@click.option("--search", "search", metavar="QUERY-STRING",
              help='a search as in /api/search, e.g. "q=小微企业&region=长沙县"')
@click.option("--match", "match", metavar="PROFILE-QUERY-STRING",
              help='a /match profile, e.g. "region=长沙县&industry=制造业&size=小微"')
@click.option("--channel", type=click.Choice(list(CHANNELS)), required=True)
@click.option("--to", "address", required=True, metavar="ADDRESS",
              help="an e-mail address or the group robot's webhook URL")
@click.option("--every", "frequency", type=click.Choice(list(FREQUENCIES)), default="day",
              show_default=True)
@click.option("--name", default="", help="a name shown in the messages")
@click.option("--secret", default="", help="the robot's signing secret (钉钉 加签 / 飞书 签名校验)")
@click.pass_obj
def add_command(settings: Settings, search, match, channel, address, frequency, name, secret):
    """Subscribe; prints the subscription id. E-mail gets a confirmation link; a webhook
    gets a test message at once and is active only when it went through (exit 1 if not)."""
    from policy_search.channels import Sender
    from policy_search.notify import manage_url, subscribe
    from web.params import ParamError

    if (search is None) == (match is None):
        raise click.UsageError("give exactly one of --search or --match")
    try:
        if search is not None:
            kind, query = "search", canonical_search_query(search)
        else:
            kind, query = "match", canonical_profile_query(query_params(match))
    except (ParamError, SubscriptionError) as exc:
        raise click.BadParameter(str(exc), param_hint="--search" if search else "--match")
    store = open_store(settings)
    try:
        created = subscribe(store, settings, Sender(settings), kind=kind, query=query,
                            channel=channel, address=address, secret=secret,
                            frequency=frequency, name=name,
                            created_by=f"命令行:{getpass.getuser()}")
    except SubscriptionError as exc:
        click.echo(f"未订阅：{exc}", err=True)
        sys.exit(2)
    subscription = created.subscription
    click.echo(subscription.id)
    click.echo(f"订阅 #{subscription.id}：{subscription.description}，{subscription.frequency_name}"
               f"推送到{subscription.channel_name} {subscription.masked_address}", err=True)
    if created.confirmation_sent:
        click.echo("已发送确认邮件：收件人点击邮件中的链接并确认后开始推送", err=True)
    elif created.active:
        click.echo("测试消息已发送成功，订阅已生效", err=True)
    else:
        click.echo(f"测试消息发送失败：{created.result.error}。订阅尚未生效；"
                   f"检查地址后在管理页重新测试：{manage_url(settings, subscription)}", err=True)
        sys.exit(1)


def subscription_dict(store, subscription) -> dict:
    """What the list shows: never the secret, the token or the full address."""
    return {
        "id": subscription.id, "name": subscription.name, "kind": subscription.kind,
        "query": subscription.query, "description": subscription.description,
        "channel": subscription.channel, "address": subscription.masked_address,
        "signed": bool(subscription.secret), "frequency": subscription.frequency,
        "state": subscription.state, "state_label": subscription.state_name,
        "created_at": subscription.created_at, "last_sent_at": subscription.last_sent_at,
        "failures": subscription.failures, "last_error": subscription.last_error,
        "policies": store.subscriptions.policy_counts(subscription.id),
    }


@subscribe_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def list_command(settings: Settings, as_json: bool):
    """Every subscription: channel, masked address, frequency, state, last delivery."""
    store = open_store(settings)
    found = [subscription_dict(store, s) for s in store.subscriptions.list()]
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("还没有订阅")
        return
    for item in found:
        counts = item["policies"]
        click.echo(f"#{item['id']:<4} {item['state_label']:<8} {CHANNELS[item['channel']]} "
                   f"{item['address']}  {FREQUENCIES[item['frequency']]}  "
                   f"{item['name'] or item['description']}")
        click.echo(f"      最近推送 {item['last_sent_at'] or '-'}  已推送 {counts.get('sent', 0)} 条"
                   f"  待推送 {counts.get('pending', 0)} 条"
                   + (f"  失败 {item['failures']} 次：{item['last_error']}" if item["failures"] else ""))


@subscribe_group.command("remove")
@click.argument("subscription_id", type=int)
@click.pass_obj
def remove_command(settings: Settings, subscription_id: int):
    """Delete a subscription with its delivery log."""
    store = open_store(settings)
    if not store.subscriptions.delete(subscription_id):
        click.echo(f"没有编号为 {subscription_id} 的订阅", err=True)
        sys.exit(2)
    click.echo(f"已删除订阅 #{subscription_id}")


# --- notify -------------------------------------------------------------------------------

@click.command("notify")
@click.option("--dry-run", is_flag=True,
              help="show what would be sent; send nothing and record no delivery")
@click.pass_obj
def notify_command(settings: Settings, dry_run: bool):
    """One delivery round: per subscription what was (or would be) sent."""
    from policy_search.channels import Sender
    from policy_search.notify import run_round

    store = open_store(settings)
    # Even a dry run first brings the index up to date, as a real round would: it shows
    # what a round now would send. The index is derived data, not a delivery record.
    click.echo(sync_index(store, settings), err=True)
    report = run_round(store, settings, IndexMatcher(settings, store), Sender(settings),
                       dry_run=dry_run)
    for note in report.notes:
        click.echo(note, err=True)
    for outcome in report.outcomes:
        click.echo(outcome.describe())
    click.echo(report.summary())
    if report.failed:
        sys.exit(1)
