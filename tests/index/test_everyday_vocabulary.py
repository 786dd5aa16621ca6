"""The everyday-words mapping (index/data/everyday_words.txt) on real documents: every
policy word it maps to occurs in the shared corpus, a query in everyday words finds the
policy that never uses them, and no mapping makes a query find less."""
from __future__ import annotations

import json

import pytest

import index.query
from index.analysis import EverydayWords, everyday_words, query_words
from index.api import SearchRequest
from tests.conftest import shared_path
from tests.index.conftest import corpus_rows, real_rows

pytestmark = pytest.mark.slow  # reads the whole shared corpus and builds a small index

# (everyday query, a real policy that never writes the everyday word)
PAIRS = [
    ("加盟店", "商业特许经营管理条例"),                        # 特许经营
    ("外卖骑手", "浙江省电子商务条例"),                          # 网约配送员
    ("摆地摊", "浙江省食品小作坊小餐饮店小食杂店和食品摊贩管理规定"),  # 食品摊贩
    ("保姆", "上海市家政服务条例"),                              # 家政服务
]
NO_MAPPING = EverydayWords({}, {}, 1)


@pytest.fixture(scope="module")
def vocabulary_index(tmp_path_factory):
    from index.build import rebuild
    from index.search import SearchIndex
    from policy_search.domain.importer import policy_from_record
    from policy_search.domain.store import Store

    base = tmp_path_factory.mktemp("everyday")
    store = Store(base / "policies.sqlite3")
    for row in corpus_rows({title for _, title in PAIRS}) + real_rows(40):
        store.policies.upsert(policy_from_record(row, "test"))
    rebuild(store, base / "index", procs=1)
    index = SearchIndex(base / "index", result_cache=0)
    yield index
    index.close()
    store.close()


def titles(index, query: str) -> set[str]:
    return {hit.title for hit in index.search(SearchRequest(q=query, size=100)).hits}


def test_every_policy_word_occurs_in_the_corpus():
    """A target no policy writes is dead weight: each occurs (its words in one field)."""
    fields = []
    with open(shared_path("corpus", "documents.jsonl"), encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            fields += [row.get("title") or "", row.get("body") or ""]
    table = everyday_words()
    targets = {t for values in table.phrases.values() for t in values}
    missing = [t for t in sorted(targets)
               if not any(all(w in text for w in query_words(t)) for text in fields)]
    assert not missing, missing


@pytest.mark.parametrize("query, title", PAIRS)
def test_everyday_words_find_the_policy_that_never_uses_them(vocabulary_index, query, title,
                                                             monkeypatch):
    assert title in titles(vocabulary_index, query)
    monkeypatch.setattr(index.query, "everyday_words", lambda: NO_MAPPING)
    assert title not in titles(vocabulary_index, query)


def test_no_mapping_makes_a_query_find_less(vocabulary_index, monkeypatch):
    """A mapped word finds all it found unmapped. (A phrase of several words is one clause
    whose words share a field, so it is left out here; so are pairs of words, which on an
    index this small match nearly everything through the words made optional.)"""
    phrases = sorted({"".join(key) for key, values in everyday_words().phrases.items()
                      if values and len(query_words("".join(key))) == 1})
    queries = phrases
    mapped = {q: titles(vocabulary_index, q) for q in queries}
    monkeypatch.setattr(index.query, "everyday_words", lambda: NO_MAPPING)
    lost = {q: plain - mapped[q] for q in queries
            if (plain := titles(vocabulary_index, q)) - mapped[q]}
    assert not lost, {q: len(t) for q, t in lost.items()}
