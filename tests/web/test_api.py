"""The JSON API: shapes (a public interface), parameters, errors, CORS, OpenAPI."""
import pytest

from index.api import FACETS, LIMITS
from web.params import FILTERS

HIT_KEYS = {"id", "url", "title", "issuer", "doc_number", "level", "region", "publish_date",
            "validity", "kind", "huiqi", "tags", "snippet"}


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("application/json")
    return response.get_json()


def test_search_shape(client, corpus_site):
    body = get_json(client, "/api/search?q=专精特新")
    assert {"total", "page", "size", "took_ms", "hits", "facets"} <= set(body)
    assert body["page"] == 1 and body["size"] == 10
    assert isinstance(body["took_ms"], (int, float)) and body["total"] >= 3
    for hit in body["hits"]:
        assert set(hit) == HIT_KEYS | {"applies_in", "original_url"}
        assert isinstance(hit["tags"], dict)
        assert all(isinstance(v, list) for v in hit["tags"].values())
    county = next(h for h in body["hits"] if h["id"] == corpus_site.ids["county"])
    assert county["level"] == "county" and county["region"] == "长沙县"
    assert county["doc_number"] == "长县政办发〔2023〕12号"
    assert county["publish_date"] == "2023-05-12" and county["validity"] == "有效"
    assert "专精特新" in county["tags"]["enterprise"]
    assert "<mark>" in county["snippet"]
    assert county["original_url"] == county["url"]  # a gov.cn page: offered as 原文
    for key, counts in body["facets"].items():
        assert key in FACETS
        for item in counts:
            assert set(item) == {"value", "count"} and item["count"] >= 0


def test_search_filters_repeat_and_combine(client, corpus_site):
    # validity=all: the 失效 docno_b too (by default expired policies are left out). The corpus
    # has city and county documents of its own (city regulations): Hunan's are the crafted ones.
    body = get_json(client, "/api/search?level=county&level=city&validity=all&issued_region=湖南省")
    assert {h["id"] for h in body["hits"]} == {corpus_site.ids["county"], corpus_site.ids["interpretation"],
                                             corpus_site.ids["docno_b"]}
    body = get_json(client, "/api/search?level=county&level=city&issued_region=湖南省")
    assert {h["id"] for h in body["hits"]} == {corpus_site.ids["county"], corpus_site.ids["interpretation"]}
    body = get_json(client, "/api/search?level=county&level=city&kind=政策解读&issued_region=湖南省")
    assert [h["id"] for h in body["hits"]] == [corpus_site.ids["interpretation"]]
    # region: where a policy applies — the 湖南省 one applies in 长沙县 too
    body = get_json(client, "/api/search?enterprise=专精特新&region=长沙县")
    assert {h["id"] for h in body["hits"]} == {corpus_site.ids["county"], corpus_site.ids["interpretation"],
                                             corpus_site.ids["xss"]}
    body = get_json(client, "/api/search?enterprise=专精特新&issued_region=长沙县")
    assert {h["id"] for h in body["hits"]} == {corpus_site.ids["county"], corpus_site.ids["interpretation"]}
    body = get_json(client, "/api/search?validity=失效")
    assert {h["id"] for h in body["hits"]} == {corpus_site.ids["docno_b"]}
    body = get_json(client, "/api/search?year=2023")
    assert {h["id"] for h in body["hits"]} >= {corpus_site.ids["county"], corpus_site.ids["interpretation"]}
    assert all(h["publish_date"].startswith("2023") for h in body["hits"])
    body = get_json(client, "/api/search?issuer=长沙市人民政府&validity=all")
    assert [h["id"] for h in body["hits"]] == [corpus_site.ids["docno_b"]]


def test_facet_counts_agree_with_filtered_totals(client):
    body = get_json(client, "/api/search?size=1")
    for item in body["facets"]["level"]:
        filtered = get_json(client, f"/api/search?size=1&level={item['value']}")
        assert filtered["total"] == item["count"]


def test_sort_and_paging(client):
    newest = get_json(client, "/api/search?sort=newest&size=20")
    dates = [h["publish_date"] for h in newest["hits"] if h["publish_date"]]
    assert dates == sorted(dates, reverse=True)
    page2 = get_json(client, "/api/search?sort=newest&size=5&page=2")
    assert page2["page"] == 2 and page2["size"] == 5
    assert [h["id"] for h in page2["hits"]] == [h["id"] for h in newest["hits"][5:10]]
    assert get_json(client, "/api/search?sort=deadline")["total"] == newest["total"]


@pytest.mark.parametrize("query, param", [
    ("sort=best", "sort"), ("page=0", "page"), ("page=x", "page"), ("size=1000", "size"),
    ("level=world", "level"), ("year=99", "year"), ("validity=yes", "validity"),
    ("kind=诗歌", "kind"), ("q=" + "字" * 201, "q"), ("q=a&q=b", "q"),
])
def test_bad_parameters_give_400_json(client, query, param):
    body = get_json(client, f"/api/search?{query}", status=400)
    assert body["status"] == 400 and body["param"] == param and body["message"]
    facets = get_json(client, f"/api/facets?{query}", status=400)
    assert facets["param"] == param


def test_a_page_past_the_window_is_a_400_as_openapi_says(client):
    """/api/search?q=融资&page=300&size=20: OpenAPI states page × size ≤ the index's window;
    past it the answer is a 400 in Chinese, never another page than the one asked for."""
    doc = get_json(client, "/api/openapi.json")
    params = {p["name"]: p for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert f"page × size may not exceed {LIMITS.result_window}" in params["page"]["description"]
    assert params["size"]["schema"]["maximum"] == LIMITS.page_size
    assert params["industry"]["schema"]["maxItems"] == LIMITS.values_per_facet
    assert params["q"]["schema"]["maxLength"] == LIMITS.query_chars
    match = {p["name"]: p for p in doc["paths"]["/api/match"]["get"]["parameters"]}
    assert match["page"] == params["page"] | {"description": match["page"]["description"]}
    last = LIMITS.result_window // 20
    assert 300 > last
    body = get_json(client, "/api/search?q=融资&page=300&size=20", status=400)
    assert body["param"] == "page" and f"最多只能翻到第 {last} 页" in body["message"]
    assert get_json(client, f"/api/search?q=融资&page={last}&size=20")["page"] == last
    assert get_json(client, "/api/facets?q=融资&page=300&size=20", status=400)["param"] == "page"


def test_facet_values_come_in_the_index_s_order(client):
    facets = get_json(client, "/api/search?validity=all&size=1")["facets"]
    years = [c["value"] for c in facets["year"]]
    assert len(years) > 1 and years == sorted(years, reverse=True)
    levels = [c["value"] for c in facets["level"]]
    assert levels == [v for v in ("national", "provincial", "city", "county") if v in levels]


def test_policy_record(client, corpus_site):
    body = get_json(client, f"/api/policies/{corpus_site.ids['county']}")
    assert body["id"] == corpus_site.ids["county"]
    assert body["title"] == "长沙县支持专精特新中小企业高质量发展的若干措施"
    assert body["region_code"] == "430121" and body["doc_number"] == "长县政办发〔2023〕12号"
    assert body["attachments"][0]["name"] == "申报表.docx"
    assert "专精特新企业申报表" in body["attachments"][0]["text"]
    assert {"facet": "enterprise", "value": "专精特新", "origin": "staff", "confidence": 1.0,
            "suggestion": False} in body["tags"]
    assert body["page_url"].endswith(f"/policy/{corpus_site.ids['county']}")
    assert "<table>" in body["body_html"]


def test_policy_record_body_html_is_sanitized(client, corpus_site):
    body = get_json(client, f"/api/policies/{corpus_site.ids['xss']}")
    assert "<script" not in body["body_html"] and "onclick" not in body["body_html"]


def test_unknown_policy_is_a_json_404(client):
    body = get_json(client, "/api/policies/nope", status=404)
    assert body["status"] == 404 and body["message"]
    assert get_json(client, "/api/nothing-here", status=404)["status"] == 404


def test_facets_endpoint(client):
    body = get_json(client, "/api/facets?q=专精特新")
    assert set(body) == {"total", "facets", "facet_names"}
    assert body["facet_names"]["enterprise"] == "企业类型"
    assert any(item["value"] == "专精特新" and item["count"] >= 3
               for item in body["facets"]["enterprise"])
    assert body["total"] == get_json(client, "/api/search?q=专精特新")["total"]


def test_cors_for_get_and_preflight(client, corpus_site):
    for url in ("/api/search?q=x", f"/api/policies/{corpus_site.ids['county']}", "/api/facets",
                "/api/openapi.json", "/api/policies/missing"):
        response = client.get(url, headers={"Origin": "https://example.org"})
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "GET" in response.headers["Access-Control-Allow-Methods"]
    preflight = client.options("/api/search", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "GET"})
    assert preflight.status_code in (200, 204)
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    # the HTML pages are not opened to other origins
    assert "Access-Control-Allow-Origin" not in client.get("/").headers
    # and the API takes no writes
    assert client.post("/api/search").status_code == 405


def test_openapi_document_describes_the_api(client):
    doc = get_json(client, "/api/openapi.json")
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    assert {"/api/search", "/api/facets", "/api/policies/{id}", "/feed"} <= set(paths)
    names = [p["name"] for p in paths["/api/search"]["get"]["parameters"]]
    assert names == ["q", *FILTERS, "sort", "page", "size"]
    hit = doc["components"]["schemas"]["Hit"]
    assert set(hit["required"]) == HIT_KEYS
    index = get_json(client, "/api/")
    assert index["openapi"].endswith("/api/openapi.json")


def test_attachment_text_is_searchable(client, corpus_site):
    body = get_json(client, "/api/search?q=统一社会信用代码")
    assert corpus_site.ids["county"] in [h["id"] for h in body["hits"]]


def test_head_requests_work(client):
    assert client.head("/api/search?q=通知").status_code == 200
    assert client.head("/").status_code == 200


def test_a_question_says_how_it_was_read(client, corpus_site):
    body = get_json(client, "/api/search?q=专精特新企业有没有补贴")
    rewrite = body["rewrite"]
    assert set(rewrite) == {"note", "searched", "dropped", "mapped"}
    assert rewrite["note"].startswith("按「") and rewrite["note"].endswith("」为您检索")
    assert "有没有" in rewrite["dropped"]
    assert "专精特新" in rewrite["searched"]
    assert body["total"] >= 1
    # plain keywords: no rewrite key (the documented keys stay as they were)
    assert "rewrite" not in get_json(client, "/api/search?q=专精特新")


def test_openapi_documents_the_rewrite(client):
    spec = get_json(client, "/api/openapi.json")
    result = spec["components"]["schemas"]["SearchResult"]["properties"]
    assert {"note", "searched", "dropped", "mapped"} <= set(result["rewrite"]["properties"])
