"""The auto-tagger: transparent rules from the taxonomy propose tags with evidence.

For each facet value the tagger looks for its trigger phrases (keywords, synonyms, the
value itself) sentence by sentence. A trigger counts its keyword weight times where it
stands: the title most, then the section naming who benefits (适用对象, 支持对象, 惠及对象 …),
then the body. A trigger in the scope of a negation ("不包括…", "不含…", "除…外") or in a
clause with one of the value's negative phrases does not count. Repeats add less each
time, and long documents need a higher score. Each proposal keeps the sentences that
triggered it, with character spans, so a reviewer sees (and the page highlights) why.

Staff decisions win: a value staff accepted or rejected is never written as an auto tag,
and once staff decided a facet of a reviewed policy the tagger adds nothing to it.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from policy_search.domain.models import Policy, Tag
from policy_search.domain.taxonomy import REGEX_PREFIX, Taxonomy, TaxonomyValue, current_taxonomy

TAGGER_NAME = "auto-tagger"
SENTENCE_END = "。！？；!?;\n"
CLAUSE_END = SENTENCE_END + "，,：:"
# Headings numbered like 一、 （一） 1. 第三条 第二章; used to find where a section ends.
_HEADING = re.compile(
    r"^\s*(?:(?P<l1>[一二三四五六七八九十]+、|第[一二三四五六七八九十百零]+[章条节])"
    r"|(?P<l2>[（(][一二三四五六七八九十]+[）)])|(?P<l3>\d+[.、．]|[（(]\d+[）)]))"
)
# "本办法适用于…", "适用对象为…": the sentence itself says who benefits.
_APPLIES = re.compile(r"(?:本|此)(?:办法|规定|条例|细则|措施|政策|意见|通知|方案|法)[^。；]{0,6}适用于|适用于[^。；]{0,30}(?:企业|单位|个人|主体|经营者)")
# 除 as in 除…外 (not 扣除, 免除, 消除 …).
_EXCEPT = re.compile(r"(?<![扣免消解废排清删剔革拆去破开切根])除(?!尘|湿|险|权|名|夕)")


@dataclass
class Evidence:
    field: str  # "title" | "body" | "attachment:N"
    start: int  # the sentence's span in that field's text
    end: int
    text: str
    match: str  # the trigger found
    match_start: int  # the trigger's span in the field's text
    match_end: int
    weight: float
    in_section: bool = False


@dataclass
class Proposal:
    facet: str
    value: str
    score: float
    confidence: float
    evidence: list[Evidence] = field(default_factory=list)

    def to_tag(self) -> Tag:
        return Tag(facet=self.facet, value=self.value, origin="auto",
                   confidence=round(self.confidence, 3), evidence=dump_evidence(self.evidence),
                   by=TAGGER_NAME)


@dataclass
class Sentence:
    field: str
    start: int
    end: int
    text: str
    in_section: bool


def dump_evidence(evidence: list[Evidence]) -> str:
    return json.dumps([asdict(e) for e in evidence], ensure_ascii=False)


def load_evidence(raw: str) -> list[Evidence]:
    """The evidence of a stored tag; a staff note or old plain text comes back as one item."""
    if not raw:
        return []
    try:
        items = json.loads(raw)
        return [Evidence(**item) for item in items]
    except (ValueError, TypeError):
        return [Evidence(field="note", start=0, end=len(raw), text=raw, match="",
                         match_start=0, match_end=0, weight=0.0)]


# --- text structure ------------------------------------------------------------


def split_sentences(text: str, field_name: str, in_section: list[bool] | None = None) -> list[Sentence]:
    """Sentences with their spans; in_section marks characters inside a beneficiary section."""
    sentences, start = [], 0
    for i, ch in enumerate(text):
        if ch in SENTENCE_END:
            _add_sentence(sentences, text, field_name, start, i + 1, in_section)
            start = i + 1
    _add_sentence(sentences, text, field_name, start, len(text), in_section)
    return sentences


def _add_sentence(out, text, field_name, start, end, in_section) -> None:
    raw = text[start:end]
    stripped = raw.strip()
    if not stripped:
        return
    offset = start + raw.index(stripped[0])
    flag = bool(in_section and in_section[offset])
    out.append(Sentence(field_name, offset, offset + len(stripped), stripped, flag))


def _heading_level(line: str) -> int | None:
    m = _HEADING.match(line)
    if not m:
        return None
    return 1 if m.group("l1") else 2 if m.group("l2") else 3


def section_mask(text: str, headings: list[str]) -> list[bool]:
    """For each character: is it inside a section that names who benefits?

    A section opens at a line holding one of `headings` as its heading (short, or followed
    by "：") and runs to the next heading of the same or a higher level.
    """
    mask = [False] * len(text)
    lines, pos = [], 0
    for line in text.splitlines(keepends=True):
        lines.append((pos, line))
        pos += len(line)
    open_level: int | None = None
    open_section = False
    for start, line in lines:
        stripped = line.strip()
        level = _heading_level(stripped)
        is_heading_line = level is not None or len(stripped) <= 16
        names_section = any(
            h in stripped[:24] and (is_heading_line or re.search(re.escape(h) + r"\s*[：:为是]", stripped))
            for h in headings
        )
        if open_section and level is not None and (open_level is None or level <= open_level):
            open_section = False
        if names_section:
            open_section, open_level = True, level
        if open_section:
            mask[start:start + len(line)] = [True] * len(line)
    return mask


# --- matching ------------------------------------------------------------------


@dataclass
class _Trigger:
    term: str
    weight: float
    pattern: re.Pattern | None = None


def _triggers(value: TaxonomyValue, synonym_weight: float) -> list[_Trigger]:
    found: dict[str, _Trigger] = {}
    for term in value.terms:
        if term != value.value and term in value.keywords:
            continue
        weight = max(3.0, synonym_weight) if term == value.value else synonym_weight
        found[term] = _Trigger(term, weight)
    for key, weight in value.keywords.items():
        if key.startswith(REGEX_PREFIX):
            found[key] = _Trigger(key, weight, re.compile(key[len(REGEX_PREFIX):]))
        else:
            found[key] = _Trigger(key, weight)
    return list(found.values())


def _find(trigger: _Trigger, text: str) -> Iterable[tuple[int, int]]:
    if trigger.pattern is not None:
        for m in trigger.pattern.finditer(text):
            if m.end() > m.start():
                yield m.start(), m.end()
        return
    start = text.find(trigger.term)
    while start >= 0:
        yield start, start + len(trigger.term)
        start = text.find(trigger.term, start + 1)


def _clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    left = max((text.rfind(ch, 0, start) for ch in CLAUSE_END), default=-1) + 1
    rights = [i for i in (text.find(ch, end) for ch in CLAUSE_END) if i >= 0]
    return left, (min(rights) if rights else len(text))


def is_negated(text: str, start: int, end: int, cues: list[str], window: int) -> bool:
    """Does a negation cue govern text[start:end]? Looks back inside its clause only.

    "除…外" negates only when a 外 follows the trigger within the same sentence.
    """
    left, _ = _clause_bounds(text, start, end)
    before = text[max(left, start - window):start]
    if any(cue in before for cue in cues if cue != "除"):
        return True
    if "除" in cues and _EXCEPT.search(before):
        stops = [i for i in (text.find(ch, end) for ch in SENTENCE_END) if i >= 0]
        return "外" in text[end:min(stops) if stops else len(text)]
    return False


def _has_negative(text: str, start: int, end: int, negative: list[str]) -> bool:
    """Is one of the value's negative phrases in the trigger's clause (e.g. 反补贴, 中小学)?"""
    if not negative:
        return False
    left, right = _clause_bounds(text, start, end)
    clause = text[left:right]
    return any(phrase in clause for phrase in negative)


def _overlaps(span: tuple[int, int], kept: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in kept)


# --- scoring -------------------------------------------------------------------


def _fields(policy: Policy) -> list[tuple[str, str]]:
    fields = [("title", policy.title or ""), ("body", policy.body_text or "")]
    fields += [(f"attachment:{i}", a.text) for i, a in enumerate(policy.attachments) if a.text]
    return fields


@dataclass
class _Prepared:
    field: str
    text: str
    sentences: list[Sentence]
    sentence_at: list[int]  # character -> index of its sentence (-1 between sentences)


def _prepare(policy: Policy, taxonomy: Taxonomy) -> list[_Prepared]:
    prepared = []
    for name, text in _fields(policy):
        if not text:
            continue
        mask = None if name == "title" else section_mask(text, taxonomy.rules.section_headings)
        sentences = split_sentences(text, name, mask)
        for s in sentences:
            if not s.in_section and name != "title" and _APPLIES.search(s.text):
                s.in_section = True
        sentence_at = [-1] * len(text)
        for i, s in enumerate(sentences):
            sentence_at[s.start:s.end] = [i] * (s.end - s.start)
        prepared.append(_Prepared(name, text, sentences, sentence_at))
    return prepared


def _weight(taxonomy: Taxonomy, facet: str, name: str) -> float:
    own = taxonomy.facets[facet].weights if facet in taxonomy.facets else {}
    return own.get(name, getattr(taxonomy.rules, name))


def score_value(value: TaxonomyValue, prepared: list[_Prepared], taxonomy: Taxonomy) -> tuple[float, list[Evidence]]:
    """The value's score in one document, with the evidence behind it."""
    rules = taxonomy.rules
    title_w, section_w, body_w = (_weight(taxonomy, value.facet, n)
                                  for n in ("title_weight", "section_weight", "body_weight"))
    triggers = sorted(_triggers(value, rules.synonym_weight),
                      key=lambda t: (-t.weight, -len(t.term)))
    hits: dict[str, list[Evidence]] = {}
    for part in prepared:
        kept: list[tuple[int, int]] = []
        for trigger in triggers:
            for start, end in _find(trigger, part.text):
                if _overlaps((start, end), kept):
                    continue  # a longer or stronger trigger already counted here
                index = part.sentence_at[start] if start < len(part.sentence_at) else -1
                if index < 0:
                    continue
                if is_negated(part.text, start, end, rules.negation_cues, rules.negation_window):
                    continue
                if _has_negative(part.text, start, end, value.negative):
                    continue
                kept.append((start, end))
                sentence = part.sentences[index]
                where = (title_w if part.field == "title"
                         else section_w if sentence.in_section else body_w)
                hits.setdefault(trigger.term, []).append(Evidence(
                    field=part.field, start=sentence.start, end=sentence.end, text=sentence.text,
                    match=part.text[start:end], match_start=start, match_end=end,
                    weight=round(trigger.weight * where, 3), in_section=sentence.in_section,
                ))
    score, evidence = 0.0, []
    for term_hits in hits.values():
        term_hits.sort(key=lambda e: -e.weight)
        counted = term_hits[:rules.max_repeats]
        score += sum(e.weight / (rank + 1) for rank, e in enumerate(counted))
        evidence.extend(counted)
    evidence.sort(key=lambda e: (-e.weight, e.field != "title", e.start))
    unique, seen = [], set()
    for e in evidence:
        key = (e.field, e.start)
        if key not in seen:
            seen.add(key)
            unique.append(e)
    return score, unique[:rules.max_evidence]


def threshold_for(facet: str, policy: Policy, taxonomy: Taxonomy) -> float:
    size = len(policy.body_text or "") + sum(len(a.text or "") for a in policy.attachments)
    return (taxonomy.facets[facet].threshold
            + _weight(taxonomy, facet, "length_factor") * math.log2(1 + size / 1000))


def confidence_of(score: float, threshold: float, taxonomy: Taxonomy) -> float:
    # Just over the threshold ≈ 0.5; twice the threshold and more → close to 1.
    margin = max(0.0, score - threshold)
    return min(0.99, 0.5 + 0.5 * (1 - math.exp(-margin / taxonomy.rules.confidence_scale)))


def propose(policy: Policy, taxonomy: Taxonomy | None = None) -> list[Proposal]:
    """Tag proposals for one policy, all facets, best first within each facet."""
    taxonomy = taxonomy or current_taxonomy()
    prepared = _prepare(policy, taxonomy)
    proposals: list[Proposal] = []
    fallbacks: list[tuple[TaxonomyValue, float, list[Evidence], float]] = []
    full_text = "\n".join(part.text for part in prepared)
    for key, facet in taxonomy.facets.items():
        if facet.requires_count and len(re.findall(facet.requires_pattern, full_text)) < facet.requires_count:
            continue  # the document does not concern enterprises: nothing to propose here
        limit = threshold_for(key, policy, taxonomy)
        scored = []
        for value in facet.active_values():
            if any(phrase in (policy.title or "") for phrase in value.negative):
                continue  # the title itself excludes the value (反补贴条例, 见义勇为奖励 …)
            score, evidence = score_value(value, prepared, taxonomy)
            if value.fallback:
                fallbacks.append((value, score, evidence, limit))
            elif score >= limit and evidence:
                scored.append(Proposal(key, value.value, round(score, 2),
                                       confidence_of(score, limit, taxonomy), evidence))
        scored.sort(key=lambda p: -p.score)
        proposals.extend(scored[:facet.max_values])
    for value, score, evidence, limit in fallbacks:
        if _fallback_applies(value, score, limit, policy, proposals, taxonomy):
            confidence = confidence_of(score, limit, taxonomy) if score >= limit else 0.5
            proposals.append(Proposal(value.facet, value.value, round(score, 2), confidence,
                                      evidence))
    return proposals


def _fallback_applies(value: TaxonomyValue, score: float, limit: float, policy: Policy,
                      proposals: list[Proposal], taxonomy: Taxonomy) -> bool:
    """不限行业: the document is about enterprises in general, not about one industry."""
    facet = taxonomy.facets[value.facet]
    own = [p for p in proposals if p.facet == value.facet]
    if any(e.field == "title" for p in own for e in p.evidence):
        return False  # the title names an industry: the policy is for that industry
    if score >= limit:
        return True
    if facet.fallback_title_pattern and re.search(facet.fallback_title_pattern, policy.title or ""):
        return True
    return any(p.facet in facet.fallback_facets for p in proposals)


# --- writing to the store ------------------------------------------------------


def tag_policy(store, policy: Policy, taxonomy: Taxonomy | None = None) -> list[Proposal]:
    """Propose and save the auto tags of one policy; staff decisions are left as they are.

    Returns the proposals written (those not already decided by staff).
    """
    taxonomy = taxonomy or current_taxonomy(store)
    decided = {(t.facet, t.value) for t in policy.tags if t.origin == "staff"}
    decided_facets = {t.facet for t in policy.tags if t.origin == "staff"}
    written = []
    for proposal in propose(policy, taxonomy):
        if (proposal.facet, proposal.value) in decided:
            continue
        if policy.review_state == "reviewed" and proposal.facet in decided_facets:
            continue
        written.append(proposal)
    store.tags.replace_auto(policy.id, [p.to_tag() for p in written],
                            content_hash=policy.content_hash)
    return written


@dataclass
class TagRunSummary:
    policies: int = 0
    with_tags: int = 0
    by_facet: dict[str, int] = field(default_factory=dict)
    by_value: dict[tuple[str, str], int] = field(default_factory=dict)


def tag_policies(store, ids: list[str] | None = None, *, taxonomy: Taxonomy | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 batch_size: int = 200) -> TagRunSummary:
    """Auto-tag the given policies (default: those new or changed since their last tagging)."""
    taxonomy = taxonomy or current_taxonomy(store)
    ids = store.tags.needing_auto() if ids is None else ids
    summary = TagRunSummary()
    for start in range(0, len(ids), batch_size):
        batch = store.policies.get_many(ids[start:start + batch_size])
        with store.transaction():
            for policy in batch:
                written = tag_policy(store, policy, taxonomy)
                summary.policies += 1
                summary.with_tags += bool(written)
                for p in written:
                    summary.by_facet[p.facet] = summary.by_facet.get(p.facet, 0) + 1
                    summary.by_value[(p.facet, p.value)] = summary.by_value.get((p.facet, p.value), 0) + 1
        if progress:
            progress(min(start + batch_size, len(ids)), len(ids))
    return summary
