"""`policy-search digest` (the 公众号 digest) and `policy-search export` (the 政策汇编).

Both take a search as the search command does (words and filter options: `创业 --region
长沙县 --support 资金补贴奖励`) or as the parameters of /api/search, `key=value` arguments or a
whole query string copied from the site's address bar: `region=长沙县 support=资金补贴奖励` or
`'region=长沙县&support=资金补贴奖励'`. Links point at the site's policy pages when its address
is known (`public_base_url`, or --base-url), else at the original on a government site.
"""
from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import parse_qsl

import click

from policy_search.cli import open_store
from policy_search.cli.search import filter_options
from policy_search.settings import Settings

_FORMAT_SUFFIX = {"wechat": "html", "html": "html", "markdown": "md", "text": "txt"}


def search_state(settings: Settings, params: tuple[str, ...], filters: dict | None = None):
    """The SearchState of the search command's words and filter options (--region 长沙县) and
    of /api/search parameters; a usage error names what is wrong."""
    from werkzeug.datastructures import MultiDict

    from web.params import FILTERS, PARAM_ORDER, ParamError, parse_search_args

    pairs, words = [], []
    for param in params:
        if "=" not in param:  # a search word, as in `policy-search search 创业 担保`
            words.append(param)
            continue
        found = parse_qsl(param.lstrip("?"), keep_blank_values=True)
        if not found:
            raise click.UsageError(f"检索参数应写作 key=value：{param!r}")
        pairs += found
    if words:
        query = " ".join([*(value for key, value in pairs if key == "q"), *words])
        pairs = [("q", query), *(pair for pair in pairs if pair[0] != "q")]
    pairs += [(key, value) for key, values in (filters or {}).items() for value in values]
    unknown = sorted({key for key, _ in pairs if key not in PARAM_ORDER})
    if unknown:
        raise click.UsageError(f"未知的检索参数 {', '.join(unknown)}；可用：q, {', '.join(FILTERS)}, sort")
    try:
        return parse_search_args(MultiDict(pairs), default_size=settings.search_page_size,
                                 max_size=settings.search_max_page_size)
    except ParamError as exc:
        raise click.UsageError(f"{exc.param}: {exc.message}") from None


def open_index(settings: Settings, store):
    from index.search import SearchIndex

    index = SearchIndex(settings.index_path)
    if not index.is_usable():
        raise click.ClickException("索引尚未建立：先运行 policy-search index rebuild")
    return index


def link_makers(settings: Settings, store, base_url: str | None):
    """(link to a policy's page on the site, link to its original on a government site)."""
    from crawler.sources import load_all_sources
    from policy_search.domain.links import original_url

    sources, _problems = load_all_sources(settings, store)
    hosts = [h for s in sources for h in s.allowed_hosts]
    base = (base_url or settings.public_base_url or "").strip().rstrip("/")

    def original(policy):
        return original_url(policy.url, hosts)

    def page(policy):
        return f"{base}/policy/{policy.id}" if base else None

    return page, original, base


@click.command("digest")
@click.argument("params", nargs=-1)
@click.option("--since", default="7d", show_default=True,
              help="period: 7d, 2w, 1m (30 days) or a first day 2024-05-01; ends today")
@click.option("--format", "fmt", type=click.Choice(["wechat", "html", "markdown", "text"]),
              default="wechat", show_default=True,
              help="wechat: HTML with inline styles only, pastes into the 公众号 editor")
@click.option("--group", type=click.Choice(["support", "kind", "none"]), default="support",
              show_default=True, help="group by 支持方式, 文件类型, or not at all")
@click.option("--title", default="", help="heading (default: 惠企政策速递（period）)")
@click.option("--base-url", default=None, help="the site's address for links (default: public_base_url)")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="write to this file (default: standard output)")
@filter_options
@click.pass_obj
def digest_command(settings: Settings, params, since, fmt, group, title, base_url, output, **filters):
    """The 公众号 digest: the policies published in the period that a search finds.

    PARAMS are search words and /api/search parameters (region=长沙县 support=资金补贴奖励);
    the filter options do the same (--region 长沙县 --support 资金补贴奖励).
    """
    from policy_search.domain.deadlines import china_today
    from policy_search.domain.digest import PeriodError, render
    from web.selection import compose_digest

    state = search_state(settings, params, filters)
    store = open_store(settings)
    index = open_index(settings, store)
    page, original, base = link_makers(settings, store, base_url)
    query = state.query_string(page=1, sort="newest")
    try:
        digest = compose_digest(
            index, store, state, since=since, today=china_today(), grouping=group, title=title,
            link_for=lambda p: page(p) or original(p),
            more_link=f"{base}/" + (f"?{query}" if query else "") if base else None)
    except PeriodError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    if not base:
        click.echo("提示：未设置 public_base_url（或 --base-url），链接指向政府网站上的原文。", err=True)
    text = render(digest, fmt)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"已写入 {output}：{digest.count} 条政策", err=True)
    else:
        sys.stdout.write(text)


@click.command("export")
@click.argument("params", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["docx", "xlsx"]), default=None,
              help="docx: the booklet (cover, contents, each policy's card); xlsx: a row per policy"
                   " (default: from the file name)")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="the file to write (.docx or .xlsx)")
@click.option("--title", default="", help="cover title (default: 惠企政策汇编)")
@click.option("--max", "limit", type=click.IntRange(1, 5000), default=None,
              help="most policies (default: export_max_policies)")
@click.option("--base-url", default=None, help="the site's address for links (default: public_base_url)")
@filter_options
@click.pass_obj
def export_command(settings: Settings, params, fmt, output, title, limit, base_url, **filters):
    """The 政策汇编 of a search as DOCX or XLSX (the newest policies first).

    PARAMS are search words and /api/search parameters (region=长沙县 enterprise=专精特新);
    the filter options do the same (--region 长沙县 --enterprise 专精特新).
    """
    from policy_search.domain.booklet import write
    from policy_search.domain.deadlines import china_today
    from web.selection import compose_booklet

    fmt = fmt or output.suffix.lower().lstrip(".")
    if fmt not in ("docx", "xlsx"):
        raise click.BadParameter("用 --format docx|xlsx 指定，或让文件名以 .docx / .xlsx 结尾",
                                 param_hint="--format")
    state = search_state(settings, params, filters)
    store = open_store(settings)
    index = open_index(settings, store)
    page, original, _base = link_makers(settings, store, base_url)
    book = compose_booklet(index, store, state, limit=limit or settings.export_max_policies,
                           today=china_today(), title=title, page_url=page, original_url=original)
    partial = output.with_name(output.name + ".part")  # a failed export leaves no half file
    try:
        with open(partial, "wb") as out:
            write(book, fmt, out)
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"已写入 {output}：{book.scope_note()}")
