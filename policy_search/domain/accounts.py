"""Staff accounts: usernames, password hashes (werkzeug scrypt) and roles.

Roles: staff (review queue, tagging) and admin (everything staff may, plus the admin
pages: users, taxonomy values, crawl jobs). Deny by default: `has_role` knows only these.
"""
from __future__ import annotations

import functools
import re

from werkzeug.security import check_password_hash, generate_password_hash

from policy_search.domain.store import AlreadyStored, User

ROLES = ("staff", "admin")
# What each role may do includes what the roles below it may do.
ROLE_RANK = {"staff": 1, "admin": 2}
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
HASH_METHOD = "scrypt"  # werkzeug's scrypt at its default cost (the tests lower the cost)


class AccountError(ValueError):
    """A username, password or role that cannot be accepted (message for the user)."""


def validate_username(username: str) -> str:
    if not USERNAME.match(username or ""):
        raise AccountError("用户名须为 3–32 个字符：字母、数字、下划线、点或连字符，且以字母或数字开头")
    return username


def validate_password(password: str, username: str = "") -> str:
    if password is None or len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码至少 {MIN_PASSWORD_LENGTH} 个字符")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"密码最多 {MAX_PASSWORD_LENGTH} 个字符")
    if password != password.strip():
        raise AccountError("密码首尾不能是空白字符")
    if username and password.lower() == username.lower():
        raise AccountError("密码不能与用户名相同")
    return password


def validate_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"角色须为 {' / '.join(ROLES)}")
    return role


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


@functools.cache
def _dummy_hash(method: str) -> str:
    """Checked when the user does not exist, so both cases cost one hash (no timing oracle)."""
    return generate_password_hash("not-a-real-password", method=method)


def create_user(store, username: str, password: str, role: str) -> User:
    """Validate and add a user; AccountError when invalid or the name is taken."""
    validate_username(username)
    validate_role(role)
    validate_password(password, username)
    if store.accounts.get(username) is not None:
        raise AccountError(f"用户 {username} 已存在")
    try:
        return store.accounts.add(username, hash_password(password), role)
    except AlreadyStored as exc:  # added concurrently
        raise AccountError(f"用户 {username} 已存在") from exc


def authenticate(store, username: str, password: str) -> User | None:
    """The active user with this name and password, else None (same cost either way)."""
    user = store.accounts.get(username) if username else None
    stored = user.password_hash if user else _dummy_hash(HASH_METHOD)
    ok = check_password_hash(stored, password or "")
    if user is None or not ok or not user.active:
        return None
    return user


def change_password(store, username: str, password: str) -> None:
    validate_password(password, username)
    store.accounts.update(username, password_hash=hash_password(password))
    store.accounts.end_sessions(username=username)  # signed in elsewhere: sign in again


def set_role(store, username: str, role: str) -> None:
    store.accounts.update(username, role=validate_role(role))


def set_active(store, username: str, active: bool) -> None:
    store.accounts.update(username, active=active)
    if not active:
        store.accounts.end_sessions(username=username)


def has_role(user: User | None, needed: str) -> bool:
    """May this user do what `needed` may? Unknown roles and inactive users may nothing."""
    if user is None or not user.active or needed not in ROLE_RANK:
        return False
    return ROLE_RANK.get(user.role, 0) >= ROLE_RANK[needed]
