"""Document sets as Python integers (bit i = document number i) and a per-searcher
table of facet values and dates.

Whoosh's own facets sort and load stored fields of every hit; here a facet count
is `(matches & value_bits).bit_count()`, and a filter is an AND of bitsets. Facet
bitsets are built per segment and reused across refreshes (segments never change
except for deletions, which the live mask covers), so an incremental update does
not rebuild them for the whole index.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from whoosh.util.numeric import byte_to_length

from index import postings, whoosh_internals
from index.schema import KEYWORD_FIELDS, TEXT_FIELDS

_BYTE_LENGTHS = [byte_to_length(b) if b else 0 for b in range(256)]
_BYTE_BITS = [tuple(i for i in range(8) if value >> i & 1) for value in range(256)]


def bits_of(docnums) -> int:
    """A bitset from document numbers."""
    docnums = list(docnums)
    return int.from_bytes(postings.bitset_bytes(docnums), "little") if docnums else 0


def docnums_of(bits: int, limit: int | None = None) -> list[int]:
    """Document numbers in a bitset, ascending."""
    if bits <= 0:
        return []
    data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    out: list[int] = []
    table = _BYTE_BITS
    for index, byte in enumerate(data):
        if byte:
            base = index << 3
            out.extend(base + i for i in table[byte])
            if limit is not None and len(out) >= limit:
                return out[:limit]
    return out


def posting_bits(reader, fieldname: str, text: str, hot=None) -> int:
    """Documents of a segment (or multi-segment reader) holding a term
    (hot: leaf offset -> sidecar terms, see `index.postings`)."""
    return postings.term_bits(reader, fieldname, text, hot)


@dataclass
class SegmentTable:
    """Keyword-field bitsets and dates of one segment (local document numbers)."""
    doc_count: int
    values: dict[str, dict[str, int]]   # field -> value -> bits
    dates: list[int]
    lengths: dict[str, list[int]]       # text field -> token count per document
    ends: list[int] = field(default_factory=list)  # deadline_end (yyyymmdd, 0: none)
    hot: postings.HotTerms | None = None  # frequent terms' postings (index.postings)
    breadth: list[int] = field(default_factory=list)  # index.ranking.lexical_breadth


def _column(reader, name: str, doc_count: int) -> list[int]:
    if not reader.has_column(name):
        return [0] * doc_count
    raw = whoosh_internals.numeric_values(reader.column_reader(name, translate=False))
    if raw is None:
        return [int(v or 0) for v in reader.column_reader(name)]
    # Whoosh's translation per distinct value: a few thousand dates among the documents
    to_value = reader.schema[name].from_column_value
    values = {v: int(to_value(v) or 0) for v in set(raw)}
    return [values[v] for v in raw]


def _field_lengths(reader, fieldname: str, doc_count: int) -> list[int]:
    """Token counts of a text field per document (0: none)."""
    raw = whoosh_internals.length_bytes(reader, fieldname, doc_count)
    if raw is None:  # ask document by document
        length = reader.doc_field_length
        return [length(d, fieldname, 0) or 0 for d in range(doc_count)]
    return [_BYTE_LENGTHS[b] for b in raw]


def build_segment_table(reader) -> SegmentTable:
    doc_count = reader.doc_count_all()
    values: dict[str, dict[str, int]] = {}
    for fieldname in KEYWORD_FIELDS:
        by_value: dict[str, int] = {}
        if fieldname in reader.schema:
            for term in reader.lexicon(fieldname):
                text = term.decode("utf-8") if isinstance(term, bytes) else term
                bits = posting_bits(reader, fieldname, text)
                if bits:
                    by_value[text] = bits
        values[fieldname] = by_value
    dates = _column(reader, "pubdate", doc_count)
    ends = _column(reader, "deadline_end", doc_count)
    lengths = {f: _field_lengths(reader, f, doc_count) for f in TEXT_FIELDS}
    return SegmentTable(doc_count, values, dates, lengths, ends, postings.read_hot_terms(reader),
                        _column(reader, "breadth", doc_count))


@dataclass
class DocTable:
    """The whole searcher's view: facet bitsets, dates, live documents."""
    doc_count_all: int
    live: int
    values: dict[str, dict[str, int]]
    dates: list[int]
    lengths: dict[str, list[int]]
    ends: list[int] = field(default_factory=list)
    hot: dict[int, postings.HotTerms | None] = field(default_factory=dict)  # by leaf offset
    breadth: list[int] = field(default_factory=list)
    _newest: list[int] | None = field(default=None, repr=False)
    _by_deadline: tuple[int, list[int]] | None = field(default=None, repr=False)

    def newest_order(self) -> list[int]:
        """Every document number, newest first (ties: higher docnum first)."""
        if self._newest is None:
            dates = self.dates
            self._newest = sorted(range(self.doc_count_all), key=lambda d: (dates[d], d),
                                  reverse=True)
        return self._newest

    def deadline_order(self, today: int) -> list[int]:
        """Every document number: upcoming window ends (≥ today, yyyymmdd) soonest first,
        then the rest newest first. Cached per day."""
        if self._by_deadline is None or self._by_deadline[0] != today:
            self._by_deadline = (today, deadline_sorted(self, range(self.doc_count_all), today))
        return self._by_deadline[1]

    def facet_counts(self, fieldname: str, bits: int, limit: int | None = None
                     ) -> list[tuple[str, int]]:
        counts = [(value, (bits & vb).bit_count())
                  for value, vb in self.values.get(fieldname, {}).items()]
        counts = [(v, c) for v, c in counts if c]
        counts.sort(key=lambda vc: (-vc[1], vc[0]))
        return counts[:limit] if limit else counts

    def bits_for(self, fieldname: str, values: list[str]) -> int:
        table = self.values.get(fieldname, {})
        bits = 0
        for value in values:
            bits |= table.get(value, 0)
        return bits


def deadline_sorted(table: DocTable, docnums, today: int) -> list[int]:
    """Documents with an upcoming end (soonest first, ties newest first), then the others
    newest first."""
    ends, dates = table.ends, table.dates
    upcoming, rest = [], []
    for d in docnums:
        (upcoming if ends[d] >= today else rest).append(d)
    upcoming.sort(key=lambda d: (ends[d], -dates[d], -d))
    rest.sort(key=lambda d: (dates[d], d), reverse=True)
    return upcoming + rest


class SegmentCache:
    """SegmentTables by segment id; entries of vanished segments are dropped."""

    def __init__(self):
        self._tables: dict[str, SegmentTable] = {}

    def doc_table(self, searcher) -> DocTable:
        leaves = searcher.reader().leaf_readers()
        wanted = {}
        values: dict[str, dict[str, int]] = {f: {} for f in KEYWORD_FIELDS}
        dates: list[int] = []
        ends: list[int] = []
        breadth: list[int] = []
        lengths: dict[str, list[int]] = {f: [] for f in TEXT_FIELDS}
        live = 0
        hot = {}
        total = searcher.doc_count_all()
        for reader, offset in leaves:
            key = segment_key(reader)
            table = self._tables.get(key) if key else None
            if table is None:
                table = build_segment_table(reader)
            if key:
                wanted[key] = table
            hot[offset] = table.hot
            for fieldname, by_value in table.values.items():
                merged = values.setdefault(fieldname, {})
                for value, bits in by_value.items():
                    merged[value] = merged.get(value, 0) | (bits << offset)
            dates.extend(table.dates)
            ends.extend(table.ends or [0] * table.doc_count)
            breadth.extend(table.breadth or [0] * table.doc_count)
            for fieldname in TEXT_FIELDS:
                lengths[fieldname].extend(table.lengths[fieldname])
            segment_live = (1 << table.doc_count) - 1
            if reader.has_deletions():
                segment_live &= ~bits_of(_deleted_docs(reader))
            live |= segment_live << offset
        self._tables = wanted
        for fieldname in values:
            values[fieldname] = {v: b & live for v, b in values[fieldname].items() if b & live}
        if len(dates) < total:
            dates.extend([0] * (total - len(dates)))
        if len(ends) < total:
            ends.extend([0] * (total - len(ends)))
        breadth.extend([0] * (total - len(breadth)))
        for fieldname in TEXT_FIELDS:
            column = lengths[fieldname]
            column.extend([0] * (total - len(column)))
        return DocTable(total, live, values, dates, lengths, ends, hot, breadth)


def _deleted_docs(reader):
    deleted = getattr(reader, "deleted_docs_set", None)
    if deleted is not None:
        return deleted() if callable(deleted) else deleted
    return [d for d in range(reader.doc_count_all()) if reader.is_deleted(d)]


def segment_key(reader) -> str | None:
    """A key that changes when a segment reader's segment does (None: the reader is
    not one segment's)."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    if segment is None:
        return None
    return f"{segment.segment_id()}:{segment.doc_count_all()}"


class LRU(OrderedDict):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def get(self, key, default=None):
        if key in self:
            self.move_to_end(key)
            return self[key]
        return default

    def put(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)

