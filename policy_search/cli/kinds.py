"""`policy-search kind …`: what each document is (文件类型) and whether it is 惠企."""
from __future__ import annotations

import json
import sys

import click

from policy_search.cli import open_store
from policy_search.cli.progress import CountProgress
from policy_search.settings import Settings


@click.group("kind")
def kind_group():
    """文件类型 (惠企措施、申报通知、政策解读、法律法规 …) 与惠企标记, 各附判定依据."""


@kind_group.command("derive")
@click.option("--all", "everything", is_flag=True,
              help="re-derive every policy (default: only new or changed ones)")
@click.option("--quiet", is_flag=True, help="no progress line")
@click.pass_obj
def derive_command(settings: Settings, everything: bool, quiet: bool):
    """Derive the kind and 惠企 flag of policies and save them with their evidence.

    Staff corrections are kept: a kind or flag staff set wins over the derived one. The
    index follows through the change log (`index update`, or the site within seconds).
    """
    from policy_search.domain.derive import derive_kinds
    from policy_search.domain.kinds import DOC_KINDS

    with open_store(settings) as store, CountProgress("文件类型") as line:
        summary = derive_kinds(store, everything=everything, progress=None if quiet else line)
        counts = store.kinds.counts()
    click.echo(f"处理 {summary.policies} 篇, 变化 {summary.changed} 篇")
    for kind in DOC_KINDS:
        total = sum(n for (k, _), n in counts.items() if k == kind)
        huiqi = counts.get((kind, True), 0)
        if total:
            click.echo(f"  {kind}: {total} 篇 (惠企 {huiqi})")


@kind_group.command("show")
@click.argument("policy_id")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def show_command(settings: Settings, policy_id: str, as_json: bool):
    """Show one policy's kind and 惠企 flag with the evidence behind them."""
    from dataclasses import asdict

    with open_store(settings) as store:
        policy = store.policies.get(policy_id)
        if policy is None:
            raise click.ClickException(f"没有这篇政策: {policy_id}")
        auto = store.kinds.auto(policy_id)
    data = {"id": policy.id, "title": policy.title, "kind": policy.doc_kind,
            "kind_by": policy.kind_by or None, "huiqi": policy.huiqi,
            "huiqi_by": policy.huiqi_by or None, "source_kind": policy.source_kind,
            "auto": {"kind": auto[0], "huiqi": auto[1]} if auto else None,
            "kind_evidence": [asdict(c) for c in policy.kind_evidence],
            "huiqi_evidence": [asdict(c) for c in policy.huiqi_evidence]}
    if as_json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        click.echo()
        return
    origin = {"staff": " (人工校正)", "auto": "", "": " (尚未判定)"}
    click.echo(f"{policy.title}  [{policy.id}]")
    click.echo(f"文件类型: {policy.doc_kind}{origin[policy.kind_by]}")
    for clue in policy.kind_evidence:
        click.echo(f"  · {clue.describe()}")
    click.echo(f"惠企政策: {'是' if policy.huiqi else '否'}{origin[policy.huiqi_by]}")
    for clue in policy.huiqi_evidence:
        click.echo(f"  · {clue.describe()}")
