"""`policy-search tag auto`: the auto-tagger over the store."""
from __future__ import annotations

import time

import click

from policy_search.cli import open_store
from policy_search.cli.progress import CountProgress
from policy_search.settings import Settings


@click.group("tag")
def tag_group():
    """自动标注 — propose tags from the taxonomy (staff decisions are never overwritten)."""


@tag_group.command("auto")
@click.option("--all", "retag_all", is_flag=True,
              help="re-tag every policy (default: only new or changed ones)")
@click.option("--quiet", is_flag=True, help="no progress line")
@click.pass_obj
def tag_auto(settings: Settings, retag_all: bool, quiet: bool):
    """Auto-tag policies without current auto tags (new or changed), or all with --all."""
    from policy_search.domain.taxonomy import load_taxonomy
    from policy_search.domain.tagging import tag_policies

    store = open_store(settings)
    taxonomy = load_taxonomy(store)
    ids = store.policies.all_ids() if retag_all else store.tags.needing_auto()
    if not ids:
        click.echo("没有需要标注的政策 (nothing to tag)")
        return
    started = time.monotonic()
    with CountProgress("标注") as line:
        summary = tag_policies(store, ids, taxonomy=taxonomy, progress=None if quiet else line)
    elapsed = time.monotonic() - started
    click.echo(f"已标注 {summary.policies} 篇政策，其中 {summary.with_tags} 篇有建议标签"
               f"，用时 {elapsed:.1f} 秒 (tagged {summary.policies}, {summary.with_tags} with proposals)")
    for key, facet in taxonomy.facets.items():
        values = sorted(((v, n) for (f, v), n in summary.by_value.items() if f == key),
                        key=lambda item: -item[1])
        shown = "、".join(f"{v} {n}" for v, n in values[:8]) or "—"
        click.echo(f"  {facet.label}: {summary.by_facet.get(key, 0)} 个建议  ({shown})")
