"""The searcher's document table reads Whoosh's columns in one go and gets exactly what
Whoosh's per-document look-ups give."""
from __future__ import annotations

import pytest
from whoosh import index as whoosh_index

from index import docsets, layout, whoosh_internals
from index.build import rebuild, sync
from index.schema import TEXT_FIELDS
from policy_search.domain.models import Policy
from tests.index.conftest import build_fixture_store


@pytest.mark.slow
def test_lengths_and_dates_match_whoosh_in_every_segment(tmp_path):
    store = build_fixture_store(tmp_path / "p.sqlite3")
    rebuild(store, tmp_path / "index", procs=1)
    store.policies.upsert(Policy(id="late", title="融资担保新政策", body_text="融资担保 补贴 企业",
                                 publish_date="2024-05-06"))
    store.policies.upsert(Policy(id="undated", title="无日期的通知", body_text=""))
    assert sync(store, tmp_path / "index").applied == 2
    ix = whoosh_index.open_dir(str(layout.current_generation(tmp_path / "index")))
    leaves = ix.searcher().reader().leaf_readers()
    assert len(leaves) > 1

    bulk = 0
    for leaf, _ in leaves:
        count = leaf.doc_count_all()
        table = docsets.build_segment_table(leaf)
        for fieldname in TEXT_FIELDS:
            bulk += whoosh_internals.length_bytes(leaf, fieldname, count) is not None
            assert table.lengths[fieldname] == [
                leaf.doc_field_length(d, fieldname, 0) or 0 for d in range(count)]
        for name, got in (("pubdate", table.dates), ("deadline_end", table.ends)):
            if leaf.has_column(name):
                assert whoosh_internals.numeric_values(
                    leaf.column_reader(name, translate=False)) is not None
                assert got == [int(v or 0) for v in leaf.column_reader(name)], name
            else:
                assert got == [0] * count
    assert bulk == len(leaves) * len(TEXT_FIELDS)  # every length read in bulk, not one by one
    dates = [d for leaf, _ in leaves for d in docsets.build_segment_table(leaf).dates]
    assert 20240506 in dates and 0 in dates
