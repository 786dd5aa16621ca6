"""The crawler's sources as the site reads them: the list and the names of sources,
source definitions (crawler.definitions) and a source's check (its first list page and
one detail page, fetched while the admin waits). The one web module that imports the
crawler; crawls themselves run as jobs (policy_search.jobs), not here.

Sources come from the crawler's TOML file; sources an admin adds on the sources page are
kept in the store (the source row's state, key "definition") and listed with them.
"""
from __future__ import annotations

import re

# What the admin pages use of the crawler is passed on from here.
from crawler.check import check_sources, quick_policy, save_check
from crawler.definitions import FAMILIES, build_definition, definition_urls  # noqa: F401
from crawler.run import STATUS_NAMES as CRAWL_STATUS_NAMES  # noqa: F401
from crawler.sources import DEFINITION_KEY, SourceError, parse_source, stored_definitions  # noqa: F401
from crawler.sources import load_all_sources as all_sources  # noqa: F401

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


def try_source(settings, raw: dict, *, public_only: bool = True):
    """A source definition not yet saved, tried the way `sources check` checks a source
    (its first list page and one detail page), with up to TRIAL_ITEMS items and the links
    its link pattern leaves out; nothing is kept."""
    from dataclasses import replace

    source = replace(parse_source(raw, "管理页面"), public_only=public_only)
    return check_sources([source], quick_policy(settings), trial=True)[0]


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
