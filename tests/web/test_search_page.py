"""The search page `/`: query, facets, sort, pagination, empty results — all in the URL."""
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def hit_ids(page: str) -> list[str]:
    return re.findall(r'<h2 class="hit-title"><a href="/policy/([0-9a-f]+)"', page)


def hit_dates(page: str) -> list[str]:
    return re.findall(r'<span class="date">发布 (\d{4}-\d{2}-\d{2})</span>', page)


def links(page: str, css_class: str) -> list[tuple[str, str]]:
    """(href, inner text) of links carrying a class."""
    found = re.findall(rf'<a class="{css_class}[^"]*" href="([^"]*)"[^>]*>(.*?)</a>', page, re.S)
    return [(html.unescape(href), re.sub(r"<[^>]+>", "", inner)) for href, inner in found]


def params_of(href: str) -> dict:
    return parse_qs(urlsplit(href).query)


def test_browsing_without_a_query_lists_the_newest_policies(client, corpus_site):
    page = text(client.get("/?sort=newest"))
    assert "全部政策" in page and "最新发布的在前" in page
    # expired and repealed policies are left out by default
    in_force = sum(p.validity not in ("失效", "废止") for p in corpus_site.store.policies.iter_all())
    assert f"共 {in_force} 条" in page
    dates = hit_dates(page)
    assert len(dates) >= 5 and dates == sorted(dates, reverse=True)
    newest = max(p.publish_date or "" for p in corpus_site.store.policies.iter_all())
    assert dates[0] == newest


def test_a_query_finds_policies_shows_metadata_and_highlights(client, corpus_site):
    page = text(client.get("/?q=专精特新"))
    ids = hit_ids(page)
    assert corpus_site.ids["county"] in ids
    assert "<mark>" in page
    # the query is kept in the search box
    assert 'name="q" value="专精特新"' in page
    # result line: issuer, 文号, level · region, date, validity, tag chips
    block = page.split(f'/policy/{corpus_site.ids["county"]}"', 1)[1].split('<li class="hit">', 1)[0]
    for expected in ("长沙县人民政府办公室", "长县政办发〔2023〕12号", "县级 · 长沙县", "发布 2023-05-12",
                     "有效性：有效", 'class="chip tag-enterprise"'):
        assert expected in block


def test_facets_have_counts_for_every_facet_kind(client):
    page = text(client.get("/?sort=newest"))
    for name in ("层级", "适用地区", "发文地区", "支持方式", "企业类型", "发文机关", "年份", "有效性", "文件类型", "行业"):
        assert f"<h3>{name}</h3>" in page
    facet_links = links(page, "facet-value")
    labels = [label for _, label in facet_links]
    assert any(label.startswith("✓") is False and label.startswith("国家") for label in labels)
    assert any(re.fullmatch(r"县\d+", label) for label in labels)


def test_apply_two_facets_then_remove_one(client, corpus_site):
    page = text(client.get("/?sort=newest"))
    county_href = next(href for href, label in links(page, "facet-value") if re.fullmatch(r"县\d+", label))
    assert params_of(county_href) == {"level": ["county"], "sort": ["newest"]}
    assert urlsplit(county_href).fragment == "results"  # back at the list, not the top
    page = text(client.get(county_href))
    assert set(hit_ids(page)) == {corpus_site.ids["county"], corpus_site.ids["interpretation"]}
    support_href = next(href for href, label in links(page, "facet-value")
                        if label.startswith("资金补贴奖励"))
    assert params_of(support_href) == {"level": ["county"], "support": ["资金补贴奖励"],
                                       "sort": ["newest"]}
    page = text(client.get(support_href))
    assert set(hit_ids(page)) == {corpus_site.ids["county"], corpus_site.ids["interpretation"]}
    # both shown as active filters, each removable
    chips = links(page, "chip chip-active")
    assert {label for _, label in chips} == {"层级：县×", "支持方式：资金补贴奖励×"}
    remove_level = next(href for href, label in chips if label.startswith("层级"))
    assert params_of(remove_level) == {"support": ["资金补贴奖励"], "sort": ["newest"]}
    page = text(client.get(remove_level))
    ids = set(hit_ids(page))
    assert {corpus_site.ids["county"], corpus_site.ids["interpretation"]} <= ids and len(ids) > 2
    # the search form carries the remaining filter, so a new query keeps it
    assert '<input type="hidden" name="support" value="资金补贴奖励">' in page


def test_several_values_of_one_facet_are_ored(client, corpus_site):
    # (Hunan's: the corpus has city and county documents of its own, city regulations)
    page = text(client.get("/?level=county&level=city&validity=all&issued_region=湖南省"))
    assert set(hit_ids(page)) == {corpus_site.ids["county"], corpus_site.ids["interpretation"], corpus_site.ids["docno_b"]}
    active = [href for href, label in links(page, "facet-value active")]
    assert len(active) == 3


def test_sort_by_newest_orders_by_publish_date(client):
    page = text(client.get("/?q=通知&sort=newest"))
    dates = hit_dates(page)
    assert len(dates) >= 3 and dates == sorted(dates, reverse=True)
    assert '<strong class="sort-current" aria-current="true">最新发布</strong>' in page
    # the other sorts are links that keep the query
    relevance = next(href for href in re.findall(r'href="([^"]+)">相关度</a>', page))
    assert params_of(html.unescape(relevance)) == {"q": ["通知"]}


def test_pagination_moves_through_results(client, corpus_site):
    first = text(client.get("/?size=5"))
    second = text(client.get("/?size=5&page=2"))
    assert len(hit_ids(first)) == 5 and len(hit_ids(second)) == 5
    assert not set(hit_ids(first)) & set(hit_ids(second))
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert 'rel="prev"' in second
    next_href = html.unescape(re.search(r'class="next" rel="next" href="([^"]+)"', first)[1])
    assert params_of(next_href) == {"size": ["5"], "page": ["2"]}
    assert '<ol class="hits" start="6">' in second


def test_an_empty_result_explains_and_suggests(client):
    page = text(client.get("/?q=量子引力火星殖民&level=county"))
    assert "没有找到与“量子引力火星殖民”相符的政策" in page
    assert "去掉全部筛选" in page and "浏览全部政策" in page
    assert hit_ids(page) == []


def test_a_page_past_the_end_is_empty_not_an_error(client):
    page = text(client.get("/?q=通知&page=400"))
    assert hit_ids(page) == [] and "回到第 1 页" in page


def test_the_feed_of_the_search_is_linked(client):
    page = text(client.get("/?q=专精特新&level=county&sort=newest&page=1"))
    feed = html.unescape(re.search(r'<a class="feed-link" href="([^"]+)"', page)[1])
    assert urlsplit(feed).path == "/feed"
    assert params_of(feed) == {"q": ["专精特新"], "level": ["county"]}
    assert 'rel="alternate" type="application/atom+xml"' in page


def test_a_wen_hao_in_another_bracket_style_finds_the_document(client, corpus_site):
    page = text(client.get("/?q=湘政发(2021)5号&validity=all"))
    assert {corpus_site.ids["docno_a"], corpus_site.ids["docno_b"]} <= set(hit_ids(page))


@pytest.mark.parametrize("url", ["/?sort=bogus", "/?page=0", "/?level=planet", "/?q=" + "长" * 201])
def test_bad_parameters_give_a_400_page_in_chinese(client, url):
    response = client.get(url)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请求有误" in page and "返回首页" in page


def test_unknown_parameters_are_ignored(client):
    assert client.get("/?utm_source=wechat&q=通知").status_code == 200


def test_a_question_shows_how_it_was_searched(client):
    html = client.get("/?q=专精特新企业有没有补贴").get_data(as_text=True)
    assert 'class="notice rewrite"' in html
    assert "按「" in html and "」为您检索" in html
    plain = client.get("/?q=专精特新").get_data(as_text=True)
    assert "为您检索" not in plain
