"""Accounts: hashes, validation, roles; `policy-search user …` and `tag auto` via CliRunner."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from werkzeug.security import check_password_hash

from policy_search.domain import accounts
from policy_search.cli import main
from policy_search.cli import users as users_cli
from policy_search.domain.models import Policy, policy_id_for
from policy_search.domain.store import Store

PASSWORD = "correct horse battery"


def run(tmp_path, *args, input=None):
    return CliRunner().invoke(main, ["--data-dir", str(tmp_path), *args], input=input)


def open_store(tmp_path):
    return Store(tmp_path / "policies.sqlite3")


def test_user_add_reads_the_password_from_stdin(tmp_path):
    result = run(tmp_path, "user", "add", "alice", "--role", "admin", input=PASSWORD + "\nignored\n")
    assert result.exit_code == 0, result.output
    user = open_store(tmp_path).accounts.get("alice")
    assert user.role == "admin" and user.password_hash.startswith("scrypt:")
    assert check_password_hash(user.password_hash, PASSWORD)
    assert accounts.authenticate(open_store(tmp_path), "alice", PASSWORD).username == "alice"
    listed = run(tmp_path, "user", "list")
    assert "alice" in listed.output and "admin" in listed.output


def test_user_add_refuses_bad_input(tmp_path):
    assert run(tmp_path, "user", "add", "bob", input="short\n").exit_code != 0
    assert run(tmp_path, "user", "add", "x", input=PASSWORD + "\n").exit_code != 0
    assert run(tmp_path, "user", "add", "bob", "--role", "root", input=PASSWORD + "\n").exit_code != 0
    assert run(tmp_path, "user", "add", "bob", input="").exit_code != 0
    assert open_store(tmp_path).accounts.list() == []
    assert run(tmp_path, "user", "add", "bob", input=PASSWORD + "\n").exit_code == 0
    again = run(tmp_path, "user", "add", "bob", input=PASSWORD + "\n")
    assert again.exit_code != 0 and "已存在" in again.output
    assert open_store(tmp_path).accounts.get("bob").role == "staff"


def test_terminal_prompts_twice_and_refuses_a_mismatch(tmp_path, monkeypatch):
    monkeypatch.setattr(users_cli, "stdin_is_terminal", lambda: True)
    mismatch = run(tmp_path, "user", "add", "carol", input=PASSWORD + "\n" + PASSWORD + "x\n")
    assert mismatch.exit_code != 0 and "不一致" in mismatch.output
    assert open_store(tmp_path).accounts.get("carol") is None
    ok = run(tmp_path, "user", "add", "carol", input=PASSWORD + "\n" + PASSWORD + "\n")
    assert ok.exit_code == 0, ok.output
    assert ok.output.count("密码") >= 2  # two prompts were shown
    assert PASSWORD not in ok.output       # hidden input is not echoed
    assert accounts.authenticate(open_store(tmp_path), "carol", PASSWORD) is not None


def test_user_passwd_changes_the_hash(tmp_path):
    run(tmp_path, "user", "add", "dave", input=PASSWORD + "\n")
    assert run(tmp_path, "user", "passwd", "dave", input="another long secret\n").exit_code == 0
    store = open_store(tmp_path)
    assert accounts.authenticate(store, "dave", PASSWORD) is None
    assert accounts.authenticate(store, "dave", "another long secret") is not None
    assert run(tmp_path, "user", "passwd", "nobody", input=PASSWORD + "\n").exit_code != 0


def test_authentication_and_roles(store):
    admin = accounts.create_user(store, "admin1", PASSWORD, "admin")
    staff = accounts.create_user(store, "staff1", PASSWORD, "staff")
    assert accounts.authenticate(store, "staff1", "wrong password!") is None
    assert accounts.authenticate(store, "ghost", PASSWORD) is None
    assert accounts.has_role(admin, "admin") and accounts.has_role(admin, "staff")
    assert accounts.has_role(staff, "staff") and not accounts.has_role(staff, "admin")
    assert not accounts.has_role(None, "staff") and not accounts.has_role(staff, "superuser")
    accounts.set_active(store, "staff1", False)
    assert accounts.authenticate(store, "staff1", PASSWORD) is None
    assert not accounts.has_role(store.accounts.get("staff1"), "staff")
    with pytest.raises(accounts.AccountError):
        accounts.create_user(store, "staff1", PASSWORD, "staff")
    with pytest.raises(accounts.AccountError):
        accounts.validate_password("staff1staff1", "staff1staff1")
    for bad in ("ab", "-dash", "空格 名", "a" * 33, "evil;drop"):
        with pytest.raises(accounts.AccountError):
            accounts.validate_username(bad)


def test_passwords_are_hashed_with_scrypt_at_its_full_cost_outside_the_tests():
    # the suite lowers the cost (tests/conftest.py); a real deployment must not
    import subprocess
    import sys

    code = ("from policy_search.domain import accounts\n"
            "print(accounts.hash_password('a long secret 1'))\n"
            "print(accounts._dummy_hash(accounts.HASH_METHOD))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    stored, dummy = out.stdout.split()
    assert stored.startswith("scrypt:32768:8:1$") and dummy.startswith("scrypt:32768:8:1$")
    assert check_password_hash(stored, "a long secret 1")


def test_an_unknown_user_costs_a_hash_of_the_current_method(store):
    accounts.create_user(store, "known1", PASSWORD, "staff")
    assert accounts.authenticate(store, "nobody", PASSWORD) is None
    assert accounts._dummy_hash(accounts.HASH_METHOD).startswith(accounts.HASH_METHOD + "$")
    assert store.accounts.get("known1").password_hash.startswith(accounts.HASH_METHOD + "$")


def test_tag_auto_tags_new_and_changed_policies_only(tmp_path):
    store = open_store(tmp_path)
    for n in range(3):
        url = f"http://gov.example/{n}.html"
        title = f"关于支持小微企业融资的若干措施（{n}）"
        store.policies.upsert(Policy(id=policy_id_for(url, title), url=url, title=title,
                                     body_text="支持对象：本市小微企业。对小微企业新增贷款给予贴息，"
                                             "为企业提供融资担保，降低企业融资成本，企业可向银行申请。"))
    first = run(tmp_path, "tag", "auto", "--quiet")
    assert first.exit_code == 0, first.output
    assert "已标注 3 篇政策" in first.output and "融资信贷" in first.output
    assert "没有需要标注" in run(tmp_path, "tag", "auto").output
    changed = store.policies.get_many(store.policies.all_ids())[0]
    changed.body_text += "另对个体工商户给予补贴。"
    store.policies.upsert(changed)
    assert "已标注 1 篇政策" in run(tmp_path, "tag", "auto", "--quiet").output
    assert "已标注 3 篇政策" in run(tmp_path, "tag", "auto", "--all", "--quiet").output
