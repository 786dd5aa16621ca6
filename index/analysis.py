"""Chinese analysis on jieba: text folding, tokens with ordinal positions, sub-words.

This module's import path is part of the on-disk index format (Whoosh pickles the
schema with `index.analysis.JiebaTokenizer` and `index.analysis.PolicyText` in it):
keep these names stable and bump `ANALYSIS_VERSION` (part of the index directory
name via `index.schema.SCHEMA_VERSION`) when tokens change.

Segmentation is jieba's accurate mode with its HMM for unknown words, run by
jieba-rs (the `rjieba` binding): the same dictionary and algorithm as Python
jieba, giving the same words on Chinese text at about twenty times the speed —
segmentation is most of the cost of indexing.

Index side: accurate-mode words get token ordinals as positions (so phrase
queries work); every dictionary word inside a longer word is indexed too, at the
same position (so 加计扣除 finds 研发费用加计扣除 while the whole term stays one
token). Query side uses the same words without the sub-words.
"""
from __future__ import annotations

import logging
import re
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.metadata import version

warnings.filterwarnings("ignore", category=SyntaxWarning, module=r"(jieba|whoosh)(\..*)?")

import rjieba  # noqa: E402
from whoosh.analysis import Token, Tokenizer  # noqa: E402
from whoosh.fields import TEXT  # noqa: E402

ANALYSIS_VERSION = 3
SEGMENTER_DISTRIBUTION = "rjieba"
USER_WORD_FREQ = 3000
MAX_SUBWORD = 8

_init_lock = threading.Lock()
_segmenter: rjieba.Jieba | None = None

# Full-width ASCII (！..～) → half-width, ideographic space → space; same length, so
# character offsets into the folded text are offsets into the original.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FOLD[0x3000] = 0x20
# A token is kept when it has a letter, digit or CJK character in it.
_WORDISH = re.compile(r"[0-9a-z\u3400-\u9fff\uf900-\ufaff]")
_CJK = re.compile(r"[\u3400-\u9fff]")
# How Python jieba splits a Latin token: letter/digit runs with a decimal part and a
# percent sign kept on (pm2.5, 99.7%), symbols apart (www . gov . cn, 8702 - 2014).
_ASCII_PIECES = re.compile(r"[a-z0-9]+(?:\.\d+)?%?|[^a-z0-9]+")


_HAN = r"\u3400-\u9fff\uf900-\ufaff"
_IS_HAN = re.compile(f"[{_HAN}]")
_QUOTE = "“”‘’\"'「」『』"
# Marks that only decorate a word: a bracket around one or two characters right after a
# word (首台（套）; 省（区、市） stays), quotes around a short word touching another
# (专精特新“小巨人”企业), and spaces between characters of which one stands alone
# (研 发 费 用; 首台套 重大技术装备 stays apart). Each pattern starts with the mark, so
# the scan is quick; the context is checked in `_decorations`.
_BRACKETED = re.compile(f"[(（][{_HAN}]{{1,2}}[)）]")
_QUOTED = re.compile(f"[{_QUOTE}][{_HAN}]{{2,8}}[{_QUOTE}]")
_SPACES = re.compile("[ \t\xa0\u3000]+")


def _han(text: str, at: int) -> bool:
    return 0 <= at < len(text) and _IS_HAN.match(text, at) is not None


def _decorations(text: str) -> list[tuple[int, int]]:
    """(start, end) of the characters `squeeze` drops."""
    drop = []
    for match in _BRACKETED.finditer(text):
        if _han(text, match.start() - 1):
            drop += [(match.start(), match.start() + 1), (match.end() - 1, match.end())]
    for match in _QUOTED.finditer(text):
        if _han(text, match.start() - 1) or _han(text, match.end()):
            drop += [(match.start(), match.start() + 1), (match.end() - 1, match.end())]
    for match in _SPACES.finditer(text):
        start, end = match.span()
        if _han(text, start - 1) and _han(text, end) and (
                not _han(text, start - 2) or not _han(text, end + 1)):
            drop.append((start, end))
    return drop


def squeeze(folded: str) -> tuple[str, list[int] | None]:
    """A folded text without decorating marks (see `_decorations`), and the offset in
    the input of each character kept (None: nothing was dropped)."""
    drop = _decorations(folded)
    if not drop:
        return folded, None
    keep, pieces, position = [], [], 0
    for start, end in sorted(drop):
        if start < position:
            continue
        pieces.append(folded[position:start])
        keep.extend(range(position, start))
        position = end
    pieces.append(folded[position:])
    keep.extend(range(position, len(folded)))
    return "".join(pieces), keep


_CLOSING = frozenset(")）”’\"'」』")


def original_span(text: str, keep: list[int] | None, start: int, end: int) -> tuple[int, int]:
    """Offsets in `text` of the squeezed text's [start, end): when a mark was dropped
    inside, its closing partner right after the last character goes with it
    (首台（套） whole, but 小巨人 of “小巨人” without the quote)."""
    if keep is None:
        return start, end
    first, last = keep[start], keep[end - 1] + 1
    if last - first > end - start:
        limit = keep[end] if end < len(keep) else len(text)
        while last < limit and text[last] in _CLOSING:
            last += 1
    return first, last


def fold_width_case(text: str) -> str:
    """Width and case folding that keeps every character at its offset."""
    folded = text.translate(_FOLD).lower()
    if len(folded) != len(text):  # a few letters (İ) lower to two characters
        folded = "".join(ch.translate(_FOLD).lower()[:1] or ch for ch in text)
    return folded


def _data_lines(name: str) -> list[str]:
    text = resources.files("index").joinpath(f"data/{name}").read_text("utf-8")
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


@cache
def user_words() -> tuple[str, ...]:
    return tuple(fold_width_case(line.split()[0]) for line in _data_lines("user_dict.txt"))


def segmenter_version() -> str:
    """The installed jieba-rs binding's version: its dictionary and HMM decide the words."""
    return version(SEGMENTER_DISTRIBUTION)


def init_jieba() -> rjieba.Jieba:
    """The segmenter with jieba's dictionary and the policy terms, built once per
    process (about 0.2 s; forked workers share it)."""
    global _segmenter
    if _segmenter is not None:
        return _segmenter
    with _init_lock:
        if _segmenter is None:
            segmenter = rjieba.Jieba()
            for line in _data_lines("user_dict.txt"):
                parts = line.split()
                freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else USER_WORD_FREQ
                word = fold_width_case(parts[0])
                if segmenter.has_word(word):
                    # never lower a known word's frequency (suggest_freq is at least it)
                    freq = max(freq, segmenter.suggest_freq(word))
                segmenter.add_word(word, freq, None)
            _segmenter = segmenter
    return _segmenter


def _subwords(word: str, has_word) -> list[tuple[str, int]]:
    """Dictionary words inside a longer CJK word, with their offsets in it."""
    found = []
    size = len(word)
    for length in range(2, min(size - 1, MAX_SUBWORD) + 1):
        for start in range(0, size - length + 1):
            piece = word[start:start + length]
            if has_word(piece):
                found.append((piece, start))
    return found


def _tokenize(text: str) -> Iterator[tuple[str, int, int]]:
    """(word, start, end) of jieba's accurate-mode cut of a folded text.

    Like Python jieba, a Latin token with symbols in it (www.gov.cn, 8702-2014)
    comes out as its letter/digit runs and symbols, so each part is findable.
    """
    start = 0
    for word in init_jieba().cut(text, True):
        if len(word) > 1 and word.isascii() and not word.isalnum():
            for piece in _ASCII_PIECES.findall(word):
                yield piece, start, start + len(piece)
                start += len(piece)
            continue
        yield word, start, start + len(word)
        start += len(word)


def analyze(text: str, subwords: bool = True) -> list[tuple[str, int, int, int]]:
    """(term, position, start char, end char) for a text.

    Positions are word ordinals; sub-words share the position of their word.
    Offsets index the original text (folding keeps lengths).
    """
    if not text:
        return []
    has_word = init_jieba().has_word
    folded = fold_width_case(text)
    text, keep = squeeze(folded)

    def span(start: int, end: int) -> tuple[int, int]:
        return original_span(folded, keep, start, end)

    out = []
    pos = -1
    for word, start, end in _tokenize(text):
        if not _WORDISH.search(word):
            continue
        pos += 1
        word = word.strip()
        if subwords and len(word) > 2 and _CJK.match(word):
            for piece, offset in _subwords(word, has_word):
                out.append((piece, pos, *span(start + offset, start + offset + len(piece))))
        out.append((word, pos, *span(start, end)))
    return out


def query_words(text: str) -> list[str]:
    """The words of a query as the index has them (no sub-words)."""
    return [term for term, _, _, _ in analyze(text, subwords=False)]


def components(word: str) -> list[str]:
    """A long word split into dictionary words, longest first from the left.

    Used on the query side: 知识产权质押融资 also matches 知识产权 + 质押 + 融资
    written apart. Returns [] when the word has no split into known parts.
    """
    if len(word) < 4 or not _CJK.match(word):
        return []
    has_word = init_jieba().has_word
    parts, start = [], 0
    while start < len(word):
        for length in range(min(len(word) - start, MAX_SUBWORD), 0, -1):
            piece = word[start:start + length]
            if piece == word:
                continue
            if length == 1 or has_word(piece):
                parts.append(piece)
                start += length
                break
    # Single characters (小 + 微 + 企业) would match almost anything.
    if len(parts) < 2 or any(len(p) == 1 for p in parts):
        return []
    return parts


@cache
def stopwords() -> frozenset[str]:
    return frozenset(fold_width_case(w) for w in _data_lines("query_stopwords.txt"))


@cache
def synonyms() -> dict[str, tuple[str, ...]]:
    """term -> other terms that mean the same (from index/data/synonyms.txt)."""
    table: dict[str, list[str]] = {}
    for line in _data_lines("synonyms.txt"):
        if "=>" in line:
            left, right = line.split("=>", 1)
            sources, targets = _terms(left), _terms(right)
        else:
            sources = targets = _terms(line)
        for term in sources:
            bucket = table.setdefault(term, [])
            bucket.extend(t for t in targets if t != term and t not in bucket)
    for term, extra in _extra_synonyms().items():
        bucket = table.setdefault(term, [])
        bucket.extend(t for t in extra if t != term and t not in bucket)
    return {term: tuple(values) for term, values in table.items()}


@dataclass(frozen=True)
class EverydayWords:
    """index/data/everyday_words.txt: everyday phrases (as query words) -> policy words."""
    phrases: dict[tuple[str, ...], tuple[str, ...]]   # () = question scaffolding, dropped
    suffixes: dict[str, tuple[str, ...]]              # 厂 -> (生产,): *厂 => *生产
    longest: int


@cache
def everyday_words() -> EverydayWords:
    phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
    suffixes: dict[str, tuple[str, ...]] = {}
    for line in _data_lines("everyday_words.txt"):
        left, _, right = line.partition("=>")
        targets = _terms(right)
        for phrase in _terms(left):
            if phrase.startswith("*"):
                suffixes[phrase[1:]] = tuple(t.lstrip("*") for t in targets)
                continue
            # as jieba cuts it alone, and whole (in a query it may stay one word: 招人)
            for words in {tuple(query_words(phrase)), (phrase,)}:
                if words:
                    known = phrases.setdefault(words, ())
                    phrases[words] = known + tuple(t for t in targets if t not in known)
    return EverydayWords(phrases, suffixes, max((len(k) for k in phrases), default=1))


def _terms(text: str) -> list[str]:
    return [fold_width_case(t) for t in re.split(r"[\s,，、]+", text.strip()) if t]


def _extra_synonyms() -> dict[str, list[str]]:
    """Synonym groups of the tagging taxonomy (policy_search.domain.taxonomy)."""
    from policy_search.domain.taxonomy import synonym_groups

    try:
        groups = synonym_groups()
    except Exception:  # a broken taxonomy file must not break search
        logging.getLogger(__name__).exception("taxonomy synonyms not loaded")
        return {}
    table: dict[str, list[str]] = {}
    for group in groups:
        terms = [fold_width_case(t) for t in group if t and t.strip()]
        for term in terms:
            table.setdefault(term, []).extend(t for t in terms if t != term)
    return table


class JiebaTokenizer(Tokenizer):
    """Whoosh tokenizer over `analyze`: ordinal positions, character offsets."""

    def __init__(self, subwords: bool = True):
        self.subwords = subwords

    def __eq__(self, other):
        return type(other) is type(self) and other.subwords == self.subwords

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="",
                 **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            items = [(fold_width_case(value), 0, 0, len(value))]
        else:
            items = analyze(value, subwords=self.subwords and mode != "query")
        for text, pos, start, end in items:
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


class Preindexed:
    """Posting items computed elsewhere (a worker process or the token cache)."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items


class PolicyText(TEXT):
    """A jieba TEXT field that also accepts `Preindexed` values (token replay)."""

    def index(self, value, **kwargs):
        if isinstance(value, Preindexed):
            return value.items
        return super().index(value, **kwargs)


def index_items(field: TEXT, text: str) -> list[tuple[bytes, int, float, bytes]]:
    """The posting items Whoosh would compute for a text (for caching and replay)."""
    return list(TEXT.index(field, text)) if text else []

