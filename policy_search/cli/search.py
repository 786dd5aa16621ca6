"""Index and search commands: `index rebuild|status|update` and `search QUERY`."""
from __future__ import annotations

import dataclasses
import json
import sys

import click

from policy_search.cli import open_store
from policy_search.cli.progress import CountProgress
from policy_search.settings import Settings


@click.group("index")
def index_group():
    """维护搜索索引: rebuild (full, atomic switch), update (apply changes), status."""


@index_group.command("rebuild")
@click.option("--procs", type=int, default=None, help="worker processes (default: cores, at most 2)")
@click.option("--full", is_flag=True, help="rewrite every bucket, even unchanged ones")
@click.option("--quiet", is_flag=True, help="no progress lines")
@click.pass_obj
def rebuild_command(settings: Settings, procs, full, quiet):
    """Build a new index from the store beside the live one and switch to it atomically.

    Search keeps answering from the old index meanwhile; buckets of documents that did
    not change are taken over from the live index, changed documents reuse their cached
    tokens.
    """
    from index.build import VerifyError, rebuild
    from index.layout import RebuildRunning

    store = open_store(settings)
    try:
        with CountProgress("重建索引") as line:
            report = rebuild(store, settings.index_path, progress=None if quiet else line,
                             procs=procs, reuse=not full)
    except RebuildRunning as exc:
        raise click.ClickException(str(exc)) from None
    except VerifyError as exc:
        raise click.ClickException(f"新索引校验失败，旧索引继续服务: {exc}") from None
    click.echo(f"索引已切换到 {report.generation}: {report.documents} 篇，"
               f"沿用未变分桶 {report.reused}，重新分词 {report.analyzed}，缓存 {report.from_cache}，"
               f"追加变更 {report.caught_up}，用时 {report.seconds:.1f} 秒")


@index_group.command("update")
@click.pass_obj
def update_command(settings: Settings):
    """Apply the store's changes since the last update to the live index."""
    from index.build import sync

    store = open_store(settings)
    report = sync(store, settings.index_path)
    click.echo(f"已应用 {report.applied} 个更新、{report.deleted} 个删除 "
               f"(变更序号 {report.seq}，用时 {report.seconds:.2f} 秒)")


@index_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.pass_obj
def status_command(settings: Settings, as_json):
    """Generation, document counts and staleness of the index."""
    from index.build import index_status

    store = open_store(settings)
    status = index_status(settings.index_path, store)
    if as_json:
        click.echo(json.dumps(status.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(f"索引目录: {settings.index_path}")
    click.echo(f"状态: {status.message}")
    click.echo(f"当前版本: {status.generation or '-'} (格式 {status.schema})")
    click.echo(f"索引文档数: {status.documents}  库中文档数: {status.store_documents}")
    click.echo(f"已应用变更序号: {status.applied_seq} / 库中最新 {status.store_seq}"
               f"  待处理 {status.pending_changes}"
               + (f" (最早 {status.oldest_pending_at})" if status.oldest_pending_at else ""))
    click.echo(f"切换时间: {status.switched_at or '-'}  大小: {status.size_bytes / 1e6:.1f} MB")
    click.echo(f"磁盘上的版本: {', '.join(status.generations_on_disk) or '-'}")
    if not status.usable:
        sys.exit(1)


@click.command("search")
@click.argument("query", nargs=-1)
@click.option("--level", multiple=True, help="national|provincial|city|county (repeatable)")
@click.option("--region", multiple=True,
              help="适用地区: 名称或 GB/T 2260 代码 (含在该地适用的全国和上级政策)")
@click.option("--scope", multiple=True, help="适用范围 national|provincial|city|county (repeatable)")
@click.option("--issued-region", "issued_region", multiple=True,
              help="发文地区: 名称或代码 (含下级地区发布的政策)")
@click.option("--industry", multiple=True, help="行业标签")
@click.option("--support", multiple=True, help="支持方式标签")
@click.option("--enterprise", multiple=True, help="企业类型标签")
@click.option("--issuer", multiple=True, help="发文机关")
@click.option("--year", multiple=True, help="年份 YYYY 或 YYYY-YYYY")
@click.option("--validity", multiple=True, help="有效|失效|废止|部分失效|未知")
@click.option("--kind", multiple=True,
              help="惠企措施|申报通知|政策解读|法律法规|司法解释|工作报告与规划|公告公示|其他")
@click.option("--huiqi", multiple=True, type=click.Choice(["是", "否"]), help="惠企政策: 是|否")
@click.option("--sort", type=click.Choice(["relevance", "newest", "deadline"]), default="relevance",
              show_default=True)
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--size", type=int, default=None, help="results per page (default: setting)")
@click.option("--facets/--no-facets", default=False, help="also print facet counts")
@click.option("--json", "as_json", is_flag=True, help="the full result as JSON")
@click.pass_obj
def search_command(settings: Settings, query, sort, page, size, facets, as_json, **filters):
    """Search the index: 中文关键词 (spaces optional), "引号短语", or a 文号."""
    from index.api import SearchRequest
    from index.search import SearchIndex

    index = SearchIndex(settings.index_path)
    request = SearchRequest(
        q=" ".join(query), sort=sort, page=page, size=size or settings.search_page_size,
        filters={k: list(v) for k, v in filters.items() if v}, facets=facets or as_json,
    )
    result = index.search(request)
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(result), ensure_ascii=False, indent=2))
        return
    click.echo(f"共 {result.total} 条 (第 {result.page} 页，{result.took_ms:.1f} 毫秒，方式 {result.mode})")
    if result.message:
        click.echo(f"提示: {result.message}")
    if result.suggestion:
        click.echo(f"建议: {result.suggestion}")
    start = (result.page - 1) * result.size
    for number, hit in enumerate(result.hits, start + 1):
        meta = " | ".join(x for x in (hit.doc_number, hit.issuer, hit.region, hit.publish_date,
                                      hit.validity) if x)
        click.echo(f"{number:3d}. {hit.title}")
        click.echo(f"     {meta}")
        if hit.url:
            click.echo(f"     {hit.url}")
        if hit.snippet:
            click.echo("     " + _plain(hit.snippet))
    if facets:
        for key, counts in result.facets.items():
            if counts:
                click.echo(f"[{key}] " + "  ".join(f"{c.value}({c.count})" for c in counts[:10]))


def _plain(html: str) -> str:
    from html import unescape

    return unescape(html.replace("<mark>", "【").replace("</mark>", "】"))
