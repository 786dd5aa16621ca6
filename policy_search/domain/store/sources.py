"""Crawl sources: each one's enabled flag, last run and crawl state (a JSON object)."""
from __future__ import annotations

import json

from policy_search.domain.store.base import Repository


class SourceRepository(Repository):
    """sources."""

    def state(self, source_id: str) -> dict:
        row = self.conn.execute("SELECT * FROM sources WHERE id = ?", (source_id,)).fetchone()
        if row is None:
            return {"id": source_id, "enabled": True, "state": {}}
        result = dict(row)
        result["enabled"] = bool(result["enabled"])
        result["state"] = json.loads(result.pop("state_json") or "{}")
        return result

    def save_state(self, source_id: str, **fields) -> None:
        """Set a source's fields; `state` is merged key by key into the stored state, in
        one transaction: the crawler (crawl progress) and the admin pages (the source's
        definition) each write only their own keys and never undo the other's."""
        with self.transaction() as conn:
            current = self.state(source_id)
            state = {**current["state"], **(fields.pop("state", None) or {})}
            current.update(fields, state=state)
            conn.execute(
                "INSERT INTO sources (id, enabled, last_run_at, last_status, last_error, runs,"
                " zero_runs, blocked, state_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET enabled = excluded.enabled,"
                " last_run_at = excluded.last_run_at, last_status = excluded.last_status,"
                " last_error = excluded.last_error, runs = excluded.runs,"
                " zero_runs = excluded.zero_runs, blocked = excluded.blocked,"
                " state_json = excluded.state_json",
                (source_id, int(current.get("enabled", True)), current.get("last_run_at"),
                 current.get("last_status"), current.get("last_error"), current.get("runs") or 0,
                 current.get("zero_runs") or 0, int(bool(current.get("blocked"))),
                 json.dumps(current.get("state") or {}, ensure_ascii=False)),
            )

    def ids(self) -> list[str]:
        """The sources with a stored row, in id order."""
        return [r[0] for r in self.conn.execute("SELECT id FROM sources ORDER BY id")]

    def failing(self, limit: int) -> list[dict]:
        """The sources whose last run ended with an error, the latest first."""
        return [dict(r) for r in self.conn.execute(
            "SELECT * FROM sources WHERE last_error IS NOT NULL AND last_error != ''"
            " ORDER BY last_run_at DESC LIMIT ?", (limit,))]
