"""`region` means where a policy applies, `issued_region` where it was issued: the API, the
search page and its facet, the feeds and the 政策计算器."""
from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest

from policy_search.domain.models import Policy, Tag
from policy_search.domain.regions import find_region
from tests.web.conftest import found_ids, site_of
from web.cards import today

ATOM = "{http://www.w3.org/2005/Atom}"


def cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def rows(day: dt.date) -> list[tuple[str, str, str, str, str]]:
    """(id, title, region code, level, body): 小微企业 policies of every level."""
    window = f"请申报单位于{cn(day + dt.timedelta(days=30))}前将申报材料报送。"
    return [
        ("national", "关于进一步支持小微企业发展的若干措施", "100000", "national",
         "对小微企业给予贷款贴息。" + window),
        ("hunan", "湖南省支持小微企业纾困发展的若干措施", "430000", "provincial", "对小微企业给予社保补贴。"),
        ("changsha", "长沙市小微企业创业补贴实施办法", "430100", "city", "给予小微企业创业补贴。"),
        ("county", "长沙县小微企业房租补助办法", "430121", "county", "对小微企业给予房租补助。" + window),
        ("liuyang", "浏阳市小微企业奖励办法", "430181", "county", "对小微企业给予奖励。"),
        ("jiangxi", "江西省支持小微企业发展的若干措施", "360000", "provincial", "对小微企业给予奖励。"),
        ("pudong", "上海市促进浦东新区小微企业发展若干规定", "310000", "provincial",
         "第二条 本规定适用于浦东新区行政区域内的小微企业。"),
        ("shanghai", "上海市小微企业融资担保办法", "310000", "provincial", "为小微企业提供融资担保。"),
    ]


@pytest.fixture(scope="module")
def regions_client(tmp_path_factory):
    day = today()
    policies = [Policy(id=pid, title=title, url=f"http://www.example.gov.cn/{pid}.html",
                       region_code=code, region_name=find_region(code).name, level=level,
                       body_text=body, issuer=title[:3] + "人民政府",
                       publish_date=(day - dt.timedelta(days=3)).isoformat(), validity="有效",
                       doc_kind="政策原文")
                for pid, title, code, level, body in rows(day)]
    tags = {p.id: [Tag("enterprise", "小微企业", confidence=0.9), Tag("support", "资金补贴奖励", confidence=0.9)]
            for p in policies}
    _settings, _store, app = site_of(tmp_path_factory.mktemp("regions"), policies, tags)
    return app.test_client()


ids = found_ids


def test_region_finds_what_applies_there(regions_client):
    assert ids(regions_client, "q=小微企业&region=长沙县") == {"national", "hunan", "changsha", "county"}
    assert ids(regions_client, "q=小微企业&region=湖南省") == {"national", "hunan"}
    assert ids(regions_client, "q=小微企业&region=浏阳市") == {"national", "hunan", "changsha", "liuyang"}
    assert ids(regions_client, "q=小微企业&region=全国") == {"national"}
    # restricted by its text: the 浦东新区 regulation applies there only
    assert ids(regions_client, "q=小微企业&region=浦东新区") == {"national", "pudong", "shanghai"}
    assert ids(regions_client, "q=小微企业&region=上海市黄浦区") == {"national", "shanghai"}
    assert ids(regions_client, "q=小微企业&region=长沙县&region=江西省") == {
        "national", "hunan", "changsha", "county", "jiangxi"}
    # codes work like names
    assert ids(regions_client, "region=430121") == ids(regions_client, "region=长沙县")


def test_issued_region_keeps_the_old_meaning(regions_client):
    assert ids(regions_client, "issued_region=湖南省") == {"hunan", "changsha", "county", "liuyang"}
    assert ids(regions_client, "issued_region=长沙县") == {"county"}
    assert ids(regions_client, "issued_region=上海市") == {"pudong", "shanghai"}
    assert ids(regions_client, "issued_region=长沙县&region=长沙县") == {"county"}


def test_hits_say_where_they_apply(regions_client):
    body = regions_client.get("/api/search?q=浦东新区&size=50").get_json()
    pudong = next(h for h in body["hits"] if h["id"] == "pudong")
    assert pudong["region"] == "上海市" and pudong["applies_in"] == ["浦东新区"]
    record = regions_client.get("/api/policies/pudong").get_json()
    assert record["applies_in"] == ["浦东新区"]
    assert record["applies_evidence"] == "上海市促进浦东新区小微企业发展若干规定"
    national = regions_client.get("/api/policies/national").get_json()
    assert national["applies_in"] == ["全国"] and national["applies_evidence"] is None


def test_region_facet_counts_what_applies_and_scope_the_levels(regions_client):
    facets = regions_client.get("/api/facets?q=小微企业&region=长沙县").get_json()["facets"]
    region = {f["value"]: f["count"] for f in facets["region"]}
    assert region["全国"] == 1 and region["湖南省"] == 2 and region["长沙市"] == 3
    assert region["长沙县"] == 4 and region["浏阳市"] == 4 and region["浦东新区"] == 3
    values = [f["value"] for f in facets["region"]]
    assert values[0] == "全国" and values.index("湖南省") < values.index("长沙市") < values.index("长沙县")
    assert {f["value"]: f["count"] for f in facets["scope"]} == {
        "national": 1, "provincial": 1, "city": 1, "county": 1}
    issued = {f["value"]: f["count"] for f in facets["issued_region"]}
    assert issued == {"全国": 1, "湖南省": 1, "长沙市": 1, "长沙县": 1}
    assert ids(regions_client, "region=长沙县&scope=county") == {"county"}
    assert ids(regions_client, "region=长沙县&scope=national&scope=provincial") == {"national", "hunan"}
    bad = regions_client.get("/api/search?scope=town")
    assert bad.status_code == 400 and bad.get_json()["param"] == "scope"


def test_the_search_page_shows_the_levels_in_the_region_facet(regions_client):
    page = regions_client.get("/?q=小微企业&region=长沙县").get_data(as_text=True)
    assert len(re.findall(r'<li class="hit">', page)) == 4
    facet = page[page.index('class="facet facet-region"'):]
    facet = facet[:facet.index("</section>")]
    assert "<h3>适用地区</h3>" in facet and "含全国和上级政策" in facet
    levels = facet[facet.index('class="facet-levels"'):facet.index('class="facet-values"')]
    labels = re.findall(r'<span class="value">([^<]+)</span><span class="count">(\d+)</span>', levels)
    assert labels == [("全国性政策", "1"), ("省级政策", "1"), ("市级政策", "1"), ("县（区）级政策", "1")]
    # the region list is a tree: cities and counties indented under their province
    assert re.search(r'<li class="depth-2"><a class="facet-value active"[^>]*>.*?长沙县', facet, re.S)
    assert '<li class="depth-1">' in facet
    assert "适用地区：长沙县" in page  # the active filter chip
    assert 'class="facet facet-issued_region"' in page and "<h3>发文地区</h3>" in page
    assert 'class="facet facet-scope"' not in page  # shown inside 适用地区


def test_feeds_follow_the_region(regions_client):
    root = ET.fromstring(regions_client.get("/feed?region=长沙县").get_data())
    links = {e.find(f"{ATOM}link[@rel='alternate']").get("href").rsplit("/", 1)[1]
             for e in root.findall(f"{ATOM}entry")}
    assert links == {"national", "hunan", "changsha", "county"}
    assert "适用地区:长沙县" in root.find(f"{ATOM}title").text
    ics = regions_client.get("/feed.ics?region=长沙县").get_data(as_text=True)
    assert "UID:national-deadline@policy-search" in ics and "UID:county-deadline@policy-search" in ics
    ics = regions_client.get("/feed.ics?region=浏阳市").get_data(as_text=True)
    assert "UID:national-deadline@policy-search" in ics
    assert "UID:county-deadline@policy-search" not in ics


def test_the_policy_page_names_where_it_applies(regions_client):
    page = regions_client.get("/policy/pudong").get_data(as_text=True)
    row = page[page.index('class="meta-row meta-applies"'):]
    row = row[:row.index("</div>")]
    assert "<dt>适用地区</dt>" in row and "浦东新区" in row and "依据标题：上海市促进浦东新区" in row
    assert "<dt>发文地区</dt><dd>上海市</dd>" in page
    hunan = regions_client.get("/policy/hunan").get_data(as_text=True)
    assert "湖南省（含所辖市、县）" in hunan


def test_the_match_page_counts_policies_that_apply_in_the_county(regions_client):
    page = regions_client.get("/match?region=430121").get_data(as_text=True)
    listed = set(re.findall(r'href="/policy/(\w+)"', page))
    assert {"national", "hunan", "changsha", "county"} <= listed
    assert not listed & {"liuyang", "jiangxi", "pudong", "shanghai"}
