"""Reading search parameters from a URL: validated, bounded, and written back.

The same parameters drive the search page, `/api/search`, `/api/facets`, `/feed` and
`/feed.ics`, so one parser serves all of them and a bad value gets the same message
everywhere.

Validity has a default: without a `validity` parameter only policies in force are
searched (有效, 部分失效, 未知 — 失效 and 废止 left out); `validity=all` searches every
policy; explicit values (repeatable) search exactly those.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote_plus

from index.api import FACETS, LIMITS, SORTS, SearchRequest
from policy_search.domain.deadlines import DEADLINE_STATUSES, OUT_OF_FORCE
from policy_search.domain.kinds import HUIQI_NO, HUIQI_YES
from policy_search.domain.models import DOC_KINDS, LEVELS, VALIDITIES

# Filter keys in URLs: the index's facets.
FILTERS = FACETS
# validity=all: every policy, expired and repealed ones included.
ALL_VALIDITIES = "all"
# Without a validity parameter: policies that may still apply.
DEFAULT_VALIDITY = tuple(v for v in VALIDITIES if v not in OUT_OF_FORCE)

SORT_NAMES = {"relevance": "相关度", "newest": "最新发布", "deadline": "截止日期"}
FACET_NAMES = {
    "level": "层级", "region": "适用地区", "scope": "适用范围", "issued_region": "发文地区",
    "industry": "行业", "support": "支持方式",
    "enterprise": "企业类型", "issuer": "发文机关", "year": "年份", "validity": "有效性",
    "kind": "文件类型", "huiqi": "惠企政策", "deadline": "申报状态", "subject": "主题分类",
}
# Facets whose values are a closed list: anything else is a client error.
_CLOSED_VALUES = {"level": LEVELS, "scope": LEVELS, "validity": VALIDITIES, "kind": DOC_KINDS,
                  "huiqi": (HUIQI_YES, HUIQI_NO), "deadline": DEADLINE_STATUSES}
_YEAR = re.compile(r"(19|20)\d{2}")


@lru_cache(maxsize=4096)
def _quote(value: str) -> str:
    return quote_plus(value)


# What a page reader calls each parameter (a page shows no parameter names or codes).
# Every search parameter: what the widget, the digest and export accept from a pasted address.
PARAM_ORDER = ("q", *FILTERS, "sort", "page", "size")
PARAM_LABELS = {"q": "检索词", "sort": "排序方式", "page": "页码", "size": "每页条数", **FACET_NAMES}


class ParamError(ValueError):
    """A parameter the client got wrong; the message is shown to the user (Chinese)."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param
        self.message = message

    @property
    def page_message(self) -> str:
        """The message for a page: the API's own when it names no parameter or code (those
        help a programmer, not a reader), else which part of the link is wrong."""
        if not re.search(r"[A-Za-z]", self.message):
            return self.message
        label = PARAM_LABELS.get(self.param, "检索条件")
        return f"链接中的“{label}”一项无效，请回到首页重新检索或筛选。"


@dataclass
class SearchState:
    """Everything a search URL says: what the page shows and what links change."""

    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    size: int = 10
    default_size: int = 10
    base: str = "/"  # the search page's path, for the links the page writes

    def to_request(self, **overrides) -> SearchRequest:
        request = SearchRequest(q=self.q, filters=search_filters(self.filters),
                                sort=self.sort, page=self.page, size=self.size)
        for name, value in overrides.items():
            setattr(request, name, value)
        return request

    def params(self, **changes) -> list[tuple[str, str]]:
        """The state as URL parameters (repeated for several facet values), defaults left out."""
        q = changes.get("q", self.q)
        filters = changes.get("filters", self.filters)
        sort = changes.get("sort", self.sort)
        page = changes.get("page", self.page)
        size = changes.get("size", self.size)
        pairs: list[tuple[str, str]] = []
        if q:
            pairs.append(("q", q))
        for key in FILTERS:
            pairs.extend((key, value) for value in filters.get(key, []))
        if sort != "relevance":
            pairs.append(("sort", sort))
        if page != 1:
            pairs.append(("page", str(page)))
        if size != self.default_size:
            pairs.append(("size", str(size)))
        return pairs

    def query_string(self, **changes) -> str:
        # A results page writes ~100 links; quoting each value once saves most of the cost.
        return "&".join(f"{key}={_quote(value)}" for key, value in self.params(**changes))

    def toggled(self, facet: str, value: str) -> str:
        """Query string with one facet value added or removed; back to page 1."""
        filters = {k: list(v) for k, v in self.filters.items()}
        values = filters.setdefault(facet, [])
        if facet == "validity" and value != ALL_VALIDITIES and ALL_VALIDITIES in values:
            values.remove(ALL_VALIDITIES)  # from "all" to the value picked
        if value in values:
            values.remove(value)
        else:
            values.append(value)
        if not values:
            del filters[facet]
        return self.query_string(filters=filters, page=1)

    def href(self, **changes) -> str:
        """A link to the search page in this state with some parts changed."""
        query = self.query_string(**changes)
        return f"{self.base}?{query}" if query else self.base

    def toggle_href(self, facet: str, value: str) -> str:
        query = self.toggled(facet, value)
        return f"{self.base}?{query}" if query else self.base

    def is_active(self, facet: str, value: str) -> bool:
        return value in self.filters.get(facet, [])

    @property
    def active_filters(self) -> list[tuple[str, str]]:
        return [(key, value) for key in FILTERS for value in self.filters.get(key, [])]

    @property
    def validity_default(self) -> bool:
        """No validity asked for: expired and repealed policies are left out."""
        return "validity" not in self.filters

    def include_all_href(self) -> str:
        """The same search over every policy, expired and repealed ones included."""
        filters = {k: list(v) for k, v in self.filters.items()}
        filters["validity"] = [ALL_VALIDITIES]
        return self.href(filters=filters, page=1)

    @property
    def is_browse(self) -> bool:
        return not self.q and not self.filters

    @property
    def is_home(self) -> bool:
        """The bare `/`: no words, filters, sort, page or size — the front page, not a list."""
        return not self.params()

    @property
    def shown_sort(self) -> str:
        """The order the list is in: without words there is no relevance, the newest lead."""
        return "newest" if not self.q and self.sort == "relevance" else self.sort


def parse_search_args(args, *, default_size: int = 10, max_size: int = 100) -> SearchState:
    """A SearchState from request args (a werkzeug MultiDict); ParamError when invalid."""
    q = _parse_query(args.getlist("q"))
    filters: dict[str, list[str]] = {}
    for key in FILTERS:
        values = _parse_facet(key, args.getlist(key))
        if values:
            filters[key] = values
    sort = _single(args, "sort") or "relevance"
    if sort not in SORTS:
        raise ParamError("sort", f"排序方式 sort 只能是 {' / '.join(SORTS)}")
    page, size = parse_page(args, default_size=default_size, max_size=max_size)
    return SearchState(q=q, filters=filters, sort=sort, page=page, size=size,
                       default_size=default_size)


def parse_page(args, *, default_size: int = 10, max_size: int = 100) -> tuple[int, int]:
    """`page` and `size` of a paged request, within the index's limits (ParamError)."""
    page = _parse_int(args, "page", 1, 1, LIMITS.result_window)
    size = _parse_int(args, "size", default_size, 1, min(max_size, LIMITS.page_size))
    problem = LIMITS.page_problem(page, size)
    if problem:
        raise ParamError("page", problem)
    return page, size


def search_filters(filters: dict[str, list[str]]) -> dict[str, list[str]]:
    """The filters the index gets: the validity default applied, `all` taken away."""
    out = {k: list(v) for k, v in filters.items()}
    validity = out.get("validity")
    if validity is None:
        out["validity"] = list(DEFAULT_VALIDITY)
    elif ALL_VALIDITIES in validity:
        del out["validity"]
    return out


def _single(args, name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise ParamError(name, f"参数 {name} 只能出现一次")
    return values[0].strip() if values else None


def _parse_query(values: list[str]) -> str:
    if len(values) > 1:
        raise ParamError("q", "参数 q 只能出现一次")
    q = " ".join(values[0].split()) if values else ""
    if any(ord(c) < 32 for c in q):
        raise ParamError("q", "检索词含有不可见的控制字符")
    if len(q) > LIMITS.query_chars:
        raise ParamError("q", f"检索词太长：最多 {LIMITS.query_chars} 个字符")
    return q


def _parse_facet(key: str, raw: list[str]) -> list[str]:
    values = list(dict.fromkeys(v.strip() for v in raw if v.strip()))
    if len(values) > LIMITS.values_per_facet:
        raise ParamError(key, f"筛选条件 {key} 最多 {LIMITS.values_per_facet} 个值")
    if key == "validity" and ALL_VALIDITIES in values:
        if len(values) > 1:
            raise ParamError(key, "validity=all 表示全部有效性，不能与其他取值同时使用")
        return values
    for value in values:
        if len(value) > LIMITS.value_chars or any(ord(c) < 32 for c in value):
            raise ParamError(key, f"筛选条件 {key} 的值无效")
        allowed = _CLOSED_VALUES.get(key)
        if allowed is not None and value not in allowed:
            raise ParamError(key, f"筛选条件 {key} 只能是 {' / '.join(allowed)}")
        if key == "year" and not _YEAR.fullmatch(value):
            raise ParamError(key, "年份 year 应为四位数字，例如 2021")
    return values


def _parse_int(args, name: str, default: int, low: int, high: int) -> int:
    raw = _single(args, name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        raise ParamError(name, f"参数 {name} 应为 {low}–{high} 之间的整数")
    value = int(raw)
    if not low <= value <= high:
        raise ParamError(name, f"参数 {name} 应为 {low}–{high} 之间的整数")
    return value
