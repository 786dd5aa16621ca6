"""On the site: 主题分类 as a path and a filter; 原文 offered only on a government site."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from lxml import html as lxml_html

from tests.web.channel_site import PROXY_URL


def tree_of(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return lxml_html.fromstring(response.get_data(as_text=True))


def ids_of(body: dict) -> set[str]:
    return {hit["id"] for hit in body["hits"]}


def test_subject_filter_takes_a_category_with_its_sub_categories(client, channel_site):
    bank, tax, tech = channel_site.ids["bank"], channel_site.ids["tax"], channel_site.ids["tech"]
    body = client.get("/api/search?subject=财政、金融、审计").get_json()
    assert ids_of(body) == {bank, tax}
    for spelling in ("财政、金融、审计 › 银行", "财政、金融、审计\\银行", "财政、金融、审计/银行"):
        assert ids_of(client.get("/api/search", query_string={"subject": spelling}).get_json()) == {bank}
    body = client.get("/api/search?subject=财政、金融、审计&subject=科技、教育").get_json()
    assert ids_of(body) == {bank, tax, tech}
    counts = {f["value"]: f["count"] for f in body["facets"]["subject"]}
    assert counts["财政、金融、审计"] == 2 and counts["财政、金融、审计 › 银行"] == 1
    assert counts["科技、教育 › 科技"] == 1
    assert not any("\\" in value for value in counts)


def test_the_subject_facet_is_a_tree_and_the_openapi_names_it(client):
    tree = tree_of(client.get("/?region=长沙县"))
    items = tree.xpath("//section[contains(@class,'facet-subject')]//li")
    labels = [(li.get("class") or "", li.xpath(".//span[@class='value']")[0].text) for li in items]
    top = labels.index(("", "财政、金融、审计"))
    assert labels[top + 1][0] == "depth-1" and labels[top + 1][1] in ("银行", "税务")
    link = items[top + 1].xpath(".//a")[0].get("href")
    assert "subject=%E8%B4%A2%E6%94%BF" in link and "%E2%80%BA" in link  # the path, as the value
    assert tree.xpath("//section[contains(@class,'facet-subject')]/h3")[0].text == "主题分类"
    spec = client.get("/api/openapi.json").get_json()
    names = [p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]]
    assert "subject" in names
    assert "original_url" in spec["components"]["schemas"]["Hit"]["properties"]


def test_the_policy_page_shows_the_subject_as_a_path_of_links(client, channel_site):
    tree = tree_of(client.get(f"/policy/{channel_site.ids['bank']}"))
    row = tree.xpath("//div[contains(@class,'meta-subject')]/dd")[0]
    assert row.text_content() == "财政、金融、审计 › 银行"
    hrefs = [a.get("href") for a in row.xpath(".//a")]
    assert len(hrefs) == 2 and "%E2%80%BA" not in hrefs[0] and "%E2%80%BA" in hrefs[1]
    assert "\\" not in tree.text_content()


def test_only_a_government_site_is_offered_as_the_original(client, staff, channel_site):
    proxy = channel_site.ids["proxy"]
    page = client.get(f"/policy/{proxy}").get_data(as_text=True)
    assert "查看原文（政府网站）" not in page and "s.fjlib.net" not in page
    assert "转载自非政府网站" in page
    # staff still see where the text came from
    staff_page = staff.get(f"/policy/{proxy}").get_data(as_text=True)
    assert "收录来源（非政府网站，仅工作人员可见）" in staff_page and "s.fjlib.net" in staff_page
    review = staff.get(f"/staff/policy/{proxy}").get_data(as_text=True)
    assert "非政府网站" in review
    # a gov.cn page is the original
    bank = client.get(f"/policy/{channel_site.ids['bank']}").get_data(as_text=True)
    assert 'class="original-link" href="http://www.csx.gov.cn/zcwj/bank.html"' in bank
    # the API keeps the link and says which one is the original
    record = client.get(f"/api/policies/{proxy}").get_json()
    assert record["url"] == PROXY_URL and record["original_url"] is None
    hits = client.get("/api/search?q=政府工作报告&issued_region=上海市").get_json()["hits"]
    assert hits and hits[0]["url"] == PROXY_URL and hits[0]["original_url"] is None
    # the feed offers no related link to it
    feed = ET.fromstring(client.get("/feed?issued_region=上海市").data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("a:entry", ns)
    assert entries and all(link.get("rel") != "related"
                           for e in entries for link in e.findall("a:link", ns))


def test_a_crawl_sources_host_counts_as_a_government_site(channel_site, tmp_path):
    import dataclasses

    from web import create_app
    from web.originals import original_link

    sources = tmp_path / "sources.toml"
    sources.write_text("""
[[source]]
id = "county-portal"
name = "某县人民政府门户网站"
level = "county"
region_code = "430121"
allowed_hosts = ["www.county-portal.example"]

[[source.entries]]
kind = "links"
url = "https://www.county-portal.example/zcwj/index.html"
""", encoding="utf-8")
    app = create_app(dataclasses.replace(channel_site.settings, sources_file=sources), store=channel_site.store,
                     index=channel_site.index, testing=True)
    with app.test_request_context():
        assert original_link("https://www.county-portal.example/zcwj/1.html")
        assert original_link("https://sub.www.county-portal.example/1.html")  # its subdomains
        assert original_link("https://www.gov.cn/zhengce/1.htm")
        assert original_link("https://county-portal.example.evil/1.html") is None
        assert original_link(PROXY_URL) is None
        assert original_link("javascript:alert(1)") is None
