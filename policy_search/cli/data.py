"""Commands on the store's data: import, stats, settings."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from policy_search.cli import open_store
from policy_search.cli.progress import CountProgress, ImportProgress
from policy_search.domain.models import LEVEL_NAMES
from policy_search.settings import Settings, describe

MAX_REJECTS_SHOWN = 50


@click.command("import")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["auto", "jsonl", "csv", "xlsx"]),
              default="auto", show_default=True, help="file format (auto: from the extension)")
@click.option("--source", "source_id", default="import", show_default=True,
              help="source id recorded for rows that name none")
@click.option("--quiet", is_flag=True, help="no progress line")
@click.option("--no-enrich", is_flag=True,
              help="skip auto-tagging, kinds and policy cards (run `tag auto`, `kind derive` and "
                   "`card extract` later)")
@click.pass_obj
def import_command(settings: Settings, paths, fmt, source_id, quiet, no_enrich):
    """Import policies from JSONL, CSV or XLSX files (headers: field names or 中文标签).

    Idempotent: importing the same file again changes nothing. Bad rows are
    reported with their line number and skipped.
    """
    from policy_search.domain.importer import ImportFileError, import_file

    store = open_store(settings)
    failed = False
    changed = 0
    for path in paths:
        try:
            with ImportProgress(f"导入 {path.name}") as line:
                summary = import_file(store, path, fmt=fmt, source_id=source_id,
                                      progress=None if quiet else line)
        except ImportFileError as exc:
            click.echo(f"错误: {path}: {exc}", err=True)
            failed = True
            continue
        for reject in summary.rejected[:MAX_REJECTS_SHOWN]:
            click.echo(f"{path}:{reject.line}: 已跳过: {reject.reason}", err=True)
        if len(summary.rejected) > MAX_REJECTS_SHOWN:
            click.echo(f"… 另有 {len(summary.rejected) - MAX_REJECTS_SHOWN} 行被拒绝", err=True)
        changed += summary.added + summary.updated
        click.echo(f"{path}: 新增 {summary.added}, 更新 {summary.updated}, "
                   f"未变 {summary.unchanged}, 拒绝 {len(summary.rejected)} "
                   f"(added {summary.added} / updated {summary.updated} / "
                   f"unchanged {summary.unchanged} / rejected {len(summary.rejected)})")
    if not no_enrich:
        enrich(store, quiet)
    if changed:
        from policy_search.app.delivery import queue_round

        job_id = queue_round(store, "命令行导入之后")
        if job_id:
            click.echo(f"推送任务 #{job_id} 已加入队列（由 policy-search worker 执行）")
    if failed:
        sys.exit(1)


def enrich(store, quiet: bool) -> None:
    """Tags and cards for what the import or crawl changed, with a progress line."""
    from policy_search.domain.derive import enrich_changed

    with CountProgress("补充标签与卡片") as line:
        summary = enrich_changed(store, None if quiet else line)
    click.echo(summary.describe())


@click.command("clean-bodies")
@click.option("--dry-run", is_flag=True, help="only count what would change")
@click.option("--quiet", is_flag=True, help="no progress line")
@click.option("--no-enrich", is_flag=True, help="skip re-deriving tags, kinds and cards")
@click.pass_obj
def clean_bodies_command(settings: Settings, dry_run: bool, quiet: bool, no_enrich: bool):
    """Strip page chrome (下载 打印 收藏, 【字号：…】, 分享到, 扫一扫…) and markdown marks from the
    stored bodies, as import and crawl now do on arrival.

    Only the bodies that change are written; the index follows through the change log, and
    the changed policies' tags, kinds and cards are derived again.
    """
    from policy_search.domain.cleaning import clean_stored_bodies

    store = open_store(settings)
    with CountProgress("清理正文") as line:
        summary = clean_stored_bodies(store, dry_run=dry_run, progress=None if quiet else line)
    verb = "可清理" if dry_run else "已清理"
    click.echo(f"检查 {summary.policies} 篇, {verb} {summary.cleaned} 篇 "
               f"(去掉 {summary.chars_removed} 个字符的页面杂项和 markdown 标记)")
    if summary.cleaned and not dry_run and not no_enrich:
        enrich(store, quiet)


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_obj
def stats_command(settings: Settings, as_json: bool):
    """Policy counts by level, region, source and review state."""
    store = open_store(settings)
    stats = store.policies.stats()
    total = store.policies.count()
    if as_json:
        click.echo(json.dumps({"total": total, **{k: dict(v) for k, v in stats.items()}},
                              ensure_ascii=False, indent=2))
        return
    click.echo(f"政策总数 (policies): {total}")
    titles = {"level": "层级 (level)", "region": "地区 (region)", "source": "来源 (source)",
              "review_state": "审核状态 (review state)"}
    for key, counter in stats.items():
        click.echo(f"\n{titles[key]}:")
        for value, count in counter.most_common():
            label = f"{value} {LEVEL_NAMES[value]}" if key == "level" and value in LEVEL_NAMES else value
            click.echo(f"  {label:<24} {count:>8}")


@click.command("settings")
@click.pass_obj
def settings_command(settings: Settings):
    """Every setting with its current value and what it does."""
    for name, default, help_text in describe():
        value = getattr(settings, name)
        if name in ("secret_key", "smtp_password") and value:
            value = "(set)"
        click.echo(f"{name:<24} {str(value):<40} {help_text} [default {default}]")
