"""文件类型 and 惠企政策 on the site: facets with counts, filters, result cards, policy page."""
from __future__ import annotations

import html as htmllib

from policy_search.domain.kinds import DOC_KINDS
from tests.web.test_api import get_json


def test_kind_facet_lists_the_derived_kinds(client, corpus_site):
    body = get_json(client, "/api/search?validity=all&size=1")
    kinds = {f["value"]: f["count"] for f in body["facets"]["kind"]}
    assert set(kinds) <= set(DOC_KINDS) and {"法律法规", "惠企措施", "政策解读"} <= set(kinds)
    assert sum(kinds.values()) == body["total"]
    flags = {f["value"]: f["count"] for f in body["facets"]["huiqi"]}
    assert set(flags) == {"是", "否"} and sum(flags.values()) == body["total"]


def test_kind_and_huiqi_filters(client, corpus_site):
    body = get_json(client, "/api/search?issued_region=长沙县&kind=惠企措施")
    assert [h["id"] for h in body["hits"]] == [corpus_site.ids["county"]]
    assert body["hits"][0]["kind"] == "惠企措施" and body["hits"][0]["huiqi"] is True
    body = get_json(client, "/api/search?issued_region=长沙县&kind=政策解读")
    assert [h["id"] for h in body["hits"]] == [corpus_site.ids["interpretation"]]
    body = get_json(client, "/api/search?huiqi=是&validity=all&size=100")
    assert corpus_site.ids["county"] in [h["id"] for h in body["hits"]]
    assert all(h["huiqi"] for h in body["hits"])
    law = get_json(client, "/api/search?kind=法律法规&huiqi=否&size=5")
    assert law["hits"] and all(h["kind"] == "法律法规" and not h["huiqi"] for h in law["hits"])


def test_old_and_unknown_kind_values_are_a_400(client):
    for url in ("/api/search?kind=政策原文", "/api/search?huiqi=maybe"):
        body = get_json(client, url, status=400)
        assert body["param"] in ("kind", "huiqi") and body["status"] == 400


def test_openapi_lists_the_kinds(client):
    doc = get_json(client, "/api/openapi.json")
    params = {p["name"]: p for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert params["kind"]["schema"]["items"]["enum"] == list(DOC_KINDS)
    assert params["huiqi"]["schema"]["items"]["enum"] == ["是", "否"]
    assert doc["components"]["schemas"]["Hit"]["properties"]["kind"]["enum"] == list(DOC_KINDS)


def test_result_cards_and_policy_page_show_the_kind(client, corpus_site):
    page = htmllib.unescape(client.get("/?q=专精特新").get_data(as_text=True))
    assert 'class="badge kind kind-k0">惠企措施<' in page
    assert 'class="badge kind kind-k2">政策解读<' in page
    assert "文件类型" in page and "惠企政策" in page  # the facets
    policy = htmllib.unescape(client.get(f"/policy/{corpus_site.ids['county']}").get_data(as_text=True))
    assert "惠企措施" in policy and "依据：标题「若干措施」" in policy
    assert "是：给予企业可享受、可申请的扶持" in policy
    assert "给予企业资金支持" in policy  # the 惠企 evidence
