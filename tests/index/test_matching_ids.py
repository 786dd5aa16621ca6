"""SearchIndex.matching_ids: which policies a saved search finds (subscriptions)."""
from __future__ import annotations

from index.api import SearchRequest
from tests.index.conftest import build_fixture_store, crafted_policies


def ids_of(searcher, **request) -> list[str]:
    """Every id the site's search lists for the request (all pages)."""
    found, page = [], 1
    while True:
        result = searcher.search(SearchRequest(page=page, size=100, highlight=False,
                                               facets=False, **request))
        found += [hit.id for hit in result.hits]
        if page * 100 >= result.total:
            return found
        page += 1


def test_the_same_documents_as_the_search_when_all_words_match(searcher, built):
    for request in ({"q": "融资担保"}, {"q": "专精特新"}, {"q": "企业", "filters": {"level": ["county"]}},
                    {"filters": {"region": ["长沙县"]}}, {"q": "湘工信发〔2021〕3号"},
                    {"q": '"稳岗返还"'}):
        assert searcher.matching_ids(SearchRequest(**request)) == set(ids_of(searcher, **request)), request


def test_no_fallback_to_fewer_words(searcher):
    # the site falls back to documents with some of the words; a saved search does not
    request = SearchRequest(q="稳岗返还 天使投资")
    assert searcher.search(request).mode == "or" and searcher.search(request).total > 0
    assert searcher.matching_ids(request) == set()


def test_restricted_to_given_ids(searcher):
    small, jobs, specialised, script = (p.id for p in crafted_policies())
    request = SearchRequest(q="融资担保")
    assert searcher.matching_ids(request) >= {jobs, script}
    assert searcher.matching_ids(request, [jobs, small, "no-such-id"]) == {jobs}
    assert searcher.matching_ids(request, []) == set()
    everything = searcher.matching_ids(SearchRequest())
    assert searcher.matching_ids(SearchRequest(), sorted(everything)) == everything


def test_an_updated_document_is_found_once_in_its_new_state(tmp_path):
    from index.build import rebuild, sync
    from index.search import SearchIndex

    store = build_fixture_store(tmp_path / "p.sqlite3", rows=[])
    rebuild(store, tmp_path / "index", procs=1)
    index = SearchIndex(tmp_path / "index")
    changed = crafted_policies()[1]
    assert index.matching_ids(SearchRequest(q="数字人民币"), [changed.id]) == set()
    changed.body_text += " 支持数字人民币试点。"
    store.policies.upsert(changed)
    sync(store, tmp_path / "index")
    index.refresh()
    assert index.matching_ids(SearchRequest(q="数字人民币"), [changed.id]) == {changed.id}
    assert index.matching_ids(SearchRequest(q="数字人民币")) == {changed.id}
    assert index.matching_ids(SearchRequest(q="稳岗返还"), [changed.id]) == {changed.id}
    index.close()
    store.close()
