"""The home page (`/` without parameters): the 政策超市 front for entrepreneurs.

Shortcuts by 支持方式, 行业 and 企业类型 with their counts (the index's facets over the 惠企
policies in force: a work report that mentions subsidies is no way in for an entrepreneur
looking for one), the open calls soonest deadline first, the newest 惠企 policies and
calls, and 热门搜索 from the site's own query log.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from index.api import Hit
from policy_search.domain.deadlines import CLOSED, CLOSING, DEADLINE_STATUSES, OPEN
from policy_search.domain.kinds import APPLICATION_CALL, HUIQI_YES
from web.app import services
from web.cards import Glance, hit_glances
from web.params import SearchState, search_filters
from web.querylog import query_tally
from web.searching import run_search

LIST_SIZE = 6
SHORTCUTS = {"support": 13, "industry": 12, "enterprise": 11}
# Tag values that name no particular group: no use as a shortcut.
NOT_A_SHORTCUT = {"不限行业"}
OPEN_CALLS = [OPEN, CLOSING]
NOT_CLOSED = [status for status in DEADLINE_STATUSES if status != CLOSED]


@dataclass
class Shortcut:
    label: str
    count: int
    href: str


@dataclass
class HomeList:
    key: str
    title: str
    hits: list[Hit]
    count_label: str           # "3 条": how many the list shows the first of
    more_href: str
    more_label: str


@dataclass
class HomeView:
    total: int                                   # policies in force
    huiqi_total: int                             # of them 惠企
    shortcuts: dict[str, list[Shortcut]]         # facet key -> shortcuts, most policies first
    lists: list[HomeList]
    glances: dict[str, Glance]
    popular: list[Shortcut] = field(default_factory=list)


def huiqi_filters() -> dict[str, list[str]]:
    """The filter that lists 惠企 policies: ones giving enterprises something they can get
    (the index's 惠企 flag, policy_search.domain.kinds)."""
    return {"huiqi": [HUIQI_YES]}


def home_view(state: SearchState) -> HomeView:
    # every policy in force: only its count; the 惠企 ones: their count and the shortcuts' facets
    browse = run_search(state, page=1, size=1, highlight=False, facets=False)
    huiqi_browse = run_search(state, filters=search_filters(huiqi_filters()), page=1, size=1,
                              highlight=False)
    shortcuts = {key: shortcuts_of(state, key, huiqi_browse.facets.get(key, []), limit)
                 for key, limit in SHORTCUTS.items()}
    # Calls for enterprises: a call for nominations or a contest offers them nothing.
    calls = {"kind": [APPLICATION_CALL], **huiqi_filters()}
    huiqi = huiqi_browse.total
    seen: set[str] = set()   # a policy is listed once, in the first list that has it
    # A call whose window has closed offers nothing any more: the front lists leave it out
    # (the links to more list everything, as the filters say).
    lists = [
        home_list(state, seen, "open", "申报中 · 即将截止", {"deadline": OPEN_CALLS}, "deadline",
                  "查看全部正在申报的政策"),
        home_list(state, seen, "huiqi", "最新惠企政策", huiqi_filters(), "newest",
                  "查看更多惠企政策", shown={**huiqi_filters(), "deadline": NOT_CLOSED},
                  count_label=f"{huiqi} 条"),
        home_list(state, seen, "calls", "最新申报通知", calls, "newest", "查看全部申报通知",
                  shown={**calls, "deadline": NOT_CLOSED}, count_label="未截止的 {} 条"),
    ]
    lists = [item for item in lists if item.hits]
    hits = [hit for item in lists for hit in item.hits]
    return HomeView(total=browse.total, huiqi_total=huiqi, shortcuts=shortcuts, lists=lists,
                    glances=hit_glances(services().store, hits),
                    popular=popular_searches(state))


def shortcuts_of(state: SearchState, key: str, counts, limit: int) -> list[Shortcut]:
    found = [c for c in counts if c.count and c.value not in NOT_A_SHORTCUT]
    found.sort(key=lambda c: -c.count)
    return [Shortcut(c.value, c.count, state.href(filters={key: [c.value], **huiqi_filters()}, page=1))
            for c in found[:limit]]


def home_list(state: SearchState, seen: set[str], key: str, title: str,
              filters: dict[str, list[str]], sort: str, more_label: str,
              shown: dict[str, list[str]] | None = None, count_label: str = "{} 条") -> HomeList:
    """The first hits of a search not listed above; `shown` narrows what the home page
    lists, the link to more is the whole search."""
    result = run_search(state, filters=search_filters(shown or filters), sort=sort, page=1,
                        size=LIST_SIZE + len(seen), highlight=False, facets=False)
    hits = [hit for hit in result.hits if hit.id not in seen][:LIST_SIZE]
    seen.update(hit.id for hit in hits)
    return HomeList(key, title, hits, count_label.format(result.total),
                    state.href(filters=filters, sort=sort, page=1), more_label)


def popular_searches(state: SearchState) -> list[Shortcut]:
    min_count = services().settings.popular_min_count
    return [Shortcut(query, 0, state.href(q=query, filters={}, page=1))
            for query in query_tally().popular(min_count)]
