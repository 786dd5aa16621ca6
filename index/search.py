"""Answering searches: `SearchIndex(index_path).search(SearchRequest) -> SearchResult`.

One Whoosh searcher per process, reused by every request and refreshed when the
live generation changes (a rebuild switched the pointer) or a commit landed (an
incremental sync). Matching, filters, totals and facet counts run on document
bitsets (`index.docsets`); BM25F scoring runs on cached per-word postings
(`index.ranking`); Whoosh reads postings, positions and stored fields. Searches are
serialized per SearchIndex (one lock): Python runs one at a time anyway, and the
shared Whoosh file handles need it. A result cache for repeated requests is dropped
whenever the index changes.
"""
from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from pathlib import Path

from whoosh import index as whoosh_index

from index import layout
from index.analysis import init_jieba, query_words
from index.api import (
    FACETS, LIMITS, SORTS, FacetCount, Hit, QueryRewrite, SearchRequest, SearchResult,
    in_facet_order,
)
from index.docsets import (
    LRU, DocTable, SegmentCache, bits_of, deadline_sorted, docnums_of, posting_bits,
)
from index.docids import DocIds
from index.highlight import highlight_title, snippet
from index.ranking import (
    FIELD_BOOSTS, PROXIMITY_BOOST, PROXIMITY_FIELDS, Positions, TermStats, adjacent_docs,
    adjacent_pairs, alternative_scores, breadth_factor, passage_scores, top_documents,
)
from index.query import ParsedQuery, normalized_filter_value, parse
from index.schema import (
    FACET_FIELDS, TEXT_FIELDS, date_number, index_day, load_hit, load_text,
)
from index.suggest import Vocabulary, build_vocabulary
from policy_search.domain.kinds import ANNOUNCEMENT, JUDICIAL, OTHER, REPORT_PLAN
from policy_search.domain.normalize import normalize_level
from policy_search.domain.regions import NATIONAL, find_region, parent_codes, region_label, region_name
from policy_search.domain.subjects import subject_label

log = logging.getLogger(__name__)

# Relative weight of a match in each field (BM25F per field, summed).
CANDIDATE_LOOKUP_MAX = 3000
PROXIMITY_DEPTH = 60      # candidates checked for words written next to each other
CITED_TITLES = 3          # a 文号 shared by several documents: titles looked for in others
MIN_CITED_TITLE_WORDS = 4  # shorter titles (通知) are not a citation
MAX_SUGGESTIONS_TRIED = 3
FOCUS_DEPTH = 40          # candidates re-scored by their best passage
FOCUS_WORDS = 6           # of a clause's words (itself, synonyms, policy words) looked at
FOCUS_WEIGHT = 2.0        # a passage's score (idf units) added to the document's
FALLBACK_MIN = 3          # AND finding fewer than this falls back to a ranked OR
RERANK_DEPTH = 120        # candidates re-ranked by coverage, recency and validity
FACET_LIMITS = {"issuer": 50, "region": 100, "issued_region": 100}
FILTER_KEYS = set(FACETS) | {"review_state"}
VALIDITY_FACTOR = {"失效": 0.8, "废止": 0.8, "部分失效": 0.93}
# What a question leans away from: the kinds that seldom answer what an entrepreneur asks
# (judged over the dev, held-out and own sets, these were relevant to a question several
# times less often than laws and measures: work reports and plans name a need in a line,
# announcements list names, judicial interpretations guide courts, 其他 is approvals of
# single projects, replies and internal notices). Keywords are left alone: they may be
# looking for exactly such a document.
QUESTION_KIND_FACTOR = {REPORT_PLAN: 0.8, ANNOUNCEMENT: 0.85, JUDICIAL: 0.85, OTHER: 0.85}
# A word found in more than this share of documents (政策, 企业, 支持 in a question) need
# not match when the query has rarer words: it only adds to the score.
COMMON_SHARE = 0.25
OTHER_ALTERNATIVES = 0.5  # share of a clause's other matching alternatives in its score
QUESTION_SLACK_FROM = 3   # required words of a question from which one may be missing
# A word found in more than this share of documents (产业, 来华) may be missing from a
# document that has the query's rarer words.
FAIRLY_COMMON_SHARE = 0.10
REFRESH_INTERVAL = 0.25   # seconds between checks for a new generation or commit


@dataclasses.dataclass
class _Live:
    """An open generation: its searcher and everything derived from it."""
    generation: Path
    ix: object
    searcher: object
    table: DocTable
    terms: LRU
    results: LRU
    stats: TermStats | None = None
    regions: object = None  # _RegionTree of the 适用地区 facet, made on first use
    hold: int | None = None  # the shared lock that keeps the generation on disk


class SearchIndex:
    def __init__(self, index_path: str | Path, *, result_cache: int = 512,
                 term_cache: int = 6000, tf_cache: int = 600, refresh_interval: float = REFRESH_INTERVAL):
        self.index_path = Path(index_path)
        self.result_cache_size = result_cache
        self.term_cache_size = term_cache
        self.tf_cache_size = tf_cache
        self.refresh_interval = refresh_interval
        self._lock = threading.RLock()
        self._live: _Live | None = None
        self._checked_at = 0.0
        self._segments = SegmentCache()
        self._vocabulary_of: tuple[Path, Vocabulary] | None = None
        self._doc_ids = DocIds()  # for matching_ids (saved searches)
        init_jieba()

    # --- lifecycle ----------------------------------------------------------------

    def refresh(self, force: bool = True) -> bool:
        """Pick up a new generation or new commits; True when something changed."""
        with self._lock:
            now = time.monotonic()
            if not force and self._live is not None and now - self._checked_at < self.refresh_interval:
                return False
            self._checked_at = now
            try:
                return self._refresh()
            except Exception:
                log.exception("index refresh failed; serving the previous state")
                return False

    def _refresh(self) -> bool:
        generation = layout.current_generation(self.index_path)
        live = self._live
        if generation is None:
            return False  # nothing usable on disk: keep serving what is open
        if live is None or live.generation != generation:
            # Held while this searcher uses it: no process removes a generation in use
            # (segment files are opened on demand, long after the switch).
            generation, hold = self._hold_live(generation)
            if hold is None:
                return False  # switching right now: keep serving what is open
            if live is not None and live.generation == generation:
                layout.release_generation(hold)
                return False
            try:
                ix = whoosh_index.open_dir(str(generation))
                searcher = ix.searcher()
                self._install(generation, ix, searcher, hold)
            except BaseException:
                layout.release_generation(hold)
                raise
            if live is not None:
                live.searcher.close()
                layout.release_generation(live.hold)
                self._remove_unused()
            return True
        if not live.searcher.up_to_date():
            # A fresh searcher, not searcher.refresh(): refresh reuses segment readers
            # whose deletions changed and would keep serving deleted documents.
            old = live.searcher
            self._install(generation, live.ix, live.ix.searcher(), live.hold)
            old.close()
            return True
        return False

    def _install(self, generation, ix, searcher, hold: int | None = None) -> None:
        table = self._segments.doc_table(searcher)
        terms = LRU(self.term_cache_size)
        self._live = _Live(generation, ix, searcher, table, terms, LRU(self.result_cache_size),
                           TermStats(searcher, terms, table.lengths, LRU(self.tf_cache_size),
                                     table.hot), hold=hold)

    def _hold_live(self, generation: Path) -> tuple[Path, int | None]:
        """(the live generation, a hold on it); re-reads CURRENT if it switched meanwhile."""
        for _ in range(3):
            hold = layout.hold_generation(generation)
            if hold is not None:
                return generation, hold
            generation = layout.current_generation(self.index_path) or generation
        return generation, None

    def _remove_unused(self) -> None:
        """The last searcher to leave a generation removes it (the rebuild could not)."""
        try:
            layout.remove_unused_generations(self.index_path)
        except Exception:
            log.exception("removing unused index generations failed")

    def _current(self) -> _Live | None:
        self.refresh(force=False)
        return self._live

    def close(self) -> None:
        with self._lock:
            if self._live is not None:
                self._live.searcher.close()
                layout.release_generation(self._live.hold)
                self._live = None

    def __del__(self) -> None:
        # The hold is a bare descriptor, which nothing else closes: a SearchIndex dropped
        # without close() (a delivery round's, a test's) must not keep it for good.
        try:
            self.close()
        except Exception:
            pass

    def is_usable(self) -> bool:
        """An index is open and answers (for /healthz)."""
        try:
            with self._lock:
                live = self._current()
                return live is not None and live.searcher.doc_count_all() >= 0
        except Exception:
            return False

    def doc_count(self) -> int:
        with self._lock:
            live = self._current()
            return live.table.live.bit_count() if live else 0

    def region_codes(self) -> list[str]:
        """The regions (GB/T 2260 codes) live documents apply in or were issued in (with the
        divisions above the latter), each at least once."""
        with self._lock:
            live = self._current()
            if live is None:
                return []
            values = live.table.values
            return sorted({code for field in ("applies", "region")
                           for code, bits in values.get(field, {}).items() if bits & live.table.live})

    @property
    def generation(self) -> str | None:
        live = self._live
        return live.generation.name if live else None

    # --- search -------------------------------------------------------------------

    def search(self, request: SearchRequest | None = None) -> SearchResult:
        """Never raises: a broken request or index gives an empty result with a message."""
        started = time.perf_counter()
        request = request or SearchRequest()
        try:
            with self._lock:
                result = self._search(request)
        except Exception:
            log.exception("search failed for %r", request)
            page, size = _bounds(request)[:2]
            result = SearchResult(0, page, size, 0.0, [], {}, mode="error",
                                  message="搜索暂时出错，请稍后再试或换个说法")
        result.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return result

    def _search(self, request: SearchRequest) -> SearchResult:
        page, size, sort, notes = _bounds(request)
        live = self._current()
        if live is None:
            return SearchResult(0, page, size, 0.0, [], {}, mode="unavailable",
                                message="索引尚未建立，请先运行 policy-search index rebuild")
        filters, filter_notes = _clean_filters(request.filters)
        notes += filter_notes
        # Keyed on the request as given, so its notes (ignored filters, a page past the
        # limits...) come back too, and only for it.
        cache_key = repr((request.q, request.filters, request.sort, request.page, request.size,
                          bool(request.highlight), bool(request.facets)))
        cached = live.results.get(cache_key)
        if cached is not None:
            return dataclasses.replace(cached, hits=list(cached.hits), facets=dict(cached.facets))

        parsed = parse(request.q)
        notes += parsed.notes
        table = live.table
        filter_bits = {key: self._filter_bits(live, key, values) for key, values in filters.items()}
        allowed = table.live
        for bits in filter_bits.values():
            allowed &= bits

        mode = "browse"
        clause_bits: list[int] = []
        exact = 0
        # `unfiltered`: what the query matches before any filter (the same AND/OR
        # policy), so each facet can be counted under every filter but its own.
        if parsed.empty:
            matched = unfiltered = table.live
        else:
            clause_bits = [self._clause_bits(live, clause) for clause in parsed.clauses]
            clause_bits = self._required(live, parsed, clause_bits)
            exact = self._exact_bits(live, parsed)
            missable = self._missable(live, parsed, clause_bits)
            # A 文号 found exactly: no fall-back to documents sharing a word of it.
            matched, mode, needed = _combine(clause_bits, allowed, allow_or=not exact & allowed,
                                             missable=missable)
            unfiltered = (_matching(clause_bits, table.live, needed, missable) if filter_bits
                          else matched)
            if exact & allowed:
                citing = self._citing_bits(live, exact)
                matched |= exact | citing
                unfiltered |= exact | citing
                mode = "doc_number"
        docset = matched & allowed
        total = docset.bit_count()
        found_all = total  # documents with every word (what a suggestion must beat)
        if mode == "or":
            complete = allowed
            for bits in clause_bits:
                complete &= bits
            found_all = complete.bit_count()
            notes.append("同时包含全部关键词的结果较少，已补充包含部分关键词的结果" if complete else
                         "没有同时包含全部关键词的结果，已显示包含部分关键词的结果")

        if sort == "relevance" and mode != "browse":
            order = self._rank(live, parsed, docset, exact, clause_bits, page * size)
        elif sort == "deadline":
            order = _deadline_first(table, docset, page * size)
        else:
            order = _newest_first(table, docset, page * size)
        page_docs = order[(page - 1) * size: page * size]
        terms = (parsed.highlight_terms(primary=True), parsed.highlight_terms())
        hits = [self._hit(live, docnum, score, terms, request.highlight)
                for docnum, score in page_docs]

        facets = {}
        if request.facets:
            facets = self._facets(live, unfiltered, filter_bits)
        suggestion = None
        if not parsed.empty and mode != "doc_number":
            suggestion, hint = self._suggest(live, parsed, clause_bits, allowed, filters,
                                             total, found_all)
            if hint:
                notes.append(hint)
        result = SearchResult(total=total, page=page, size=size, took_ms=0.0, hits=hits,
                              facets=facets, suggestion=suggestion, mode=mode,
                              message="；".join(dict.fromkeys(notes)) or None,
                              rewrite=_rewrite(parsed))
        live.results.put(cache_key, result)
        return dataclasses.replace(result, hits=list(hits), facets=dict(facets))

    def matching_ids(self, request: SearchRequest, ids=None) -> set[str] | None:
        """Ids of the documents the request finds with all its words (or its 文号) and
        its filters — no fall-back to fewer words —, among `ids` when given. For saved
        searches (subscriptions): which new policies a search finds. None: no index."""
        with self._lock:
            live = self._current()
            if live is None:
                return None
            filters, _notes = _clean_filters(request.filters)
            allowed = live.table.live
            for key, values in filters.items():
                allowed &= self._filter_bits(live, key, values)
            if ids is not None:
                wanted = self._doc_ids.docnums(live.searcher, live.table.live, ids)
                allowed &= bits_of(wanted)
            parsed = parse(request.q)
            if not parsed.empty and allowed:
                found = allowed
                for clause in parsed.clauses:
                    found &= self._clause_bits(live, clause)
                if parsed.doc_number_key:
                    found |= self._term_bits(live, "docno_key", parsed.doc_number_key) & allowed
                allowed = found
            if ids is not None:
                return {wanted[d] for d in docnums_of(allowed)}
            doc_ids = self._doc_ids.table(live.searcher, live.table.live)[0]
            return {doc_ids[d] for d in docnums_of(allowed) if doc_ids[d] is not None}

    # --- matching -----------------------------------------------------------------

    def _term_bits(self, live: _Live, fieldname: str, text: str) -> int:
        key = (fieldname, text)
        bits = live.terms.get(key)
        if bits is None:
            bits = posting_bits(live.searcher.reader(), fieldname, text,
                                live.table.hot) & live.table.live
            live.terms.put(key, bits)
        return bits

    def _phrase_bits(self, live: _Live, fieldname: str, words: tuple[str, ...]) -> int:
        key = ("\x00phrase", fieldname, words)
        bits = live.terms.get(key)
        if bits is None:
            # Only documents holding every word can hold the phrase: check those.
            candidates = live.table.live
            for word in words:
                candidates &= self._term_bits(live, fieldname, word)
            bits = 0
            if candidates:
                found = adjacent_docs(live.searcher.reader(), fieldname, words,
                                      docnums_of(candidates), slop=0)
                bits = bits_of(found)
            live.terms.put(key, bits)
        return bits

    def _clause_bits(self, live: _Live, clause) -> int:
        bits = 0
        for alt in clause.alternatives:
            for fieldname in TEXT_FIELDS:
                if alt.phrase:
                    if fieldname != "meta":
                        bits |= self._phrase_bits(live, fieldname, alt.words)
                    continue
                found = live.table.live
                for word in alt.words:
                    found &= self._term_bits(live, fieldname, word)
                    if not found:
                        break
                bits |= found
        return bits

    def _missable(self, live: _Live, parsed: ParsedQuery, clause_bits: list[int]) -> list[bool]:
        """Which required clauses a document may lack (one of them at most): people use
        more words than a policy needs for the same thing. A question (its scaffolding
        dropped or its words mapped) of three or more required words may miss any one;
        any query may miss a fairly common word (产业 of 中医药产业发展: the 中医药法 never
        writes it) when a rarer one still has to match. Coverage still ranks the
        documents with every word first."""
        if parsed.doc_number_keys or parsed.doc_number_key:
            return [False] * len(clause_bits)
        everywhere = live.table.live
        required = [bits != everywhere for bits in clause_bits]
        if parsed.rewrite.changed and sum(required) >= QUESTION_SLACK_FROM:
            return required
        fairly_common = everywhere.bit_count() * FAIRLY_COMMON_SHARE
        missable = [need and bits.bit_count() >= fairly_common
                    for need, bits in zip(required, clause_bits)]
        if missable == required:  # nothing rarer left to anchor the match
            return [False] * len(clause_bits)
        return missable

    def _exact_bits(self, live: _Live, parsed: ParsedQuery) -> int:
        """Documents whose 文号 is the one typed: its key as published, or the first
        canonical key (issuer|year|number) the index knows."""
        bits = 0
        if parsed.doc_number_key:
            bits = self._term_bits(live, "docno_key", parsed.doc_number_key)
        for key in parsed.doc_number_keys:
            found = self._term_bits(live, "docno_key", key)
            if found:
                return bits | found
        return bits

    def _citing_bits(self, live: _Live, exact: int) -> int:
        """Documents naming a 文号's document by its title (as 解读 and notices that
        implement it do, 《…》), not only by its number."""
        bits = 0
        for docnum in docnums_of(exact, CITED_TITLES):
            title = load_hit(live.searcher.stored_fields(docnum)).get("title") or ""
            words = tuple(query_words(title))
            if len(words) >= MIN_CITED_TITLE_WORDS:
                bits |= self._phrase_bits(live, "body", words) | self._phrase_bits(live, "title", words)
        return bits & ~exact

    def _required(self, live: _Live, parsed: ParsedQuery, clause_bits: list[int]) -> list[int]:
        """The clauses' documents for matching: an optional clause (a lone character, a
        word found almost everywhere) matches every document, unless all are optional."""
        everywhere = live.table.live
        common = everywhere.bit_count() * COMMON_SHARE
        optional = [c.optional or bits.bit_count() > common
                    for c, bits in zip(parsed.clauses, clause_bits)]
        if all(optional) or not any(optional):
            return clause_bits
        return [everywhere if skip else bits for skip, bits in zip(optional, clause_bits)]

    def _filter_bits(self, live: _Live, key: str, values: list[str]) -> int:
        table = live.table
        if key == "region":  # applies in: policies for the region or any division above it
            bits = 0
            for value in values:
                region = find_region(value)
                if region is not None:
                    bits |= table.bits_for("applies", parent_codes(region.code))
                else:  # a name the table does not know: documents issued under that name
                    bits |= table.bits_for("region_name", [value])
            return bits
        if key == "issued_region":  # issued in the region or any division below it
            bits = 0
            for value in values:
                region = find_region(value)
                if region is not None:
                    bits |= table.bits_for("region", [region.code])
                bits |= table.bits_for("region_name", [value])
            return bits
        if key == "level":
            levels = []
            for value in values:
                try:
                    levels.append(normalize_level(value) or value)
                except ValueError:
                    levels.append(value)
            return table.bits_for("level", levels)
        if key == "year":
            years = []
            for value in values:
                span = re.fullmatch(r"((?:19|20)\d\d)\s*[-~至到]\s*((?:19|20)\d\d)", value)
                if span:
                    low, high = sorted((int(span.group(1)), int(span.group(2))))
                    years.extend(str(y) for y in range(low, high + 1))
                else:
                    years.append(value[:4])
            return table.bits_for("year", years)
        if key == "subject":  # 审计\银行 and 审计 › 银行 alike; a category with its sub-categories
            values = [subject_label(v) or v for v in values]
        fieldname = "review_state" if key == "review_state" else FACET_FIELDS[key]
        return table.bits_for(fieldname, values)

    # --- ranking ------------------------------------------------------------------

    def _rank(self, live: _Live, parsed: ParsedQuery, docset: int, exact: int,
              clause_bits: list[int], needed: int) -> list[tuple[int, float]]:
        """(docnum, score) best first, at least `needed` long when the docset allows."""
        if not docset:
            return []
        exact_docs = _newest_first(live.table, exact & docset, None)
        rest = docset & ~exact
        ranked: list[tuple[int, float]] = []
        if rest:
            limit = max(needed, RERANK_DEPTH)
            scores = self._scores(live, parsed, rest)
            scored = top_documents(scores, rest, limit)
            positions = Positions(live.searcher.reader())
            scored = self._proximity(live, parsed, scored, positions)[:limit]
            scored = self._focus(live, parsed, scored, positions)
            ranked = self._rerank(live, scored[:RERANK_DEPTH], clause_bits,
                                  parsed.rewrite.changed) + scored[RERANK_DEPTH:]
            if len(ranked) < needed:
                # Documents only an exact key or a phrase check let in: newest first.
                seen = bits_of(d for d, _ in ranked)
                ranked += _newest_first(live.table, rest & ~seen, needed - len(ranked))
        if exact_docs:
            # then what explains it (政策解读, or 解读 in the title), then what cites it
            about = self._interpretation_bits(live)
            ranked = ([x for x in ranked if about >> x[0] & 1]
                      + [x for x in ranked if not about >> x[0] & 1])
        top = exact_docs[0][1] if exact_docs else 0.0
        return [(d, top + 1.0) for d, _ in exact_docs] + ranked

    def _interpretation_bits(self, live: _Live) -> int:
        kinds = live.table.values.get("kind", {})
        return kinds.get("政策解读", 0) | self._term_bits(live, "title", "解读")

    def _scores(self, live: _Live, parsed: ParsedQuery, docset: int) -> dict[int, float]:
        """BM25F: each clause sums its alternatives over fields; clauses add up.

        Only documents of the docset are scored; when it is small, by looking its
        documents up in the postings rather than walking the postings."""
        stats = live.stats
        candidates = docnums_of(docset) if docset.bit_count() <= CANDIDATE_LOOKUP_MAX else None
        total: dict[int, float] = {}
        for clause in parsed.clauses:
            best: dict[int, float] = {}
            for alt in clause.alternatives:
                per_alt: dict[int, float] = {}
                for fieldname, boost in FIELD_BOOSTS.items():
                    if alt.phrase and fieldname == "meta":
                        continue
                    found = alternative_scores(stats, alt.words, fieldname, boost * alt.weight,
                                               candidates)
                    if alt.phrase and found:
                        bits = self._phrase_bits(live, fieldname, alt.words)
                        found = {d: v for d, v in found.items() if bits >> d & 1}
                    for docnum, value in found.items():
                        per_alt[docnum] = per_alt.get(docnum, 0.0) + value
                for docnum, value in per_alt.items():
                    top, rest = best.get(docnum, (0.0, 0.0))
                    best[docnum] = (value, rest + top) if value > top else (top, rest + value)
            for docnum, (top, rest) in best.items():
                # the best alternative, and a little for the others it also holds
                total[docnum] = total.get(docnum, 0.0) + top + OTHER_ALTERNATIVES * rest
        return total

    def _proximity(self, live: _Live, parsed: ParsedQuery, scored: list[tuple[int, float]],
                   positions: Positions) -> list[tuple[int, float]]:
        """A bonus for the query's words written next to each other: each pair of
        neighbouring words of the query (工作 许可, 外国人 来华) found side by side in the
        title or body earns a share of it."""
        if len(parsed.clauses) < 2 or not scored:
            return scored
        words = [c.alternatives[0].words[0] if len(c.alternatives[0].words) == 1
                 and not c.alternatives[0].phrase and not c.optional else None
                 for c in parsed.clauses]
        pairs = [(a, b) for a, b in zip(words, words[1:]) if a and b]
        if not pairs:
            return scored
        docs = sorted(d for d, _ in scored[:PROXIMITY_DEPTH])
        found = {pair: set() for pair in pairs}
        for fieldname in PROXIMITY_FIELDS:
            for pair, side_by_side in adjacent_pairs(positions, fieldname, pairs, docs).items():
                found[pair] |= side_by_side
        near: dict[int, int] = {}
        for side_by_side in found.values():
            for d in side_by_side:
                near[d] = near.get(d, 0) + 1
        if not near:
            return scored
        out = [(d, s * (1 + PROXIMITY_BOOST * near[d] / len(pairs)) if d in near else s)
               for d, s in scored]
        out.sort(key=lambda ds: (-ds[1], -ds[0]))
        return out

    def _focus(self, live: _Live, parsed: ParsedQuery, scored: list[tuple[int, float]],
               positions: Positions) -> list[tuple[int, float]]:
        """Focus over mention: the best candidates gain their best passage's score."""
        clauses = []
        stats = live.stats
        # words found almost everywhere say nothing about focus and cost the most to read
        common = live.table.doc_count_all * COMMON_SHARE
        for clause in parsed.clauses:
            if clause.optional:
                continue
            # a several-word alternative (食品 生产 for 食品厂, 研发 投入) counts where its
            # words stand together, not one here and one there
            terms = tuple(dict.fromkeys(
                alt.words if len(alt.words) > 1 else alt.words[0]
                for alt in clause.alternatives
                if 0 < min(stats.reader.doc_frequency("body", w) for w in alt.words) <= common
            ))[:FOCUS_WORDS]
            if terms:
                words = {w for term in terms for w in ((term,) if isinstance(term, str) else term)}
                clauses.append((terms, max(stats.idf("body", w) for w in words)))
        if not clauses or not scored:
            return scored
        head = scored[:FOCUS_DEPTH]
        docs = sorted(d for d, _ in head)
        passages = passage_scores(positions, "body", clauses, docs)
        head = [(d, s + FOCUS_WEIGHT * passages.get(d, 0.0)) for d, s in head]
        head.sort(key=lambda ds: (-ds[1], -ds[0]))
        return head + scored[FOCUS_DEPTH:]

    def _rerank(self, live: _Live, scored: list[tuple[int, float]], clause_bits: list[int],
                question: bool = False) -> list[tuple[int, float]]:
        """Coverage of the query's clauses, breadth (a document about everything leans
        below one about the need), for a question the document's kind, then small
        nudges to newer and valid policies."""
        if not scored:
            return scored
        dates = live.table.dates
        breadth = live.table.breadth
        this_year = index_day().year
        invalid = {v: live.table.values.get("validity", {}).get(v, 0) for v in VALIDITY_FACTOR}
        kinds = live.table.values.get("kind", {}) if question else {}
        priors = [(kinds[k], f) for k, f in QUESTION_KIND_FACTOR.items() if kinds.get(k)]
        n = len(clause_bits)
        out = []
        for docnum, score in scored:
            bit = 1 << docnum
            if n > 1:
                covered = sum(1 for bits in clause_bits if bits & bit)
                score *= (covered / n) ** 2
            if docnum < len(breadth):
                score *= breadth_factor(breadth[docnum])
            year = dates[docnum] // 10000 if docnum < len(dates) else 0
            if year:
                age = max(0, this_year - year)
                score *= 1.0 + 0.1 * max(0.0, 1.0 - age / 15)
            for value, bits in invalid.items():
                if bits & bit:
                    score *= VALIDITY_FACTOR[value]
            for bits, factor in priors:
                if bits & bit:
                    score *= factor
            out.append((docnum, score))
        out.sort(key=lambda ds: (-ds[1], -(dates[ds[0]] if ds[0] < len(dates) else 0)))
        return out

    # --- results ------------------------------------------------------------------

    def _hit(self, live: _Live, docnum: int, score: float,
             terms: tuple[list[str], list[str]], highlight: bool) -> Hit:
        stored = live.searcher.stored_fields(docnum)
        data = load_hit(stored)
        text = load_text(stored)
        title = data.get("title") or ""
        return Hit(
            id=stored["id"], url=data.get("url"), title=title, issuer=data.get("issuer"),
            doc_number=data.get("doc_number"), level=data.get("level"),
            region=data.get("region"), region_code=data.get("region_code"),
            publish_date=data.get("publish_date"), validity=data.get("validity") or "未知",
            doc_kind=data.get("doc_kind") or "其他", tags=data.get("tags") or {},
            snippet=snippet(text, terms if highlight else ([], [])),
            score=round(float(score), 4),
            title_html=highlight_title(title, terms if highlight else ([], [])),
            review_state=data.get("review_state"),
            deadline_status=data.get("deadline_status"), deadline_end=data.get("deadline_end"),
            expiry_date=data.get("expiry_date"), applies_in=data.get("applies_in"),
            huiqi=data.get("huiqi"),
        )

    def _facets(self, live: _Live, matched: int, filter_bits: dict[str, int]
                ) -> dict[str, list[FacetCount]]:
        """Counts per facet value under the query and every filter except the facet's own
        (so a user can widen a facet to more values)."""
        table = live.table
        facets = {}
        for key in FACETS:
            base = matched & table.live
            for other, bits in filter_bits.items():
                if other != key:
                    base &= bits
            if key == "region":
                facets[key] = _applies_in_counts(live, base, FACET_LIMITS["region"])
                continue
            counts = table.facet_counts(FACET_FIELDS[key], base, FACET_LIMITS.get(key))
            facets[key] = in_facet_order(key, [FacetCount(value, count) for value, count in counts])
        return facets

    def _suggest(self, live: _Live, parsed: ParsedQuery, clause_bits: list[int],
                 allowed: int, filters: dict, total: int, found_all: int
                 ) -> tuple[str | None, str | None]:
        """A query that finds more than this one did (more documents with all its words):
        the index's word for what was typed (pinyin, a mistyped character), or when
        nothing was found the words that match, or the query without filters. Never
        single characters."""
        # a word the index does not know is only "corrected" when the query finds
        # (almost) nothing with all its words: 企业注册 is no typo of 企业注销
        for candidate in self._respelled(live, parsed, typos=found_all < FALLBACK_MIN):
            if self._count(live, candidate, allowed) > found_all:
                return candidate, None if total else "没有找到，您输入的可能是建议的词"
        if total:
            return None, None
        useful = [c.text for c, bits in zip(parsed.clauses, clause_bits)
                  if bits & allowed and not c.optional and len(c.text) > 1]
        if useful and len(useful) < len(parsed.clauses):
            candidate = " ".join(useful)
            if self._count(live, candidate, allowed):
                return candidate, "部分关键词没有找到，可以试试建议的查询"
        if filters and any(clause_bits):
            return parsed.text, "去掉筛选条件后有结果"
        return None, "没有找到相关政策，可以换个说法或减少关键词"

    def _respelled(self, live: _Live, parsed: ParsedQuery, typos: bool = True) -> list[str]:
        """The query with a piece of it (pinyin, or a word the index does not know)
        replaced by a word of the index vocabulary, best first."""
        chunks = parsed.text.split()
        letters = "".join(chunks)
        if not typos and not any(c.isascii() and c.isalpha() for c in chunks):
            return []
        vocabulary = self._vocabulary(live)
        out = []
        if letters.isascii() and letters.isalpha():
            out += vocabulary.for_pinyin(letters)
        for i, chunk in enumerate(chunks):
            found = (vocabulary.for_pinyin(chunk) if chunk.isascii()
                     else vocabulary.for_typo(chunk) if typos else [])
            out += [" ".join(chunks[:i] + [word] + chunks[i + 1:]) for word in found]
        return [q for q in dict.fromkeys(out) if q != parsed.text][:MAX_SUGGESTIONS_TRIED]

    def _vocabulary(self, live: _Live) -> Vocabulary:
        """Built on the first query that needs it, once per generation (incremental
        commits add few title words; a rebuild starts a new generation): a second or
        so at 37k documents, for a pinyin query or one that found next to nothing."""
        if self._vocabulary_of is None or self._vocabulary_of[0] != live.generation:
            words = (t.decode("utf-8") if isinstance(t, bytes) else t
                     for t in live.searcher.reader().lexicon("title"))
            self._vocabulary_of = (live.generation, build_vocabulary(words, self._title_df))
        return self._vocabulary_of[1]

    def _title_df(self, word: str) -> int:
        live = self._live
        return live.searcher.reader().doc_frequency("title", word) if live else 0

    def _count(self, live: _Live, text: str, allowed: int) -> int:
        """How many documents a query finds with all its words (no fall-back)."""
        parsed = parse(text)
        if parsed.empty:
            return 0
        bits = self._required(live, parsed, [self._clause_bits(live, c) for c in parsed.clauses])
        matched, _, _ = _combine(bits, allowed, allow_or=False)
        return matched.bit_count()


@dataclasses.dataclass
class _RegionTree:
    """The regions a generation's documents apply in, arranged once per searcher: for each, the
    divisions listed with it (itself and the ones above), and the tree order with labels."""
    above: dict[str, list[str]]   # code in `applies` -> the listed codes it counts for
    order: list[str]              # every listed code: 全国, then each province, its cities …
    chains: dict[str, list[str]]  # listed code -> codes in `applies` that apply there
    labels: dict[str, str]
    depths: dict[str, int]        # listed code -> 1 for 全国, 2 for a province, 3 for a city …

    @classmethod
    def of(cls, codes) -> "_RegionTree":
        # the divisions above them only when they are divisions (上海市 has no 310100 of its own)
        above = {code: [p for p in parent_codes(code) if p == code or region_name(p)]
                 for code in codes}
        listed = {p for chain in above.values() for p in chain}
        order = sorted(listed, key=lambda c: (c != NATIONAL, c))
        present = set(codes)
        chains = {code: [p for p in parent_codes(code) if p in present] for code in order}
        depths = {code: sum(1 for p in parent_codes(code) if p == code or region_name(p))
                  for code in order}
        return cls(above, order, chains, {code: region_label(code) or code for code in order},
                   depths)


def _applies_in_counts(live: _Live, base: int, limit: int) -> list[FacetCount]:
    """Per region, how many documents of `base` apply there: those for the region itself and
    for every division above it. Listed: the regions documents are for, and the divisions
    above them, as a tree (全国, then each province followed by its cities and counties)."""
    values = live.table.values.get("applies", {})
    if live.regions is None:
        live.regions = _RegionTree.of(values)
    tree = live.regions
    exact = {code: bits & base for code, bits in values.items()}
    listed = {p for code, bits in exact.items() if bits for p in tree.above.get(code, ())}
    counts, depths = [], []
    for code in tree.order:
        if code not in listed:
            continue
        bits = 0
        for covering in tree.chains[code]:
            bits |= exact[covering]
        if bits:
            counts.append(FacetCount(tree.labels[code], bits.bit_count()))
            depths.append(tree.depths[code])
    if len(counts) > limit:
        # over the limit the deepest levels go first, not the provinces last in code order
        # (a 四川 user must still find 四川省 when many cities are listed)
        kept = sorted(sorted(range(len(counts)), key=lambda i: (depths[i], i))[:limit])
        counts = [counts[i] for i in kept]
    return counts


def _rewrite(parsed: ParsedQuery) -> QueryRewrite | None:
    rewrite = parsed.rewrite
    if not rewrite.changed:
        return None
    return QueryRewrite(rewrite.note(), list(rewrite.searched), list(rewrite.dropped),
                        {k: list(v) for k, v in rewrite.mapped.items()})


def _combine(clause_bits: list[int], allowed: int, allow_or: bool = True,
             missable: list[bool] | None = None) -> tuple[int, str, int]:
    """AND of the clauses (but a document may lack one of the `missable` ones); when
    that finds too little, the documents matching the most clauses (all but one, all
    but two, ... down to any one): a graded, ranked OR.

    Returns (documents, mode, how many clauses a document had to match; -1: all but
    one missable)."""
    if not clause_bits:
        return 0, "and", 0
    at_least = _at_least(clause_bits, allowed)
    n = len(clause_bits)
    needed = -1 if missable and any(missable) else n
    matched = _matching(clause_bits, allowed, needed, missable) if needed < 0 else at_least[n]
    if not allow_or or n == 1 or matched.bit_count() >= FALLBACK_MIN:
        return matched, "and", needed
    for k in range(n - 1, 0, -1):
        if at_least[k].bit_count() >= FALLBACK_MIN or k == 1:
            if at_least[k] != matched:
                return at_least[k], "or", k
            break
    return matched, "and", needed


def _matching(clause_bits: list[int], base: int, needed: int,
              missable: list[bool] | None = None) -> int:
    """Documents of `base` matching `needed` clauses (-1: every clause but one of the
    `missable` ones)."""
    if needed >= 0:
        return _at_least(clause_bits, base)[needed]
    for bits, may_miss in zip(clause_bits, missable):
        if not may_miss:
            base &= bits
    some = [bits for bits, may_miss in zip(clause_bits, missable) if may_miss]
    return _at_least(some, base)[len(some) - 1]


def _at_least(clause_bits: list[int], base: int) -> list[int]:
    """at_least[k]: documents of `base` matching at least k clauses (bit-sliced counting)."""
    at_least = [base] + [0] * len(clause_bits)
    for bits in clause_bits:
        for k in range(len(clause_bits), 0, -1):
            at_least[k] |= at_least[k - 1] & bits
    return at_least


def _newest_first(table: DocTable, docset: int, limit: int | None) -> list[tuple[int, float]]:
    if not docset:
        return []
    count = docset.bit_count()
    dates = table.dates
    if count <= 4000 or limit is None:
        docs = docnums_of(docset)
        docs.sort(key=lambda d: (dates[d], d), reverse=True)
        return [(d, 0.0) for d in (docs if limit is None else docs[:limit])]
    out = []
    for docnum in table.newest_order():
        if docset >> docnum & 1:
            out.append((docnum, 0.0))
            if len(out) >= limit:
                break
    return out


def _deadline_first(table: DocTable, docset: int, limit: int) -> list[tuple[int, float]]:
    """Soonest upcoming application deadline first; policies without one after them,
    newest first."""
    if not docset:
        return []
    today = date_number(index_day().isoformat())
    if docset.bit_count() <= 4000:
        return [(d, 0.0) for d in deadline_sorted(table, docnums_of(docset), today)[:limit]]
    out = []
    for docnum in table.deadline_order(today):
        if docset >> docnum & 1:
            out.append((docnum, 0.0))
            if len(out) >= limit:
                break
    return out


def _bounds(request: SearchRequest) -> tuple[int, int, str, list[str]]:
    notes = []
    try:
        size = int(request.size)
    except (TypeError, ValueError):
        size = 10
    size = min(max(size, 1), LIMITS.page_size)
    try:
        page = int(request.page)
    except (TypeError, ValueError):
        page = 1
    page = max(page, 1)
    problem = LIMITS.page_problem(page, size)
    if problem:  # the site refuses such a request; other callers get the last page
        page = LIMITS.last_page(size)
        notes.append(problem)
    sort = request.sort if request.sort in SORTS else "relevance"
    if request.sort not in SORTS and request.sort:
        notes.append("未知的排序方式，已按相关度排序")
    return page, size, sort, notes


def _clean_filters(raw) -> tuple[dict[str, list[str]], list[str]]:
    notes = []
    filters: dict[str, list[str]] = {}
    if not isinstance(raw, dict):
        return filters, notes
    for key, values in raw.items():
        if key not in FILTER_KEYS:
            notes.append(f"未知的筛选条件 {str(key)[:20]} 已忽略")
            continue
        if values is None:
            continue
        if isinstance(values, (str, int)):
            values = [values]
        try:
            cleaned = [normalized_filter_value(v)[:LIMITS.value_chars]
                       for v in list(values)[:LIMITS.values_per_facet]]
        except TypeError:
            continue
        cleaned = [v for v in cleaned if v]
        if cleaned:
            filters[key] = sorted(set(cleaned))
    return filters, notes
