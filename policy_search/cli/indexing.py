"""`policy-search index rebuild|update|status`: keeping the search index."""
from __future__ import annotations

import json
import sys

import click

from policy_search.cli import open_store
from policy_search.cli.progress import CountProgress
from policy_search.domain.local_time import beijing_time
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
    from index.api import index_status

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
               + (f" (最早 {beijing_time(status.oldest_pending_at)})" if status.oldest_pending_at else ""))
    click.echo(f"切换时间: {beijing_time(status.switched_at) or '-'}（北京时间）  大小: {status.size_bytes / 1e6:.1f} MB")
    click.echo(f"磁盘上的版本: {', '.join(status.generations_on_disk) or '-'}")
    if not status.usable:
        sys.exit(1)
