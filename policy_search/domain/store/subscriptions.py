"""Subscriptions: the subscriptions, the policies each one knows, the delivery log and
the subscribe rate limit (the tables are migration 8).

A subscription knows a policy in one of three states: `baseline` (it matched when the
subscription took its starting point, and is never sent), `pending` (matched since, not
yet delivered) and `sent`. A policy is known at most once per subscription, so it is
never sent twice.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable

from policy_search.domain.subscriptions import ACTIVE, PAUSED, PENDING, Subscription, new_token
from policy_search.domain.store.base import Repository, chunks as _chunks, now

_COLUMNS = ("id", "kind", "query", "channel", "address", "secret", "frequency", "name",
            "token", "state", "pause_reason", "created_at", "created_by", "created_seq",
            "confirmed_at",
            "seen_seq", "last_sent_at", "last_attempt_at", "next_attempt_at", "failures",
            "last_error", "claimed_until")


def _subscription(row: sqlite3.Row) -> Subscription:
    return Subscription(**{c: row[c] for c in _COLUMNS})


class SubscriptionRepository(Repository):
    """subscriptions, subscription_policies, subscription_deliveries, subscribe_requests."""

    def create(self, *, kind: str, query: str, channel: str, address: str,
               secret: str = "", frequency: str = "day", name: str = "",
               created_by: str = "", state: str = PENDING) -> Subscription:
        stamp = now()
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO subscriptions (kind, query, channel, address, secret, frequency,"
                " name, token, state, created_at, created_by, created_seq, confirmed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                " (SELECT coalesce(max(seq), 0) FROM change_log), ?)",
                (kind, query, channel, address, secret, frequency, name, new_token(), state,
                 stamp, created_by, stamp if state == ACTIVE else None),
            )
            subscription_id = cursor.lastrowid
        return self.get(subscription_id)

    def get(self, subscription_id: int) -> Subscription | None:
        row = self.conn.execute("SELECT * FROM subscriptions WHERE id = ?",
                                (subscription_id,)).fetchone()
        return _subscription(row) if row else None

    def by_token(self, token: str) -> Subscription | None:
        if not token or len(token) > 100:
            return None
        row = self.conn.execute("SELECT * FROM subscriptions WHERE token = ?", (token,)).fetchone()
        return _subscription(row) if row else None

    def list(self, state: str | None = None, *, failing: bool = False,
             limit: int | None = None) -> list[Subscription]:
        sql, params = "SELECT * FROM subscriptions WHERE 1 = 1", []
        if state:
            sql, params = sql + " AND state = ?", [*params, state]
        if failing:
            sql += " AND failures > 0"
        sql += " ORDER BY id"
        if limit:
            sql, params = sql + " LIMIT ?", [*params, limit]
        return [_subscription(r) for r in self.conn.execute(sql, params)]

    def counts(self) -> dict[str, int]:
        counts = {r[0]: r[1] for r in self.conn.execute(
            "SELECT state, count(*) FROM subscriptions GROUP BY state")}
        counts["auto_paused"] = self.conn.execute(
            "SELECT count(*) FROM subscriptions WHERE state = ? AND pause_reason = 'failures'",
            (PAUSED,)).fetchone()[0]
        return counts

    def activate(self, subscription_id: int) -> bool:
        """A pending subscription confirmed (e-mail link or a webhook test that succeeded)."""
        with self.transaction() as conn:
            return bool(conn.execute(
                "UPDATE subscriptions SET state = ?, confirmed_at = ?, failures = 0,"
                " last_error = NULL, next_attempt_at = NULL WHERE id = ? AND state = ?",
                (ACTIVE, now(), subscription_id, PENDING)).rowcount)

    def pause(self, subscription_id: int, reason: str) -> bool:
        with self.transaction() as conn:
            return bool(conn.execute(
                "UPDATE subscriptions SET state = ?, pause_reason = ? WHERE id = ? AND state = ?",
                (PAUSED, reason, subscription_id, ACTIVE)).rowcount)

    def resume(self, subscription_id: int) -> bool:
        """Paused → active, its failure count reset (someone looked at the endpoint)."""
        with self.transaction() as conn:
            return bool(conn.execute(
                "UPDATE subscriptions SET state = ?, pause_reason = NULL, failures = 0,"
                " next_attempt_at = NULL WHERE id = ? AND state = ?",
                (ACTIVE, subscription_id, PAUSED)).rowcount)

    def update(self, subscription_id: int, *, frequency: str | None = None,
               name: str | None = None) -> None:
        with self.transaction() as conn:
            if frequency is not None:
                conn.execute("UPDATE subscriptions SET frequency = ? WHERE id = ?",
                             (frequency, subscription_id))
            if name is not None:
                conn.execute("UPDATE subscriptions SET name = ? WHERE id = ?",
                             (name, subscription_id))

    def delete(self, subscription_id: int) -> bool:
        """Gone with its known policies and its delivery log (the address is personal data)."""
        with self.transaction() as conn:
            return bool(conn.execute("DELETE FROM subscriptions WHERE id = ?",
                                     (subscription_id,)).rowcount)

    def delete_stale_pending(self, before: str) -> list[int]:
        """Subscriptions never confirmed since `before`: deleted; their ids."""
        with self.transaction() as conn:
            ids = [r[0] for r in conn.execute(
                "SELECT id FROM subscriptions WHERE state = ? AND created_at < ?",
                (PENDING, before))]
            conn.executemany("DELETE FROM subscriptions WHERE id = ?", [(i,) for i in ids])
        return ids

    def claim(self, subscription_id: int, minutes: int) -> bool:
        """Take a subscription for this round (another round skips it meanwhile, for at
        most `minutes`: a round that died does not hold it for ever)."""
        moment = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        stamp, until = moment.isoformat(), (moment + dt.timedelta(minutes=minutes)).isoformat()
        with self.transaction() as conn:
            return bool(conn.execute(
                "UPDATE subscriptions SET claimed_until = ? WHERE id = ?"
                " AND (claimed_until IS NULL OR claimed_until < ?)",
                (until, subscription_id, stamp)).rowcount)

    def release(self, subscription_id: int) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE subscriptions SET claimed_until = NULL WHERE id = ?",
                         (subscription_id,))

    def record_matches(self, subscription_id: int, *, baseline: Iterable[str] = (),
                       pending: Iterable[str] = (), seen_seq: int) -> None:
        """Policies newly known (first state wins) and how far the round looked."""
        stamp = now()
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO subscription_policies (subscription_id, policy_id, state,"
                " at) VALUES (?, ?, ?, ?)",
                [(subscription_id, pid, "baseline", stamp) for pid in baseline]
                + [(subscription_id, pid, "pending", stamp) for pid in pending])
            conn.execute("UPDATE subscriptions SET seen_seq = ? WHERE id = ?",
                         (seen_seq, subscription_id))

    def known_policy_ids(self, subscription_id: int, ids: list[str]) -> set[str]:
        """Which of `ids` the subscription already knows (baseline, pending or sent)."""
        known: set[str] = set()
        for chunk in _chunks(ids):
            known.update(r[0] for r in self.conn.execute(
                f"SELECT policy_id FROM subscription_policies WHERE subscription_id = ?"
                f" AND policy_id IN ({', '.join('?' * len(chunk))})", (subscription_id, *chunk)))
        return known

    def pending_policy_ids(self, subscription_id: int) -> list[str]:
        return [r[0] for r in self.conn.execute(
            "SELECT policy_id FROM subscription_policies WHERE subscription_id = ?"
            " AND state = 'pending' ORDER BY at, policy_id", (subscription_id,))]

    def policy_counts(self, subscription_id: int) -> dict[str, int]:
        return {r[0]: r[1] for r in self.conn.execute(
            "SELECT state, count(*) FROM subscription_policies WHERE subscription_id = ?"
            " GROUP BY state", (subscription_id,))}

    def record_delivered(self, subscription_id: int, policy_ids: list[str], delivery_id: int,
                         at: str) -> None:
        """A digest went out: its policies are sent, the period is used, failures reset."""
        with self.transaction() as conn:
            for chunk in _chunks(policy_ids):
                conn.execute(
                    f"UPDATE subscription_policies SET state = 'sent', delivery_id = ?, at = ?"
                    f" WHERE subscription_id = ? AND policy_id IN ({', '.join('?' * len(chunk))})",
                    (delivery_id, at, subscription_id, *chunk))
            conn.execute(
                "UPDATE subscriptions SET last_sent_at = ?, last_attempt_at = ?, failures = 0,"
                " last_error = NULL, next_attempt_at = NULL WHERE id = ?",
                (at, at, subscription_id))

    def record_failed_delivery(self, subscription_id: int, error: str, *, next_attempt_at: str,
                               pause_after: int) -> int:
        """One more failed delivery; paused (reason failures) at `pause_after`. The count."""
        stamp = now()
        with self.transaction() as conn:
            conn.execute(
                "UPDATE subscriptions SET failures = failures + 1, last_error = ?,"
                " last_attempt_at = ?, next_attempt_at = ? WHERE id = ?",
                (error[:500], stamp, next_attempt_at, subscription_id))
            failures = conn.execute("SELECT failures FROM subscriptions WHERE id = ?",
                                    (subscription_id,)).fetchone()[0]
            if failures >= pause_after:
                conn.execute(
                    "UPDATE subscriptions SET state = ?, pause_reason = 'failures' WHERE id = ?"
                    " AND state = ?", (PAUSED, subscription_id, ACTIVE))
        return failures

    def record_test_failure(self, subscription_id: int, error: str) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE subscriptions SET last_error = ?, last_attempt_at = ?"
                         " WHERE id = ?", (error[:500], now(), subscription_id))

    def log_delivery(self, subscription_id: int, *, purpose: str, attempt: int, ok: bool,
                     policies: int = 0, status: str = "", detail: str = "",
                     at: str | None = None) -> int:
        with self.transaction() as conn:
            return conn.execute(
                "INSERT INTO subscription_deliveries (subscription_id, at, purpose, attempt,"
                " policies, ok, status, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (subscription_id, at or now(), purpose, attempt, policies, int(ok),
                 status[:100], detail[:1000])).lastrowid

    def delivery_log(self, subscription_id: int | None = None, limit: int = 200) -> list[dict]:
        sql = ("SELECT d.*, s.channel, s.address, s.name, s.kind, s.query"
               " FROM subscription_deliveries AS d JOIN subscriptions AS s"
               " ON s.id = d.subscription_id")
        params: list = []
        if subscription_id is not None:
            sql, params = sql + " WHERE d.subscription_id = ?", [subscription_id]
        return [dict(r) for r in self.conn.execute(sql + " ORDER BY d.id DESC LIMIT ?",
                                                   [*params, limit])]

    def admit_subscribe_request(self, address: str, at: float, *, window: float,
                                limit: int) -> bool:
        """Count a subscribe request of a client address; False (not counted) when it has
        made `limit` in the last `window` seconds. Check and count are one transaction."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM subscribe_requests WHERE at < ?", (at - window,))
            made = conn.execute("SELECT count(*) FROM subscribe_requests WHERE address = ?",
                                (address,)).fetchone()[0]
            if made >= limit:
                return False
            conn.execute("INSERT INTO subscribe_requests (address, at) VALUES (?, ?)",
                         (address, at))
            return True

