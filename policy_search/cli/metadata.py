"""`policy-search metadata tidy`: re-apply the import-time cleaning of titles' status markers,
issuers, levels, regions and 主题分类 to a whole store (after an upgrade of the rules, or to a store that
was filled before them)."""
from __future__ import annotations

import click

from policy_search.cli import open_store
from policy_search.cli.progress import CountProgress
from policy_search.settings import Settings


@click.group("metadata")
def metadata_group():
    """元数据整理: 标题状态标记、发文机关、层级、发文地区、主题分类."""


@metadata_group.command("tidy")
@click.option("--dry-run", is_flag=True, help="only count what would change")
@click.option("--quiet", is_flag=True, help="no progress line")
@click.pass_obj
def tidy_command(settings: Settings, dry_run: bool, quiet: bool):
    """Clean every stored policy's title, issuer, level, region and 主题分类 as import does.

    A status marker on a title（已废止）, [有效] leaves it and gives an unstated validity; agency codes (MOHURD) become names, cut names are completed, databases and place names
    leave the issuer column, a city's document moves from its province to the city. The
    changed policies are logged for the index (the site picks them up within seconds;
    else run `index update`).
    """
    from policy_search.domain.metadata import tidy_store

    with open_store(settings) as store, CountProgress("整理元数据") as line:
        summary = tidy_store(store, dry_run=dry_run, progress=None if quiet else line)
    click.echo(("将" if dry_run else "") + summary.describe()
               + ("（未写入：--dry-run）" if dry_run else ""))
