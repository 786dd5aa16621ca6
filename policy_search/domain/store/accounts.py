"""Staff accounts, failed logins (the login rate limit) and open staff sessions."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from policy_search.domain.store.base import AlreadyStored, Repository, now


@dataclass
class User:
    id: int
    username: str
    password_hash: str
    role: str
    active: bool
    created_at: str



class AccountRepository(Repository):
    """users, login_failures, staff_sessions."""

    def add(self, username: str, password_hash: str, role: str) -> User:
        try:
            with self.transaction() as conn:
                conn.execute(
                    "INSERT INTO users (username, password_hash, role, active, created_at)"
                    " VALUES (?, ?, ?, 1, ?)",
                    (username, password_hash, role, now()),
                )
        except sqlite3.IntegrityError as exc:
            raise AlreadyStored(f"user {username}") from exc
        return self.get(username)

    def get(self, username: str) -> User | None:
        row = self.conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        return User(**{**dict(row), "active": bool(row["active"])}) if row else None

    def update(self, username: str, *, password_hash: str | None = None,
               role: str | None = None, active: bool | None = None) -> None:
        changes = {k: v for k, v in (("password_hash", password_hash), ("role", role),
                                     ("active", None if active is None else int(active)))
                   if v is not None}
        if not changes:
            return
        with self.transaction() as conn:
            updated = conn.execute(
                f"UPDATE users SET {', '.join(f'{k} = ?' for k in changes)} WHERE username = ?",
                [*changes.values(), username],
            ).rowcount
        if not updated:
            raise KeyError(f"no user {username}")

    def list(self) -> list[User]:
        return [User(**{**dict(r), "active": bool(r["active"])})
                for r in self.conn.execute("SELECT * FROM users ORDER BY username")]

    def login_failures(self, key: str, since: float) -> list[float]:
        """When the failed logins of a key ("user:…" or "ip:…") after `since` happened."""
        return [r[0] for r in self.conn.execute(
            "SELECT at FROM login_failures WHERE key = ? AND at > ? ORDER BY at", (key, since))]

    def record_login_failure(self, keys: list[str], at: float, *, forget_before: float) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM login_failures WHERE at <= ?", (forget_before,))
            conn.executemany("INSERT INTO login_failures (key, at) VALUES (?, ?)",
                             [(key, at) for key in keys])

    def clear_login_failures(self, key: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM login_failures WHERE key = ?", (key,))

    def add_session(self, token_hash: str, username: str, started_at: float, *,
                    forget_before: float) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM staff_sessions WHERE started_at <= ?", (forget_before,))
            conn.execute("INSERT INTO staff_sessions (token_hash, username, started_at)"
                         " VALUES (?, ?, ?)", (token_hash, username, started_at))

    def session_open(self, token_hash: str, username: str) -> bool:
        return self.conn.execute(
            "SELECT 1 FROM staff_sessions WHERE token_hash = ? AND username = ?",
            (token_hash, username)).fetchone() is not None

    def end_sessions(self, *, token_hash: str | None = None,
                     username: str | None = None) -> None:
        """End one session (by its token's hash) or every session of a user."""
        with self.transaction() as conn:
            if token_hash is not None:
                conn.execute("DELETE FROM staff_sessions WHERE token_hash = ?", (token_hash,))
            if username is not None:
                conn.execute("DELETE FROM staff_sessions WHERE username = ?", (username,))
