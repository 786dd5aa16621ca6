"""Running a search for a view: parameters in, a SearchResult out (or a 503)."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort, request, url_for

from index.api import LIMITS, FacetCount, SearchResult
from policy_search.domain.deadlines import OUT_OF_FORCE
from policy_search.domain.regions import NATIONAL, find_region, parent_codes, region_name
from policy_search.domain.subjects import SEPARATOR as SUBJECT_SEPARATOR
from policy_search.domain.subjects import subject_depth, subject_path
from web.app import services
from web.params import ALL_VALIDITIES, FACET_NAMES, FILTERS, SearchState, parse_search_args
from web.present import facet_value_label

# How many values of a facet the page shows before "更多", and at most.
FACET_SHOWN = 8
FACET_MAX = 40
PAGE_MAX = LIMITS.page_size  # hits the index hands out per request
# Links that change the search land on the results, not the top of the page: on a phone
# the reader is back at the list (and the filter sheet closes) after each choice.
RESULTS_ANCHOR = "#results"


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


def collect_hits(state: SearchState, limit: int, **overrides) -> list:
    """Up to `limit` hits of the state's search, newest first, page by page (the index
    hands out at most 100 a page)."""
    if not index_usable():
        abort(503)
    hits: list = []
    page = 1
    while len(hits) < limit:
        request = state.to_request(sort="newest", page=page, size=min(PAGE_MAX, limit),
                                   highlight=False, facets=False, **overrides)
        result = services().index.search(request)
        hits += result.hits
        if not result.hits or page * request.size >= result.total:
            break
        page += 1
    return hits[:limit]


@dataclass
class FacetItem:
    value: str
    label: str
    count: int
    active: bool
    href: str
    depth: int = 0  # 地区: 0 全国 and provinces, 1 cities, 2 counties (the list is a tree)


@dataclass
class FacetView:
    key: str
    name: str
    items: list[FacetItem]
    shown: int  # items listed before "更多"
    note: str = ""
    # 适用地区: the results by the level they apply at (全国性, 省级, 市级, 县级), on top
    levels: list[FacetItem] = field(default_factory=list)
    levels_name: str = ""


REGION_NOTE = "选一个地区：列出在该地适用的政策，含全国和上级政策；数字为适用的政策数"


def hidden_by_default(result: SearchResult, state: SearchState) -> int:
    """How many 失效 / 废止 policies the validity default leaves out of this search
    (facet counts are taken without the facet's own filter, so they are there)."""
    if not state.validity_default:
        return 0
    return sum(c.count for c in result.facets.get("validity", []) if c.value in OUT_OF_FORCE)


def facet_views(result: SearchResult, state: SearchState) -> list[FacetView]:
    """Facets as the page lists them, links precomputed (cheaper than template macros).

    Values come in the index's order (`SearchResult.facets`). An active value is always
    listed, even at count 0; at most FACET_MAX values per facet are listed (active ones on
    top of that), the first FACET_SHOWN open.
    """
    views = []
    for key in FILTERS:
        counts = list(result.facets.get(key, []))
        if key == "subject":
            counts = subject_tree(counts)
        active = [v for v in state.filters.get(key, []) if v != ALL_VALIDITIES]
        listed = counts[:FACET_MAX]
        present = {c.value for c in listed}
        listed += [c for c in counts[FACET_MAX:] if c.value in active]
        present.update(c.value for c in listed)
        listed += [FacetCount(v, 0) for v in active if v not in present]
        if not listed:
            continue
        items = [FacetItem(c.value, _item_label(key, c.value), c.count, c.value in active,
                           state.toggle_href(key, c.value) + RESULTS_ANCHOR, _depth(key, c.value))
                 for c in listed]
        shown = max([FACET_SHOWN] + [n + 1 for n, item in enumerate(items) if item.active])
        views.append(FacetView(key, FACET_NAMES[key], items, shown))
    return _nest_scope(views)


def subject_tree(counts: list[FacetCount]) -> list[FacetCount]:
    """主题分类 as a tree: top categories by count, each followed by its sub-categories."""
    by_parent: dict[str, list[FacetCount]] = {}
    for count in counts:
        path = subject_path(count.value)
        by_parent.setdefault(SUBJECT_SEPARATOR.join(path[:-1]), []).append(count)
    ordered: list[FacetCount] = []

    def walk(parent: str) -> None:
        for child in sorted(by_parent.get(parent, []), key=lambda c: (-c.count, c.value)):
            ordered.append(child)
            walk(child.value)

    walk("")
    listed = {c.value for c in ordered}
    return ordered + [c for c in counts if c.value not in listed]  # a parent cut off by the limit


def _item_label(key: str, value: str) -> str:
    """A sub-category reads as its own name under its parent (the tree shows the path)."""
    if key == "subject":
        return (subject_path(value) or (value,))[-1]
    return facet_value_label(key, value)


def _depth(key: str, value: str) -> int:
    """How far a region sits below its province in the tree (浦东新区: 1, 长沙县: 2); how deep a
    主题分类 sits below its top category."""
    if key == "subject":
        return min(subject_depth(value), 2)
    if key != "region":
        return 0
    region = find_region(value)
    if region is None:
        return 0
    return sum(1 for code in parent_codes(region.code)[1:]
               if code != NATIONAL and region_name(code))


def _nest_scope(views: list[FacetView]) -> list[FacetView]:
    """适用范围 shows inside 适用地区: how many results apply nationally, provincially …"""
    by_key = {v.key: v for v in views}
    scope, region = by_key.get("scope"), by_key.get("region")
    if region is None:
        return views
    region.note = REGION_NOTE
    if scope is not None:
        region.levels, region.levels_name = scope.items, scope.name
        views = [v for v in views if v.key != "scope"]
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
