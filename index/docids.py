"""Policy ids ↔ document numbers of a searcher, for matching saved searches.

Reading a document's id through its stored fields unpickles the whole stored record
(the result line and the compressed text): ~0.5 ms a document; looking each id's
postings up costs as much. Here each segment's ids are read in one pass over the `id`
field's terms (their postings are inlined in the term index) and kept while the segment
lives (segments never change; a deleted document is left out by the live mask), so an
incremental commit reads only its new segment.
"""
from __future__ import annotations

from index.docsets import _segment_key
from index.postings import field_postings


def _segment_ids(reader) -> list[str | None]:
    """The id of each document number of one segment (None: no id)."""
    ids: list[str | None] = [None] * reader.doc_count_all()
    for text, docnums in field_postings(reader, "id"):
        for docnum in docnums:
            ids[docnum] = text
    return ids


LOOKUP_MAX = 2000  # fewer ids than this are looked up one by one, not through the table


class DocIds:
    """Per searcher: document number → id, and id → its live document number.

    A round of subscriptions asks about the few policies changed since the last round:
    those are looked up term by term. The whole table (every segment's ids) is read only
    for many ids — a subscription's starting point, a re-tagging of everything — and
    then kept for the searcher."""

    def __init__(self):
        self._segments: dict[str, list[str | None]] = {}
        self._searcher = None
        self._table: tuple[list[str | None], dict[str, int]] = ([], {})
        # ids looked up one by one, for the searcher they were looked up in (the
        # subscriptions of a round ask about the same changed policies)
        self._looked_up: tuple[object, dict[str, int | None]] = (None, {})

    def docnums(self, searcher, live: int, ids) -> dict[int, str]:
        """Live document number → id, for the given ids found in the index."""
        ids = list(dict.fromkeys(ids))
        if len(ids) > LOOKUP_MAX or searcher is self._searcher:
            positions = self.table(searcher, live)[1]
            return {positions[i]: i for i in ids if i in positions}
        if self._looked_up[0] is not searcher:
            self._looked_up = (searcher, {})
        known = self._looked_up[1]
        missing = [i for i in ids if i not in known]
        known.update((i, None) for i in missing)
        for leaf, offset in searcher.reader().leaf_readers() if missing else ():
            for policy_id in missing:
                try:
                    matcher = leaf.postings("id", policy_id)
                except Exception:  # TermNotFound: not in this segment
                    continue
                for docnum in matcher.all_ids():
                    if live >> (docnum + offset) & 1:
                        known[policy_id] = docnum + offset
        return {known[i]: i for i in ids if known[i] is not None}

    def table(self, searcher, live: int) -> tuple[list[str | None], dict[str, int]]:
        if searcher is self._searcher:
            return self._table
        ids: list[str | None] = []
        kept: dict[str, list[str | None]] = {}
        for reader, offset in searcher.reader().leaf_readers():
            key = _segment_key(reader)
            segment = self._segments.get(key) if key else None
            if segment is None:
                segment = _segment_ids(reader)
            if key:
                kept[key] = segment
            ids.extend([None] * (offset - len(ids)))
            ids.extend(segment)
        self._segments = kept
        positions = {pid: docnum for docnum, pid in enumerate(ids)
                     if pid is not None and live >> docnum & 1}
        self._searcher, self._table = searcher, (ids, positions)
        return self._table
