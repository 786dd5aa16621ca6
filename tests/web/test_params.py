"""Search parameters: parsing, bounds, and URLs written back from a state."""
from urllib.parse import parse_qs

import pytest
from werkzeug.datastructures import MultiDict

from index.api import LIMITS
from web.params import DEFAULT_VALIDITY, ParamError, parse_page, parse_search_args
from web.searching import page_numbers


def parse(pairs, **kwargs):
    return parse_search_args(MultiDict(pairs), **kwargs)


def test_defaults():
    state = parse([])
    assert (state.q, state.filters, state.sort, state.page, state.size) == ("", {}, "relevance", 1, 10)
    assert state.is_browse


def test_repeated_facets_and_whitespace_are_normalized():
    state = parse([("q", "  专精特新   补贴 "), ("level", "county"), ("level", "city"),
                   ("level", "county"), ("support", " 税费减免 "), ("year", "2021")])
    assert state.q == "专精特新 补贴"
    assert state.filters == {"level": ["county", "city"], "support": ["税费减免"], "year": ["2021"]}
    request = state.to_request()
    # without a validity parameter the index gets the in-force default
    assert request.filters == {**state.filters, "validity": list(DEFAULT_VALIDITY)}
    assert request.q == "专精特新 补贴"


@pytest.mark.parametrize("pairs, param", [
    ([("sort", "oldest")], "sort"),
    ([("sort", "newest"), ("sort", "deadline")], "sort"),
    ([("page", "0")], "page"),
    ([("page", "-1")], "page"),
    ([("page", "abc")], "page"),
    ([("page", "１")], "page"),          # full-width digit
    ([("page", "9" * 5000)], "page"),
    ([("page", "501")], "page"),
    ([("size", "0")], "size"),
    ([("size", "101")], "size"),
    ([("page", "200"), ("size", "100")], "page"),  # beyond the result window
    ([("level", "galaxy")], "level"),
    ([("validity", "maybe")], "validity"),
    ([("kind", "小说")], "kind"),
    ([("year", "21")], "year"),
    ([("year", "2021-01")], "year"),
    ([("q", "x" * (LIMITS.query_chars + 1))], "q"),
    ([("q", "a"), ("q", "b")], "q"),
    ([("q", "bad\x00byte")], "q"),
    ([("issuer", "x" * (LIMITS.value_chars + 1))], "issuer"),
    ([("industry", str(n)) for n in range(LIMITS.values_per_facet + 1)], "industry"),
])
def test_bad_values_raise_with_the_parameter_named(pairs, param):
    with pytest.raises(ParamError) as info:
        parse(pairs)
    assert info.value.param == param
    assert info.value.message  # a Chinese message for the user


def test_the_limits_are_the_index_s():
    """page × size, values per facet, value and query length: what index.api.LIMITS says."""
    last = LIMITS.result_window // 20
    assert parse([("page", str(last)), ("size", "20")]).page == last
    with pytest.raises(ParamError) as info:
        parse([("page", str(last + 1)), ("size", "20")])
    assert info.value.param == "page" and f"最多只能翻到第 {last} 页" in info.value.message
    with pytest.raises(ParamError):  # the /api/match pager: the same window
        parse_page(MultiDict([("page", str(last + 1)), ("size", "20")]))
    assert parse_page(MultiDict([("page", str(LIMITS.result_window)), ("size", "1")])) == \
        (LIMITS.result_window, 1)
    many = [("industry", str(n)) for n in range(LIMITS.values_per_facet)]
    assert len(parse(many).filters["industry"]) == LIMITS.values_per_facet
    assert parse([("issuer", "x" * LIMITS.value_chars)]).filters["issuer"]
    assert parse([("q", "字" * LIMITS.query_chars)]).q
    with pytest.raises(ParamError):  # a setting cannot raise the index's page size
        parse([("size", str(LIMITS.page_size + 1))], max_size=LIMITS.page_size * 2)


def test_size_bound_follows_settings():
    assert parse([("size", "50")], max_size=50).size == 50
    with pytest.raises(ParamError):
        parse([("size", "51")], max_size=50)
    assert parse([], default_size=20).size == 20


def test_query_string_round_trips_and_leaves_defaults_out():
    state = parse([("q", "稳岗 返还"), ("enterprise", "专精特新"), ("enterprise", "小微企业"),
                   ("sort", "newest"), ("page", "3")])
    qs = state.query_string()
    assert parse_qs(qs) == {"q": ["稳岗 返还"], "enterprise": ["专精特新", "小微企业"],
                            "sort": ["newest"], "page": ["3"]}
    again = parse(list((k, v) for k, values in parse_qs(qs).items() for v in values))
    assert again == state
    assert parse([]).query_string() == ""


def test_toggling_a_facet_adds_or_removes_it_and_goes_back_to_page_one():
    state = parse([("q", "补贴"), ("level", "county"), ("page", "4")])
    added = parse_qs(state.toggled("support", "税费减免"))
    assert added == {"q": ["补贴"], "level": ["county"], "support": ["税费减免"]}
    removed = parse_qs(state.toggled("level", "county"))
    assert removed == {"q": ["补贴"]}
    assert state.is_active("level", "county") and not state.is_active("level", "city")


def test_page_numbers_show_a_window_with_gaps():
    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 0) == []
    assert page_numbers(1, 3) == [1, 2, 3]
    assert page_numbers(6, 20) == [1, None, 4, 5, 6, 7, 8, None, 20]
    assert page_numbers(20, 20) == [1, None, 18, 19, 20]
