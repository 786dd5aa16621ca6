"""index.search on the fixture store: 文号, synonyms, phrases, filters, facets, sorting,
pagination, highlighting and hostile input."""
from __future__ import annotations

import pytest

from index.api import FACETS, SearchRequest
from policy_search.domain.applicability import applicability_of
from policy_search.domain.models import LEVELS
from policy_search.domain.regions import NATIONAL
from tests.index.conftest import crafted_policies


def search(index, q="", **kw):
    return index.search(SearchRequest(q=q, **kw))


def titles(result):
    return [h.title for h in result.hits]


CRAFTED = {p.title: p for p in crafted_policies()}
COUNTY, CITY, PROVINCE, XSS = list(CRAFTED)


@pytest.mark.parametrize("query", [
    "长县政发〔2023〕7号", "长县政发[2023]7号", "长县政发【2023】7号", "长县政发（2023）7号",
    "长县政发(2023)7号", "长县政发［2023］7号", "长县政发 [2023] 第7号", "长县政发〔2023〕7号 补助",
])
def test_doc_number_in_any_bracket_style_is_rank_one(searcher, query):
    result = search(searcher, query)
    assert result.hits and result.hits[0].title == COUNTY
    assert result.mode == "doc_number"


def test_doc_number_published_with_other_brackets(searcher):
    assert titles(search(searcher, "长人社发〔2022〕12号"))[0] == CITY
    assert titles(search(searcher, "湘工信发[2021]3号"))[0] == PROVINCE


def test_synonyms_expand_the_query(searcher):
    # The county document says 小型微利企业 and 补助, never 小微 or 补贴.
    assert COUNTY in titles(search(searcher, "小微企业 补贴", size=50))


def test_dictionary_term_finds_its_parts_and_the_whole(searcher):
    assert PROVINCE in titles(search(searcher, "加计扣除", size=50))
    assert PROVINCE in titles(search(searcher, "研发费用加计扣除", size=50))


def test_quoted_phrase_needs_the_words_in_order(searcher):
    found = search(searcher, '"融资担保机构"', size=50)
    assert CITY in titles(found)
    reversed_order = search(searcher, '"机构融资担保"', size=50)
    assert CITY not in titles(reversed_order)


def test_and_falls_back_to_ranked_or(searcher):
    result = search(searcher, "稳岗返还 量子纠缠望远镜")
    assert result.mode == "or" and result.total >= 1
    assert result.hits[0].title == CITY
    assert result.message


def test_title_match_outranks_body_match(searcher):
    result = search(searcher, "稳岗返还", size=50)
    assert result.hits[0].title == CITY


def test_level_filter_and_facet_counts(searcher, built):
    store, _ = built
    everything = search(searcher, "", size=1)
    assert everything.total == store.policies.count()
    levels = {f.value: f.count for f in everything.facets["level"]}
    assert sum(levels.values()) <= everything.total
    county = search(searcher, "", filters={"level": ["county"]})
    assert county.total == levels["county"] == 1
    assert titles(county) == [COUNTY]
    # A facet's own filter does not narrow its counts (so users can pick more values),
    # the other facets' counts follow the filter.
    assert {f.value: f.count for f in county.facets["level"]} == levels
    assert {f.value for f in county.facets["region"]} == {"长沙县"}
    assert set(everything.facets) == set(FACETS)


def test_issued_region_filter_includes_child_regions(searcher):
    hunan = search(searcher, "", filters={"issued_region": ["湖南省"]}, size=50)
    assert set(titles(hunan)) == {COUNTY, CITY, PROVINCE, XSS}
    by_code = search(searcher, "", filters={"issued_region": ["430100"]}, size=50)
    assert set(titles(by_code)) == {COUNTY, CITY}
    county = search(searcher, "", filters={"issued_region": ["长沙县"]}, size=50)
    assert titles(county) == [COUNTY]
    assert {f.value: f.count for f in county.facets["issued_region"]}["长沙市"] == 1


def test_region_filter_means_where_a_policy_applies(searcher, built):
    store, _ = built
    national = {p.title for p in store.policies.iter_all()
                if applicability_of(p).codes == (NATIONAL,)}
    assert national
    # national, provincial, city and county policies all apply in 长沙县
    county = search(searcher, "", filters={"region": ["长沙县"]}, size=100)
    assert set(titles(county)) == national | {COUNTY, CITY, PROVINCE, XSS}
    # a province: its own and the national ones, not what its cities and counties issued
    hunan = search(searcher, "", filters={"region": ["湖南省"]}, size=100)
    assert set(titles(hunan)) == national | {PROVINCE, XSS}
    assert set(titles(search(searcher, "", filters={"region": ["430100"]}, size=100))) == \
        national | {CITY, PROVINCE, XSS}
    # another county of 长沙市 gets the city's policy, not 长沙县's
    liuyang = search(searcher, "", filters={"region": ["浏阳市"]}, size=100)
    assert CITY in titles(liuyang) and COUNTY not in titles(liuyang)
    assert set(titles(search(searcher, "", filters={"region": ["全国"]}, size=100))) == national
    # the words still count
    found = titles(search(searcher, "稳岗返还", filters={"region": ["长沙县"]}))
    assert found[0] == CITY and set(found) <= national | {CITY}


def test_a_region_facet_over_its_limit_drops_the_deepest_levels_first(searcher, monkeypatch):
    import index.search

    from policy_search.domain.regions import find_region, parent_codes

    full = [f.value for f in search(searcher, "", size=1).facets["region"]]
    assert full.index("湖南省") < full.index("长沙市") < full.index("长沙县")
    # 全国 and the provinces (北京市 among them): at most one division above them
    provinces = [v for v in full if v == "全国" or len(parent_codes(find_region(v).code)) <= 2]
    assert "湖南省" in provinces and "长沙市" not in provinces and len(provinces) < len(full)
    monkeypatch.setattr(index.search, "FACET_LIMITS", {**index.search.FACET_LIMITS,
                                                       "region": len(provinces)})
    searcher._live.results.clear()
    try:
        cut = [f.value for f in search(searcher, "", size=1).facets["region"]]
    finally:
        searcher._live.results.clear()  # the other tests' searches count without the limit
    assert cut == provinces  # every province kept, in tree order; the cities went first


def test_region_facet_counts_what_applies_and_scope_shows_the_levels(searcher, built):
    store, _ = built
    national = sum(applicability_of(p).codes == (NATIONAL,) for p in store.policies.iter_all())
    result = search(searcher, "", size=1)
    counts = {f.value: f.count for f in result.facets["region"]}
    # per region: the results that apply there — the same number its filter finds
    assert counts["全国"] == national
    assert counts["湖南省"] == national + 2
    assert counts["长沙市"] == national + 3 and counts["长沙县"] == national + 4
    for value in ("全国", "湖南省", "长沙市", "长沙县"):
        assert search(searcher, "", filters={"region": [value]}).total == counts[value]
    # a tree: 全国 first, then each province followed by its cities and counties
    values = [f.value for f in result.facets["region"]]
    assert values[0] == "全国"
    assert values.index("湖南省") < values.index("长沙市") < values.index("长沙县")
    # under region=长沙县: how many results apply at each level
    county = search(searcher, "", filters={"region": ["长沙县"]}, size=1)
    assert {f.value: f.count for f in county.facets["scope"]} == {
        "national": national, "provincial": 2, "city": 1, "county": 1}
    assert [f.value for f in county.facets["scope"]] == list(LEVELS)
    only_county = search(searcher, "", filters={"region": ["长沙县"], "scope": ["county"]})
    assert titles(only_county) == [COUNTY]


def test_tag_validity_year_kind_filters(searcher):
    assert titles(search(searcher, "", filters={"enterprise": ["专精特新"]})) == [PROVINCE]
    assert titles(search(searcher, "", filters={"support": ["稳岗就业"]})) == [CITY]
    assert titles(search(searcher, "", filters={"validity": ["失效"]})) == [PROVINCE]
    both = search(searcher, "", filters={"support": ["稳岗就业", "税费减免"]})
    assert set(titles(both)) == {CITY, PROVINCE}
    assert titles(search(searcher, "", filters={"year": ["2023"], "issued_region": ["湖南省"]})) == [COUNTY]
    facet = {f.value: f.count for f in search(searcher, "").facets["support"]}
    assert facet == {"资金补贴奖励": 1, "稳岗就业": 1, "税费减免": 1}


def test_sort_newest(searcher):
    result = search(searcher, "", sort="newest", size=20)
    dates = [h.publish_date or "" for h in result.hits]
    assert dates == sorted(dates, reverse=True)
    queried = search(searcher, "企业", sort="newest", size=20)
    dates = [h.publish_date or "" for h in queried.hits]
    assert dates == sorted(dates, reverse=True)


def test_deadline_sort_without_deadlines_is_newest_first_and_silent(searcher):
    # The fixture store has no derived deadlines: every policy is 未知, newest first.
    result = search(searcher, "", sort="deadline", size=20)
    assert result.message is None and result.hits
    dates = [h.publish_date or "" for h in result.hits]
    assert dates == sorted(dates, reverse=True)
    assert {c.value for c in result.facets["deadline"]} == {"未知"}


@pytest.mark.parametrize("page,size,expected_page,expected_size", [
    (0, 10, 1, 10), (-5, 10, 1, 10), (1, 0, 1, 1), (1, 100000, 1, 100), ("x", "y", 1, 10),
    (10**9, 10, 500, 10),
])
def test_pagination_bounds(searcher, page, size, expected_page, expected_size):
    result = search(searcher, "", page=page, size=size)
    assert (result.page, result.size) == (expected_page, expected_size)


def test_pages_do_not_overlap(searcher):
    first = search(searcher, "", page=1, size=5)
    second = search(searcher, "", page=2, size=5)
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}
    assert len(first.hits) == 5 and first.total == second.total


@pytest.mark.parametrize("query", [
    '"融资担保', '融资" 担保"', "AND", "OR NOT", "-", "*", "?", "~2", "a:b", "title:融资",
    "(", ")))", "[", "{}", "\\", "^", "融资" * 500, "x" * 1000, "\x00\x01\x02融资\x1b[0m",
    "\u202e反转", "🙂🙂", "   ", "<script>alert(1)</script>", "' OR 1=1 --", "%s%n", None,
])
def test_malformed_queries_never_raise(searcher, query):
    result = search(searcher, query)
    assert result.mode != "error"
    assert result.total >= 0
    for hit in result.hits:
        assert "<script>" not in hit.snippet


def test_long_query_is_cut_with_a_message(searcher):
    result = search(searcher, "融资" * 500)
    assert "过长" in result.message


def test_wildcards_are_not_interpreted(searcher):
    result = search(searcher, "融资*")
    assert "通配符" in result.message


def test_snippet_is_escaped_except_marks(searcher):
    result = search(searcher, "脚本注入 融资担保")
    hit = next(h for h in result.hits if h.title == XSS)
    assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet
    assert "<mark>融资担保</mark>" in hit.snippet
    stripped = hit.snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped


def test_highlight_prefers_the_longest_word(searcher):
    result = search(searcher, "天使投资", size=50)
    hit = next(h for h in result.hits if h.title == COUNTY)
    assert "<mark>天使投资</mark>" in hit.snippet


def test_a_snippet_never_starts_or_ends_inside_a_marked_word():
    """The window of 国务院关于促进光伏产业健康发展的若干意见 asked 光伏产业健康发展 began one
    character into 发展方式: "…<mark>展</mark>方式" — a stray character marked."""
    import re

    from index.highlight import snippet
    from tests.policy_search.corpus import all_documents

    body = next(d["body"] for d in all_documents().values()
                if d["title"] == "国务院关于促进光伏产业健康发展的若干意见")
    terms = ["光伏", "产业", "健康", "发展"]
    shown = snippet(body, terms)
    marked = re.findall(r"<mark>(.*?)</mark>", shown)
    assert marked and all(any(t in m for t in terms) for m in marked), marked
    # and on every window this body offers, however narrow
    for width in range(20, 200, 7):
        assert all(any(t in m for t in terms) for m in re.findall(r"<mark>(.*?)</mark>", snippet(body, terms, width)))


def test_fields_of_a_hit(searcher):
    hit = search(searcher, "长县政发〔2023〕7号").hits[0]
    assert hit.region == "长沙县" and hit.region_code == "430121" and hit.level == "county"
    assert hit.tags == {"enterprise": ["小微企业"], "support": ["资金补贴奖励"]}
    assert hit.doc_number == "长县政发〔2023〕7号" and hit.publish_date == "2023-05-01"


def test_nothing_found_gives_a_suggestion_or_message(searcher):
    result = search(searcher, "量子纠缠望远镜")
    assert result.total == 0 and result.message
    filtered = search(searcher, "稳岗返还", filters={"issued_region": ["长沙县"]})
    assert filtered.total == 0
    assert "筛选" in filtered.message


def test_unknown_filters_and_sorts_are_reported_not_raised(searcher):
    result = search(searcher, "", filters={"color": ["red"], "level": "county"}, sort="weird")
    assert result.total == 1 and "color" in result.message


def test_real_document_found_by_title_words(searcher, built):
    store, _ = built
    policy = next(p for p in store.policies.iter_all() if "example.gov.cn" not in (p.url or ""))
    result = search(searcher, policy.title, size=5)
    assert policy.id in [h.id for h in result.hits]


def test_doc_count_and_usable(searcher, built):
    assert searcher.is_usable()
    assert searcher.doc_count() == built[0].policies.count()


@pytest.mark.parametrize("q", ["", "企业", "专精特新 认定"])
def test_each_facet_is_counted_without_its_own_filter(searcher, q):
    """With words or without: a facet's counts are those of the query under every other
    filter, so the values a filter leaves out (失效 under 有效) keep their counts."""
    filters = {"validity": ["有效"], "issued_region": ["湖南省"]}
    result = search(searcher, q, filters=filters)
    for key in filters:
        others = {k: v for k, v in filters.items() if k != key}
        expected = search(searcher, q, filters=others, size=100)
        counts = {f.value: f.count for f in result.facets[key]}
        assert counts == {f.value: f.count for f in expected.facets[key]}
        truth: dict[str, int] = {}
        for hit in expected.hits:
            if key == "validity":
                truth[hit.validity] = truth.get(hit.validity, 0) + 1
        if key == "validity":
            assert counts == truth
    if q:  # the crafted 失效 provincial document matches these words
        counts = {f.value: f.count for f in result.facets["validity"]}
        assert counts.get("失效", 0) >= 1
        assert all(h.validity == "有效" for h in result.hits)


def test_a_page_past_the_limits_is_clamped_with_a_note(searcher):
    """Callers other than the site (which refuses such a request with a 400) get the last
    page the limits allow, and the index says so."""
    from index.api import LIMITS

    last = LIMITS.last_page(20)
    result = searcher.search(SearchRequest(page=last + 50, size=20))
    assert result.page == last and result.size == 20
    assert LIMITS.page_problem(last + 50, 20) in result.message
    assert searcher.search(SearchRequest(size=LIMITS.page_size + 1)).size == LIMITS.page_size
    assert searcher.search(SearchRequest(page=last, size=20)).message is None


def test_facets_come_in_their_own_order(searcher):
    from index.api import FACET_ORDER

    facets = searcher.search(SearchRequest(filters={})).facets
    for key, order in FACET_ORDER.items():
        values = [c.value for c in facets.get(key, [])]
        assert values == [v for v in order if v in values], key
    years = [c.value for c in facets["year"]]
    assert len(years) > 1 and years == sorted(years, reverse=True)
