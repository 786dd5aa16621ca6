"""Reading a term's whole posting list fast.

A Whoosh 3 posting block is one pickle of (ids, weights, positions): reading the
documents of a title word like 关于 (30,000 documents) unpickles 90,000 objects,
about 50 ms, and a query with a few common words pays that for every word and
field. So a bucket segment written by a rebuild carries a sidecar file,
`<segment id>.hot`, with the document numbers and weights of its frequent terms
(document frequency ≥ HOT_MIN_DF) as packed arrays: a few MB per segment, read once
per process, and a frequent term's postings come out of it without any unpickling.
Whoosh names the file as part of its segment, so it is linked with a reused
segment and removed with a merged one. Rare terms and segments without a sidecar
(those written by incremental updates) are read from Whoosh a block at a time.
"""
from __future__ import annotations

import marshal
import os
from array import array
from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher

HOT_MIN_DF = 128
HOT_SUFFIX = ".hot"
_MAGIC = b"policy-search hot postings 1\n"

# (field, term bytes) -> (document numbers 'I', weights 'f', bitset), all as bytes
HotTerms = dict[tuple[str, bytes], tuple[bytes, bytes, bytes]]


class HotTermWriter:
    """Collects a new segment's postings while its documents are added."""

    def __init__(self, min_df: int | None = None):
        self.min_df = HOT_MIN_DF if min_df is None else min_df
        self._terms: dict[tuple[str, bytes], tuple[array, array]] = {}

    def add(self, docnum: int, items: Mapping[str, Sequence]) -> None:
        """items: field -> Whoosh posting items (term bytes, freq, weight, value)."""
        terms = self._terms
        for fieldname, postings in items.items():
            for term, _freq, weight, _value in postings:
                entry = terms.get((fieldname, term))
                if entry is None:
                    entry = terms[(fieldname, term)] = (array("I"), array("f"))
                entry[0].append(docnum)
                entry[1].append(weight)

    def write(self, path: Path) -> int:
        """Write the frequent terms (atomically); returns how many."""
        hot = {key: (ids.tobytes(), weights.tobytes(), bitset_bytes(ids))
               for key, (ids, weights) in self._terms.items() if len(ids) >= self.min_df}
        temp = Path(f"{path}.part")
        with open(temp, "wb") as out:
            out.write(_MAGIC)
            marshal.dump(hot, out)
        os.replace(temp, path)
        return len(hot)


def bitset_bytes(docnums: Sequence[int]) -> bytes:
    """Bit i set for each document number i (little-endian bytes); docnums not empty."""
    buffer = bytearray(max(docnums) // 8 + 1)
    for d in docnums:
        buffer[d >> 3] |= 1 << (d & 7)
    return bytes(buffer)


def hot_path(folder: str | Path, segment_id: str) -> Path:
    return Path(folder) / f"{segment_id}{HOT_SUFFIX}"


def read_hot_terms(reader) -> HotTerms | None:
    """The sidecar of a segment reader's segment, None when it has none."""
    folder = getattr(getattr(reader, "_storage", None), "folder", None)
    segment = getattr(reader, "segment", None)
    if folder is None or segment is None:
        return None
    try:
        data = hot_path(folder, segment().segment_id()).read_bytes()
    except OSError:
        return None
    if not data.startswith(_MAGIC):
        return None
    try:
        return marshal.loads(data[len(_MAGIC):])
    except (ValueError, EOFError, TypeError):
        return None


def blocks(reader, fieldname: str, text: str,
           hot: Mapping[int, HotTerms | None] | None = None
           ) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """(document numbers, weights) of a term, a segment or block at a time, in the
    reader's numbering (segment offsets applied), deleted documents left out.

    hot: leaf offset -> that segment's sidecar terms (from `read_hot_terms`)."""
    key = (fieldname, text.encode("utf-8"))
    for leaf, offset in reader.leaf_readers():
        terms = hot.get(offset) if hot else None
        if terms is not None:
            entry = terms.get(key)
            if entry is not None:
                yield _hot_block(leaf, offset, entry)
                continue
        try:
            matcher = leaf.postings(fieldname, text)
        except Exception:  # TermNotFound and the like: not in this segment
            continue
        deleted = frozenset()
        if isinstance(matcher, FilterMatcher) and matcher._exclude:
            # A segment with deletions; the wrapper has only skipped deleted postings.
            deleted, matcher = matcher._ids, matcher.child
        if isinstance(matcher, W3LeafMatcher):
            yield from _w3_blocks(matcher, offset, deleted)
        else:
            yield from _matcher_blocks(matcher, offset, deleted)


def _hot_block(leaf, offset: int, entry: tuple[bytes, bytes, bytes]):
    ids, weights = array("I"), array("f")
    ids.frombytes(entry[0])
    weights.frombytes(entry[1])
    if leaf.has_deletions():
        return _without_deleted(ids, weights, leaf.deleted_docs_set, offset)
    if offset:
        return [d + offset for d in ids], weights
    return ids, weights


def _without_deleted(ids, weights, deleted, offset: int):
    kept = [i for i, d in enumerate(ids) if d not in deleted]
    return [ids[i] + offset for i in kept], [weights[i] for i in kept]


def _w3_blocks(matcher: W3LeafMatcher, offset: int, deleted: frozenset):
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        ids, weights = matcher._ids, matcher._weights
        if deleted:
            yield _without_deleted(ids, weights, deleted, offset)
        elif offset:
            yield [d + offset for d in ids], weights
        else:
            yield ids, weights
        matcher._next_block()


def _matcher_blocks(matcher, offset: int, deleted: frozenset):
    ids, weights = [], []
    while matcher.is_active():
        docnum = matcher.id()
        if docnum not in deleted:
            ids.append(docnum + offset)
            weights.append(matcher.weight())
        matcher.next()
    yield ids, weights


def term_bits(reader, fieldname: str, text: str,
              hot: Mapping[int, HotTerms | None] | None = None) -> int:
    """The live documents holding the term, as a bitset (bit i = document i)."""
    key = (fieldname, text.encode("utf-8"))
    bits = 0
    for leaf, offset in reader.leaf_readers():
        terms = hot.get(offset) if hot else None
        entry = terms.get(key) if terms is not None else None
        if entry is not None:
            found = int.from_bytes(entry[2], "little")
            if leaf.has_deletions():
                found &= ~int.from_bytes(bitset_bytes(list(leaf.deleted_docs_set)), "little")
        else:
            found = 0
            for ids, _ in blocks(leaf, fieldname, text):
                if ids:
                    found |= int.from_bytes(bitset_bytes(ids), "little")
        bits |= found << offset
    return bits


def positions(reader, fieldname: str, text: str, docnums: Sequence[int]
              ) -> dict[int, list[int]]:
    """Word positions of the term in each of `docnums` (ascending) that holds it.

    Blocks ending before the next wanted document are passed over unread; inside a
    block the wanted documents are looked up, not scanned for."""
    out: dict[int, list[int]] = {}
    if not docnums:
        return out
    leaves = list(reader.leaf_readers())
    for index, (leaf, offset) in enumerate(leaves):
        end = leaves[index + 1][1] if index + 1 < len(leaves) else None
        wanted = [d - offset for d in docnums if d >= offset and (end is None or d < end)]
        if not wanted:
            continue
        try:
            matcher = leaf.postings(fieldname, text)
        except Exception:
            continue
        if isinstance(matcher, FilterMatcher) and matcher._exclude:
            matcher = matcher.child  # deleted documents are never among the wanted ones
        fmt = leaf.schema[fieldname].format
        if isinstance(matcher, W3LeafMatcher):
            found = _w3_positions(matcher, wanted, fmt)
        else:
            found = _matcher_positions(matcher, wanted)
        for docnum, value in found.items():
            out[docnum + offset] = value
    return out


def _w3_positions(matcher: W3LeafMatcher, wanted: list[int], fmt) -> dict[int, list[int]]:
    found = {}
    i = 0
    while i < len(wanted) and matcher.is_active():
        if matcher.block_max_id() < wanted[i]:
            matcher._next_block()  # reads the block header only
            continue
        matcher._read_ids()
        ids = matcher._ids
        values = None
        while i < len(wanted) and wanted[i] <= ids[-1]:
            at = bisect_left(ids, wanted[i])
            if at < len(ids) and ids[at] == wanted[i]:
                if values is None:
                    matcher._read_values()
                    values = matcher._values
                found[wanted[i]] = fmt.decode_positions(values[at])
            i += 1
        matcher._next_block()
    return found


def _matcher_positions(matcher, wanted: list[int]) -> dict[int, list[int]]:
    found = {}
    for docnum in wanted:
        if not matcher.is_active():
            break
        if matcher.id() < docnum:
            matcher.skip_to(docnum)
            if not matcher.is_active():
                break
        if matcher.id() == docnum:
            found[docnum] = matcher.value_as("positions")
    return found


def field_postings(reader, fieldname: str) -> Iterator[tuple[str, Sequence[int]]]:
    """(term, document numbers) for every term of a field of one segment, in a single
    pass over its term index: each term's postings are opened from the term info the
    pass yields (a second look-up of every term would cost as much again). Deleted
    documents may be included (callers mask with the live documents)."""
    if fieldname not in reader.schema:
        return
    terms = getattr(reader, "_terms", None)
    format_ = reader.schema[fieldname].format
    for term, info in reader.iter_field(fieldname):
        text = term.decode("utf-8") if isinstance(term, bytes) else term
        if terms is not None and hasattr(terms, "_postfile"):
            matcher = terms._codec.postings_reader(terms._postfile, info, format_,
                                                   term=(fieldname, term))
        else:
            matcher = reader.postings(fieldname, text)
        yield text, list(matcher.all_ids())
