"""The policies of a digest or a 汇编, chosen by a search through the index interface, and
the digest and booklet made of them.

No Flask here: the staff pages and the `policy-search digest` / `export` commands share it;
each passes in how it writes links.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from collections.abc import Callable

from index.api import Hit, SearchRequest
from policy_search.domain import booklet as booklets
from policy_search.domain import digest as digests
from policy_search.domain.models import DOC_KINDS, Policy
from policy_search.domain.taxonomy import current_taxonomy
from web.params import FACET_NAMES, SearchState, search_filters
from web.present import facet_value_label

DIGEST_MAX = 200  # policies in one digest
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


def support_order(store) -> list[str]:
    """The 支持方式 values in the taxonomy's order: the order of a digest's groups."""
    facet = current_taxonomy(store).facets.get("support")
    return [v.value for v in facet.values] if facet else []


def compose_digest(index, store, state: SearchState, *, since: str, today: dt.date,
                   grouping: str, title: str, link_for: Callable[[Policy], str | None],
                   more_link: str | None) -> digests.Digest:
    """The digest of the policies the search finds dated from `since` (7d, 2024-05-01) to
    today; PeriodError for a period it cannot read."""
    start = digests.period_start(since, today)
    chosen = newest(index, state, DIGEST_MAX, since=start, until=today)
    policies = store.policies.get_many([h.id for h in chosen.hits])
    return digests.build_digest(
        policies, store.cards.get_many([p.id for p in policies]), start=start, end=today,
        title=title or f"惠企政策速递（{digests.period_words(start, today)}）",
        description=describe_search(state), grouping=grouping,
        order=list(DOC_KINDS) if grouping == "kind" else support_order(store),
        link_for=link_for, more_link=more_link)


def compose_booklet(index, store, state: SearchState, *, limit: int, today: dt.date, title: str,
                    page_url: Callable[[Policy], str | None],
                    original_url: Callable[[Policy], str | None]) -> booklets.Booklet:
    """The 汇编 of the search: its newest `limit` policies (the total says how many matched)."""
    limit = max(1, limit)
    chosen = newest(index, state, limit)
    policies = store.policies.get_many([h.id for h in chosen.hits])
    return booklets.Booklet(
        title=title or "惠企政策汇编", description=describe_search(state), policies=policies,
        cards=store.cards.get_many([p.id for p in policies]), total=chosen.total, limit=limit,
        day=today, order=support_order(store), page_url=page_url, original_url=original_url)
