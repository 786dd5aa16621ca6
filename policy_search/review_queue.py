"""The staff review queue: which policies wait for review, in what order, with what
suggestions; bulk acceptance of suggestions; and the admin actions' audit entries.

Queries read the store's tables directly (one SQL statement per page), so the queue
page stays fast with tens of thousands of policies.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from policy_search.models import LEVELS
from policy_search.store import Store, now

# A suggestion below this confidence is "weak": the queue's 低置信度 filter shows the
# policies with an open (undecided) weak suggestion in a facet, or in any facet (ANY_FACET).
# On the shared corpus (4,876 documents) that is 592 policies for 行业, 212 for 支持方式,
# 57 for 企业类型 and 750 for any facet. (A facet with no suggestion at all is not weak:
# counting those too made the filter match nearly every policy.)
LOW_CONFIDENCE = 0.6
ANY_FACET = "any"
ADMIN_FACET = "admin"  # tag_audit rows of admin actions carry this facet and no policy


@dataclass
class QueueFilter:
    state: str = "new"
    source: str = ""
    level: str = ""
    date_from: str = ""  # publish date, ISO yyyy-mm-dd
    date_to: str = ""
    low_facet: str = ""  # policies with a weak open suggestion in this facet (or ANY_FACET)
    rereview: bool = False  # only policies flagged for re-review

    def where(self) -> tuple[str, list]:
        clauses, args = ["p.review_state = ?"], [self.state]
        if self.source:
            clauses.append("p.source_id = ?")
            args.append(self.source)
        if self.level in LEVELS:
            clauses.append("p.level = ?")
            args.append(self.level)
        if self.date_from:
            clauses.append("p.publish_date >= ?")
            args.append(self.date_from)
        if self.date_to:
            clauses.append("p.publish_date <= ?")
            args.append(self.date_to + "\uffff")
        if self.rereview:
            clauses.append("p.rereview_reason IS NOT NULL")
        if self.low_facet:
            facet = "" if self.low_facet == ANY_FACET else " AND t.facet = ?"
            clauses.append(
                "EXISTS (SELECT 1 FROM tags AS t WHERE t.policy_id = p.id AND t.origin = 'auto'"
                f" AND t.rejected = 0 AND t.confidence < ?{facet})")
            args += [LOW_CONFIDENCE] + ([] if self.low_facet == ANY_FACET else [self.low_facet])
        return " AND ".join(clauses), args

    def order(self) -> str:
        """Waiting policies newest first; reviewed ones most recently reviewed first."""
        if self.state == "reviewed":
            return " ORDER BY coalesce(p.reviewed_at, '') DESC, p.id"
        return ORDER


ORDER = " ORDER BY coalesce(p.publish_date, '') DESC, coalesce(p.first_seen_at, '') DESC, p.id"


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
    where, args = filt.where()
    total = store.conn.execute(f"SELECT count(*) FROM policies AS p WHERE {where}", args).fetchone()[0]
    rows = store.conn.execute(
        "SELECT p.id, p.title, p.level, p.region_name, p.source_id, p.publish_date,"
        " p.first_seen_at, p.rereview_reason, p.edit_version, p.reviewed_by, p.reviewed_at"
        f" FROM policies AS p WHERE {where}{filt.order()} LIMIT ? OFFSET ?", [*args, limit, offset],
    ).fetchall()
    items = [QueueItem(**dict(r)) for r in rows]
    by_id = {item.id: item for item in items}
    if by_id:
        marks = ", ".join("?" * len(by_id))
        for t in store.conn.execute(
            f"SELECT policy_id, facet, value, confidence, origin, rejected FROM tags"
            f" WHERE policy_id IN ({marks}) ORDER BY confidence DESC, value", list(by_id),
        ):
            by_id[t["policy_id"]].tags.setdefault(t["facet"], []).append(
                (t["value"], t["confidence"], t["origin"], bool(t["rejected"])))
    return total, items


def queue_counts(store: Store) -> dict:
    """Policies waiting, flagged for re-review, and waiting per source and level."""
    conn = store.conn
    waiting = conn.execute("SELECT count(*) FROM policies WHERE review_state = 'new'").fetchone()[0]
    rereview = conn.execute(
        "SELECT count(*) FROM policies WHERE review_state = 'new' AND rereview_reason IS NOT NULL"
    ).fetchone()[0]
    by_source = [(r[0] or "", r[1]) for r in conn.execute(
        "SELECT source_id, count(*) FROM policies WHERE review_state = 'new'"
        " GROUP BY source_id ORDER BY count(*) DESC")]
    by_level = [(r[0] or "", r[1]) for r in conn.execute(
        "SELECT level, count(*) FROM policies WHERE review_state = 'new'"
        " GROUP BY level ORDER BY count(*) DESC")]
    reviewed = conn.execute(
        "SELECT count(*) FROM policies WHERE review_state = 'reviewed'").fetchone()[0]
    return {"new": waiting, "rereview": rereview, "reviewed": reviewed,
            "by_source": by_source, "by_level": by_level}


def next_in_queue(store: Store, filt: QueueFilter, current_id: str) -> str | None:
    """The policy after current_id in the queue's order (current_id itself may have left
    the queue by being marked reviewed: its place in the order still counts)."""
    return neighbours_in_queue(store, filt, current_id)[1]


def neighbours_in_queue(store: Store, filt: QueueFilter,
                        current_id: str) -> tuple[str | None, str | None]:
    """(the policy before current_id, the one after it) in the queue's order."""
    where, args = filt.where()
    ids = [r[0] for r in store.conn.execute(
        f"SELECT p.id FROM policies AS p WHERE ({where}) OR p.id = ?{filt.order()}",
        [*args, current_id])]
    if current_id not in ids:
        return None, (ids[0] if ids else None)
    position = ids.index(current_id)
    return (ids[position - 1] if position else None,
            ids[position + 1] if position + 1 < len(ids) else None)


def open_suggestions(store: Store, policy_id: str, facet: str | None = None) -> list[tuple[str, str]]:
    """The tagger's suggestions staff has not decided on: (facet, value) pairs."""
    sql = ("SELECT facet, value FROM tags WHERE policy_id = ? AND origin = 'auto'"
           " AND rejected = 0")
    args: list = [policy_id]
    if facet:
        sql, args = sql + " AND facet = ?", [*args, facet]
    return [(r["facet"], r["value"]) for r in store.conn.execute(sql + " ORDER BY facet, value", args)]


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
    state = store.edit_state(policy_id)
    if state is None:
        raise KeyError(f"no policy {policy_id}")
    wanted = open_suggestions(store, policy_id, facet) if accept else []
    left = [pair for pair in open_suggestions(store, policy_id) if pair not in wanted]
    current = expected_version in (None, state["edit_version"])
    if current and not wanted and (left or not mark_reviewed):
        return Settled(remaining=left)  # nothing to write: no new edit version either
    with store.staff_edit(policy_id, by, expected_version=expected_version) as edit:
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
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO tag_audit (policy_id, facet, value, action, by_user, at, detail)"
            " VALUES ('', ?, ?, ?, ?, ?, ?)", (ADMIN_FACET, target, action, by, now(), text),
        )


def admin_actions(store: Store, limit: int = 200) -> list[dict]:
    return [dict(r) for r in store.conn.execute(
        "SELECT * FROM tag_audit WHERE policy_id = '' AND facet = ? ORDER BY id DESC LIMIT ?",
        (ADMIN_FACET, limit))]
