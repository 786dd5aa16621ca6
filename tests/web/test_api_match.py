"""GET /api/match: the /match parameters in, the ranked 惠企 policies with their reasons out;
bad values are a 400 JSON as for /api/search; documented in OpenAPI."""
from __future__ import annotations

import pytest

from tests.web.test_match import MANUFACTURER

TOP_KEYS = {"total", "page", "size", "profile", "hits"}
HIT_KEYS = {"id", "title", "url", "issuer", "level", "region", "publish_date", "kind",
            "deadline_status", "days_left", "support", "reasons"}


def get(client, query: str, status: int = 200) -> dict:
    response = client.get(f"/api/match?{query}")
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"].startswith("application/json")
    return response.get_json()


def test_shape_and_reasons(client, card_site):
    body = get(client, MANUFACTURER)
    assert set(body) == TOP_KEYS
    assert (body["page"], body["size"]) == (1, 10)
    assert body["profile"]["region"] == "430121" and body["profile"]["region_name"] == "长沙县"
    assert body["profile"]["size"] == "小微" and body["profile"]["needs"] == ["资金"]
    hits = body["hits"]
    assert hits and body["total"] == len(hits)
    for hit in hits:
        assert set(hit) == HIT_KEYS
        assert all(set(r) == {"condition", "status", "evidence"} for r in hit["reasons"])
        assert {r["status"] for r in hit["reasons"]} <= {"met", "unmet", "unknown"}
        assert isinstance(hit["support"], list)
    fund = hits[0]
    assert fund["id"] == "county-fund" and fund["kind"] == "申报通知"
    assert fund["deadline_status"] == "即将截止" and fund["days_left"] == 10
    assert fund["support"] == ["给予一次性奖励20万元"]
    reasons = {r["condition"]: r for r in fund["reasons"]}
    assert reasons["需求：资金"]["status"] == "met"
    assert "给予一次性奖励20万元" in reasons["需求：资金"]["evidence"]
    assert reasons["营业收入"]["status"] == "met"
    assert "营业收入不低于500万元" in reasons["营业收入"]["evidence"]
    assert reasons["地区"]["evidence"]  # what was compared, when no sentence says it
    ids = [h["id"] for h in hits]
    assert not {"other-county", "closed-call", "old-measure", "national-loan"} & set(ids)


def test_paging_and_the_two_sizes(client):
    everything = get(client, "region=430121&size=100")
    assert everything["total"] >= 4 and len(everything["hits"]) == everything["total"]
    first = get(client, "region=430121&size=2")
    second = get(client, "region=430121&size=2&page=2")
    assert [h["id"] for h in first["hits"] + second["hits"]] == \
        [h["id"] for h in everything["hits"]][:4]
    # size=小微 is the enterprise's size, size=2 the page's
    both = get(client, "region=430121&size=小微&size=2")
    assert both["size"] == 2 and both["profile"]["size"] == "小微"


@pytest.mark.parametrize("query,param", [
    ("region=火星", "region"), ("region=430121&revenue=abc", "revenue"),
    ("region=430121&need=飞行", "need"), ("region=430121&qual=假资质", "qual"),
    ("region=430121&industry=炼金术", "industry"), ("region=430121&size=巨型", "size"),
    ("region=430121&page=0", "page"), ("region=430121&size=1000", "size"), ("", "region"),
])
def test_bad_values_are_a_400_with_the_parameter(client, query, param):
    body = get(client, query, status=400)
    assert body["param"] == param and body["status"] == 400 and body["message"]
    # the API computed nothing: its message says what is wrong, not what the page does
    assert "已按" not in body["message"] and "已忽略" not in body["message"]


def test_documented_in_openapi(client):
    doc = client.get("/api/openapi.json").get_json()
    operation = doc["paths"]["/api/match"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"region", "industry", "size", "revenue", "employees", "age", "ownership", "qual",
            "need", "page"} <= names
    schema = doc["components"]["schemas"]["MatchResult"]
    assert set(schema["required"]) == TOP_KEYS
    hit = doc["components"]["schemas"]["MatchHit"]
    assert set(hit["required"]) == HIT_KEYS
    assert hit["properties"]["reasons"]["items"]["$ref"].endswith("/MatchReason")
    reason = doc["components"]["schemas"]["MatchReason"]
    assert reason["properties"]["status"]["enum"] == ["met", "unmet", "unknown"]
    assert "400" in operation["responses"]
    assert "/api/match" in client.get("/api/").get_json()["endpoints"]
