"""Ranking mechanisms on real documents: a fairly common word of a query may be missing
(产业 of 中医药产业发展: the 中医药法 never writes it), the body's headings count as
evidence of what a document is about, and neighbouring words of a query found side by
side earn a bonus."""
from __future__ import annotations

import pytest

from index.api import SearchRequest
from tests.index.conftest import corpus_rows, real_rows

LAW = "中华人民共和国中医药法"                  # 中医药 140 times, 产业 never
REGULATIONS = ["山东省中医药条例", "北京市中医药条例"]   # 中医药 and 产业
ENTRY_EXIT = "中华人民共和国出境入境管理法"          # 外国人 … 工作许可
MOUNTAINEERING = "外国人来华登山管理办法"            # 外国人, no 工作许可
REGISTRATION = "中华人民共和国市场主体登记管理条例实施细则"  # ## 第七章 注销登记
BUSINESS = "优化营商环境条例"                       # 注销 in a few sentences
TITLES = [LAW, *REGULATIONS, ENTRY_EXIT, MOUNTAINEERING, REGISTRATION, BUSINESS]


def build(base, rows):
    from index.build import rebuild
    from index.search import SearchIndex
    from policy_search.domain.importer import policy_from_record
    from policy_search.domain.store import Store

    store = Store(base / "policies.sqlite3")
    for row in rows:
        store.policies.upsert(policy_from_record(row, "test"))
    rebuild(store, base / "index", procs=1)
    store.close()
    index = SearchIndex(base / "index")
    index.refresh()
    return index


@pytest.fixture(scope="module")
def rows():
    # two stretches of the corpus: 产业 in about a fifth of the documents
    return corpus_rows(TITLES) + real_rows(30) + real_rows(30, start=1000)


@pytest.fixture(scope="module")
def ranked(tmp_path_factory, rows):
    index = build(tmp_path_factory.mktemp("ranking"), rows)
    yield index
    index.close()


def hits(index, query, size=20):
    return index.search(SearchRequest(q=query, size=size)).hits


def titles(index, query, size=20):
    return [h.title for h in hits(index, query, size)]


def share(index, word):
    """The share of the index's documents a one-word query matches."""
    from index.query import parse

    live = index._live
    clause = parse(word).clauses[0]
    return index._clause_bits(live, clause).bit_count() / live.table.live.bit_count()


# --- a fairly common word may be missing --------------------------------------------

def test_a_fairly_common_word_may_be_missing(ranked):
    from index.search import COMMON_SHARE, FAIRLY_COMMON_SHARE

    assert FAIRLY_COMMON_SHARE <= share(ranked, "产业") <= COMMON_SHARE
    assert share(ranked, "中医药") < FAIRLY_COMMON_SHARE
    result = ranked.search(SearchRequest(q="中医药产业发展", size=20))
    found = [h.title for h in result.hits]
    assert result.mode == "and"
    assert LAW in found
    # the documents with every word still come first
    assert all(found.index(title) < found.index(LAW) for title in REGULATIONS)


def test_the_rare_word_is_never_the_missing_one(ranked):
    with_rare_word = ranked.matching_ids(SearchRequest(q="中医药"))
    found = {h.id for h in hits(ranked, "中医药产业发展", size=50)}
    assert found and found <= with_rare_word


def test_only_fairly_common_words_may_be_missing(ranked):
    from index.query import parse

    live = ranked._live
    for query, expected in (("中医药 产业", [False, True]), ("中医药 注销", [False, False]),
                            ("产业", [False])):
        parsed = parse(query)
        bits = ranked._required(live, parsed, [ranked._clause_bits(live, c) for c in parsed.clauses])
        assert ranked._missable(live, parsed, bits) == expected, query


def test_missing_one_word_of_a_few():
    from index.search import FALLBACK_MIN, _combine

    a, b, c = 0b001111, 0b010111, 0b100011
    everything = 0b111111
    # every clause, but a document may lack the second
    matched, mode, needed = _combine([a, b, c], everything, allow_or=False,
                                     missable=[False, True, False])
    assert matched == a & c and mode == "and" and needed == -1
    # or any one of them (a question of three words)
    matched, mode, needed = _combine([a, b, c], everything, missable=[True, True, True])
    assert matched == (a & b) | (a & c) | (b & c) and mode == "and" and needed == -1
    # too few even so: the graded OR still takes over
    assert (a & c).bit_count() < FALLBACK_MIN
    matched, mode, needed = _combine([a, b, c], everything, missable=[False, True, False])
    assert mode == "or" and matched == (a & b) | (a & c) | (b & c) and needed == 2


# --- headings --------------------------------------------------------------------------

def test_headings_are_chapter_and_section_titles(rows):
    from index.schema import headings

    body = {row["title"]: row["body"] for row in rows}
    found = headings(body[REGISTRATION])
    assert "## 第七章 注销登记" in found
    assert len(found) == 12 and all("第" in h and "章" in h for h in found)
    assert "## 第四章 中医药人才培养" in [" ".join(h.split()) for h in headings(body[LAW])]
    text = "一、支持对象\n二、对小微企业给予房租补助，最高不超过5万元。\n（一）国内首创的；\n第三章 附则\n"
    assert headings(text) == ["一、支持对象", "第三章 附则"]


# slow: builds a second index of the module's documents, without headings
@pytest.mark.slow
def test_a_chapter_on_the_need_counts_for_the_document(ranked, rows, tmp_path, monkeypatch):
    """注销: the registration rules have a chapter 注销登记, the business environment
    regulation names it in a few sentences; without headings the gap narrows."""
    import index.schema

    def ratio(index):
        scores = {h.title: h.score for h in hits(index, "注销")}
        return scores[REGISTRATION] / scores[BUSINESS]

    with_headings = ratio(ranked)
    assert with_headings > 1
    monkeypatch.setattr(index.schema, "headings", lambda text: [])
    without = build(tmp_path, rows)
    try:
        assert with_headings > 1.08 * ratio(without)
    finally:
        without.close()


# --- words side by side ---------------------------------------------------------------

def test_neighbouring_words_side_by_side_earn_a_bonus(ranked, monkeypatch):
    """外国人 工作 许可: the entry-exit law writes 工作许可, the mountaineering rules
    name foreigners but no work permit."""
    import index.search

    def ratio():
        ranked._live.results.clear()
        scores = {h.title: h.score for h in hits(ranked, "外国人 工作 许可")}
        return scores[ENTRY_EXIT] / scores[MOUNTAINEERING]

    with_bonus = ratio()
    monkeypatch.setattr(index.search, "PROXIMITY_BOOST", 0.0)
    without = ratio()
    ranked._live.results.clear()
    assert with_bonus > 1.1 * without


def test_long_queries_get_the_bonus_too(ranked, monkeypatch):
    """Five words and more (a title typed from memory) are checked pair by pair."""
    import index.search

    query = "中医药 服务 中医药 人才 培养 中药 保护"
    boosted = {h.title: h.score for h in hits(ranked, query)}
    ranked._live.results.clear()
    monkeypatch.setattr(index.search, "PROXIMITY_BOOST", 0.0)
    plain = {h.title: h.score for h in hits(ranked, query)}
    ranked._live.results.clear()
    assert any(boosted[t] > plain[t] for t in plain)


def fake_positions(table, calls):
    import index.ranking as ranking

    def positions(reader, fieldname, word, docs):
        calls.append((fieldname, word, tuple(docs)))
        return {d: p for d, p in table.get(word, {}).items() if d in docs}

    return ranking, positions


def test_pairs_side_by_side(monkeypatch):
    from index.ranking import Positions, adjacent_pairs

    table = {"工作": {1: [4, 30], 2: [7], 3: [50]}, "许可": {1: [5], 2: [9], 3: [10]},
             "外国人": {1: [3], 2: [1], 3: [49]}}
    calls = []
    ranking, positions = fake_positions(table, calls)
    monkeypatch.setattr(ranking.postings, "positions", positions)
    found = adjacent_pairs(Positions(None), "body", [("外国人", "工作"), ("工作", "许可")], [1, 2, 3])
    # next to each other or one word apart, in order
    assert found == {("外国人", "工作"): {1, 3}, ("工作", "许可"): {1, 2}}


def test_a_passage_counts_a_mention_once_and_several_words_where_they_stand_together(monkeypatch):
    from index.ranking import Positions, passage_scores

    # 稳岗 is indexed inside 稳岗补贴, at its position; 食品 生产 are together at 20-21 in
    # document 1, far apart in document 2
    table = {"稳岗补贴": {1: [3]}, "稳岗": {1: [3]}, "食品": {1: [20], 2: [20]},
             "生产": {1: [21], 2: [35]}}
    ranking, positions = fake_positions(table, [])
    monkeypatch.setattr(ranking.postings, "positions", positions)
    once = passage_scores(Positions(None), "body", [(("稳岗补贴", "稳岗"), 1.0)], [1])
    assert once[1] == pytest.approx(0.5)  # one mention: 1 / (1 + FOCUS_SATURATION)
    together = passage_scores(Positions(None), "body", [((("食品", "生产"),), 1.0)], [1, 2])
    assert together == {1: pytest.approx(0.5)}


def test_positions_are_read_once_per_document(monkeypatch):
    from index.ranking import Positions, passage_scores

    table = {"工作": {1: [4], 2: [7]}, "许可": {1: [5], 2: [9]}}
    calls = []
    ranking, positions = fake_positions(table, calls)
    monkeypatch.setattr(ranking.postings, "positions", positions)
    reader = Positions(None)
    assert reader.of("body", "工作", [1, 2]) == {1: [4], 2: [7]}
    assert reader.of("body", "工作", [2]) == {2: [7]}
    assert reader.of("body", "工作", [1, 2, 3]) == {1: [4], 2: [7]}
    passage_scores(reader, "body", [(("工作",), 1.0), (("许可",), 1.0)], [1, 2])
    assert calls == [("body", "工作", (1, 2)), ("body", "工作", (3,)), ("body", "许可", (1, 2))]
