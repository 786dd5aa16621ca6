"""The policies of a digest or a 汇编, chosen by a search through the index interface.

No Flask here: the staff pages and the `policy-search digest` / `export` commands share it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from index.api import Hit, SearchRequest
from web.params import FACET_NAMES, SearchState, search_filters
from web.present import facet_value_label

PAGE_SIZE = 100  # the most hits the index hands out per request
MAX_WALK = 5000  # the deepest the index pages (a period beyond it is counted as that many)


@dataclass
class Selection:
    hits: list[Hit]
    total: int      # how many the search matches (in the period, when one is asked)
    cut: bool       # more matched than `limit`


def newest(index, state: SearchState, limit: int, *, since: dt.date | None = None,
           until: dt.date | None = None) -> Selection:
    """The search's hits newest first, at most `limit`; with `since`/`until`, only those
    dated in the period (the walk stops at the first one older than it)."""
    hits: list[Hit] = []
    total = 0
    page = 1
    while True:
        request = SearchRequest(q=state.q, filters=search_filters(state.filters), sort="newest",
                                page=page, size=PAGE_SIZE, highlight=False, facets=False)
        result = index.search(request)
        older = False
        for hit in result.hits:
            day = (hit.publish_date or "")[:10]
            if until is not None and day > until.isoformat():
                continue
            if since is not None and (not day or day < since.isoformat()):
                older = True
                break
            total += 1
            if len(hits) < limit:
                hits.append(hit)
        if since is None:
            total = result.total
        last = older or not result.hits or page * PAGE_SIZE >= min(result.total, MAX_WALK)
        if last or (since is None and len(hits) >= limit):
            break
        page += 1
    return Selection(hits, total, total > len(hits))


def describe_search(state: SearchState) -> str:
    """The search in words, for a cover or an intro: 关键词“补贴”；适用地区：长沙县."""
    parts = [f"关键词“{state.q}”"] if state.q else []
    by_key: dict[str, list[str]] = {}
    for key, value in state.active_filters:
        by_key.setdefault(key, []).append(facet_value_label(key, value))
    parts += [f"{FACET_NAMES[key]}：{'、'.join(values)}" for key, values in by_key.items()]
    return "；".join(parts)
