"""What a document is: the derived kind and 惠企 flag, with their evidence.

The derived values live beside the policy row (policy_kinds), never in it, so the content
hash stays a hash of what the source published; a staff correction (policy_staff_fields
'doc_kind' / 'huiqi') wins and survives re-derivation, like a staff tag.
"""
from __future__ import annotations

from policy_search.domain.kinds import (DOC_KINDS, HUIQI_NO, HUIQI_YES, OTHER, Clue, KindDecision,
                                 dump_clues, load_clues)
from policy_search.domain.store.base import Repository, chunks as _chunks, now

KIND_FIELDS = ("doc_kind", "huiqi")


class KindRepository(Repository):
    """policy_kinds: replaced on every derivation; staff corrections are kept apart
    (policy_staff_fields)."""

    def save_auto(self, policy_id: str, decision: KindDecision, *,
                  source_hash: str | None) -> bool:
        """Store the derived kind and flag; True when either changed (the index re-reads it)."""
        values = (decision.kind, dump_clues(decision.kind_clues), int(decision.huiqi),
                  dump_clues(decision.huiqi_clues))
        with self.transaction() as conn:
            old = conn.execute("SELECT kind, huiqi FROM policy_kinds WHERE policy_id = ?",
                               (policy_id,)).fetchone()
            conn.execute(
                "INSERT INTO policy_kinds (policy_id, kind, kind_evidence, huiqi, huiqi_evidence,"
                " source_hash, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(policy_id) DO UPDATE SET kind = excluded.kind,"
                " kind_evidence = excluded.kind_evidence, huiqi = excluded.huiqi,"
                " huiqi_evidence = excluded.huiqi_evidence, source_hash = excluded.source_hash,"
                " computed_at = excluded.computed_at",
                (policy_id, *values, source_hash, now()))
            changed = old is None or (old["kind"], old["huiqi"]) != (decision.kind,
                                                                     int(decision.huiqi))
            if changed:
                self.db.policies.log_change(conn, policy_id, "kind")
            return changed

    def auto(self, policy_id: str) -> tuple[str, bool] | None:
        """The derived kind and flag, staff corrections left aside (None: not derived yet)."""
        row = self.conn.execute("SELECT kind, huiqi FROM policy_kinds WHERE policy_id = ?",
                                (policy_id,)).fetchone()
        return (row["kind"], bool(row["huiqi"])) if row else None

    def needing_derivation(self, rules_stamp: str = "") -> list[str]:
        """Ids never classified, or whose content (or the rules, by their stamp) changed since."""
        return [r[0] for r in self.conn.execute(
            "SELECT p.id FROM policies AS p LEFT JOIN policy_kinds AS k ON k.policy_id = p.id"
            " WHERE k.source_hash IS NULL OR k.source_hash != p.content_hash || ? ORDER BY p.id",
            (rules_stamp,))]

    def counts(self) -> dict[tuple[str, bool], int]:
        """(kind, huiqi) -> policies, as shown (staff corrections win; not yet derived: 其他)."""
        rows = self.conn.execute(
            "SELECT coalesce(sk.value, k.kind, ?) AS kind,"
            " CASE WHEN sh.value IS NOT NULL THEN sh.value = ? ELSE coalesce(k.huiqi, 0) END,"
            " count(*) FROM policies AS p"
            " LEFT JOIN policy_kinds AS k ON k.policy_id = p.id"
            " LEFT JOIN policy_staff_fields AS sk ON sk.policy_id = p.id AND sk.field = 'doc_kind'"
            " LEFT JOIN policy_staff_fields AS sh ON sh.policy_id = p.id AND sh.field = 'huiqi'"
            " GROUP BY 1, 2", (OTHER, HUIQI_YES))
        return {(kind, bool(huiqi)): count for kind, huiqi, count in rows}

    def apply(self, policies: list) -> None:
        """Fill the kind and flag into policies being loaded: staff, else derived, else the
        source's own label as a provisional answer (until `kind derive` / enrich runs)."""
        if not policies:
            return
        ids = [p.id for p in policies]
        derived: dict[str, dict] = {}
        staff: dict[str, dict[str, dict]] = {}
        for chunk in _chunks(ids, 500):
            marks = ", ".join("?" * len(chunk))
            for r in self.conn.execute(
                    f"SELECT * FROM policy_kinds WHERE policy_id IN ({marks})", chunk):
                derived[r["policy_id"]] = dict(r)
            for r in self.conn.execute(
                    f"SELECT policy_id, field, value, by_user, at FROM policy_staff_fields"
                    f" WHERE field IN ('doc_kind', 'huiqi') AND policy_id IN ({marks})", chunk):
                staff.setdefault(r["policy_id"], {})[r["field"]] = dict(r)
        for policy in policies:
            row = derived.get(policy.id)
            if row is not None:
                policy.doc_kind, policy.huiqi = row["kind"], bool(row["huiqi"])
                policy.kind_evidence = load_clues(row["kind_evidence"])
                policy.huiqi_evidence = load_clues(row["huiqi_evidence"])
                policy.kind_by = policy.huiqi_by = "auto"
            else:
                policy.doc_kind, policy.kind_evidence = provisional_kind(policy.source_kind)
                policy.huiqi, policy.huiqi_evidence = False, []
                policy.kind_by = policy.huiqi_by = ""
            corrected = staff.get(policy.id, {})
            if "doc_kind" in corrected:
                entry = corrected["doc_kind"]
                policy.doc_kind = entry["value"]
                policy.kind_evidence = [_staff_clue(entry), *policy.kind_evidence]
                policy.kind_by = "staff"
            if "huiqi" in corrected:
                entry = corrected["huiqi"]
                policy.huiqi = entry["value"] == HUIQI_YES
                policy.huiqi_evidence = [_staff_clue(entry), *policy.huiqi_evidence]
                policy.huiqi_by = "staff"


def provisional_kind(source_kind: str | None) -> tuple[str, list[Clue]]:
    """The kind shown before the document was classified: only what the source said."""
    if source_kind in DOC_KINDS:
        return source_kind, [Clue("来源标注", source_kind, "来源标注的文件类型（尚未自动判定）")]
    return OTHER, [Clue("", "", "尚未自动判定")]


def _staff_clue(entry: dict) -> Clue:
    value = entry["value"]
    if entry["field"] == "huiqi":
        value = "惠企政策" if value == HUIQI_YES else "非惠企政策"
    return Clue("人工校正", value, f"{entry['by_user']} 于 {entry['at'][:10]} 校正")


def parse_huiqi(value: str) -> str:
    """A staff form / CLI value for the 惠企 flag: 是 / 否 (ValueError otherwise)."""
    value = (value or "").strip()
    if value in (HUIQI_YES, "1", "true", "yes", "惠企"):
        return HUIQI_YES
    if value in (HUIQI_NO, "0", "false", "no", "非惠企"):
        return HUIQI_NO
    raise ValueError(f"unknown 惠企 value: {value!r}")
