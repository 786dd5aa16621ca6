"""BM25F scoring over cached per-term postings.

Whoosh's matcher tree re-reads and re-unions every posting list on every query (its
Or of a word, its synonyms and its parts over four fields was most of the query
time). Here each (field, word) is read once per searcher into {docnum: saturated
term frequency}; a query adds those up in plain dicts:

- per field BM25 (K1, B as Whoosh's BM25F), with the term's body idf also for the
  short fields (title, 文号, issuer and headings), so a common word is not rare just
  because titles are short; a word in a heading of the body (a chapter 注销登记)
  counts as in `meta`, beside the body;
- a clause (a word with its synonyms and parts) scores its best alternative, summed
  over fields; clauses add up;
- neighbouring words of the query found side by side in the title or body (外国人 来华,
  工作 许可; checked on the few best candidates, pair by pair, so a long query gains
  for the pairs it keeps together) earn a proximity bonus;
- breadth: a document that touches everything (a work report: a few thousand
  different words for every topic of a year) leans below one about fewer things.
  Breadth is Guiraud's lexical richness, distinct words / sqrt(words) of the body,
  computed once when the document is indexed; on the policy corpus it is 26-31 for
  government work reports and 22 or less for nearly everything else;
- focus over mention: the best candidates are re-scored by their best passage, a
  window of about a sentence or a short article in which the query's words occur
  (each clause's words counted, saturated, weighted by idf). A document about the
  need has a passage dense with its words (a dedicated article, a chapter, a notice
  on it); a long report that names it once in a list does not, however well its
  many words happen to match.
"""
from __future__ import annotations

import heapq
from math import log, sqrt

from index import postings

K1 = 1.2
B = 0.75
FIELD_BOOSTS = {"title": 2.0, "docno": 3.0, "body": 1.0, "meta": 1.0}
PROXIMITY_FIELDS = ("title", "body")
PROXIMITY_BOOST = 0.5
BREADTH_NORMAL = 22.0     # lexical richness up to which a document is not called broad
BREADTH_POWER = 2.0       # score * (BREADTH_NORMAL / breadth) ** BREADTH_POWER above it
FOCUS_WINDOW = 40         # words in a passage: about a long sentence or a short article
FOCUS_SATURATION = 1.0    # count / (count + this): the second mention adds a third more


class TermStats:
    """Per-searcher caches: saturated term frequencies and idf per (field, word)."""

    def __init__(self, searcher, cache, lengths: dict[str, list[int]], tf_cache=None,
                 hot=None):
        self.searcher = searcher
        # Frequency tables of common words are large: they get their own, smaller LRU
        # so they neither crowd out the bitsets nor grow the process without bound.
        self.tf_cache = tf_cache if tf_cache is not None else cache
        self.lengths = lengths      # text field -> token count per document
        self.reader = searcher.reader()
        self.cache = cache          # an LRU shared with the bitsets (keys differ)
        self.doc_count = max(1, searcher.doc_count_all())
        self.hot = hot              # leaf offset -> frequent terms' postings
        self._avg: dict[str, float] = {}

    def avg_length(self, fieldname: str) -> float:
        if fieldname not in self._avg:
            total = self.reader.field_length(fieldname) or 0
            self._avg[fieldname] = max(1.0, total / self.doc_count)
        return self._avg[fieldname]

    def idf(self, fieldname: str, word: str) -> float:
        key = ("\x00idf", fieldname, word)
        value = self.cache.get(key)
        if value is None:
            df = self.reader.doc_frequency(fieldname, word)
            value = log(self.doc_count / (df + 1)) + 1
            self.cache.put(key, value)
        return value

    def word_idf(self, fieldname: str, word: str) -> float:
        """The field's idf, but never more than the body's (document-level rarity)."""
        if fieldname == "body":
            return self.idf("body", word)
        return min(self.idf(fieldname, word), self.idf("body", word))

    def tf(self, fieldname: str, word: str) -> dict[int, float]:
        """docnum -> BM25 saturated term frequency (without idf) for one word."""
        key = ("\x00tf", fieldname, word)
        found = self.tf_cache.get(key)
        if found is not None:
            return found
        found = {}
        avg = self.avg_length(fieldname)
        lengths = self.lengths[fieldname]
        norm_a, norm_b = K1 * (1 - B), K1 * B / avg
        k1 = K1 + 1
        for ids, weights in postings.blocks(self.reader, fieldname, word, self.hot):
            for docnum, tf in zip(ids, weights):
                found[docnum] = tf * k1 / (tf + norm_a + norm_b * (lengths[docnum] or 1))
        self.tf_cache.put(key, found)
        return found


def alternative_scores(stats: TermStats, words: tuple[str, ...], fieldname: str,
                       weight: float, candidates: list[int] | None = None) -> dict[int, float]:
    """Scores of documents holding every word of an alternative in one field
    (only of `candidates` when given)."""
    tables = []
    for word in words:
        table = stats.tf(fieldname, word)
        if not table:  # the other words need not be read
            return {}
        tables.append(table)
    if not tables:
        return {}
    idfs = [stats.word_idf(fieldname, w) * weight for w in words]
    order = sorted(range(len(tables)), key=lambda i: len(tables[i]))
    smallest = tables[order[0]]
    if candidates is not None and len(candidates) < len(smallest):
        smallest = {d: None for d in candidates if d in smallest}
    if len(tables) == 1:
        idf, table = idfs[0], tables[0]
        return {d: idf * table[d] for d in smallest}
    others = [tables[i] for i in order[1:]]
    out = {}
    for docnum in smallest:
        if all(docnum in t for t in others):
            out[docnum] = sum(idfs[i] * tables[i][docnum] for i in range(len(tables)))
    return out


def top_documents(scores: dict[int, float], docset: int, count: int) -> list[tuple[int, float]]:
    """The best `count` of the scored documents that are in the docset."""
    inside = ((d, s) for d, s in scores.items() if docset >> d & 1)
    return heapq.nlargest(count, inside, key=lambda ds: (ds[1], ds[0]))


def adjacent_docs(reader, fieldname: str, words: tuple[str, ...], docs: list[int],
                  slop: int = 1) -> set[int]:
    """Which of `docs` (ascending) hold the words in order, each within `slop` words
    of the one before (slop 0: a phrase, as Whoosh's `Phrase`)."""
    return _in_sequence(lambda word, some: postings.positions(reader, fieldname, word, some),
                        words, docs, slop)


def _in_sequence(positions_of, words: tuple[str, ...], docs: list[int], slop: int) -> set[int]:
    """Which of `docs` hold the words in order, each within `slop` words of the one
    before; positions_of(word, docs) -> {docnum: positions}."""
    return set(sequence_ends(positions_of, words, docs, slop))


def sequence_ends(positions_of, words: tuple[str, ...], docs: list[int], slop: int,
                  inside: bool = False) -> dict[int, set[int]]:
    """docnum -> positions where the words end in order, each within `slop` words of
    the one before (inside: or at its very position, as the parts of one indexed word:
    集成 电路 of 集成电路), for each of `docs` holding them so.

    Word by word, only documents where the sequence so far still holds are read
    further, so the later (often common) words cost little."""
    if not words:
        return {}
    ends: dict[int, set[int]] | None = None  # doc -> positions where a sequence ends
    remaining = docs
    steps = range(0 if inside else 1, slop + 2)
    for word in words:
        table = positions_of(word, remaining)
        if ends is None:
            ends = {d: set(table[d]) for d in remaining if d in table}
        else:
            extended = {}
            for d in remaining:
                before = ends[d]
                after = {p for p in table.get(d, ()) if any(p - k in before for k in steps)}
                if after:
                    extended[d] = after
            ends = extended
        remaining = [d for d in remaining if d in ends]
        if not remaining:
            return {}
    return ends


class Positions:
    """Word positions read for one query (proximity and focus look at the same
    candidates): each (field, word) is read at most once for a document."""

    def __init__(self, reader):
        self.reader = reader
        self._found: dict[tuple[str, str], dict[int, list[int]]] = {}
        self._read: dict[tuple[str, str], set[int]] = {}

    def of(self, fieldname: str, word: str, docs: list[int]) -> dict[int, list[int]]:
        """docnum -> positions of the word, for each of `docs` (ascending) holding it."""
        key = (fieldname, word)
        done = self._read.setdefault(key, set())
        found = self._found.setdefault(key, {})
        missing = [d for d in docs if d not in done]
        if missing:
            found.update(postings.positions(self.reader, fieldname, word, missing))
            done.update(missing)
        return {d: found[d] for d in docs if d in found}

    def of_term(self, fieldname: str, term: str | tuple[str, ...], docs: list[int]
                ) -> dict[int, set[int]]:
        """Positions of a word, or of several words standing together (食品 生产: in
        order, at most one word apart, or the parts of one word)."""
        if isinstance(term, str):
            return {d: set(spots) for d, spots in self.of(fieldname, term, docs).items()}
        return sequence_ends(lambda word, some: self.of(fieldname, word, some), term, docs,
                             slop=1, inside=True)


def adjacent_pairs(positions: Positions, fieldname: str, pairs: list[tuple[str, str]],
                   docs: list[int]) -> dict[tuple[str, str], set[int]]:
    """For each pair of words, which of `docs` (ascending) hold them side by side, in
    order (at most one word apart)."""
    def positions_of(word: str, some: list[int]) -> dict[int, list[int]]:
        return positions.of(fieldname, word, some)

    return {pair: _in_sequence(positions_of, pair, docs, slop=1) for pair in pairs}


def passage_scores(positions: Positions, fieldname: str,
                   clauses: list[tuple[tuple[str, ...], float]], docs: list[int],
                   window: int = FOCUS_WINDOW) -> dict[int, float]:
    """The best passage of each of `docs` (ascending): the window of `window` words
    with the highest sum over clauses of weight * n / (n + FOCUS_SATURATION), n the
    mentions of the clause in it. clauses: (terms, weight) per clause, a term a word
    or several words that stand together (an everyday phrase's 食品 生产)."""
    events: dict[int, list[tuple[int, int]]] = {}
    for index, (terms, _) in enumerate(clauses):
        spots_of: dict[int, set[int]] = {}
        for term in terms:
            for docnum, spots in positions.of_term(fieldname, term, docs).items():
                spots_of.setdefault(docnum, set()).update(spots)
        # a mention counts once: the parts of a word (稳岗 of 稳岗补贴) and a term's
        # several words stand at its position
        for docnum, spots in spots_of.items():
            events.setdefault(docnum, []).extend((p, index) for p in spots)
    weights = [w for _, w in clauses]
    out = {}
    for docnum, found in events.items():
        found.sort()
        counts = [0] * len(clauses)
        best = current = 0.0
        start = 0
        for position, index in found:
            while found[start][0] <= position - window:
                current += _gain(counts, found[start][1], weights, -1)
                start += 1
            current += _gain(counts, index, weights, +1)
            best = max(best, current)
        out[docnum] = best
    return out


def _gain(counts: list[int], index: int, weights: list[float], step: int) -> float:
    """Change of a passage's score when a clause's count moves by `step`."""
    before = counts[index]
    counts[index] = after = before + step
    k = FOCUS_SATURATION
    return weights[index] * (after / (after + k) - before / (before + k))


def lexical_breadth(items) -> int:
    """Guiraud's lexical richness of a field's posting items (term, freq, ...), times
    ten: distinct terms / sqrt(all terms). 0 for a short text (under 200 words), which
    says little about breadth."""
    total = sum(item[1] for item in items)
    if total < 200:
        return 0
    return round(10 * len(items) / sqrt(total))


def breadth_factor(breadth: int) -> float:
    """How much a broad document's score is lowered (1.0: not broad)."""
    richness = breadth / 10
    if richness <= BREADTH_NORMAL:
        return 1.0
    return (BREADTH_NORMAL / richness) ** BREADTH_POWER
