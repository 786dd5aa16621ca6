"""Script payloads in titles, bodies, tags, URLs and the query: nothing executes.

The checks look for the payloads as markup (an opening tag or an event attribute);
the same text escaped (&lt;script&gt;) is fine: that is how it should be shown.
"""
import re

import pytest

PAYLOAD_TAG = re.compile(r"<\s*(?:script|img|iframe|svg|b|i)\b", re.I)
REAL_TAG = re.compile(r"<[a-z][^>]*>", re.I)
QUOTED = re.compile(r'"[^"]*"|\'[^\']*\'')
EVENT_ATTRIBUTE = re.compile(r"\son\w+\s*=", re.I)
SCRIPT_URL = re.compile(r"(?:href|src)\s*=\s*[\"']?\s*javascript:", re.I)


def markup_found(page: str) -> list[str]:
    """Payload markup that a browser would act on.

    Our templates use none of the payload tags, so any such tag came from data. An event
    attribute counts only outside quoted attribute values: escaped text inside
    value="…" is inert (Jinja escapes the quotes, so it cannot break out).
    """
    found = PAYLOAD_TAG.findall(page) + SCRIPT_URL.findall(page)
    for tag in REAL_TAG.findall(page):
        if EVENT_ATTRIBUTE.search(QUOTED.sub('""', tag)):
            found.append(tag)
    return found


def test_policy_page_escapes_title_issuer_tags_and_sanitizes_the_body(client, corpus_site):
    page = client.get(f"/policy/{corpus_site.ids['xss']}").get_data(as_text=True)
    assert markup_found(page) == []
    assert "&lt;script&gt;alert(&#39;xss-title&#39;)&lt;/script&gt;" in page
    assert "&lt;i&gt;测试&lt;/i&gt;机关" in page
    assert "&lt;b onmouseover=alert(&#39;xss-tag&#39;)&gt;标签&lt;/b&gt;" in page
    assert "第一段：专精特新企业奖励" in page and "<td>50万元</td>" in page
    # a javascript: original URL is not turned into a link
    assert "原文链接不详" in page


@pytest.mark.parametrize("url", [
    "/?q=测试通知", "/?q=专精特新", "/?enterprise=专精特新",
    "/?support=<b onmouseover=alert('xss-tag')>标签</b>",
    "/?q=<script>alert('q')</script>",
    "/?q=\"><script>alert(1)</script>",
    "/?q=<img src=x onerror=alert(1)>&issuer=<svg onload=alert(1)>",
])
def test_search_page_escapes_results_facets_and_the_query(client, url):
    response = client.get(url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert markup_found(page) == [], url


def test_query_is_echoed_escaped(client):
    page = client.get("/?q=\"><script>alert(1)</script>").get_data(as_text=True)
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page


def test_snippets_carry_only_the_highlight_tag(client, corpus_site):
    body = client.get("/api/search?q=专精特新 script alert&size=50").get_json()
    snippets = [h["snippet"] for h in body["hits"]]
    assert snippets
    for snippet in snippets:
        tags = re.findall(r"<[^>]*>", snippet)
        assert set(tags) <= {"<mark>", "</mark>"}, snippet
    xss = next(h for h in body["hits"] if h["id"] == corpus_site.ids["xss"])
    assert "&lt;" in xss["snippet"]  # the payload is there, as text


def test_snippets_for_a_query_that_is_markup(client):
    body = client.get("/api/search?q=<mark>专精特新</mark>").get_json()
    for hit in body["hits"]:
        assert set(re.findall(r"<[^>]*>", hit["snippet"])) <= {"<mark>", "</mark>"}


def test_error_page_does_not_reflect_markup(client):
    page = client.get("/?level=<script>alert(1)</script>").get_data(as_text=True)
    assert markup_found(page) == []
    page = client.get("/policy/<script>alert(1)</script>").get_data(as_text=True)
    assert markup_found(page) == []


def test_the_checker_itself_catches_live_markup():
    assert markup_found("<p>ok</p><script>alert(1)</script>")
    assert markup_found('<a href="/x" onclick="alert(1)">x</a>')
    assert markup_found('<a href="javascript:alert(1)">x</a>')
    assert markup_found('<img src=x onerror=alert(1)>')
    assert not markup_found('<input value="&lt;b onmouseover=alert(1)&gt;"> &lt;script&gt;')
