"""From what a user typed to clauses the searcher evaluates.

A query is a list of clauses (one per word or quoted phrase). A clause matches
when any of its alternatives does; an alternative is a group of words that must
all occur in one field (the word itself, its dictionary parts, its synonyms), or a
phrase.

Questions are read the way policies are written: question scaffolding (能不能,
怎么办理, 有哪些 …) is dropped and everyday phrases (房租, 开公司, 少交税) are also
searched as the words policies use (租金; 企业开办, 创业; 税收优惠, 减免 …), from the
reviewed data in index/data/everyday_words.txt, weighted below the user's own words.
What was changed is kept in `ParsedQuery.rewrite` so the page can say how the query
was read. Whoosh query syntax (wildcards, fuzzy, fields, boolean words) is never
interpreted: it is text like any other, so nothing a user types can be costly or
raise.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from index.analysis import components, everyday_words, query_words, stopwords, synonyms
from index.api import LIMITS
from policy_search.domain.normalize import doc_number_key, find_doc_number, find_typed_doc_number

MAX_QUERY_CHARS = LIMITS.query_chars
MAX_CLAUSES = 12
MAX_ALTERNATIVES = 8
# Weights of the ways a clause can match, relative to the word itself.
PARTS_WEIGHT = 0.7
SYNONYM_WEIGHT = 0.6
EVERYDAY_WEIGHT = 0.5     # policy words searched for an everyday phrase
MAX_EVERYDAY_ALTERNATIVES = 10
MIN_SUFFIX_STEM = 2       # *厂 => *生产 needs a stem of two characters at least

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_QUOTES = re.compile(r"[\"“”「」『』]")
_QUOTED = re.compile(r"[\"“”「『]([^\"“”「」『』]*)[\"“”」』]")
_SYNTAX = re.compile(r"[*?~^]")
_HAN_CHAR = re.compile(r"[\u3400-\u9fff]")


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
    # An optional clause adds to the score but need not match (a lone character such
    # as 办 in 办食品厂; the searcher also makes words found almost everywhere optional).
    optional: bool = False

    def highlight_terms(self, primary: bool = False) -> list[str]:
        """The words to mark; primary: the word itself and its synonyms, not its parts."""
        terms = []
        for alt in self.alternatives:
            if primary and not alt.primary:
                continue
            if alt.phrase or (primary and len(alt.words) > 1):
                terms.append("".join(alt.words))  # 开办企业, not 企业 wherever it stands
            else:
                terms.extend(alt.words)
        return terms


@dataclass
class Rewrite:
    """How a question was read: scaffolding dropped, everyday phrases mapped."""
    dropped: list[str] = field(default_factory=list)
    mapped: dict[str, list[str]] = field(default_factory=dict)   # phrase -> policy words
    searched: list[str] = field(default_factory=list)            # the clauses, in order

    @property
    def changed(self) -> bool:
        return bool(self.dropped or self.mapped)

    def note(self) -> str:
        """按「研发投入（研发费用、研究开发费用） 企业所得税」为您检索"""
        shown = [f"{text}（{'、'.join(self.mapped[text])}）" if text in self.mapped else text
                 for text in self.searched]
        return f"按「{' '.join(shown)}」为您检索"


@dataclass
class ParsedQuery:
    raw: str
    text: str                       # what was searched, after clean-up
    clauses: list[Clause] = field(default_factory=list)
    doc_number_key: str | None = None
    doc_number: str | None = None
    # canonical keys of the 文号 as typed (国办发2019年06号 -> 国办发|2019|6), longest
    # issuer first (policy_search.domain.normalize.TypedDocNumber.keys)
    doc_number_keys: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rewrite: Rewrite = field(default_factory=Rewrite)

    @property
    def empty(self) -> bool:
        return not self.clauses and not self.doc_number_key and not self.doc_number_keys

    def highlight_terms(self, primary: bool = False) -> list[str]:
        """Words and phrases of the query and its rewrite to mark; a lone character
        (开 of 开公司) only when the query is nothing but lone characters."""
        terms = []
        for clause in self.clauses:
            terms.extend(clause.highlight_terms(primary))
        terms = [t for t in dict.fromkeys(terms) if t]
        words = [t for t in terms if not _HAN_CHAR.fullmatch(t)]
        return words if words or not self.clauses or \
            any(not _lone_character(c) for c in self.clauses) else terms


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
    typed = find_typed_doc_number(text)
    if found or typed:
        typed_text = typed.text[typed.start:typed.end].strip() if typed else None
        parsed.doc_number = found or typed_text
        parsed.doc_number_key = doc_number_key(found) if found else None
        parsed.doc_number_keys = typed.keys() if typed else []
        if typed:
            clauses.append(doc_number_clause(typed))
        else:
            # The 文号 as a phrase of its words: brackets do not take a position, so
            # 〔2019〕, [2019] and (2019) citations in other documents match too.
            words = tuple(query_words(found))
            if words:
                clauses.append(Clause(found, [Alternative(words, 1.0, phrase=len(words) > 1)]))
        folded = unicodedata.normalize("NFKC", text)
        for part in (found, typed_text):
            at = folded.find(part) if part else -1
            if at >= 0 and len(folded) == len(text):
                text = (text[:at] + " " + text[at + len(part):]).strip()
                break
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
    read = understand(query_words(leftover), parsed.rewrite)
    if not read and not clauses and not parsed.doc_number:
        # Only stop words: search them after all rather than return everything.
        parsed.rewrite = Rewrite()
        read = [word_clause(w) for w in dict.fromkeys(query_words(leftover))]
    seen = {c.text for c in clauses}
    for clause in read:
        if clause.text not in seen:
            seen.add(clause.text)
            clauses.append(clause)
    parsed.rewrite.searched = [c.text for c in clauses]
    if any(not _lone_character(c) for c in clauses):
        for clause in clauses:
            clause.optional = _lone_character(clause)
    if len(clauses) > MAX_CLAUSES:
        notes.append(f"关键词过多，只使用了前 {MAX_CLAUSES} 个")
        clauses = clauses[:MAX_CLAUSES]
    parsed.clauses = clauses
    return parsed


def doc_number_clause(typed) -> Clause:
    """A typed 文号 as the phrases other documents cite it by: 国办发〔2019〕6号 (any
    bracket: brackets take no position) and 国办发2019年第6号."""
    stops = stopwords()
    issuer = [w for w in query_words(typed.issuer) if w not in stops] or query_words(typed.issuer)
    forms = ([f"〔{typed.year}〕{typed.number}号", f"{typed.year}年第{typed.number}号",
              f"{typed.year}年{typed.number}号"] if typed.year else [f"第{typed.number}号"])
    alternatives = []
    for form in forms:
        words = tuple(issuer + query_words(form))
        alternatives.append(Alternative(words, 1.0, phrase=len(words) > 1))
    text = typed.text[typed.start:typed.end].strip()
    return Clause(text, alternatives)


def understand(words: list[str], rewrite: Rewrite) -> list[Clause]:
    """Clauses of a query's words: scaffolding dropped, everyday phrases mapped (longest
    phrase first, on word boundaries), stop words left out; notes what changed."""
    table = everyday_words()
    stops = stopwords()
    clauses: list[Clause] = []
    i = 0
    while i < len(words):
        for n in range(min(table.longest, len(words) - i), 0, -1):
            key = tuple(words[i:i + n])
            if key in table.phrases:
                break
        else:
            n, key = 1, None
        text = "".join(words[i:i + n])
        i += n
        if key is not None and not table.phrases[key]:
            rewrite.dropped.append(text)
            continue
        if key is None and text in stops:
            if len(text) > 1:
                rewrite.dropped.append(text)
            continue
        targets = list(table.phrases[key]) if key is not None else _suffix_targets(text)
        own = own_words(key or (text,), stops)
        clause = word_clause(own[0]) if len(own) == 1 else Clause(text, [Alternative(tuple(own))])
        clause.text = text
        if targets:
            rewrite.mapped[text] = targets
            clause.alternatives += _policy_word_alternatives(targets)
        clauses.append(clause)
    return clauses


def own_words(words: tuple[str, ...], stops) -> list[str]:
    """The words of a phrase searched as the user wrote them: no stop words, and no lone
    characters while longer words remain. Unmapped, 开 of 开网店 or 送 of 送外卖 would be
    an optional clause; a mapping must not make the query require it (find less)."""
    kept = [w for w in words if w not in stops] or list(words)
    return [w for w in kept if not (len(w) == 1 and _HAN_CHAR.match(w))] or kept


def _policy_word_alternatives(targets: list[str]) -> list[Alternative]:
    """The policy words of an everyday phrase, then their synonyms (小微企业: 小型微型企业)."""
    out, seen = [], set()

    def add(text: str, weight: float) -> None:
        words = tuple(query_words(text))
        if words and words not in seen and len(out) < MAX_EVERYDAY_ALTERNATIVES:
            seen.add(words)
            out.append(Alternative(words, weight))

    for target in targets:
        add(target, EVERYDAY_WEIGHT)
    table = synonyms()
    for target in targets:
        for synonym in table.get(target, ()):
            add(synonym, EVERYDAY_WEIGHT * SYNONYM_WEIGHT)
    return out


def _lone_character(clause: Clause) -> bool:
    """A clause that is one CJK character (办, 开): usually a verb that lost its object
    in segmentation; it matches almost anything."""
    return len(clause.text) == 1 and bool(_HAN_CHAR.match(clause.text))


def _suffix_targets(word: str) -> list[str]:
    """*厂 => *生产: 食品厂 -> 食品生产."""
    for suffix, targets in everyday_words().suffixes.items():
        stem = word[:-len(suffix)]
        if word.endswith(suffix) and len(stem) >= MIN_SUFFIX_STEM:
            return [stem + t for t in targets]
    return []


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
