"""The portal widget /embed: what it lists, where its links go, and that it is the only page
another site may frame (and only the sites `embed_origins` names)."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import html as lxml_html

from tests.web.channel_site import BASE_URL, PORTAL
from web.embed import embed_origins


def page_tree(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return lxml_html.fromstring(response.get_data(as_text=True))


def test_embed_lists_the_newest_matching_policies_with_links_to_new_tabs(client, channel_site):
    tree = page_tree(client.get("/embed?region=长沙县&support=资金补贴奖励"))
    links = tree.xpath("//ol[@class='embed-hits']//a[@class='embed-title']")
    assert 3 <= len(links) <= 8  # the default size
    policy_ids = [a.get("href").rsplit("/", 1)[-1] for a in links]
    dates = [channel_site.store.policies.get(pid).publish_date for pid in policy_ids]
    assert dates == sorted(dates, reverse=True)  # newest first, even with words
    for a in tree.xpath("//a"):
        assert a.get("target") == "_blank" and "noopener" in a.get("rel"), a.get("href")
    for pid in policy_ids:
        tags = channel_site.store.policies.get(pid).active_tags()
        assert "资金补贴奖励" in tags["support"]
    # the search box stays in the frame and keeps the widget's filters
    form = tree.xpath("//form")[0]
    assert form.get("action") == "/embed" and form.get("target") == "_self"
    hidden = {(i.get("name"), i.get("value")) for i in form.xpath(".//input[@type='hidden']")}
    assert hidden == {("region", "长沙县"), ("support", "资金补贴奖励")}
    more = tree.xpath("//footer//a")[0]
    assert urlsplit(more.get("href")).path == "/"
    assert parse_qs(urlsplit(more.get("href")).query) == {
        "region": ["长沙县"], "support": ["资金补贴奖励"], "sort": ["newest"]}


def test_embed_search_words_and_size(client):
    tree = page_tree(client.get("/embed?q=贴息&size=3"))
    titles = [a.text_content() for a in tree.xpath("//a[@class='embed-title']")]
    assert titles and len(titles) <= 3
    assert any("贴息" in t or "融资" in t or "银行" in t for t in titles)
    assert tree.xpath("//input[@name='q']")[0].get("value") == "贴息"
    assert client.get("/embed?size=21").status_code == 400  # at most 20
    empty = page_tree(client.get("/embed?region=长沙县&year=1990"))
    assert "没有找到" in empty.text_content()


def test_embed_escapes_crawled_titles(client, channel_site):
    body = client.get("/embed?q=测试公告").get_data(as_text=True)
    assert "<script>alert" not in body and "&lt;script&gt;" in body


def test_embed_may_be_framed_by_the_configured_portals_only(client):
    response = client.get("/embed")
    csp = response.headers["Content-Security-Policy"]
    assert re.search(r"frame-ancestors 'self' https://portal\.example\.gov\.cn(;|$)", csp), csp
    assert "X-Frame-Options" not in response.headers  # it cannot name sites; CSP does
    assert "not-an-origin" not in csp
    # the rest of the policy is the site's: no script at all
    assert "script-src 'none'" in csp and "default-src 'none'" in csp
    # an error inside the widget shows in the frame too
    bad = client.get("/embed?level=nowhere")
    assert bad.status_code == 400 and "frame-ancestors 'self' " in bad.headers["Content-Security-Policy"]


def _get_urls(app, channel_site):
    """A GET URL for every rule of the site (arguments filled with real values)."""
    values = {"policy_id": channel_site.ids["bank"], "job_id": 1, "username": "staffer",
              "source_id": "govcn-api", "fmt": "docx", "filename": "site.css", "kind": "search",
              "token": "no-such-token", "subscription_id": 1}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        yield rule.endpoint, rule.build({k: values[k] for k in rule.arguments},
                                        append_unknown=False)[1]


def test_every_other_page_stays_unframeable(app, channel_site, admin):
    from policy_search import jobs

    jobs.enqueue(channel_site.store, "reindex", {}, "tester")
    anonymous = app.test_client()
    checked = 0
    for endpoint, url in _get_urls(app, channel_site):
        if endpoint == "embed.embed":
            continue
        for client in (anonymous, admin):
            response = client.get(url)
            assert response.headers.get("X-Frame-Options") == "DENY", (url, response.status_code)
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], url
            checked += 1
    for url in ("/no/such/page", "/policy/nope", "/api/search?level=x"):  # error pages too
        response = anonymous.get(url)
        assert response.status_code >= 400
        assert response.headers.get("X-Frame-Options") == "DENY", url
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], url
    assert checked > 60


@pytest.mark.parametrize("setting, allowed, problems", [
    ("", [], []),
    ("https://www.example.gov.cn", ["https://www.example.gov.cn"], []),
    ("https://A.example.gov.cn/, http://10.0.0.5:8080 ,https://*.hunan.gov.cn",
     ["https://a.example.gov.cn", "http://10.0.0.5:8080", "https://*.hunan.gov.cn"], []),
    ("https://a.gov.cn; script-src *", ["https://a.gov.cn"], ["script-src", "*"]),
    ("* https: 'unsafe-inline' https://a.gov.cn/path javascript:alert(1)", [],
     ["*", "https:", "'unsafe-inline'", "https://a.gov.cn/path", "javascript:alert(1)"]),
])
def test_embed_origins_are_origins_only(setting, allowed, problems):
    assert embed_origins(setting) == (allowed, problems)


def test_admins_get_the_snippet_with_a_preview(admin, staff, client):
    response = admin.get("/admin/embed?region=长沙县&size=5")
    tree = page_tree(response)
    snippet = tree.xpath("//textarea[@id='embed-snippet']")[0].text_content()
    frame = lxml_html.fromstring(snippet)
    src = urlsplit(frame.get("src"))
    assert f"{src.scheme}://{src.netloc}" == BASE_URL and src.path == "/embed"
    assert parse_qs(src.query) == {"region": ["长沙县"], "size": ["5"]}
    assert frame.get("title") and frame.get("loading") == "lazy"
    assert PORTAL in tree.text_content() and "not-an-origin" in tree.text_content()
    preview = tree.xpath("//iframe[@class='embed-preview']")[0]
    assert preview.get("src").startswith("/embed?")
    # the admin page may frame this site (the preview) and is itself unframeable
    csp = response.headers["Content-Security-Policy"]
    assert "frame-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert staff.get("/admin/embed").status_code == 403
    assert client.get("/admin/embed").status_code == 302


def test_the_snippet_takes_a_search_pages_address(admin):
    """The conditions of a search chosen on the site: its address pasted whole (or its query)."""
    address = f"{BASE_URL}/?q=贴息&region=长沙县&support=融资信贷&sort=relevance&page=2#results"
    response = admin.get("/admin/embed", query_string={"from": address, "size": "6"})
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/admin/embed"
    assert parse_qs(target.query) == {"q": ["贴息"], "region": ["长沙县"], "support": ["融资信贷"],
                                      "size": ["6"]}
    tree = page_tree(admin.get(response.headers["Location"]))
    src = urlsplit(lxml_html.fromstring(
        tree.xpath("//textarea[@id='embed-snippet']")[0].text_content()).get("src"))
    assert parse_qs(src.query) == {"q": ["贴息"], "region": ["长沙县"], "support": ["融资信贷"],
                                   "size": ["6"]}
    assert "关键词“贴息”；适用地区：长沙县；支持方式：融资信贷" in tree.text_content()
    assert tree.xpath("//form[contains(@class,'embed-from')]//input[@name='from']")
    # the part after "?" alone, and unknown keys dropped
    response = admin.get("/admin/embed", query_string={"from": "?level=county&evil=1"})
    assert parse_qs(urlsplit(response.headers["Location"]).query) == {"level": ["county"]}
    # nothing usable: the page as it was
    response = admin.get("/admin/embed", query_string={"from": "https://elsewhere.example/"})
    assert response.headers["Location"] == "/admin/embed"
