"""政策计算器 /match: profiles in, applicable policies with their reasons out; the URL
round trip; the Atom feed of a profile; the store fallback without an index."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

from policy_search.domain.matching import EnterpriseProfile

ATOM = "{http://www.w3.org/2005/Atom}"
MANUFACTURER = ("region=长沙县&industry=制造业&revenue=800&employees=60&age=5"
                "&ownership=民营&need=资金")


def page(client, query: str) -> str:
    response = client.get(f"/match?{query}" if query else "/match")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def result_ids(html: str) -> list[str]:
    section = html.split('class="match-results"', 1)[1]
    return re.findall(r'<h3 class="hit-title"><a href="/policy/([^"]+)"', section)


def hit_block(html: str, policy_id: str) -> str:
    start = html.index(f'href="/policy/{policy_id}"')
    end = html.find('<li class="hit match-hit">', start)
    return html[start:end if end > 0 else None]


def reasons(block: str) -> set[tuple[str, str]]:
    """(status, condition) pairs listed for one result."""
    return set(re.findall(r'<span class="badge reason-status">([^<]+)</span>\s*'
                          r'<span class="reason-condition">([^<]+)</span>', block))


def test_the_empty_form_asks_for_the_enterprise(client):
    html = page(client, "")
    assert '<form class="match-form"' in html and 'method="get"' in html
    assert 'name="region"' in html and ">　　长沙县</option>" in html  # down to the county
    for name in ("industry", "size", "revenue", "employees", "age", "ownership", "qual", "need"):
        assert f'name="{name}"' in html
    assert "制造业</option>" in html and 'value="高新技术企业"' in html and 'value="融资"' in html
    assert result_ids(html) == [] and "请填写企业情况" in html


def test_a_small_manufacturer_in_changsha_county(client):
    html = page(client, MANUFACTURER)
    ids = result_ids(html)
    assert ids[0] == "county-fund"
    # other regions, policies that ended, expired or were repealed, startups only: left out
    assert not {"other-county", "closed-call", "old-measure", "national-loan", "startup"} & set(ids)
    assert {"county-later", "new-measure", "province-hitech"} <= set(ids)
    assert f"适用的惠企政策 <strong>{len(ids)}</strong> 条" in html
    fund = hit_block(html, "county-fund")
    assert {("符合", "地区"), ("符合", "行业"), ("符合", "企业规模"), ("符合", "成立年限"),
            ("符合", "营业收入"), ("符合", "需求：资金"), ("符合", "申报状态")} <= reasons(fund)
    assert "要求不少于500万元，贵企业为800万元" in fund
    assert "原文：上年度营业收入不低于500万元" in fund      # the evidence sentence
    assert ">即将截止</span>" in fund and "· 还剩 10 天" in fund
    hitech = hit_block(html, "province-hitech")
    # 研发奖补 is money: a 支持标准 provision meets the need for 资金 (not the 科技创新 tag)
    assert ("未知", "资质") in reasons(hitech) and ("符合", "需求：资金") in reasons(hitech)
    assert "原文：按研发投入的10%给予奖补，最高100万元" in hitech
    # reasons are listed 符合 first, then 未知, then 不符合
    statuses = re.findall(r'<span class="badge reason-status">([^<]+)</span>', hitech)
    assert statuses == sorted(statuses, key=["符合", "未知", "不符合"].index)


def test_a_startup_gets_the_startup_subsidy_and_misses_by_revenue(client):
    html = page(client, "region=430121&age=1&revenue=100&size=小微")
    ids = result_ids(html)
    assert "startup" in ids
    assert ("符合", "企业类型") in reasons(hit_block(html, "startup"))
    # 营业收入不低于500万元 is not met, 成立满2年 neither
    assert "county-fund" not in ids
    # a high-tech enterprise: the province's high-tech policy matches on 资质
    html = page(client, "region=430121&qual=高新技术企业")
    assert ("符合", "资质") in reasons(hit_block(html, "province-hitech"))


def test_the_profile_lives_in_the_url(client):
    html = page(client, "need=资金&age=5&region=长沙县&industry=制造业&qual=专精特新&qual=高新技术企业"
                        "&revenue=800&employees=60&ownership=民营&size=")
    share = re.search(r'<a class="share-link" href="([^"]+)"', html).group(1)
    parts = urlsplit(share.replace("&amp;", "&"))
    assert parts.path == "/match"
    params = parse_qs(parts.query)
    assert params == {"region": ["430121"], "industry": ["制造业"], "revenue": ["800"],
                      "employees": ["60"], "age": ["5"], "ownership": ["民营"],
                      "qual": ["专精特新", "高新技术企业"], "need": ["资金"]}
    assert EnterpriseProfile.from_params(params).to_params() == params
    # the shared link shows the same results, and the form shows the profile again
    again = page(client, parts.query)
    assert result_ids(again) == result_ids(html)
    assert '<option value="430121" selected>' in again and "<option selected>制造业</option>" in again
    assert 'value="专精特新" checked' in again and 'value="资金" checked' in again
    assert 'name="revenue" type="number" min="0" step="any" inputmode="decimal" value="800"' in again
    feed = re.search(r'<a class="feed-link" href="([^"]+)"', again).group(1).replace("&amp;", "&")
    assert urlsplit(feed).path == "/match/feed" and parse_qs(urlsplit(feed).query) == params


def test_bad_values_give_notices_not_errors(client):
    html = page(client, "region=火星&revenue=abc&employees=1e999&age=-3&industry=<script>x</script>"
                        "&qual=<b>假资质</b>&need=资金")
    assert "未识别所填的地区" in html and "营业收入应为不小于 0 的数字" in html
    assert "从业人数应为" in html and "成立年限应为" in html and "未识别所填的行业" in html
    assert "未识别的资质已忽略：&lt;b&gt;假资质&lt;/b&gt;" in html
    assert "<script>x</script>" not in html and "<b>假资质" not in html
    assert result_ids(html)  # the need alone still finds policies


def test_the_profile_feed(client):
    response = client.get(f"/match/feed?{MANUFACTURER}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.data)
    assert "政策计算器" in root.find(f"{ATOM}title").text
    entries = root.findall(f"{ATOM}entry")
    links = [e.find(f"{ATOM}link[@rel='alternate']").get("href") for e in entries]
    ids = {link.rsplit("/", 1)[1] for link in links}
    html = page(client, MANUFACTURER)
    assert ids == set(result_ids(html))
    fund = next(e for e in entries if e.find(f"{ATOM}id").text.endswith("/county-fund"))
    summary = fund.find(f"{ATOM}summary").text
    assert "符合：地区" in summary and "营业收入" in summary
    published = [e.find(f"{ATOM}published").text for e in entries]
    assert published == sorted(published, reverse=True)  # newest first
    alternate = root.find(f"{ATOM}link[@rel='alternate']").get("href")
    assert urlsplit(alternate).path == "/match"
    assert parse_qs(urlsplit(alternate).query)["industry"] == ["制造业"]


def test_without_an_index_the_store_is_scanned(card_site):
    from web import create_app

    class NoIndex:
        def search(self, request):
            raise AssertionError("the index must not be asked when it is not usable")

        def is_usable(self):
            return False

        def doc_count(self):
            return 0

        def region_codes(self):
            raise AssertionError("the index must not be asked when it is not usable")

    app = create_app(card_site.settings, store=card_site.store, index=NoIndex(), testing=True)
    with_store = result_ids(page(app.test_client(), MANUFACTURER))
    assert with_store[0] == "county-fund"
    assert not {"other-county", "old-measure", "national-loan"} & set(with_store)


def test_the_page_is_linked_and_strict(client):
    response = client.get("/match?region=长沙县")
    assert "script-src 'none'" in response.headers["Content-Security-Policy"]
    html = response.get_data(as_text=True)
    assert "<script" not in html and " style=" not in html
    assert 'href="/match"' in page(client, "")  # the footer link on every page


def test_the_policies_left_out_are_shown_on_request_with_why(client):
    html = page(client, MANUFACTURER)
    link = re.search(r'<a class="unmet-link" href="([^"]+)">显示不适用的政策（(\d+) 条）', html)
    assert link and int(link.group(2)) >= 2
    applicable = result_ids(html)
    shown = page(client, link.group(1).replace("&amp;", "&").split("?", 1)[1])
    assert "隐藏不适用的政策" in shown
    unmet_section = shown.split('class="unmet-heading"', 1)[1]
    left_out = re.findall(r'<h3 class="hit-title"><a href="/policy/([^"]+)"', unmet_section)
    assert "closed-call" in left_out
    assert not set(left_out) & set(applicable)
    # a policy of another county is no candidate at all: the index asks where policies apply
    assert "other-county" not in set(left_out) | set(applicable)
    # the applicable list is the same; each excluded one says first what excludes it
    assert result_ids(shown)[:len(applicable)] == applicable
    closed = hit_block(unmet_section, "closed-call")
    assert ("不符合", "申报状态") in reasons(closed)
