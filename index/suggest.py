"""Suggestions that help: real words of the index for what a user typed.

A suggestion is only ever a word or phrase of the index vocabulary (the words of
titles found in at least two documents, the policy dictionary, the synonyms and the
everyday-words targets), never a single character or letter. Three ways to find it:

- pinyin typed for a word (zhuanjingtexin, zhuan jing te xin -> 专精特新);
- a word mistyped with a character of the same sound (专经特新 -> 专精特新);
- a word mistyped with one other character (专精持新 -> 专精特新).

The searcher offers a candidate only when it finds more than the query did.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

from index.analysis import everyday_words, synonyms, user_words

MIN_TITLE_DF = 2          # a title word of one document is as likely a typo as a term
MAX_WORD = 12
MIN_PINYIN = 4            # shorter letter strings (ab, cn) are not taken for pinyin
MAX_CANDIDATES = 5
_HAN = re.compile(r"^[\u3400-\u9fff]{2,}$")
_LETTERS = re.compile(r"^[a-z]+$")


@cache
def _readings(char: str) -> tuple[str, ...]:
    """Toneless pinyin readings of a character (ü as v), most common first."""
    from pypinyin.pinyin_dict import pinyin_dict

    raw = pinyin_dict.get(ord(char))
    if not raw:
        return ()
    out = []
    for reading in raw.split(","):
        plain = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
        plain = "".join(c for c in plain if not unicodedata.combining(c))
        if plain not in out:
            out.append(plain)
    return tuple(out)


def pinyin_keys(word: str, limit: int = 4) -> list[str]:
    """Pinyin spellings of a word: its phrase reading when pypinyin knows the word,
    else the readings of its characters (a few heteronym combinations)."""
    from pypinyin.phrases_dict import phrases_dict

    keys = []
    phrase = phrases_dict.get(word)
    if phrase:
        keys.append("".join(_plain(r[0]) for r in phrase))
    spellings = [""]
    for char in word:
        readings = _readings(char)
        if not readings:
            return keys
        spellings = [s + r for s in spellings for r in readings[:2]][:limit]
    for key in spellings:
        if key not in keys:
            keys.append(key)
    return keys


def _plain(reading: str) -> str:
    plain = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(c for c in plain if not unicodedata.combining(c))


@dataclass
class Vocabulary:
    """Index words by pinyin and by one-character-wildcard shape. `weigh(word)` gives a
    candidate's weight when one is looked up (its document frequency in titles; 0 drops
    it), so building needs only the words."""
    weigh: Callable[[str], int]
    known: set[str] = field(default_factory=set)
    by_pinyin: dict[str, list[str]] = field(default_factory=dict)
    by_shape: dict[str, list[str]] = field(default_factory=dict)  # 专精?新 -> [专精特新]

    def add(self, word: str) -> None:
        if not _HAN.match(word) or len(word) > MAX_WORD or word in self.known:
            return
        self.known.add(word)
        for key in pinyin_keys(word):
            self.by_pinyin.setdefault(key, []).append(word)
        if len(word) >= 3:  # two-character words are one character away from too much
            for i in range(len(word)):
                self.by_shape.setdefault(word[:i] + "?" + word[i + 1:], []).append(word)

    def knows(self, word: str) -> bool:
        return word in self.known

    def for_pinyin(self, letters: str) -> list[str]:
        letters = letters.lower().replace("ü", "v")
        if len(letters) < MIN_PINYIN or not _LETTERS.match(letters):
            return []
        return self._best(self.by_pinyin.get(letters, ()))

    def for_typo(self, text: str) -> list[str]:
        """Known words that sound like `text`, or differ from it in one character."""
        if not _HAN.match(text) or self.knows(text):
            return []
        found = []
        for key in pinyin_keys(text):
            found += self.by_pinyin.get(key, ())
        if len(text) >= 3:
            for i in range(len(text)):
                found += self.by_shape.get(text[:i] + "?" + text[i + 1:], ())
        return self._best(w for w in found if w != text)

    def _best(self, words: Iterable[str]) -> list[str]:
        data = set(_data_words())
        weights = {}
        for word in dict.fromkeys(words):
            weight = self.weigh(word)
            if weight >= MIN_TITLE_DF or word in data:
                weights[word] = max(weight, MIN_TITLE_DF)
        return sorted(weights, key=lambda w: (-weights[w], w))[:MAX_CANDIDATES]


def build_vocabulary(title_words: Iterable[str], weigh: Callable[[str], int]) -> Vocabulary:
    """The vocabulary of an index: the words of its titles (those seen in fewer than
    MIN_TITLE_DF titles are dropped when looked up) and of the query-side data files."""
    vocabulary = Vocabulary(weigh)
    for word in title_words:
        vocabulary.add(word)
    for word in _data_words():
        vocabulary.add(word)
    return vocabulary


@cache
def _data_words() -> tuple[str, ...]:
    words = list(user_words())
    for term, others in synonyms().items():
        words.append(term)
        words.extend(others)
    for targets in everyday_words().phrases.values():
        words.extend(targets)
    return tuple(dict.fromkeys(words))
