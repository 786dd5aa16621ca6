"""Commands for staff work: `tag auto` (the auto-tagger) and `user add|list|passwd`."""
from __future__ import annotations

import sys
import time

import click

from policy_search.cli import open_store
from policy_search.cli.progress import CountProgress
from policy_search.local_time import beijing_time
from policy_search.settings import Settings


@click.group("tag")
def tag_group():
    """自动标注 — propose tags from the taxonomy (staff decisions are never overwritten)."""


@tag_group.command("auto")
@click.option("--all", "retag_all", is_flag=True,
              help="re-tag every policy (default: only new or changed ones)")
@click.option("--quiet", is_flag=True, help="no progress line")
@click.pass_obj
def tag_auto(settings: Settings, retag_all: bool, quiet: bool):
    """Auto-tag policies without current auto tags (new or changed), or all with --all."""
    from policy_search.taxonomy import load_taxonomy
    from policy_search.tagging import tag_policies

    store = open_store(settings)
    taxonomy = load_taxonomy(store)
    ids = store.all_policy_ids() if retag_all else store.policies_needing_auto_tags()
    if not ids:
        click.echo("没有需要标注的政策 (nothing to tag)")
        return
    started = time.monotonic()
    with CountProgress("标注") as line:
        summary = tag_policies(store, ids, taxonomy=taxonomy, progress=None if quiet else line)
    elapsed = time.monotonic() - started
    click.echo(f"已标注 {summary.policies} 篇政策，其中 {summary.with_tags} 篇有建议标签"
               f"，用时 {elapsed:.1f} 秒 (tagged {summary.policies}, {summary.with_tags} with proposals)")
    for key, facet in taxonomy.facets.items():
        values = sorted(((v, n) for (f, v), n in summary.by_value.items() if f == key),
                        key=lambda item: -item[1])
        shown = "、".join(f"{v} {n}" for v, n in values[:8]) or "—"
        click.echo(f"  {facet.label}: {summary.by_facet.get(key, 0)} 个建议  ({shown})")


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
    from policy_search.accounts import AccountError, create_user, validate_username

    store = open_store(settings)
    try:
        validate_username(username)
        if store.get_user(username) is not None:
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
    from policy_search.accounts import AccountError, change_password

    store = open_store(settings)
    if store.get_user(username) is None:
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
    users = open_store(settings).list_users()
    if not users:
        click.echo("（还没有用户）")
        return
    for user in users:
        state = "启用" if user.active else "停用"
        click.echo(f"{user.username:<24} {user.role:<6} {state}  {beijing_time(user.created_at)}")
