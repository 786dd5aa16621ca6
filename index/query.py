"""From what a user typed to clauses the searcher evaluates.

A query is a list of clauses (one per word or quoted phrase). A clause matches
when any of its alternatives does; an alternative is a group of words that must
all occur in one field (the word itself, its dictionary parts, its synonyms), or a
phrase. Whoosh query syntax (wildcards, fuzzy, fields, boolean words) is never
interpreted: it is text like any other, so nothing a user types can be costly or
raise.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from index.analysis import components, query_words, stopwords, synonyms
from policy_search.normalize import doc_number_key, find_doc_number

MAX_QUERY_CHARS = 200
MAX_CLAUSES = 12
MAX_ALTERNATIVES = 8
# Weights of the ways a clause can match, relative to the word itself.
PARTS_WEIGHT = 0.7
SYNONYM_WEIGHT = 0.6

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_QUOTES = re.compile(r"[\"“”「」『』]")
_QUOTED = re.compile(r"[\"“”「『]([^\"“”「」『』]*)[\"“”」』]")
_SYNTAX = re.compile(r"[*?~^]")


@dataclass
class Alternative:
    words: tuple[str, ...]
    weight: float = 1.0
    phrase: bool = False
    primary: bool = True    # the word itself or a synonym (not its parts): highlighted first


@dataclass
class Clause:
    text: str
    alternatives: list[Alternative]

    def highlight_terms(self, primary: bool = False) -> list[str]:
        """The words to mark; primary: the word itself and its synonyms, not its parts."""
        terms = []
        for alt in self.alternatives:
            if primary and not alt.primary:
                continue
            if alt.phrase:
                terms.append("".join(alt.words))
            else:
                terms.extend(alt.words)
        return terms


@dataclass
class ParsedQuery:
    raw: str
    text: str                       # what was searched, after clean-up
    clauses: list[Clause] = field(default_factory=list)
    doc_number_key: str | None = None
    doc_number: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.clauses and not self.doc_number_key

    def highlight_terms(self, primary: bool = False) -> list[str]:
        terms = []
        for clause in self.clauses:
            terms.extend(clause.highlight_terms(primary))
        return [t for t in dict.fromkeys(terms) if t]


def clean(raw: object) -> tuple[str, list[str]]:
    """Text safe to analyze, and notes about what was changed."""
    notes = []
    text = "" if raw is None else str(raw)
    text = _CONTROL.sub(" ", text)
    text = unicodedata.normalize("NFC", text).strip()
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        notes.append(f"查询过长，只使用了前 {MAX_QUERY_CHARS} 个字符")
    return text, notes


def parse(raw: object) -> ParsedQuery:
    text, notes = clean(raw)
    parsed = ParsedQuery(raw="" if raw is None else str(raw), text=text, notes=notes)
    if not text:
        return parsed
    clauses: list[Clause] = []
    found = find_doc_number(text)
    if found:
        parsed.doc_number = found
        parsed.doc_number_key = doc_number_key(found)
        # The 文号 as a phrase of its words: brackets do not take a position, so
        # 〔2019〕, [2019] and (2019) citations in other documents match too.
        words = tuple(query_words(found))
        if words:
            clauses.append(Clause(found, [Alternative(words, 1.0, phrase=len(words) > 1)]))
        folded = unicodedata.normalize("NFKC", text)
        at = folded.find(found)
        if at >= 0 and len(folded) == len(text):
            text = (text[:at] + " " + text[at + len(found):]).strip()
    if _SYNTAX.search(text):
        notes.append("通配符和模糊查询不受支持，已按普通文字搜索")
        text = _SYNTAX.sub(" ", text)
    # Quoted phrases first; what is left is words.
    rest = []
    position = 0
    for match in _QUOTED.finditer(text):
        rest.append(text[position:match.start()])
        position = match.end()
        words = tuple(query_words(match.group(1)))
        if len(words) == 1:
            clauses.append(Clause(match.group(1), [Alternative(words)]))
        elif words:
            clauses.append(Clause(match.group(1), [Alternative(words, 1.0, phrase=True)]))
    rest.append(text[position:])
    leftover = " ".join(rest)
    if _QUOTES.search(leftover):
        notes.append("引号不成对，已忽略引号")
        leftover = _QUOTES.sub(" ", leftover)
    stops = stopwords()
    words = [w for w in query_words(leftover) if w not in stops]
    if not words and not clauses and not parsed.doc_number:
        # Only stop words: search them after all rather than return everything.
        words = query_words(leftover)
    for word in dict.fromkeys(words):
        clauses.append(word_clause(word))
    if len(clauses) > MAX_CLAUSES:
        notes.append(f"关键词过多，只使用了前 {MAX_CLAUSES} 个")
        clauses = clauses[:MAX_CLAUSES]
    parsed.clauses = clauses
    return parsed


def word_clause(word: str) -> Clause:
    """A word, its dictionary parts, and its synonyms (also of its parts)."""
    table = synonyms()
    alternatives = [Alternative((word,), 1.0)]
    seen = {(word,)}

    def add(words, weight: float, primary: bool) -> None:
        words = tuple(dict.fromkeys(words))
        if words and words not in seen and len(alternatives) < MAX_ALTERNATIVES:
            seen.add(words)
            alternatives.append(Alternative(words, weight, primary=primary))

    for synonym in table.get(word, ()):
        add(query_words(synonym), SYNONYM_WEIGHT, True)
    parts = components(word)
    if parts:
        add(parts, PARTS_WEIGHT, False)
        for i, part in enumerate(parts):
            for synonym in table.get(part, ()):
                if any(other in synonym for other in parts if other != part):
                    continue
                variant = parts[:i] + [synonym] + parts[i + 1:]
                add(query_words("".join(variant)), SYNONYM_WEIGHT * PARTS_WEIGHT, False)
    return Clause(word, alternatives)


def normalized_filter_value(value: object) -> str:
    """Filter values are compared exactly with indexed values: only trimmed."""
    return " ".join(str(value).split()) if value is not None else ""
