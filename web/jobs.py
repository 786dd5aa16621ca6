"""What the admin pages need from the crawler: the list of sources, source definitions
checked the crawler's way, and a source's check (its first list page and one detail
page, fetched while the admin waits). (The one web module allowed to import crawler.)

Sources come from the crawler's TOML file; sources an admin adds on the sources page are
kept in the store (the source row's state, key "definition") and listed with them.
"""
from __future__ import annotations

import re

# DEFINITION_KEY, all_sources and stored_definitions are passed on to the admin pages.
from crawler.check import check_sources, quick_policy, save_check
from crawler.sources import DEFINITION_KEY, SourceError, parse_source, stored_definitions  # noqa: F401
from crawler.sources import load_all_sources as all_sources  # noqa: F401
from policy_search.regions import find_region
from policy_search.url_safety import scheme_problem

# The CMS families an admin can add without code: entry kind -> name shown.
FAMILIES = {
    "trs": "TRS 列表页（index.htm / index_N.htm）",
    "hanweb": "大汉 Hanweb 栏目（col/colNNN/index.html）",
    "gkmlpt": "政务公开目录 gkmlpt（JSON 接口）",
    "links": "单个页面上的链接",
}
SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,48}$")


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
    region = find_region((form.get("region_code") or "").strip())
    if region is None:
        raise SourceError("未知的行政区划代码")
    url = (form.get("url") or "").strip()
    entry = {"kind": family, "url": url}
    page_url = (form.get("page_url") or "").strip()
    for address in (url, page_url):  # the scheme before anything derived from the host
        problem = scheme_problem(address) if address else None
        if problem:
            raise SourceError(problem)
    if page_url:
        entry["page_url"] = page_url
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    raw = {
        "id": source_id, "name": name, "region_code": region.code,
        "allowed_hosts": [host] if host else [], "entries": [entry],
        "delay": 1.0, "extractor": "auto", "enabled": True,
    }
    if form.get("level"):
        raw["level"] = form["level"]
    pattern = (form.get("link_pattern") or "").strip()
    if pattern:
        raw["link_pattern"] = pattern
    parse_source(raw, "管理页面")  # the crawler's own checks
    return raw


def definition_urls(raw: dict) -> list[str]:
    """Every URL of a definition the crawler would request first (each must be safe)."""
    urls = []
    for entry in raw.get("entries", []):
        urls.append(entry["url"])
        if entry.get("page_url"):
            urls.append(entry["page_url"].replace("{n}", "2").replace("{page}", "2"))
    return urls


def source_hosts(settings, store) -> tuple[str, ...]:
    """Every host a crawl source may fetch from (its site counts as a government site)."""
    sources, _problems = all_sources(settings, store)
    return tuple(sorted({h.lower() for s in sources for h in s.allowed_hosts if h}))


def check_one_source(settings, store, source):
    """`sources check` for one source, with a waiting admin's timeouts; the result is
    kept with the source (crawler/check.py)."""
    result = check_sources([source], quick_policy(settings))[0]
    save_check(store, result)
    return result
