"""`policy-search card …`: policy cards, application windows and validity."""
from __future__ import annotations

import datetime as dt
import json
import sys

import click

from policy_search.cli import open_store
from policy_search.cli.progress import CountProgress
from policy_search.domain.deadlines import china_today, policy_status
from policy_search.settings import Settings


@click.group("card")
def card_group():
    """政策卡片: 惠及对象、申报条件、支持标准、申报时间、受理地址、咨询电话, 截止状态与有效性."""


@card_group.command("extract")
@click.option("--all", "everything", is_flag=True,
              help="re-extract every policy (default: only new or changed ones)")
@click.option("--quiet", is_flag=True, help="no progress line")
@click.pass_obj
def extract_command(settings: Settings, everything: bool, quiet: bool):
    """Extract cards, deadlines and validity dates and link repeals; save them in the store.

    Staff corrections are kept: a field staff set wins over the extracted one.
    """
    from policy_search.domain.derive import derive_all

    with open_store(settings) as store, CountProgress("卡片提取") as line:
        summary = derive_all(store, everything=everything, progress=None if quiet else line)
    click.echo(f"处理 {summary.policies} 篇, 变化 {summary.changed} 篇; 有卡片 {summary.with_card},"
               f" 有申报时间 {summary.with_deadline}, 有施行/有效期条款 {summary.with_validity},"
               f" 废止关联 {summary.repeal_links}")


@card_group.command("show")
@click.argument("policy_id")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="status on this day (default today)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def show_command(settings: Settings, policy_id: str, today, as_json: bool):
    """Show one policy's card, application window status and validity."""
    from policy_search.domain.card import CARD_FIELDS
    from policy_search.domain.deadlines import Deadline

    day = today.date() if today else china_today()
    with open_store(settings) as store:
        policy = store.policies.get(policy_id)
        if policy is None:
            raise click.ClickException(f"没有这篇政策: {policy_id}")
        card = store.cards.get(policy_id)
        deadline = policy.deadline or Deadline()
        status = policy_status(policy, day)
        data = {
            "id": policy.id, "title": policy.title, "card": card.to_dict(),
            "deadline": {"kind": deadline.kind, "start": deadline.start, "end": deadline.end,
                         "next_end": (e.isoformat() if (e := deadline.next_end(day)) else None),
                         "days_left": deadline.days_left(day), "status": status,
                         "text": deadline.describe(), "evidence": deadline.evidence},
            "validity": policy.validity, "effective_date": policy.effective_date,
            "expiry_date": policy.expiry_date, "repealed_by": policy.repealed_by,
            "repeals": store.cards.repealing(policy_id),
        }
    if as_json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        click.echo()
        return
    click.echo(f"{policy.title}  [{policy.id}]")
    for name, label in CARD_FIELDS.items():
        items = card.get(name)
        click.echo(f"{label}:" + ("" if items else " —"))
        for item in items:
            mark = " (人工)" if item.origin == "staff" else ""
            click.echo(f"  · {item.value}{mark}")
    d = data["deadline"]
    left = f", 剩余 {d['days_left']} 天" if d["days_left"] is not None and d["days_left"] >= 0 else ""
    click.echo(f"申报状态: {status} ({d['text']}{left})")
    click.echo(f"有效性: {policy.validity}  施行 {policy.effective_date or '—'}"
               f"  失效 {policy.expiry_date or '—'}"
               + (f"  被 {policy.repealed_by} 废止" if policy.repealed_by else ""))


@card_group.command("refresh")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]),
              help="last run day (default yesterday)")
@click.pass_obj
def refresh_command(settings: Settings, since):
    """Daily: log policies whose deadline or validity status changed, so the index follows."""
    today = china_today()
    after = (since.date() if since else today - dt.timedelta(days=1)).isoformat()
    with open_store(settings) as store:
        ids = store.cards.ids_with_dates_between(after, today.isoformat())
        store.policies.log_changes(ids, "dates")
    click.echo(f"状态可能变化的政策: {len(ids)} 篇 (已记录, 索引增量更新时刷新)")
