"""The index's public interface: a request in, hits and facets out; the index opened,
its status, and the background sync that follows the store.

`web` depends only on this module, so a second backend (OpenSearch, say) can
implement `search(request) -> SearchResult` without touching the site.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from policy_search.domain.store import Store

from policy_search.domain.deadlines import DEADLINE_STATUSES
from policy_search.domain.kinds import HUIQI_NO, HUIQI_YES
from policy_search.domain.models import DOC_KINDS, LEVELS

SORTS = ("relevance", "newest", "deadline")
# Filter / facet keys, as in /api/search parameters. `region` is where a policy applies
# (national, provincial and city policies apply in 长沙县 too), `scope` the level it applies
# at (national … county), `issued_region` where it was issued. `subject` (主题分类) is a
# path: a category finds its sub-categories' documents too.
FACETS = ("level", "region", "scope", "issued_region", "industry", "support", "enterprise",
          "issuer", "year", "validity", "kind", "huiqi", "deadline", "subject")

# Facets whose values read best in their own order rather than by count.
FACET_ORDER = {"level": LEVELS, "scope": LEVELS, "deadline": DEADLINE_STATUSES,
               "kind": DOC_KINDS, "huiqi": (HUIQI_YES, HUIQI_NO)}


@dataclass(frozen=True)
class SearchLimits:
    """What one search may ask for. Deep pages and long value lists cost the index more
    than they are worth to anyone reading them. The site refuses a request past these
    (400) and states them in its OpenAPI document; a backend clamps what reaches it
    anyway (with a note in `SearchResult.message`)."""
    query_chars: int = 200
    page_size: int = 100
    result_window: int = 5000   # page × size
    values_per_facet: int = 30  # filter values of one facet
    value_chars: int = 100      # one filter value

    def last_page(self, size: int) -> int:
        """The deepest page of `size` hits a search may ask for."""
        return max(1, self.result_window // max(1, size))

    def page_problem(self, page: int, size: int) -> str | None:
        """Why a page is out of reach (Chinese, for the user); None when it is not."""
        if page > self.last_page(size):
            return f"最多只能翻到第 {self.last_page(size)} 页（每页 {size} 条），请缩小检索范围"
        return None


LIMITS = SearchLimits()


@dataclass
class SearchRequest:
    q: str = ""
    # facet key -> accepted values (OR within a facet, AND across facets)
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    size: int = 10
    highlight: bool = True
    facets: bool = True


@dataclass
class Hit:
    id: str
    url: str | None
    title: str
    issuer: str | None
    doc_number: str | None
    level: str | None
    region: str | None          # region name, e.g. 长沙县
    region_code: str | None
    publish_date: str | None
    validity: str
    doc_kind: str
    tags: dict[str, list[str]]  # facet key -> values
    snippet: str                # HTML: escaped text, only <mark>…</mark> unescaped
    score: float = 0.0
    # Optional extras (a backend may leave them None): the title with the query's
    # words in <mark> (escaped like snippet), and the staff review state.
    title_html: str | None = None
    review_state: str | None = None
    # 申报状态 as of the day the document was indexed (policy_search.domain.deadlines
    # DEADLINE_STATUSES), the window's end then (ISO date), and the policy's expiry date.
    deadline_status: str | None = None
    deadline_end: str | None = None
    expiry_date: str | None = None
    # Names of the regions where the policy applies (全国 for a national one).
    applies_in: list[str] | None = None
    # Does the policy give enterprises something (policy_search.domain.kinds)? None: not known.
    huiqi: bool | None = None


@dataclass
class FacetCount:
    value: str
    count: int


@dataclass
class SearchResult:
    total: int
    page: int
    size: int
    took_ms: float
    hits: list[Hit]
    # Values by count, except the facets of FACET_ORDER (in its order) and year (newest
    # first); the site lists them as they come.
    facets: dict[str, list[FacetCount]]
    # "did you mean" / segmentation hint when nothing (or little) was found
    suggestion: str | None = None
    # how the query was run: "and", "or" (fallback), "doc_number", "browse"
    mode: str = "and"
    message: str | None = None  # a user-facing note, e.g. about ignored syntax
    # How a question was read, when that changed the search (None otherwise)
    rewrite: QueryRewrite | None = None


@dataclass
class QueryRewrite:
    note: str                       # 按「…」为您检索, for the page
    searched: list[str]             # the query's words and phrases as searched
    dropped: list[str]              # question scaffolding left out (能不能, 怎么办理)
    mapped: dict[str, list[str]]    # everyday phrase -> the policy words also searched


def in_facet_order(key: str, counts: list[FacetCount]) -> list[FacetCount]:
    """A facet's counts in the order `SearchResult.facets` promises."""
    order = FACET_ORDER.get(key)
    if order:
        return sorted(counts, key=lambda c: order.index(c.value) if c.value in order else len(order))
    if key == "year":
        return sorted(counts, key=lambda c: c.value, reverse=True)
    return counts


# --- the index as the site uses it ----------------------------------------------------

class SearchBackend(Protocol):
    """What the site needs from the index (index.search.SearchIndex implements it)."""

    def search(self, request: SearchRequest) -> SearchResult: ...
    def is_usable(self) -> bool: ...
    def doc_count(self) -> int: ...
    def region_codes(self) -> list[str]: ...   # where the indexed documents apply or were issued


class IndexSync(Protocol):
    """The background sync that applies the store's changes to the live index."""

    last_error: str | None  # the last round's failure, None once one succeeds

    def stop(self, timeout: float | None = 10.0) -> None: ...


@dataclass
class IndexStatus:
    usable: bool
    generation: str | None
    schema: str
    documents: int
    store_documents: int | None
    applied_seq: int
    store_seq: int | None
    pending_changes: int | None
    oldest_pending_at: str | None
    switched_at: str | None
    size_bytes: int
    generations_on_disk: list[str]
    message: str

    def to_dict(self) -> dict:
        return asdict(self)


# Whoosh is imported only when these are called: the site's parameter parsing reads the
# shapes above on every start (and the CLI's help) without loading the search engine.

def open_index(index_path: str | Path) -> SearchBackend:
    """The index of a data directory; it reports itself unusable until it is built."""
    from index.search import SearchIndex

    return SearchIndex(index_path)


def index_status(index_path: str | Path, store: Store | None = None) -> IndexStatus:
    """The live generation, its size and documents; with the store, what is still to sync."""
    from index.build import index_status as status

    return status(index_path, store)


def start_sync(store_path: str | Path, index_path: str | Path, *,
               interval: float | None = None, create: bool = True) -> IndexSync:
    """Start the thread that applies the store's change log to the live index every
    `interval` seconds (default: about twice a second); call .stop() on shutdown."""
    from index.build import SYNC_INTERVAL, start_sync_thread

    return start_sync_thread(store_path, index_path,
                             SYNC_INTERVAL if interval is None else interval, create)
