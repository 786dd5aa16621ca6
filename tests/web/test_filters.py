"""Search parameters of issue 8: expired and repealed policies left out by default (one
click brings them back), the `deadline` filter, and the deadline facet on the page."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.datastructures import MultiDict

from index.api import FacetCount, SearchResult, in_facet_order
from policy_search.domain.deadlines import DEADLINE_STATUSES
from web.params import DEFAULT_VALIDITY, ParamError, parse_search_args

OUT_OF_FORCE = {"old-measure", "national-loan"}


def api_ids(client, query: str) -> set[str]:
    response = client.get(f"/api/search?size=50&{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return {h["id"] for h in response.get_json()["hits"]}


def test_expired_and_repealed_policies_are_left_out_by_default(client, card_site):
    everything = set(card_site.store.policies.all_ids())
    assert api_ids(client, "") == everything - OUT_OF_FORCE
    assert api_ids(client, "validity=all") == everything
    assert api_ids(client, "validity=废止") == {"old-measure"}
    assert api_ids(client, "validity=失效&validity=废止") == OUT_OF_FORCE
    # the validity facet still counts every value, the hidden ones included
    body = client.get("/api/search").get_json()
    counts = {c["value"]: c["count"] for c in body["facets"]["validity"]}
    assert counts["失效"] == 1 and counts["废止"] == 1
    assert body["total"] == len(everything) - 2


def test_all_cannot_be_mixed_with_values(client):
    response = client.get("/api/search?validity=all&validity=有效")
    assert response.status_code == 400 and response.get_json()["param"] == "validity"


def test_the_page_offers_one_click_to_include_them(client):
    browse = client.get("/?sort=newest").get_data(as_text=True)
    note = re.search(r'<p class="validity-note">(.*?)</p>', browse, re.S).group(1)
    assert "默认不显示已失效、废止的政策" in note and "本次检索有 2 条" in note
    html = client.get("/?q=制造业").get_data(as_text=True)
    note = re.search(r'<p class="validity-note">(.*?)</p>', html, re.S).group(1)
    href = re.search(r'<a class="include-expired" href="([^"]+)"', note).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(href).query) == {"q": ["制造业"], "validity": ["all"]}
    included = client.get(href).get_data(as_text=True)
    assert 'href="/policy/old-measure"' in included and 'href="/policy/old-measure"' not in html
    assert "validity-note" not in included
    # a chip says so, and removing it goes back to the default
    chip = re.search(r'<a class="chip chip-active" href="([^"]+)"[^>]*>有效性：全部（含失效、废止）', included)
    assert chip and parse_qs(urlsplit(chip.group(1).replace("&amp;", "&")).query) == {"q": ["制造业"]}
    # a new search from the header keeps the choice
    assert '<input type="hidden" name="validity" value="all">' in included
    # and picking one value of the facet replaces "all"
    facet = included[included.index('class="facet facet-validity"'):]
    link = re.search(r'href="([^"]+)"><span class="check" aria-hidden="true"></span>'
                     r'<span class="value">废止</span>', facet).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(link).query) == {"q": ["制造业"], "validity": ["废止"]}


def test_an_empty_result_suggests_including_them(client):
    html = client.get("/?year=2018").get_data(as_text=True)  # only the repealed old-measure
    assert "没有找到" in html
    assert "有 1 条已失效、废止的政策符合条件" in html
    assert 'href="/?year=2018&amp;validity=all"' in html


def test_deadline_filter_is_parsed_repeatable_and_closed():
    state = parse_search_args(MultiDict([("deadline", "申报中"), ("deadline", "即将截止"),
                                         ("deadline", "申报中")]))
    assert state.filters == {"deadline": ["申报中", "即将截止"]}
    request = state.to_request()
    assert request.filters["deadline"] == ["申报中", "即将截止"]
    assert request.filters["validity"] == list(DEFAULT_VALIDITY)
    assert parse_qs(state.query_string()) == {"deadline": ["申报中", "即将截止"]}
    with pytest.raises(ParamError) as info:
        parse_search_args(MultiDict([("deadline", "明天")]))
    assert info.value.param == "deadline"
    explicit = parse_search_args(MultiDict([("validity", "all")])).to_request()
    assert "validity" not in explicit.filters


def test_the_api_accepts_the_deadline_filter_and_documents_it(client):
    assert client.get("/api/search?deadline=申报中").status_code == 200
    assert client.get("/api/search?deadline=whenever").status_code == 400
    doc = client.get("/api/openapi.json").get_json()
    params = {p["name"]: p for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert params["deadline"]["schema"]["items"]["enum"] == list(DEADLINE_STATUSES)
    assert "all" in params["validity"]["schema"]["items"]["enum"]
    assert "Default" in params["validity"]["description"]
    assert "/feed.ics" in doc["paths"]


class FacetIndex:
    """An index that answers with a deadline facet (as the index does once it counts it)."""

    def __init__(self):
        self.requests = []

    def search(self, request):
        self.requests.append(request)
        # by count, put in the order the interface promises (as every backend does)
        return SearchResult(total=0, page=1, size=10, took_ms=1.0, hits=[], facets={
            "deadline": in_facet_order("deadline", [
                FacetCount("已截止", 5), FacetCount("申报中", 3), FacetCount("即将截止", 1)]),
            "validity": [FacetCount("有效", 7), FacetCount("失效", 2)]})

    def is_usable(self):
        return True

    def doc_count(self):
        return 9

    def region_codes(self):
        return []


def test_the_deadline_facet_shows_when_the_index_counts_it(card_site):
    from web import create_app

    index = FacetIndex()
    app = create_app(card_site.settings, store=card_site.store, index=index, testing=True)
    html = app.test_client().get("/?deadline=申报中").get_data(as_text=True)
    facet = html[html.index('class="facet facet-deadline"'):]
    facet = facet[:facet.index("</section>")]
    assert "<h3>申报状态</h3>" in facet
    values = re.findall(r'<span class="value">([^<]+)</span>', facet)
    assert values == ["申报中", "即将截止", "已截止"]  # the index's order: by status, not count
    assert 'aria-current="true"' in facet
    assert index.requests[-1].filters == {"deadline": ["申报中"],
                                          "validity": list(DEFAULT_VALIDITY)}
    assert "本次检索有 2 条" in html
