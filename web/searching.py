"""Running a search for a view: parameters in, a SearchResult out (or a 503)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, request, url_for

from index.api import FACETS, FacetCount, SearchResult
from policy_search.models import LEVELS
from web.app import services
from web.params import FACET_NAMES, SearchState, parse_search_args
from web.present import facet_value_label

# How many values of a facet the page shows before "更多", and at most.
FACET_SHOWN = 8
FACET_MAX = 40


def parse_state(args=None) -> SearchState:
    settings = services().settings
    state = parse_search_args(request.args if args is None else args,
                              default_size=settings.search_page_size,
                              max_size=settings.search_max_page_size)
    state.base = url_for("public.search_page")
    return state


def index_usable() -> bool:
    index = services().index
    try:
        return index is not None and index.is_usable()
    except Exception:  # a broken index directory must give 503, not 500
        return False


def run_search(state: SearchState, **overrides) -> SearchResult:
    """Search with the state; browsing without words lists the newest first."""
    if not index_usable():
        abort(503)
    search_request = state.to_request(**overrides)
    if not search_request.q and search_request.sort == "relevance":
        search_request.sort = "newest"
    return services().index.search(search_request)


@dataclass
class FacetItem:
    value: str
    label: str
    count: int
    active: bool
    href: str


@dataclass
class FacetView:
    key: str
    name: str
    items: list[FacetItem]
    shown: int  # items listed before "更多"


def facet_views(result: SearchResult, state: SearchState) -> list[FacetView]:
    """Facets as the page lists them, links precomputed (cheaper than template macros).

    An active value is always listed, even at count 0; at most FACET_MAX values per
    facet are listed (active ones on top of that), the first FACET_SHOWN open.
    """
    views = []
    for key in FACETS:
        counts = list(result.facets.get(key, []))
        if key == "level":
            counts.sort(key=lambda c: LEVELS.index(c.value) if c.value in LEVELS else len(LEVELS))
        elif key == "year":
            counts.sort(key=lambda c: c.value, reverse=True)
        active = state.filters.get(key, [])
        listed = counts[:FACET_MAX]
        present = {c.value for c in listed}
        listed += [c for c in counts[FACET_MAX:] if c.value in active]
        present.update(c.value for c in listed)
        listed += [FacetCount(v, 0) for v in active if v not in present]
        if not listed:
            continue
        items = [FacetItem(c.value, facet_value_label(key, c.value), c.count, c.value in active,
                           state.toggle_href(key, c.value)) for c in listed]
        shown = max([FACET_SHOWN] + [n + 1 for n, item in enumerate(items) if item.active])
        views.append(FacetView(key, FACET_NAMES[key], items, shown))
    return views


def page_numbers(current: int, last: int, width: int = 2) -> list[int | None]:
    """Page links around the current page, with None for a gap: 1 … 4 5 [6] 7 8 … 20."""
    if last <= 1:
        return [1] if last == 1 else []
    shown = {1, last, *range(max(1, current - width), min(last, current + width) + 1)}
    numbers: list[int | None] = []
    previous = 0
    for number in sorted(shown):
        if number - previous > 1:
            numbers.append(None)
        numbers.append(number)
        previous = number
    return numbers
