"""`policy-search user add|passwd|list`: staff and admin accounts."""
from __future__ import annotations

import sys

import click

from policy_search.cli import open_store
from policy_search.domain.local_time import beijing_time
from policy_search.settings import Settings


@click.group("user")
def user_group():
    """用户管理 — staff and admin accounts."""


def stdin_is_terminal() -> bool:
    # A function of its own so tests can stand in for a terminal.
    return sys.stdin.isatty()


def read_password() -> str:
    """Prompted twice on a terminal; otherwise the first line of standard input."""
    if stdin_is_terminal():
        first = click.prompt("密码 (password)", hide_input=True, default="", show_default=False)
        second = click.prompt("再次输入密码 (repeat)", hide_input=True, default="",
                              show_default=False)
        if first != second:
            raise click.ClickException("两次输入的密码不一致 (passwords do not match)")
        return first
    line = sys.stdin.readline()
    if not line:
        raise click.ClickException("标准输入中没有密码 (no password on standard input)")
    return line.rstrip("\r\n")


@user_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["staff", "admin"]), default="staff", show_default=True)
@click.pass_obj
def user_add(settings: Settings, username: str, role: str):
    """Add a user; the password is prompted twice, or read from the first line of stdin."""
    from policy_search.domain.accounts import AccountError, create_user, validate_username

    store = open_store(settings)
    try:
        validate_username(username)
        if store.accounts.get(username) is not None:
            raise AccountError(f"用户 {username} 已存在")
        user = create_user(store, username, read_password(), role)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"已添加用户 {user.username}（{user.role}）")


@user_group.command("passwd")
@click.argument("username")
@click.pass_obj
def user_passwd(settings: Settings, username: str):
    """Set a user's password (prompted twice, or the first line of stdin)."""
    from policy_search.domain.accounts import AccountError, change_password

    store = open_store(settings)
    if store.accounts.get(username) is None:
        raise click.ClickException(f"没有用户 {username}")
    try:
        change_password(store, username, read_password())
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"已更新 {username} 的密码")


@user_group.command("list")
@click.pass_obj
def user_list(settings: Settings):
    """List users: name, role, active, created."""
    users = open_store(settings).accounts.list()
    if not users:
        click.echo("（还没有用户）")
        return
    for user in users:
        state = "启用" if user.active else "停用"
        click.echo(f"{user.username:<24} {user.role:<6} {state}  {beijing_time(user.created_at)}")
