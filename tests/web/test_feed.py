"""Atom feeds of searches: valid XML, newest first, only matching policies."""
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

ATOM = "{http://www.w3.org/2005/Atom}"


def feed(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.data)


def entry_ids(root) -> list[str]:
    return [e.find(f"{ATOM}link[@rel='alternate']").get("href").rsplit("/", 1)[1]
            for e in root.findall(f"{ATOM}entry")]


def test_feed_of_a_filtered_search(client, corpus_site):
    root = feed(client, "/feed?enterprise=专精特新&issued_region=长沙县")
    assert set(entry_ids(root)) == {corpus_site.ids["county"], corpus_site.ids["interpretation"]}
    # newest first
    assert entry_ids(root) == [corpus_site.ids["interpretation"], corpus_site.ids["county"]]
    assert "企业类型:专精特新" in root.find(f"{ATOM}title").text
    self_link = root.find(f"{ATOM}link[@rel='self']").get("href")
    assert parse_qs(urlsplit(self_link).query) == {"enterprise": ["专精特新"],
                                                   "issued_region": ["长沙县"]}
    alternate = root.find(f"{ATOM}link[@rel='alternate']").get("href")
    assert urlsplit(alternate).path == "/" and "enterprise=" in alternate
    entry = root.find(f"{ATOM}entry")
    for child in ("title", "id", "updated", "published", "summary", "author"):
        assert entry.find(f"{ATOM}{child}") is not None
    assert entry.find(f"{ATOM}published").text == "2023-05-15T00:00:00Z"
    assert {c.get("term") for c in entry.findall(f"{ATOM}category")} >= {"专精特新"}
    assert root.find(f"{ATOM}updated").text.endswith("Z")


def test_feed_without_parameters_lists_the_newest(client, corpus_site):
    root = feed(client, "/feed")
    assert root.find(f"{ATOM}title").text == "政策超市 · 最新政策"
    ids = entry_ids(root)
    assert len(ids) == min(30, corpus_site.store.policies.count())
    dates = [e.find(f"{ATOM}published").text for e in root.findall(f"{ATOM}entry")]
    assert dates == sorted(dates, reverse=True)


def test_feed_ignores_sort_and_page_and_rejects_bad_values(client, corpus_site):
    root = feed(client, "/feed?q=专精特新&sort=relevance&page=3")
    assert corpus_site.ids["county"] in entry_ids(root)
    assert client.get("/feed?level=moon").status_code == 400


def test_feed_escapes_crawled_text(client, corpus_site):
    response = client.get("/feed?q=测试通知")
    root = ET.fromstring(response.data)  # parses: nothing broke the XML
    titles = [e.find(f"{ATOM}title").text for e in root.findall(f"{ATOM}entry")]
    assert any("<script>" in t for t in titles)  # as text, not markup
    assert b"<script>" not in response.data
