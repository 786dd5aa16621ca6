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

# A facet whose best suggestion is below this (or that has none, and no staff tag) is
# "low confidence": the queue can show just those policies.
LOW_CONFIDENCE = 0.6
ADMIN_FACET = "admin"  # tag_audit rows of admin actions carry this facet and no policy


@dataclass
class QueueFilter:
    state: str = "new"
    source: str = ""
    level: str = ""
    date_from: str = ""  # publish date, ISO yyyy-mm-dd
    date_to: str = ""
    low_facet: str = ""  # show policies whose suggestions in this facet are weak
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
            clauses.append(
                "NOT EXISTS (SELECT 1 FROM tags AS t WHERE t.policy_id = p.id AND t.facet = ?"
                " AND ((t.origin = 'staff' AND t.rejected = 0)"
                " OR (t.origin = 'auto' AND t.confidence >= ?)))")
            args += [self.low_facet, LOW_CONFIDENCE]
        return " AND ".join(clauses), args


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
    # facet -> [(value, confidence, origin, rejected)]
    tags: dict[str, list[tuple[str, float, str, bool]]] = field(default_factory=dict)


def queue_page(store: Store, filt: QueueFilter, *, limit: int = 50,
               offset: int = 0) -> tuple[int, list[QueueItem]]:
    """(how many match, this page of them) newest first."""
    where, args = filt.where()
    total = store.conn.execute(f"SELECT count(*) FROM policies AS p WHERE {where}", args).fetchone()[0]
    rows = store.conn.execute(
        "SELECT p.id, p.title, p.level, p.region_name, p.source_id, p.publish_date,"
        " p.first_seen_at, p.rereview_reason, p.edit_version FROM policies AS p"
        f" WHERE {where}{ORDER} LIMIT ? OFFSET ?", [*args, limit, offset],
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
    where, args = filt.where()
    ids = [r[0] for r in store.conn.execute(
        f"SELECT p.id FROM policies AS p WHERE ({where}) OR p.id = ?{ORDER}", [*args, current_id])]
    if current_id not in ids:
        return ids[0] if ids else None
    position = ids.index(current_id)
    rest = ids[position + 1:]
    return rest[0] if rest else None


def open_suggestions(store: Store, policy_id: str, facet: str | None = None) -> list[tuple[str, str]]:
    """The tagger's suggestions staff has not decided on: (facet, value) pairs."""
    sql = ("SELECT facet, value FROM tags WHERE policy_id = ? AND origin = 'auto'"
           " AND rejected = 0")
    args: list = [policy_id]
    if facet:
        sql, args = sql + " AND facet = ?", [*args, facet]
    return [(r["facet"], r["value"]) for r in store.conn.execute(sql + " ORDER BY facet, value", args)]


def accept_suggestions(store: Store, policy_id: str, by: str, *, facet: str | None = None,
                       expected_version: int | None = None) -> list[tuple[str, str]]:
    """Accept the tagger's open suggestions of a policy (one facet or all) as staff tags.

    One versioned save (EditConflict when someone saved since expected_version); returns
    the (facet, value) pairs accepted. Values staff already decided are left alone.
    """
    with store.staff_edit(policy_id, by, expected_version=expected_version) as edit:
        pairs = open_suggestions(store, policy_id, facet)
        for tag_facet, value in pairs:
            edit.set_tag(tag_facet, value)
    return pairs


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
