"""Source definitions an admin writes on the sources page (kept in the store, beside the
TOML file's): the form's fields read into a definition, checked the crawler's way."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from crawler.sources import SourceError, parse_source
from policy_search.domain.regions import find_region_by_path, region_path, search_regions
from policy_search.domain.url_safety import scheme_problem

# The CMS families an admin can add without code: entry kind -> name shown.
FAMILIES = {
    "trs": "TRS 列表页（index.htm / index_N.htm）",
    "hanweb": "大汉 Hanweb 栏目（col/colNNN/index.html）",
    "gkmlpt": "政务公开目录 gkmlpt（JSON 接口）",
    "links": "单个页面上的链接",
}
SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,48}$")
# Seconds between two requests to a host of a source added on the sources page (polite to
# a county's small server; the global crawl_delay applies when it is larger).
FORM_SOURCE_DELAY = 1.0


def build_definition(form: dict) -> dict:
    """A source definition from the add/edit form; SourceError says what is wrong."""
    source_id = (form.get("id") or "").strip().lower()
    if not SOURCE_ID.match(source_id):
        raise SourceError("来源编号须为 2–49 个小写字母、数字或连字符")
    family = form.get("family", "")
    if family not in FAMILIES:
        raise SourceError("请选择已知的网站类型")
    name = (form.get("name") or "").strip()
    if not name or len(name) > 100:
        raise SourceError("请填写来源名称（最多 100 字）")
    region = source_region(form.get("region") or form.get("region_code") or "")
    url = (form.get("url") or "").strip()
    entry = {"kind": family, "url": url}
    page_url = (form.get("page_url") or "").strip()
    for address in (url, page_url):  # the scheme before anything derived from the host
        problem = scheme_problem(address) if address else None
        if problem:
            raise SourceError(problem)
    if page_url:
        entry["page_url"] = page_url
    host = (urlsplit(url).hostname or "").lower()
    raw = {
        "id": source_id, "name": name, "region_code": region.code,
        "allowed_hosts": [host] if host else [], "entries": [entry],
        "delay": FORM_SOURCE_DELAY, "extractor": "auto", "enabled": True,
    }
    if form.get("level"):
        raw["level"] = form["level"]
    pattern = (form.get("link_pattern") or "").strip()
    if pattern:
        raw["link_pattern"] = pattern
    parse_source(raw, "管理页面")  # the crawler's own checks
    return raw


def source_region(text: str):
    """The region an admin chose (a name, a path like 湖南省 长沙市 长沙县, or a code)."""
    text = " ".join(text.split())
    if not text:
        raise SourceError("请选择来源所在的地区")
    region = find_region_by_path(text)
    if region is not None:
        return region
    same = [r for r in search_regions(text, limit=50) if r.name == text.replace(" ", "")]
    if len(same) > 1:
        raise SourceError(f"“{text}”有 {len(same)} 个同名地区（"
                          + "、".join(region_path(r.code) for r in same[:6])
                          + "），请从列表中选择带上级地区的一项")
    raise SourceError(f"未知的地区：{text}（请从列表中选择）")


def definition_urls(raw: dict) -> list[str]:
    """Every URL of a definition the crawler would request first (each must be safe)."""
    urls = []
    for entry in raw.get("entries", []):
        urls.append(entry["url"])
        if entry.get("page_url"):
            urls.append(entry["page_url"].replace("{n}", "2").replace("{page}", "2"))
    return urls
