"""The tag taxonomy: facets, values, synonyms and the auto-tagger's trigger rules.

The shipped vocabulary is data (policy_search/data/taxonomy.toml); values staff add from
the admin pages live in the store, every version kept, and are merged over the file.
The query side reads `synonym_groups()`; the tagger reads `load_taxonomy()`.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

_WEIGHT_KEYS = ("title_weight", "section_weight", "body_weight", "length_factor")
SHIPPED_PATH = Path(__file__).parent.parent / "data" / "taxonomy.toml"
REGEX_PREFIX = "re:"
MAX_VALUE_LENGTH = 40


@dataclass
class TaxonomyValue:
    facet: str
    value: str
    code: str = ""
    synonyms: list[str] = field(default_factory=list)
    # trigger phrase (or "re:" + regular expression) -> weight
    keywords: dict[str, float] = field(default_factory=dict)
    negative: list[str] = field(default_factory=list)
    fallback: bool = False
    origin: str = "file"  # file | store
    version: int = 0
    active: bool = True

    @property
    def terms(self) -> list[str]:
        """The value and its synonyms: the words that mean exactly this value."""
        return list(dict.fromkeys([self.value, *self.synonyms]))

    def to_data(self) -> dict:
        """What the store keeps for a staff-defined value."""
        return {"code": self.code, "synonyms": self.synonyms, "keywords": self.keywords,
                "negative": self.negative, "fallback": self.fallback}


@dataclass
class Facet:
    key: str
    label: str
    description: str = ""
    threshold: float = 5.0
    max_values: int = 5
    values: list[TaxonomyValue] = field(default_factory=list)
    # Per-facet overrides of the tagger's location weights (title_weight, body_weight …).
    weights: dict[str, float] = field(default_factory=dict)
    # When the fallback value (不限行业) applies: the title matches this pattern, or one
    # of these facets got a proposal; and no proposed value of this facet is in the title.
    fallback_title_pattern: str = ""
    fallback_facets: list[str] = field(default_factory=list)
    # The facet applies only to documents that concern enterprises: this pattern must
    # occur at least `requires_count` times in title + text (0 = no condition).
    requires_pattern: str = ""
    requires_count: int = 0

    def get(self, value: str) -> TaxonomyValue | None:
        return next((v for v in self.values if v.value == value), None)

    def active_values(self) -> list[TaxonomyValue]:
        return [v for v in self.values if v.active]


@dataclass
class TaggerRules:
    title_weight: float = 3.0
    section_weight: float = 2.5
    body_weight: float = 1.0
    synonym_weight: float = 2.5
    max_repeats: int = 6
    length_factor: float = 1.0
    confidence_scale: float = 6.0
    max_evidence: int = 5
    section_headings: list[str] = field(default_factory=list)
    negation_cues: list[str] = field(default_factory=list)
    negation_window: int = 18


@dataclass
class Taxonomy:
    facets: dict[str, Facet]
    rules: TaggerRules

    def facet(self, key: str) -> Facet:
        try:
            return self.facets[key]
        except KeyError:
            raise KeyError(f"unknown facet: {key}") from None

    def get(self, facet: str, value: str) -> TaxonomyValue | None:
        return self.facets[facet].get(value) if facet in self.facets else None

    def labels(self) -> dict[str, str]:
        return {key: f.label for key, f in self.facets.items()}

    def synonym_groups(self) -> list[list[str]]:
        """Lists of equivalent terms (value first), one per value that has synonyms."""
        return [v.terms for f in self.facets.values() for v in f.active_values()
                if len(v.terms) > 1]

    def complete(self, prefix: str, facet: str | None = None, limit: int = 20) -> list[tuple[str, str]]:
        """(facet, value) pairs whose value or a synonym contains `prefix` (autocomplete)."""
        prefix = prefix.strip()
        found = []
        for key, f in self.facets.items():
            if facet and key != facet:
                continue
            for v in f.active_values():
                if not prefix or any(prefix in term for term in v.terms) or prefix == v.code:
                    found.append((key, v.value))
        starts = [pair for pair in found if pair[1].startswith(prefix)]
        return (starts + [pair for pair in found if pair not in starts])[:limit]


# --- loading ---------------------------------------------------------------------


def load_shipped(path: str | Path | None = None) -> Taxonomy:
    """The taxonomy of the data file alone."""
    with open(path or SHIPPED_PATH, "rb") as f:
        raw = tomllib.load(f)
    rules = TaggerRules(**raw.get("tagger", {}))
    facets = {}
    for key, spec in raw.get("facets", {}).items():
        values = [_value_from(key, v) for v in spec.get("values", [])]
        weights = {k: float(spec[k]) for k in _WEIGHT_KEYS if k in spec}
        facets[key] = Facet(
            key=key, label=spec.get("label", key), description=spec.get("description", ""),
            threshold=float(spec.get("threshold", 5.0)), max_values=int(spec.get("max_values", 5)),
            values=values, weights=weights,
            fallback_title_pattern=spec.get("fallback_title_pattern", ""),
            fallback_facets=list(spec.get("fallback_facets", [])),
            requires_pattern=spec.get("requires_pattern", ""),
            requires_count=int(spec.get("requires_count", 0)),
        )
        _check_unique(facets[key])
    taxonomy = Taxonomy(facets=facets, rules=rules)
    for f in facets.values():
        for v in f.values:
            validate_value(v)
    return taxonomy


def _value_from(facet: str, spec: dict) -> TaxonomyValue:
    return TaxonomyValue(
        facet=facet, value=spec["value"], code=spec.get("code", ""),
        synonyms=list(spec.get("synonyms", [])),
        keywords={k: float(w) for k, w in spec.get("keywords", {}).items()},
        negative=list(spec.get("negative", [])), fallback=bool(spec.get("fallback", False)),
    )


def _check_unique(facet: Facet) -> None:
    seen = set()
    for v in facet.values:
        if v.value in seen:
            raise ValueError(f"taxonomy: {facet.key} lists {v.value!r} twice")
        seen.add(v.value)


def validate_value(value: TaxonomyValue) -> None:
    """Reject what would break the tagger or the site: empty names, bad regexes, bad weights."""
    name = value.value.strip()
    if not name or len(name) > MAX_VALUE_LENGTH or name != value.value:
        raise ValueError(f"taxonomy value must be 1–{MAX_VALUE_LENGTH} characters without"
                         f" surrounding spaces: {value.value!r}")
    for term in [*value.synonyms, *value.negative]:
        if not isinstance(term, str) or not term.strip():
            raise ValueError(f"{value.value}: empty synonym or negative phrase")
    for key, weight in value.keywords.items():
        if not key.strip() or key == REGEX_PREFIX:
            raise ValueError(f"{value.value}: empty keyword")
        if not 0 < float(weight) <= 10:
            raise ValueError(f"{value.value}: keyword {key!r} weight must be in (0, 10]")
        if key.startswith(REGEX_PREFIX):
            try:
                re.compile(key[len(REGEX_PREFIX):])
            except re.error as exc:
                raise ValueError(f"{value.value}: bad regular expression {key!r}: {exc}") from None


def merge_store_values(taxonomy: Taxonomy, rows: list[dict]) -> Taxonomy:
    """Overlay the latest staff versions: a new value is appended, a known one replaced."""
    for row in rows:
        facet = taxonomy.facets.get(row["facet"])
        if facet is None:
            continue  # facets come from the file; a stored value of a dropped facet is kept, unused
        value = _value_from(row["facet"], {"value": row["value"], **row["data"]})
        value.origin, value.version, value.active = "store", row["version"], row["active"]
        existing = facet.get(value.value)
        if existing is None:
            facet.values.append(value)
        else:
            facet.values[facet.values.index(existing)] = value
    return taxonomy


def load_taxonomy(store=None, path: str | Path | None = None) -> Taxonomy:
    """The shipped taxonomy with the store's staff values merged over it."""
    taxonomy = load_shipped(path)
    if store is not None:
        merge_store_values(taxonomy, store.taxonomy.latest())
    return taxonomy


@lru_cache(maxsize=8)
def _cached(db_path: str | None, revision: int) -> Taxonomy:
    if db_path is None:
        return load_shipped()
    from policy_search.domain.store import Store

    with Store(db_path) as store:
        return load_taxonomy(store)


def current_taxonomy(store=None) -> Taxonomy:
    """load_taxonomy, cached until a staff value is saved (cheap to call per request)."""
    if store is None:
        return _cached(None, 0)
    return _cached(str(store.path), store.taxonomy.revision())


def synonym_groups(store=None) -> list[list[str]]:
    """Query-expansion groups: each a list of terms meaning the same (value first).

    E.g. ["专精特新", "专业化、精细化、特色化、新颖化", "专精特新小巨人", "专精特新企业"].
    With a store, staff-added values and synonyms are included.
    """
    return current_taxonomy(store).synonym_groups()


# --- staff additions -------------------------------------------------------------


def save_value(store, facet: str, value: str, by: str, *, synonyms=(), keywords=None,
               negative=(), code: str = "", active: bool = True, note: str = "") -> int:
    """Add (or revise, or with active=False retire) a value of a facet; returns its version.

    Every save is a new version in the store: who, when, what — the taxonomy's history.
    """
    taxonomy = load_taxonomy(store)
    if facet not in taxonomy.facets:
        raise ValueError(f"unknown facet: {facet}")
    candidate = TaxonomyValue(
        facet=facet, value=value, code=code,
        synonyms=[s.strip() for s in synonyms if s.strip()],
        keywords={k.strip(): float(w) for k, w in (keywords or {}).items()},
        negative=[n.strip() for n in negative if n.strip()],
    )
    if not candidate.keywords:
        # A value is at least triggered by its own name.
        candidate.keywords = {value: 3.0}
    validate_value(candidate)
    return store.taxonomy.save(facet, value, candidate.to_data(), by, active=active,
                               note=note)
