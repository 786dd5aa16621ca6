"""`policy-search subscribe add|list|remove` and `policy-search notify`.

The round is policy_search.app.delivery's (the same the `notify` job runs); `--search`
takes what /api/search takes (web.params).
"""
from __future__ import annotations

import getpass
import json
import sys

import click

from policy_search.cli import open_store
from policy_search.settings import Settings
from policy_search.app.delivery import canonical_search_query
from policy_search.domain.subscriptions import (CHANNELS, FREQUENCIES, SubscriptionError,
                                         canonical_profile_query, query_params)

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
    from policy_search.domain.channels import Sender
    from policy_search.domain.notify import manage_url, subscribe
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
    from policy_search.app.delivery import deliver

    store = open_store(settings)
    report = deliver(store, settings, note=lambda line: click.echo(line, err=True),
                     dry_run=dry_run)
    for note in report.notes:
        click.echo(note, err=True)
    for outcome in report.outcomes:
        click.echo(outcome.describe())
    click.echo(report.summary())
    if report.failed:
        sys.exit(1)
