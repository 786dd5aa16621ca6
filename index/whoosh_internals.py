"""The one place that reaches into Whoosh's internals.

The index reads a term's postings a block at a time, a numeric column in one read
and writes each bucket's segment itself (`index.postings`, `index.docsets`,
`index.build`): Whoosh's public interface is a value or a document at a time, orders
of magnitude slower at these sizes. That needs names Whoosh keeps private (a leading
underscore) and may change in any release, so every such name is used here and
nowhere else (`tests/test_layers.py`), whoosh-reloaded is pinned to one version in
`pyproject.toml` (`tests/index/test_versions.py`), and its version is part of the
analysis fingerprint that keys the token cache and reused bucket segments
(`index.build.analysis_fingerprint`). A Whoosh upgrade means reading these functions
against its source.
"""
from __future__ import annotations

import pickle
import struct
import sys
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.metadata import version

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.columns import NumericColumn
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.writing import SegmentWriter

WHOOSH_DISTRIBUTION = "whoosh-reloaded"
# What opening an index that is missing, half-written or from another Whoosh raises.
UNREADABLE_INDEX = (whoosh_index.IndexError, OSError, EOFError, struct.error,
                    pickle.UnpicklingError)


def whoosh_version() -> str:
    return version(WHOOSH_DISTRIBUTION)


# --- postings ----------------------------------------------------------------------

def term_matcher(reader, fieldname: str, text: str):
    """The postings of a term in a reader, None when it does not hold the term."""
    try:
        return reader.postings(fieldname, text)
    except TermNotFound:
        return None


def without_deletions_filter(matcher) -> tuple[frozenset | set, object]:
    """(deleted document numbers, the matcher under the filter Whoosh wraps around the
    postings of a segment with deletions); (empty, matcher) for any other matcher."""
    if isinstance(matcher, FilterMatcher) and matcher._exclude:
        return matcher._ids, matcher.child
    return frozenset(), matcher


def reads_blocks(matcher) -> bool:
    """Whether the matcher is a Whoosh 3 posting list (read a block at a time here)."""
    return isinstance(matcher, W3LeafMatcher)


def block_postings(matcher) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """(document numbers, weights) of each remaining block of a block matcher."""
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        yield matcher._ids, matcher._weights
        matcher._next_block()


def next_block(matcher) -> None:
    """Move to the next block, reading only its header."""
    matcher._next_block()


def block_ids(matcher) -> Sequence[int]:
    """The document numbers of the current block."""
    matcher._read_ids()
    return matcher._ids


def block_values(matcher) -> Sequence[bytes]:
    """The encoded values (positions) of the current block, parallel to its ids."""
    matcher._read_values()
    return matcher._values


def field_term_matchers(reader, fieldname: str) -> Iterator[tuple[str, object]]:
    """(term, its postings) for every term of a field of one segment, in one pass over
    the term index: the postings are opened from the term info the pass yields."""
    terms = getattr(reader, "_terms", None)
    format_ = reader.schema[fieldname].format
    for term, info in reader.iter_field(fieldname):
        text = term.decode("utf-8") if isinstance(term, bytes) else term
        if terms is not None and hasattr(terms, "_postfile"):
            matcher = terms._codec.postings_reader(terms._postfile, info, format_,
                                                   term=(fieldname, term))
        else:
            matcher = reader.postings(fieldname, text)
        yield text, matcher


def segment_folder(reader) -> str | None:
    """The directory of a segment reader's files (None: not a file segment)."""
    return getattr(getattr(reader, "_storage", None), "folder", None)


# --- columns -----------------------------------------------------------------------

def length_bytes(reader, fieldname: str, doc_count: int) -> list[int] | None:
    """The encoded token count (one byte, `whoosh.util.numeric.byte_to_length`) of a
    text field for every document of a segment, in one read; None when the segment
    cannot be read so (ask `reader.doc_field_length` document by document)."""
    try:
        column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    except AttributeError:  # not a Whoosh 3 segment
        return None
    if column is None:  # no document of the segment has the field
        return [0] * doc_count
    return numeric_values(column)


def numeric_values(column) -> list[int] | None:
    """Every value of a Whoosh numeric column in one read, untranslated (None: not a
    plain numeric column). Whoosh reads such a column a value at a time, ~7 µs each:
    a second for the document lengths of 37k documents when a searcher opens."""
    if type(column) is not NumericColumn.Reader:
        return None
    data = array(column._typecode, column._dbfile.get(column._basepos,
                                                      column._count * column._fixedlen))
    if sys.byteorder == "little" and data.itemsize > 1:
        data.byteswap()  # stored big-endian
    return data.tolist() + [column._default] * max(0, column._doccount - column._count)


# --- writing -----------------------------------------------------------------------

@contextmanager
def segment_writer(ix, temp_name: str, **options) -> Iterator[SegmentWriter]:
    """A writer of one new segment, for `finalize_segment`, that takes no index lock
    (several bucket writers run at once; the caller writes the TOC itself).

    Whoosh names every writer's temporary directory "MAIN.tmp" and removes it when
    done: the posting pool of this writer gets its own, `temp_name`, and the shared
    one (randomly named files) is left for the caller to remove."""
    writer = SegmentWriter(ix, _lk=False, **options)
    writer._tempstorage = writer.pool.tempstore = ix.storage.temp_storage(temp_name)
    try:
        yield writer
    finally:
        writer._finish()


def finalize_segment(writer: SegmentWriter):
    """Write out the documents added to a `segment_writer`; returns its segment."""
    return writer._finalize_segment()


def toc_segments(path: str) -> list:
    """The segments listed in the table of contents of the index in a directory,
    without opening them. Raises one of UNREADABLE_INDEX when it cannot be read."""
    return whoosh_index.open_dir(path)._read_toc().segments
