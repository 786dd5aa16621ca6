"""What a question leans away from, on real documents: a question is answered by a law
or a measure more often than by a work report, an announcement, a judicial
interpretation or a single approval (their kinds as the store derives them); a keyword
query is left alone."""
from __future__ import annotations

import datetime as dt

import pytest

from index.api import SearchRequest
from tests.index.conftest import corpus_rows, real_rows

pytestmark = pytest.mark.slow  # an index of real documents with derived kinds

# (question, the document that answers it, a document of a kind that seldom does)
PAIRS = [
    ("招大学生有补贴吗", "国务院关于做好当前和今后一个时期促进就业工作的若干意见",
     "国务院办公厅关于同意以深圳市名义申办2011年第26届世界大学生夏季运动会的复函"),
    ("种粮农民有什么补贴", "中华人民共和国粮食安全保障法", "2004年中华人民共和国国务院政府工作报告"),
]
EXTRA_TITLES = ["安徽省人民政府关于表扬2014年全省粮食生产先进单位和先进个人的通报"]


@pytest.fixture(scope="module")
def kinds_index(tmp_path_factory):
    from index.build import rebuild
    from index.search import SearchIndex
    from policy_search.domain.derive import derive_kinds
    from policy_search.domain.importer import policy_from_record
    from policy_search.domain.store import Store

    base = tmp_path_factory.mktemp("kinds")
    store = Store(base / "policies.sqlite3")
    titles = [t for pair in PAIRS for t in pair[1:]] + EXTRA_TITLES
    for row in corpus_rows(titles) + real_rows(30):
        store.policies.upsert(policy_from_record(row, "test"))
    derive_kinds(store)  # as every import does
    rebuild(store, base / "index", procs=1)
    index = SearchIndex(base / "index")
    yield index
    index.close()
    store.close()


@pytest.fixture(autouse=True)
def the_day_the_pairs_were_chosen(monkeypatch):
    """Ranking nudges newer documents by their age in years; the pairs are compared on a
    fixed day so that the test means the same next year."""
    from policy_search.domain import deadlines

    monkeypatch.setattr(deadlines, "_pinned_day", dt.date(2026, 11, 29))


def ranked(index, query):
    index.refresh()
    index._live.results.clear()
    return {h.title: (i, h) for i, h in enumerate(index.search(SearchRequest(q=query, size=20)).hits)}


@pytest.mark.parametrize("query, answer, other", PAIRS)
def test_a_question_ranks_a_law_or_measure_above_a_kind_that_seldom_answers(
        kinds_index, monkeypatch, query, answer, other):
    import index.search

    found = ranked(kinds_index, query)
    assert found[answer][1].doc_kind in ("法律法规", "惠企措施")
    assert found[other][1].doc_kind in index.search.QUESTION_KIND_FACTOR
    assert found[answer][0] < found[other][0]
    # the kind is what decides: without it the other document comes first
    monkeypatch.setattr(index.search, "QUESTION_KIND_FACTOR", {})
    found = ranked(kinds_index, query)
    assert found[answer][0] > found[other][0]


def test_a_keyword_query_is_not_leaned_by_kind(kinds_index, monkeypatch):
    import index.search

    title = EXTRA_TITLES[0]
    with_prior = ranked(kinds_index, "粮食生产 先进单位")[title][1]
    assert with_prior.doc_kind == "公告公示"
    monkeypatch.setattr(index.search, "QUESTION_KIND_FACTOR", {})
    assert ranked(kinds_index, "粮食生产 先进单位")[title][1].score == with_prior.score
