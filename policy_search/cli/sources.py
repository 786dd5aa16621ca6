"""`policy-search sources check`: try a source's first list page and one detail page."""
from __future__ import annotations

import json
import sys

import click

from policy_search.cli import open_store
from policy_search.domain.models import CHECKED_FIELDS


@click.group("sources")
def sources_group():
    """Crawl sources: check one before trusting it."""


@sources_group.command("check")
@click.option("--source", "source_ids", multiple=True, metavar="ID",
              help="只检查这个来源（可重复）；默认检查全部启用的来源")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_obj
def check_command(settings, source_ids, as_json):
    """检查来源：每个入口的第一页列表和一篇详情页，报告条目数与提取到的字段。

    Exits 1 when a checked source has a problem (no items, an error, a detail page
    without title, date or body). The result is also shown on /admin/sources.
    """
    from crawler.check import check_sources, save_check
    from crawler.fetch import FetchPolicy
    from crawler.sources import load_all_sources

    store = open_store(settings)
    sources, problems = load_all_sources(settings, store)
    for problem in problems:
        click.echo(problem, err=True)
    if source_ids:
        unknown = sorted(set(source_ids) - {s.id for s in sources})
        if unknown:
            raise click.UsageError(f"未知的来源: {', '.join(unknown)}")
        chosen = [s for s in sources if s.id in source_ids]
    else:
        chosen = [s for s in sources if s.enabled and store.sources.state(s.id)["enabled"]]
    if not chosen:
        raise click.UsageError("没有可检查的来源")
    results = check_sources(chosen, FetchPolicy.from_settings(settings))
    for result in results:
        save_check(store, result)
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=2))
    else:
        for result in results:
            print_check(result)
    if any(not r.ok for r in results):
        sys.exit(1)


def print_check(result) -> None:
    verdict = "正常" if result.ok else "有问题"
    click.echo(f"{result.id}（{result.name}）：{verdict}  用时 {result.seconds:.1f} 秒")
    for entry in result.entries:
        pages = f"，共 {entry.page_count} 页" if entry.page_count else ""
        click.echo(f"  入口 {entry.kind} {entry.url}")
        if entry.error:
            click.echo(f"    ✗ {entry.error}")
            continue
        click.echo(f"    列表第一页 {entry.items} 条{pages}")
        for item in entry.sample:
            click.echo(f"      · {item['date'] or '—'}  {item['title'] or item['url']}")
        detail = entry.detail
        if detail is None:
            click.echo("    ✗ " + "；".join(entry.problems))
            continue
        click.echo(f"    详情页 {detail.url}")
        if detail.error:
            click.echo(f"      ✗ {detail.error}")
            continue
        for name, label in CHECKED_FIELDS.items():
            value = detail.fields.get(name)
            mark = "✓" if name in detail.fields else "✗"
            click.echo(f"      {mark} {label}：{(value or '—')[:60]}")
        click.echo(f"      附件 {detail.attachments} 个；页面类型 {detail.layout}")
        for problem in entry.problems:
            click.echo(f"    ✗ {problem}")
