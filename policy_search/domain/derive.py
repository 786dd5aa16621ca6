"""Computing and saving what a policy's text tells beyond search: auto tags, kind and
惠企 flag, card, deadline, validity.

Import, crawl and the crawl job all end with `enrich_changed` (tags, then kinds, then
cards), so a policy is tagged and carded however it arrived; a run that was killed
half-way is caught up by the next one (each step picks the policies whose content
changed since it last ran). `policy-search card extract` and `kind derive` run one step
over the store; the staff review page calls `refresh_deadline` after a correction of
the 申报时间 field.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from policy_search.domain.card import card_text, deadline_from_card, extract_card
from policy_search.domain.kinds import RULES_STAMP as KIND_RULES_STAMP
from policy_search.domain.kinds import classify
from policy_search.domain.tagging import TagRunSummary, tag_policies
from policy_search.domain.validity import PolicyRef, RepealIndex, RepealRef, derive_validity

# progress(done, total, step), as `index rebuild` reports its steps
StepProgress = Callable[[int, int, str], None]

# The version of the rules that derive cards, windows and validity. Bump it when they change
# (v2: application windows told from duties; v3: only calls and measures state them; v4: a
# body filing on the applications persons made to it states no window; v5: an institution's
# subsidy is no 支持标准): `card extract` — run by every import and crawl —
# then re-derives what older rules derived, and the index follows through the change log.
RULES_VERSION = "5"
# Windows are read only in calls and measures, so the kind rules' version is part of it.
RULES_STAMP = f"#rules{RULES_VERSION}{KIND_RULES_STAMP}"


def derived_stamp(content_hash: str | None) -> str | None:
    """What a derivation records as its source: the content hash and the rules version."""
    return content_hash + RULES_STAMP if content_hash else None


@dataclass
class DeriveSummary:
    policies: int = 0
    changed: int = 0
    with_card: int = 0
    with_deadline: int = 0
    with_validity: int = 0
    repeal_links: int = 0


def derive_policy(store, policy) -> bool:
    """Extract and save one policy's card, deadline and validity dates; True when changed."""
    card = extract_card(policy)
    store.cards.save_auto(policy.id, card)
    merged = store.cards.get(policy.id)  # staff fields win, also for the deadline
    deadline = deadline_from_card(merged, policy)
    info = derive_validity(card_text(policy), policy.publish_date, policy.written_date)
    return store.cards.save_derived(policy.id, deadline, info,
                                    source_hash=derived_stamp(policy.content_hash))


def refresh_deadline(store, policy_id: str) -> None:
    """Re-derive the deadline from the (staff-corrected) card without re-extracting."""
    policy = store.policies.get(policy_id)
    if policy is None:
        raise KeyError(policy_id)
    row = store.cards.derived_rows([policy_id]).get(policy_id)
    info = derive_validity(card_text(policy), policy.publish_date, policy.written_date)
    deadline = deadline_from_card(store.cards.get(policy_id), policy)
    store.cards.save_derived(policy_id, deadline, info,
                             source_hash=row["source_hash"] if row else None)


def derive_all(store, *, everything: bool = False,
               progress: Callable[[int, int], None] | None = None) -> DeriveSummary:
    """Cards for every policy changed since its last extraction (or all), then repeal links."""
    ids = store.policies.all_ids() if everything else store.cards.needing_extraction(RULES_STAMP)
    summary = DeriveSummary()
    for start in range(0, len(ids), 200):
        # One commit per batch: a commit per policy would be fsync-bound.
        with store.transaction():
            for policy in store.policies.get_many(ids[start:start + 200]):
                summary.policies += 1
                summary.changed += derive_policy(store, policy)
        if progress:
            progress(min(start + 200, len(ids)), len(ids))
    summary.repeal_links = link_all_repeals(store)
    for row in store.cards.derived_rows(store.policies.all_ids()).values():
        summary.with_deadline += row["deadline_kind"] != "unknown"
        summary.with_validity += bool(row["has_validity_clause"])
    summary.with_card = store.cards.count_with_card()
    return summary


def link_all_repeals(store) -> int:
    """Mark every policy that a later document repeals by title or 文号; clear stale marks."""
    candidates = [PolicyRef(r["id"], r["title"], r["doc_number"], r["publish_date"])
                  for r in store.cards.repeal_candidates()]
    by_id = {c.id: c for c in candidates}
    index = RepealIndex(candidates)
    links: dict[str, tuple[str, str]] = {}
    for repealer_id, refs in store.cards.repeal_clauses():
        repealer = by_id.get(repealer_id)
        if repealer is None:
            continue
        for repealed_id, evidence in index.match(repealer, [RepealRef(**r) for r in refs]):
            # When several documents repeal one, the earliest repeal is the one that counts.
            current = links.get(repealed_id)
            if current is None or (repealer.publish_date or "") < (
                    by_id[current[0]].publish_date or ""):
                links[repealed_id] = (repealer_id, evidence)
    with store.transaction():
        return _save_links(store, links)


def _save_links(store, links: dict[str, tuple[str, str]]) -> int:
    marked = store.cards.repealed_ids()
    for stale in marked - set(links):
        store.cards.set_repealed_by(stale, None)
    for repealed_id, (repealer_id, evidence) in links.items():
        store.cards.set_repealed_by(repealed_id, repealer_id, evidence)
    return len(links)


def kind_stamp(content_hash: str | None) -> str | None:
    """What a classification records as its source: the content hash and the kind rules."""
    return content_hash + KIND_RULES_STAMP if content_hash else None


@dataclass
class KindSummary:
    policies: int = 0
    changed: int = 0


def derive_kinds(store, *, everything: bool = False,
                 progress: Callable[[int, int], None] | None = None) -> KindSummary:
    """Kind and 惠企 flag of every policy new or changed since its last classification (or
    all); staff corrections are stored apart and stay."""
    ids = store.policies.all_ids() if everything else store.kinds.needing_derivation(KIND_RULES_STAMP)
    summary = KindSummary()
    for start in range(0, len(ids), 200):
        with store.transaction():  # one commit per batch, as for cards
            for policy in store.policies.get_many(ids[start:start + 200]):
                summary.policies += 1
                summary.changed += store.kinds.save_auto(
                    policy.id, classify(policy), source_hash=kind_stamp(policy.content_hash))
        if progress:
            progress(min(start + 200, len(ids)), len(ids))
    return summary


# --- after every write: all of the above for what changed ---------------------------

@dataclass
class EnrichSummary:
    tags: TagRunSummary
    cards: DeriveSummary
    kinds: KindSummary | None = None

    def describe(self) -> str:
        kinds = f"文件类型 {self.kinds.policies} 条; " if self.kinds else ""
        return (f"自动标注 {self.tags.policies} 条 (其中 {self.tags.with_tags} 条有建议标签); "
                f"{kinds}政策卡片 {self.cards.policies} 条, 废止关联 {self.cards.repeal_links} 条")


def enrich_changed(store, progress: StepProgress | None = None) -> EnrichSummary:
    """Auto-tag and card every policy new or changed since its last processing."""
    def step(name: str):
        return (lambda done, total: progress(done, total, name)) if progress else None

    tags = tag_policies(store, progress=step("自动标注"))
    # the kind comes before the card: what a document is decides what its dates mean
    kinds = derive_kinds(store, progress=step("文件类型"))
    cards = derive_all(store, progress=step("政策卡片"))
    return EnrichSummary(tags, cards, kinds)
