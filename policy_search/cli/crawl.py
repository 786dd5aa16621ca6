"""`policy-search crawl` and `policy-search extract`: the crawler from the command line."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from policy_search.cli import open_store
from policy_search.cli.progress import CountProgress


@click.command("crawl")
@click.option("--source", "source_ids", multiple=True, metavar="ID",
              help="只抓取这个来源（可重复）；默认抓取全部启用的来源")
@click.option("--since", metavar="DATE", help="只收录该日期（含）之后发布的文件，如 2024-01-01")
@click.option("--max-pages", type=click.IntRange(min=1), metavar="N",
              help="每个列表最多读取的页数（默认取设置 crawl_max_pages）")
@click.option("--quiet", is_flag=True, help="只打印各来源的汇总")
@click.pass_obj
def crawl_command(settings, source_ids, since, max_pages, quiet):
    """抓取政策来源，写入数据库；可中断，重新运行会接着完成。"""
    from crawler.sources import SourceError
    from policy_search.app.ingest import crawl

    store = open_store(settings)
    progress = (lambda message: None) if quiet else (lambda message: click.echo(message, err=True))
    try:
        with CountProgress("补充标签与卡片") as line:
            def say(text: str) -> None:  # below the finished progress line
                line.close()
                click.echo(text)

            crawled = crawl(store, settings, note=say, source_ids=list(source_ids) or None,
                            since=since, max_pages=max_pages, progress=progress,
                            enrich_progress=None if quiet else line, follow_index=False)
    except (SourceError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc
    finally:
        store.close()
    results = crawled.results
    click.echo("各来源结果：")
    for result in results:
        click.echo("  " + result.summary().replace("\n", "\n  "))
    if crawled.explanation:
        click.echo(crawled.explanation, err=True)
    if results and all(r.status in ("failed", "blocked", "empty") for r in results):
        sys.exit(1)


@click.command("extract")
@click.argument("file_or_url")
@click.option("--url", "original_url", metavar="ORIGINAL_URL",
              help="保存页面的原始地址（用于相对链接和来源规则）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_obj
def extract_command(settings, file_or_url, original_url, as_json):
    """从一个保存的页面或在线地址提取字段，用于启用新来源前的检查。"""
    from crawler.encoding import decode_bytes
    from crawler.extract import extract_page
    from crawler.fetch import FetchError, Fetcher, FetchPolicy
    from crawler.sources import load_sources, source_for_url

    if file_or_url.startswith(("http://", "https://")):
        fetcher = Fetcher(FetchPolicy.from_settings(settings))
        try:
            response = fetcher.get(file_or_url)
        except FetchError as exc:
            raise click.ClickException(f"无法获取页面: {exc.detail}") from exc
        finally:
            fetcher.close()
        html, url = response.text(), original_url or response.url
    else:
        path = Path(file_or_url)
        if not path.is_file():
            raise click.BadParameter(f"文件不存在: {file_or_url}", param_hint="FILE_OR_URL")
        cap = settings.crawl_max_bytes  # the crawl's own cap: what it would not fetch
        if path.stat().st_size > cap:
            raise click.ClickException(
                f"文件有 {path.stat().st_size} 字节，超过上限 {cap} 字节（设置 crawl_max_bytes，"
                "抓取时也不接受更大的页面）")
        with open(path, "rb") as f:
            html, _ = decode_bytes(f.read(cap))  # no more, even if it grew meanwhile
        url = original_url
    source = source_for_url(load_sources(settings), url)
    page = extract_page(html, url, body_selector=source.body_selector if source else None,
                        title_selector=source.title_selector if source else None)
    data = page.to_json()
    data["level"] = source.level if source else None
    data["region"] = source.region_name if source else None
    data["region_code"] = source.region_code if source else None
    data["source_id"] = source.id if source else None
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for key in ("title", "issuer", "doc_number", "index_number", "topic", "written_date",
                "publish_date", "level", "region", "doc_kind", "layout"):
        click.echo(f"{key:13s} {data[key] if data[key] is not None else '—'}")
    click.echo(f"{'attachments':13s} {len(data['attachments'])}")
    click.echo("")
    click.echo(data["body"][:2000])
