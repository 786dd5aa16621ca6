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
from crawler.run import STATUS_NAMES as CRAWL_STATUS_NAMES  # noqa: F401
from crawler.sources import DEFINITION_KEY, SourceError, parse_source, stored_definitions  # noqa: F401
from crawler.sources import load_all_sources as all_sources  # noqa: F401
from policy_search.regions import find_region_by_path, region_path, search_regions
from policy_search.url_safety import scheme_problem

# The CMS families an admin can add without code: entry kind -> name shown.
FAMILIES = {
    "trs": "TRS 列表页（index.htm / index_N.htm）",
    "hanweb": "大汉 Hanweb 栏目（col/colNNN/index.html）",
    "gkmlpt": "政务公开目录 gkmlpt（JSON 接口）",
    "links": "单个页面上的链接",
}
SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,48}$")


# Sources that are not crawled: where their policies came from instead.
BUILTIN_SOURCE_NAMES = {"snapshot": "离线快照", "import": "导入文件", "": "（无来源）"}
_REPOSITORY = re.compile(r"^[\w.-]+/[\w.-]+$", re.ASCII)


def source_names(settings, store) -> dict[str, str]:
    """Every known source's name as people read it: a crawl source's own name, the
    built-in ones (see source_name for the rest)."""
    names = dict(BUILTIN_SOURCE_NAMES)
    names.update({s.id: s.name for s in all_sources(settings, store)[0]})
    return names


def source_name(source_id: str | None, names: dict[str, str]) -> str:
    """A source id as a name: known ones by their names; the 来源 of an imported record
    that is a data set's repository path (owner/name) reads as that data set's name."""
    source_id = source_id or ""
    if source_id in names:
        return names[source_id]
    if _REPOSITORY.match(source_id):
        return f"导入数据集 {source_id.split('/', 1)[1]}"
    return source_id


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


def try_source(settings, raw: dict, *, public_only: bool = True):
    """A source definition not yet saved, tried the way `sources check` checks a source
    (its first list page and one detail page), with up to TRIAL_ITEMS items and the links
    its link pattern leaves out; nothing is kept."""
    from dataclasses import replace

    source = replace(parse_source(raw, "管理页面"), public_only=public_only)
    return check_sources([source], quick_policy(settings), trial=True)[0]


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
