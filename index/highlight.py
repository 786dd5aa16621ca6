"""Snippets with the query's words marked, without re-running jieba.

The analyzer folds width and case without moving characters, so a query word is
found in a document by a plain search of the folded text, and its offsets are the
offsets in the original. Where the analyzer squeezed out marks that only decorate a
word (首台（套）, 研 发 费 用), the word is found by a pattern that allows them
between its characters. Overlapping matches keep the longest word (天使投资, not
投资 inside it). Everything is HTML-escaped except the <mark> tags.
"""
from __future__ import annotations

import re
from functools import lru_cache
from html import escape

from index.analysis import fold_width_case

MAX_MATCHES_PER_TERM = 40
SCAN_CHARS = 20_000   # snippets come from the first part of long documents
# Half-width ASCII → full-width, to find a folded query word in unfolded text.
_TO_FULL = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}


def _variants(terms: list[str]) -> list[str]:
    """Each term, and its full-width form when it has ASCII in it (５ｇ for 5g; the
    text is lower-cased, which also lowers full-width letters)."""
    out = []
    for term in terms:
        out.append(term)
        wide = term.translate(_TO_FULL)
        if wide != term:
            out.append(wide)
    return out


def _fold_case(text: str) -> str:
    """Case folding only (fast, keeps offsets); width is handled by `_variants`."""
    folded = text.lower()
    return folded if len(folded) == len(text) else fold_width_case(text)


def find_spans(folded: str, terms: list[str]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) of term occurrences, longest first on overlap;
    words of the query written next to each other are one span."""
    return _joined(_find(folded, terms))


def find_loose_spans(folded: str, terms: list[str]) -> list[tuple[int, int]]:
    """Like `find_spans`, but a term may be written with marks inside that the analyzer
    squeezes out (首台套 in 首台（套）, 研发 in 研 发). One regular-expression scan: only
    used when no term is found as written."""
    pattern = _loose_pattern(tuple(t for t in terms if len(t) > 1))
    if pattern is None:
        return []
    found = [m.span() for m in pattern.finditer(folded)][:MAX_MATCHES_PER_TERM * len(terms)]
    spans = []
    for start, end in found:
        # a closing mark whose opening one is inside goes with the word: 首台（套）
        if end < len(folded) and folded[end] in _CLOSERS and \
                _CLOSERS[folded[end]] in folded[start:end]:
            end += 1
        spans.append((start, end))
    return _joined(spans)


_MARKS = "(（)）“”‘’\"'「」『』 \t\xa0\u3000"
_CLOSERS = {")": "(", "）": "（", "”": "“", "’": "‘", "」": "「", "』": "『"}


@lru_cache(maxsize=256)
def _loose_pattern(terms: tuple[str, ...]):
    if not terms:
        return None
    gap = "[" + re.escape(_MARKS) + "]{0,2}"
    ordered = sorted(set(terms), key=len, reverse=True)
    return re.compile("|".join(gap.join(re.escape(ch) for ch in term) for term in ordered))


def _find(folded: str, terms: list[str]) -> list[tuple[int, int]]:
    found = []
    for term in terms:
        if not term:
            continue
        start, count = 0, 0
        while count < MAX_MATCHES_PER_TERM:
            at = folded.find(term, start)
            if at < 0:
                break
            found.append((at, at + len(term)))
            start = at + len(term)
            count += 1
    found.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    spans: list[tuple[int, int]] = []
    for start, end in found:
        if spans and start < spans[-1][1]:
            last_start, last_end = spans[-1]
            if end - start > last_end - last_start:
                spans[-1] = (start, end)  # the longer word wins
            continue
        spans.append((start, end))
    return spans


def _joined(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Words of the query written next to each other are marked as one phrase."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if out and start == out[-1][1]:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def mark(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    end = len(text) if end is None else end
    out, position = [], start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(escape(text[position:s]))
        out.append("<mark>" + escape(text[s:e]) + "</mark>")
        position = e
    out.append(escape(text[position:end]))
    return "".join(out)


def _spans(folded: str, terms) -> list[tuple[int, int]]:
    """Spans of the primary terms (as written, else with decorating marks inside), or
    of all terms when no primary one occurs.

    `terms` is (primary, all) or a plain list."""
    if isinstance(terms, tuple):
        primary, every = terms
        return (find_spans(folded, _variants(primary))
                or find_loose_spans(folded, primary)
                or find_spans(folded, _variants(every)))
    return find_spans(folded, _variants(terms)) or find_loose_spans(folded, terms)


def highlight_title(title: str, terms) -> str:
    if not title:
        return ""
    return mark(title, _spans(_fold_case(title), terms))


def snippet(text: str, terms, width: int = 120) -> str:
    """The window of `width` characters with the most distinct query words."""
    if not text:
        return ""
    flat = " ".join(text[:SCAN_CHARS].split())  # newlines, runs of spaces → one space
    folded = _fold_case(flat)
    spans = _spans(folded, terms)
    if not spans:
        return escape(flat[:width]) + ("…" if len(flat) > width else "")
    best_start, best_score = 0, (-1, -1)
    for i, (s, _) in enumerate(spans[:400]):
        window_start = max(0, s - width // 5)
        window_end = window_start + width
        inside = [folded[a:b] for a, b in spans[i:] if a < window_end]
        score = (len(set(inside)), len(inside))
        if score > best_score:
            best_start, best_score = window_start, score
    best_end = min(len(flat), best_start + width)
    if best_end - best_start < width:
        best_start = max(0, best_end - width)
    # a window edge inside a matched word would show a stray character of it marked
    # ("…<mark>展</mark>方式" of 发展方式): the word is shown whole
    for s, e in spans:
        if s < best_start < e:
            best_start = s
        if s < best_end < e:
            best_end = e
    body = mark(flat, spans, best_start, best_end)
    prefix = "…" if best_start > 0 else ""
    suffix = "…" if best_end < len(flat) else ""
    return prefix + body + suffix
