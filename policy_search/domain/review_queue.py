"""The staff review queue: which policies wait for review, in what order, with what
suggestions; bulk acceptance of suggestions; and the admin actions' audit entries.

The queue's reads are the store's review repository (store.review).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from policy_search.domain.store import Store
# The filter and its thresholds are the store's (they build its SQL); named here for callers.
from policy_search.domain.store.review import ANY_FACET, LOW_CONFIDENCE, QueueFilter  # noqa: F401

ADMIN_FACET = "admin"  # tag_audit rows of admin actions carry this facet and no policy


@dataclass
class QueueItem:
    id: str
    title: str
    level: str | None
    region_name: str | None
    source_id: str
    publish_date: str | None
    first_seen_at: str | None
    rereview_reason: str | None
    edit_version: int
    reviewed_by: str | None = None
    reviewed_at: str | None = None
    # facet -> [(value, confidence, origin, rejected)]
    tags: dict[str, list[tuple[str, float, str, bool]]] = field(default_factory=dict)


def queue_page(store: Store, filt: QueueFilter, *, limit: int = 50,
               offset: int = 0) -> tuple[int, list[QueueItem]]:
    """(how many match, this page of them) in the filter's order."""
    total, rows = store.review.page(filt, limit=limit, offset=offset)
    items = []
    for row in rows:
        item = QueueItem(**{k: v for k, v in row.items() if k != "tags"})
        for facet, *tag in row["tags"]:
            item.tags.setdefault(facet, []).append(tuple(tag))
        items.append(item)
    return total, items


def queue_counts(store: Store) -> dict:
    """Policies waiting, flagged for re-review, and waiting per source and level."""
    return store.review.counts()


def next_in_queue(store: Store, filt: QueueFilter, current_id: str) -> str | None:
    """The policy after current_id in the queue's order (current_id itself may have left
    the queue by being marked reviewed: its place in the order still counts)."""
    return neighbours_in_queue(store, filt, current_id)[1]


def neighbours_in_queue(store: Store, filt: QueueFilter,
                        current_id: str) -> tuple[str | None, str | None]:
    """(the policy before current_id, the one after it) in the queue's order."""
    ids = store.review.ordered_ids(filt, current_id)
    if current_id not in ids:
        return None, (ids[0] if ids else None)
    position = ids.index(current_id)
    return (ids[position - 1] if position else None,
            ids[position + 1] if position + 1 < len(ids) else None)


def open_suggestions(store: Store, policy_id: str, facet: str | None = None) -> list[tuple[str, str]]:
    """The tagger's suggestions staff has not decided on: (facet, value) pairs."""
    return store.review.open_suggestions(policy_id, facet)


@dataclass
class Settled:
    """What a review action did to one policy."""
    accepted: list[tuple[str, str]] = field(default_factory=list)
    # Suggestions still open (facet, value): while there are any the policy stays in the queue.
    remaining: list[tuple[str, str]] = field(default_factory=list)
    reviewed: bool = False


def mark_reviewed_if_settled(store: Store, edit) -> list[tuple[str, str]]:
    """Mark the policy of a staff edit reviewed unless suggestions are still open; returns
    the open ones. (Reviewed is what turns auto tags into settled ones on public pages, so
    a policy with an undecided suggestion must stay in the queue.)"""
    remaining = open_suggestions(store, edit.policy_id)
    if not remaining:
        edit.set_review_state("reviewed")
    return remaining


def accept_suggestions(store: Store, policy_id: str, by: str, *, facet: str | None = None,
                       expected_version: int | None = None,
                       mark_reviewed: bool = False) -> Settled:
    """Accept the tagger's open suggestions of a policy (one facet or all) as staff tags,
    and with mark_reviewed mark it reviewed when no suggestion of any facet is left open.

    One versioned save (EditConflict when someone saved since expected_version; KeyError
    for a policy that is gone); nothing is written when there is nothing to do. Values
    staff already decided are left alone.
    """
    return _settle(store, policy_id, by, accept=True, facet=facet,
                   expected_version=expected_version, mark_reviewed=mark_reviewed)


def mark_reviewed(store: Store, policy_id: str, by: str, *,
                  expected_version: int | None = None) -> Settled:
    """Mark a policy reviewed if none of its suggestions is open (else say which are)."""
    return _settle(store, policy_id, by, accept=False, facet=None,
                   expected_version=expected_version, mark_reviewed=True)


def _settle(store: Store, policy_id: str, by: str, *, accept: bool, facet: str | None,
            expected_version: int | None, mark_reviewed: bool) -> Settled:
    state = store.edits.state(policy_id)
    if state is None:
        raise KeyError(f"no policy {policy_id}")
    wanted = open_suggestions(store, policy_id, facet) if accept else []
    left = [pair for pair in open_suggestions(store, policy_id) if pair not in wanted]
    current = expected_version in (None, state["edit_version"])
    if current and not wanted and (left or not mark_reviewed):
        return Settled(remaining=left)  # nothing to write: no new edit version either
    with store.edits.begin(policy_id, by, expected_version=expected_version) as edit:
        outcome = Settled(accepted=open_suggestions(store, policy_id, facet) if accept else [])
        for tag_facet, value in outcome.accepted:
            edit.set_tag(tag_facet, value)
        if mark_reviewed:
            outcome.remaining = mark_reviewed_if_settled(store, edit)
            outcome.reviewed = not outcome.remaining
        else:
            outcome.remaining = open_suggestions(store, policy_id)
    return outcome


# --- admin actions in the audit log ------------------------------------------------

def record_admin_action(store: Store, action: str, target: str, by: str, detail=None) -> None:
    """An admin action (user, source, job, taxonomy) as an audit entry without a policy."""
    text = detail if isinstance(detail, str) else json.dumps(detail or {}, ensure_ascii=False)
    store.tags.record_admin_action(ADMIN_FACET, action, target, by, text)


def admin_actions(store: Store, limit: int = 200) -> list[dict]:
    return store.tags.admin_actions(ADMIN_FACET, limit)
