"""Search parameters: parsing, bounds, and URLs written back from a state."""
from urllib.parse import parse_qs

import pytest
from werkzeug.datastructures import MultiDict

from web.params import DEFAULT_VALIDITY, MAX_QUERY_CHARS, ParamError, parse_search_args
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
    ([("q", "x" * (MAX_QUERY_CHARS + 1))], "q"),
    ([("q", "a"), ("q", "b")], "q"),
    ([("q", "bad\x00byte")], "q"),
    ([("issuer", "x" * 101)], "issuer"),
    ([("industry", str(n)) for n in range(21)], "industry"),
])
def test_bad_values_raise_with_the_parameter_named(pairs, param):
    with pytest.raises(ParamError) as info:
        parse(pairs)
    assert info.value.param == param
    assert info.value.message  # a Chinese message for the user


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
