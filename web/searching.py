"""Running a search for a view: parameters in, a SearchResult out (or a 503)."""
from __future__ import annotations

from flask import abort, request

from index.api import FACETS, FacetCount, SearchResult
from policy_search.models import LEVELS
from web.app import services
from web.params import SearchState, parse_search_args

# How many values of a facet the page shows before "更多".
FACET_SHOWN = 8


def parse_state(args=None) -> SearchState:
    settings = services().settings
    return parse_search_args(request.args if args is None else args,
                             default_size=settings.search_page_size,
                             max_size=settings.search_max_page_size)


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


def facet_lists(result: SearchResult, state: SearchState) -> list[tuple[str, list[FacetCount]]]:
    """Facets in display order; an active value always listed, even at count 0."""
    lists = []
    for key in FACETS:
        counts = list(result.facets.get(key, []))
        present = {c.value for c in counts}
        counts.extend(FacetCount(v, 0) for v in state.filters.get(key, []) if v not in present)
        if key == "level":
            counts.sort(key=lambda c: LEVELS.index(c.value) if c.value in LEVELS else len(LEVELS))
        elif key == "year":
            counts.sort(key=lambda c: c.value, reverse=True)
        if counts:
            lists.append((key, counts))
    return lists


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
