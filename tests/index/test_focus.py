"""Focus over mention, on real documents: a policy about the need ranks above a work
report that names it in a list; text variants index alike; 文号 typed in any form finds
the document first, then what explains and cites it; suggestions are index words."""
from __future__ import annotations

import json
import re

import pytest

from index.api import SearchRequest
from tests.index.conftest import corpus_rows, real_rows

pytestmark = pytest.mark.slow  # its index of real work reports and measures takes ~20 s to build

# (query, the document about it, a government work report that mentions it in passing)
PAIRS = [
    ("绿色制造", "关于印发《减污降碳协同增效实施方案》的通知", "2026年江苏省政府工作报告"),
    ("首台套 重大技术装备", "北京国际科技创新中心建设条例", "陕西省2026年政府工作报告"),
    ("创业担保贷款", "国务院关于做好当前和今后一个时期促进就业工作的若干意见", "2026年江西省政府工作报告"),
    ("工业互联网", "浙江省数字经济促进条例", "2026年辽宁省政府工作报告"),
]
EXTRA_TITLES = ["2026年河北省政府工作报告", "北京市食品安全条例",
                "江西省市场监管局印发《关于有效应对疫情促进经济稳定增长若干举措》的通知"]


def citing_rows():
    """A 解读 and a notice citing the 文号 of a crafted document, and a neighbour 文号."""
    base = {"issuer": "测试县人民政府", "level": "county", "region": "长沙县"}
    return [
        dict(base, title="测试县关于印发中小企业纾困发展十条措施的通知", doc_number="测县政发〔2021〕6号",
             url="https://example.gov.cn/a.html", publish_date="2021-03-01",
             body="为帮助中小企业纾困发展，制定以下措施。一、减免房租。二、贷款贴息。" * 20),
        dict(base, title="《测试县关于印发中小企业纾困发展十条措施的通知》政策解读",
             url="https://example.gov.cn/b.html", publish_date="2021-03-05",
             body="测县政发〔2021〕6号文件出台的背景、主要内容和申报方式解读。" * 10),
        dict(base, title="测试县关于做好中小企业纾困资金申报工作的通知",
             url="https://example.gov.cn/c.html", publish_date="2021-04-01",
             body="根据《测试县关于印发中小企业纾困发展十条措施的通知》（测县政发[2021]6号），现就申报工作通知如下。" * 5),
        dict(base, title="测试县关于明电事项的通知", doc_number="测县政发明电〔2021〕16号",
             url="https://example.gov.cn/d.html", publish_date="2021-05-01",
             body="明电通知正文。" * 30),
    ]


@pytest.fixture(scope="module")
def focus_index(tmp_path_factory):
    from index.build import rebuild
    from index.search import SearchIndex
    from policy_search.domain.importer import policy_from_record
    from policy_search.domain.store import Store

    base = tmp_path_factory.mktemp("focus")
    store = Store(base / "policies.sqlite3")
    titles = [t for pair in PAIRS for t in pair[1:]] + EXTRA_TITLES
    for row in corpus_rows(titles) + real_rows(30) + citing_rows():
        store.policies.upsert(policy_from_record(row, "test"))
    rebuild(store, base / "index", procs=1)
    index = SearchIndex(base / "index")
    yield index
    index.close()
    store.close()


def titles(index, query, **kw):
    return [h.title for h in index.search(SearchRequest(q=query, size=20, **kw)).hits]


@pytest.mark.parametrize("query, focused, report", PAIRS)
def test_a_policy_about_the_need_ranks_above_a_report_mentioning_it(focus_index, query,
                                                                    focused, report):
    found = titles(focus_index, query)
    assert focused in found and report in found
    assert found.index(focused) < found.index(report)


@pytest.mark.parametrize("query, focused, report", PAIRS)
def test_focus_and_breadth_widen_the_gap(focus_index, monkeypatch, query, focused, report):
    """Without the passage focus and the breadth measure the report comes much closer."""
    import index.ranking
    import index.search

    def ratio():
        focus_index._live.results.clear()
        hits = {h.title: h.score for h in focus_index.search(SearchRequest(q=query, size=20)).hits}
        return hits[focused] / hits[report]

    with_focus = ratio()
    monkeypatch.setattr(index.search, "FOCUS_WEIGHT", 0.0)
    monkeypatch.setattr(index.ranking, "BREADTH_POWER", 0.0)
    without = ratio()
    focus_index._live.results.clear()
    assert with_focus > 1.3 * without


def test_breadth_tells_reports_from_focused_documents(focus_index):
    from index.ranking import BREADTH_NORMAL

    live = focus_index._live
    by_title = {}
    for docnum in range(live.table.doc_count_all):
        title = json.loads(live.searcher.stored_fields(docnum)["hit"])["title"]
        by_title[title] = live.table.breadth[docnum] / 10
    for _, focused, report in PAIRS:
        assert by_title[report] > BREADTH_NORMAL >= by_title[focused], (focused, report)


def test_passage_scores_prefer_a_dense_passage():
    from index.ranking import Positions, passage_scores

    class Reader:
        positions = {"绿色": {1: [5, 9, 14], 2: [5, 400]}, "制造": {1: [6, 10], 2: [900]}}

    import index.ranking as ranking

    def positions(reader, fieldname, word, docs):
        return {d: p for d, p in Reader.positions.get(word, {}).items() if d in docs}

    original = ranking.postings.positions
    ranking.postings.positions = positions
    try:
        scores = passage_scores(Positions(Reader()), "body",
                                [(("绿色",), 2.0), (("制造",), 1.0)], [1, 2])
    finally:
        ranking.postings.positions = original
    assert scores[1] > scores[2] > 0


def test_a_mapped_phrase_counts_where_its_words_stand_together(focus_index):
    """办食品厂 is searched as 食品生产 too: the food-safety law, whose articles on 食品生产
    许可 write the two words together, has the better passage for the question than
    measures against the epidemic that name 食品 and 生产 apart among everything else
    (the passage used to see only the 手续 words, and the measures won)."""
    from index.query import parse
    from index.ranking import Positions

    live = focus_index._live
    docnum = {}
    for d in range(live.table.doc_count_all):
        docnum[json.loads(live.searcher.stored_fields(d)["hit"])["title"]] = d
    law = docnum["北京市食品安全条例"]
    measures = docnum["江西省市场监管局印发《关于有效应对疫情促进经济稳定增长若干举措》的通知"]
    focused = dict(focus_index._focus(live, parse("办食品厂需要什么手续"),
                                      [(law, 0.0), (measures, 0.0)],
                                      Positions(live.searcher.reader())))
    assert focused[law] > focused[measures] > 0


def test_text_variants_find_each_other(focus_index):
    # the documents write 首台（套）; people type 首台套
    assert "北京国际科技创新中心建设条例" in titles(focus_index, "首台套")
    marked = focus_index.search(SearchRequest(q="首台套", size=20)).hits
    snippet = next(h.snippet for h in marked if h.title == "北京国际科技创新中心建设条例")
    assert "<mark>首台（套）" in snippet


@pytest.mark.parametrize("typed", [
    "测县政发〔2021〕6号", "测县政发2021年6号", "测县政发〔2021〕06号", "测县政发〔2021〕6",
    "测县政发 2021 6号", "测县政发(2021)6号", "测县政发[2021]第06号", "测县政发2021年第6号",
])
def test_a_typed_doc_number_finds_the_document_then_its_interpretation(focus_index, typed):
    result = focus_index.search(SearchRequest(q=typed, size=10))
    found = [h.title for h in result.hits]
    assert result.mode == "doc_number"
    assert found[0] == "测试县关于印发中小企业纾困发展十条措施的通知"
    assert found[1] == "《测试县关于印发中小企业纾困发展十条措施的通知》政策解读"
    assert "测试县关于做好中小企业纾困资金申报工作的通知" in found[2:]
    assert "测试县关于明电事项的通知" not in found


def test_suggestions_are_index_words_that_find_more(focus_index):
    for typed, meant in (("shoutaitao", "首台套"), ("shou tai tao", "首台套"),
                         ("shuzijingji", "数字经济"), ("数字经计", "数字经济")):
        result = focus_index.search(SearchRequest(q=typed))
        assert result.suggestion == meant, typed
        found = focus_index.search(SearchRequest(q=meant)).total
        # more than the documents holding every word typed (数字经计: none; the
        # fall-back to some of the words does not count)
        assert found > (result.total if result.mode == "and" else 0)
    # 首台淘 finds the 首台（套） documents already: 首台套 would find no more
    assert focus_index.search(SearchRequest(q="首台淘")).suggestion is None
    result = focus_index.search(SearchRequest(q="lvse zhizao"))
    assert result.suggestion in ("绿色制造", None)


@pytest.mark.parametrize("query", [
    "国办发2019年6号", "zhuanjingtexin", "x", "量子纠缠望远镜", "专经特新", "开公司有什么补助",
])
def test_suggestions_are_never_single_characters(focus_index, query):
    suggestion = focus_index.search(SearchRequest(q=query)).suggestion
    if suggestion:
        assert all(len(part) > 1 for part in suggestion.split()), suggestion
        assert not re.fullmatch(r"(\S )+\S", suggestion)


def test_highlights_are_words_not_stray_characters(focus_index):
    for hit in focus_index.search(SearchRequest(q="开公司有什么补助", size=20)).hits:
        for marked in re.findall(r"<mark>(.*?)</mark>", hit.snippet + (hit.title_html or "")):
            assert len(marked) > 1, (hit.title, marked)


def test_the_result_says_how_a_question_was_read(focus_index):
    result = focus_index.search(SearchRequest(q="办食品厂需要什么手续"))
    assert result.rewrite is not None
    assert result.rewrite.note.startswith("按「")
    assert "许可" in result.rewrite.mapped["手续"]
    assert "需要什么" in result.rewrite.dropped
    assert focus_index.search(SearchRequest(q="绿色制造")).rewrite is None
