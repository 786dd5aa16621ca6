"""Fast posting reads (index.postings) give exactly what Whoosh's matchers give:
from a bucket's sidecar, from Whoosh blocks, across segments, with deletions."""
from __future__ import annotations

import pytest
from whoosh import index as whoosh_index

from index import layout, postings
from index.build import rebuild, sync
from index.schema import TEXT_FIELDS
from policy_search.domain.models import Policy
from tests.index.conftest import build_fixture_store


def whoosh_postings(reader, fieldname, text):
    """docnum -> (weight, positions) through Whoosh's public matcher API."""
    out = {}
    try:
        matcher = reader.postings(fieldname, text)
    except Exception:
        return out
    positional = fieldname != "meta"  # meta keeps no positions
    while matcher.is_active():
        out[matcher.id()] = (matcher.weight(),
                             matcher.value_as("positions") if positional else None)
        matcher.next()
    return out


def check_terms(reader, hot) -> int:
    """Every frequent (sidecar) term and a sample of the others."""
    frequent = {key for terms in hot.values() if terms for key in terms}
    checked = 0
    for fieldname in TEXT_FIELDS:
        for number, term in enumerate(reader.lexicon(fieldname)):
            if (fieldname, term) not in frequent and number % 5:
                continue
            text = term.decode("utf-8")
            expected = whoosh_postings(reader, fieldname, text)
            got = {}
            for ids, weights in postings.blocks(reader, fieldname, text, hot):
                got.update(zip(ids, weights))
            assert got == {d: w for d, (w, _) in expected.items()}, (fieldname, text)
            bits = postings.term_bits(reader, fieldname, text, hot)
            assert bits == sum(1 << d for d in expected), (fieldname, text)
            if fieldname != "meta":
                wanted = sorted(expected)[::3]
                assert postings.positions(reader, fieldname, text, wanted) == \
                    {d: expected[d][1] for d in wanted}, (fieldname, text)
            checked += 1
    return checked


@pytest.fixture
def small_hot(monkeypatch):
    # Few documents per bucket here: make every term of two documents "frequent".
    monkeypatch.setattr(postings, "HOT_MIN_DF", 2)


def open_reader(index_path):
    ix = whoosh_index.open_dir(str(layout.current_generation(index_path)))
    return ix.searcher().reader()


def hot_tables(reader):
    return {offset: postings.read_hot_terms(leaf) for leaf, offset in reader.leaf_readers()}


@pytest.mark.slow
def test_each_bucket_segment_has_a_sidecar_of_its_frequent_terms(tmp_path, small_hot):
    store = build_fixture_store(tmp_path / "p.sqlite3")
    rebuild(store, tmp_path / "index", procs=1)
    reader = open_reader(tmp_path / "index")
    hot = hot_tables(reader)
    assert len(hot) > 1 and all(terms is not None for terms in hot.values())
    assert sum(len(terms) for terms in hot.values()) > 300
    for leaf, offset in reader.leaf_readers():
        for (fieldname, term), (ids, _, _) in hot[offset].items():
            assert leaf.doc_frequency(fieldname, term.decode("utf-8")) == len(ids) // 4 >= 2
    assert check_terms(reader, hot) > 500


@pytest.mark.slow
def test_reads_agree_with_whoosh_after_updates_and_deletions(tmp_path, small_hot):
    store = build_fixture_store(tmp_path / "p.sqlite3")
    rebuild(store, tmp_path / "index", procs=1)
    victims = [p for p in store.policies.iter_all()][:6]
    store.policies.delete(victims[0].id)
    store.policies.delete(victims[1].id)
    edited = victims[2]
    edited.title = "融资担保机构补贴办法（修订）"
    store.policies.upsert(edited)
    store.policies.upsert(Policy(id="new-one", title="融资担保新政策", body_text="融资担保 补贴 企业"))
    assert sync(store, tmp_path / "index").applied >= 2
    reader = open_reader(tmp_path / "index")
    hot = hot_tables(reader)
    assert any(leaf.has_deletions() for leaf, _ in reader.leaf_readers())
    assert None in hot.values()  # the sync's own segment has no sidecar
    assert check_terms(reader, hot) > 500


@pytest.mark.slow
def test_a_damaged_sidecar_is_ignored(tmp_path, small_hot):
    store = build_fixture_store(tmp_path / "p.sqlite3")
    rebuild(store, tmp_path / "index", procs=1)
    generation = layout.current_generation(tmp_path / "index")
    for path in generation.glob(f"*{postings.HOT_SUFFIX}"):
        path.write_bytes(b"not a sidecar")
    reader = open_reader(tmp_path / "index")
    hot = hot_tables(reader)
    assert set(hot.values()) == {None}
    assert check_terms(reader, hot) > 500


def phrases_of(store, fieldname: str, count: int) -> list[tuple[str, ...]]:
    """Word sequences (2-4 words) as they stand in the fixture texts, and some reversed."""
    from index.analysis import analyze

    found = []
    for policy in store.policies.iter_all():
        text = policy.title if fieldname == "title" else policy.body_text
        words = [w for w, _, _, _ in analyze(text, subwords=False)]
        for start in range(0, max(0, len(words) - 4), 37):
            sequence = tuple(words[start:start + 2 + start % 3])
            found += [sequence, sequence[::-1]]
    return found[:count]


@pytest.mark.slow
@pytest.mark.parametrize("fieldname", ["title", "body"])
def test_adjacent_words_agree_with_whoosh_phrases(built, fieldname):
    """Phrases (slop 0) and proximity (slop 1) give exactly the documents of Whoosh's
    Phrase query (whose slop counts the step, so one more)."""
    from whoosh.query import Phrase

    from index.docsets import docnums_of
    from index.ranking import adjacent_docs

    store, index_path = built
    ix = whoosh_index.open_dir(str(layout.current_generation(index_path)))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        every = list(range(reader.doc_count_all()))
        phrases = phrases_of(store, fieldname, 160)
        assert len(phrases) >= 40
        matched = 0
        for words in phrases:
            for slop in (0, 1):
                expected = set(Phrase(fieldname, list(words), slop=slop + 1).docs(searcher))
                assert adjacent_docs(reader, fieldname, words, every, slop=slop) == expected, \
                    (words, slop)
                some = docnums_of(sum(1 << d for d in every[::2]))
                assert adjacent_docs(reader, fieldname, words, some, slop=slop) == \
                    expected & set(some)
                matched += bool(expected)
        assert matched >= len(phrases) // 2  # the sequences found in the texts are found
        assert adjacent_docs(reader, fieldname, (), every) == set()
