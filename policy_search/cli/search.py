"""`policy-search search QUERY`: the site's search from the terminal."""
from __future__ import annotations

import dataclasses
import json

import click

from policy_search.settings import Settings


def filter_options(command):
    """The search filters as options (--region 长沙县 --support 资金补贴奖励, repeatable): the
    search command's, shared by `digest` and `export`."""
    for option in reversed((
        click.option("--level", multiple=True, help="national|provincial|city|county (repeatable)"),
        click.option("--region", multiple=True,
                     help="适用地区: 名称或 GB/T 2260 代码 (含在该地适用的全国和上级政策)"),
        click.option("--scope", multiple=True, help="适用范围 national|provincial|city|county (repeatable)"),
        click.option("--issued-region", "issued_region", multiple=True,
                     help="发文地区: 名称或代码 (含下级地区发布的政策)"),
        click.option("--industry", multiple=True, help="行业标签"),
        click.option("--support", multiple=True, help="支持方式标签"),
        click.option("--enterprise", multiple=True, help="企业类型标签"),
        click.option("--issuer", multiple=True, help="发文机关"),
        click.option("--year", multiple=True, help="年份 YYYY 或 YYYY-YYYY"),
        click.option("--validity", multiple=True, help="有效|失效|废止|部分失效|未知"),
        click.option("--kind", multiple=True,
                     help="惠企措施|申报通知|政策解读|法律法规|司法解释|工作报告与规划|公告公示|其他"),
        click.option("--huiqi", multiple=True, type=click.Choice(["是", "否"]), help="惠企政策: 是|否"),
        click.option("--subject", multiple=True, help="主题分类 (含下级分类), e.g. 财政、金融、审计"),
    )):
        command = option(command)
    return command


@click.command("search")
@click.argument("query", nargs=-1)
@filter_options
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
