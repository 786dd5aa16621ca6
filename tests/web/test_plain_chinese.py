"""No English words, internal codes or timings on the public pages: everything the site
itself writes there is Chinese (tests/web/plain_chinese.py says what counts as visible
and what the documents may say themselves)."""
from __future__ import annotations

import pytest

from tests.web.plain_chinese import site_words, visible_text

PUBLIC_PAGES = [
    "/",
    "/?sort=newest",
    "/?sort=newest&page=2",
    "/?q=专精特新",
    "/?q=专精特新&level=county&support=资金补贴奖励&sort=newest",
    "/?q=企业&validity=all&sort=deadline",
    "/?level=national&level=provincial&scope=national&issued_region=湖南省&kind=政策解读",
    "/?q=量子引力火星殖民&level=county",
    "/?q=通知&page=400",
    "/?region=长沙县",
    "/match",
    "/match?region=430121&industry=制造业&size=小型&need=资金&qual=高新技术企业",
    "/login",
    "/subscribe/search?q=专精特新&level=county",
    "/subscribe/match?region=430121&industry=制造业",
    "/subscribe/match",
]
ERROR_PAGES = ["/policy/nope", "/?sort=bogus", "/?level=planet"]


@pytest.mark.parametrize("url", PUBLIC_PAGES + ERROR_PAGES)
def test_public_pages_are_plain_chinese(client, corpus_site, url):
    response = client.get(url)
    assert response.status_code in (200, 400, 404)
    page = response.get_data(as_text=True)
    assert site_words(page, corpus_site.store) == []
    assert "毫秒" not in visible_text(page)


@pytest.mark.parametrize("name", ["county", "interpretation", "docno_a", "docno_b", "xss"])
def test_policy_pages_are_plain_chinese(client, corpus_site, name):
    page = client.get(f"/policy/{corpus_site.ids[name]}").get_data(as_text=True)
    assert site_words(page, corpus_site.store, also_shown={corpus_site.ids[name]}) == []


def test_corpus_policy_pages_are_plain_chinese(client, corpus_site):
    for policy_id in corpus_site.corpus_ids[:12]:
        page = client.get(f"/policy/{policy_id}").get_data(as_text=True)
        assert site_words(page, corpus_site.store, also_shown={policy_id}) == [], policy_id


def test_the_scan_finds_what_the_site_writes(client, corpus_site):
    """The scan itself: English or a code the site adds is caught; the documents' own
    Latin words are not."""
    page = client.get("/?q=专精特新").get_data(as_text=True)
    planted = page.replace("共找到", "Found 共找到").replace("</main>", "<p>430121</p></main>")
    assert site_words(planted, corpus_site.store) == ["430121", "Found"]
    titled = page.replace("共找到", '<span title="relevance">共找到</span>')
    assert site_words(titled, corpus_site.store) == ["relevance"]
    # a command in <code> and a URL are literals, not words
    literal = page.replace("</main>", "<p><code>make run</code> http://example.org/x</p></main>")
    assert site_words(literal, corpus_site.store) == []
    # the documents' own words: the crafted county policy's attachment is a .docx
    county = client.get(f"/policy/{corpus_site.ids['county']}").get_data(as_text=True)
    assert "docx" in visible_text(county)
    assert site_words(county, corpus_site.store, also_shown={corpus_site.ids["county"]}) == []
