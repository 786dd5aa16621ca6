"""Kinds in the store: derived with evidence on every new or changed policy, corrected by
staff (kept across re-derivation, audited), migrated from the old doc_kind column."""
from __future__ import annotations

import json
import sqlite3

from click.testing import CliRunner

from policy_search.cli import main
from policy_search.domain.derive import derive_kinds
from policy_search.domain.derive import enrich_changed
from policy_search.domain.importer import policy_from_record
from policy_search.domain.migrations import migrate
from policy_search.domain.models import Policy, policy_id_for
from policy_search.domain.store import UNCHANGED, UPDATED, Store
from tests.policy_search.corpus import all_documents

MEASURES = "http://www.jiangxi.gov.cn/art/2020/2/9/art_4969_1497540.html"
TAX_LAW = "title:中华人民共和国印花税法"


def add(store, key) -> str:
    policy = policy_from_record(all_documents()[key])
    store.policies.upsert(policy)
    return policy.id


def test_derived_kind_and_flag_are_stored_with_evidence(store):
    measures, law = add(store, MEASURES), add(store, TAX_LAW)
    before = store.policies.get(measures)
    assert (before.doc_kind, before.kind_by) == ("其他", "")  # not derived yet
    summary = derive_kinds(store)
    assert summary.policies == 2 and summary.changed == 2
    policy = store.policies.get(measures)
    assert (policy.doc_kind, policy.huiqi, policy.kind_by) == ("惠企措施", True, "auto")
    assert policy.kind_evidence[0].where == "标题" and policy.huiqi_evidence
    assert (store.policies.get(law).doc_kind, store.policies.get(law).huiqi) == ("法律法规", False)
    # nothing changed: nothing to derive, nothing logged for the index
    seq = store.policies.last_change()
    assert derive_kinds(store).policies == 0
    assert derive_kinds(store, everything=True).changed == 0
    assert store.policies.last_change() == seq
    assert store.kinds.counts() == {("惠企措施", True): 1, ("法律法规", False): 1}


def test_new_kind_rules_reclassify_what_older_rules_classified(store, monkeypatch):
    import policy_search.domain.derive as derive
    measures = add(store, MEASURES)
    derive_kinds(store)
    assert derive_kinds(store).policies == 0
    # the rules change (kinds.RULES_VERSION bumped): every policy is classified again, once
    monkeypatch.setattr(derive, "KIND_RULES_STAMP", "#kinds-next")
    assert store.kinds.needing_derivation("#kinds-next") == [measures]
    assert derive_kinds(store).policies == 1
    assert derive_kinds(store).policies == 0


def test_cards_follow_the_kind_rules_version():
    from policy_search.domain import derive, kinds
    assert derive.RULES_STAMP.endswith(kinds.RULES_STAMP)
    assert derive.kind_stamp("abc") == "abc" + kinds.RULES_STAMP


def test_a_change_of_kind_is_logged_for_the_index(store):
    measures = add(store, MEASURES)
    seq = store.policies.last_change()
    derive_kinds(store)
    _, changed = store.policies.changes_since(seq)
    assert changed == [measures]


def test_staff_correction_survives_rederivation_and_content_changes(store):
    law = add(store, TAX_LAW)
    derive_kinds(store)
    store.edits.set_field(law, "doc_kind", "惠企措施", "alice")
    store.edits.set_field(law, "huiqi", "是", "alice")
    derive_kinds(store, everything=True)
    policy = store.policies.get(law)
    assert (policy.doc_kind, policy.huiqi, policy.kind_by, policy.huiqi_by) == (
        "惠企措施", True, "staff", "staff")
    assert policy.kind_evidence[0].where == "人工校正" and "alice" in policy.kind_evidence[0].rule
    # the source publishes a changed text: re-derived, the correction still wins
    changed = policy_from_record(all_documents()[TAX_LAW])
    changed.body_text += "\n第二十一条 本法自公布之日起施行。"
    assert store.policies.upsert(changed) == UPDATED
    assert derive_kinds(store).policies == 1
    assert store.policies.get(law).doc_kind == "惠企措施"
    assert store.kinds.auto(law) == ("法律法规", False)
    # undone: the derived values show again; every step is in the audit log
    store.edits.remove_field(law, "doc_kind", "bob")
    store.edits.remove_field(law, "huiqi", "bob")
    assert (store.policies.get(law).doc_kind, store.policies.get(law).huiqi) == ("法律法规", False)
    actions = [(r["value"], r["action"], r["by_user"]) for r in store.tags.audit_log(law)]
    assert ("doc_kind", "set_field", "alice") in actions and ("huiqi", "set_field", "alice") in actions
    assert ("doc_kind", "remove_field", "bob") in actions and ("huiqi", "remove_field", "bob") in actions
    detail = json.loads(next(r["detail"] for r in store.tags.audit_log(law) if r["value"] == "doc_kind"))
    assert detail == {"old": "法律法规", "new": "惠企措施"}


def test_staff_values_are_checked(store):
    law = add(store, TAX_LAW)
    for field, value in (("doc_kind", "政策原文"), ("huiqi", "也许")):
        try:
            store.edits.set_field(law, field, value, "alice")
        except ValueError:
            continue
        raise AssertionError(f"{field}={value} accepted")


def test_enrich_derives_kinds_before_cards(store):
    measures = add(store, MEASURES)
    summary = enrich_changed(store)
    assert summary.kinds.policies == 1 and "文件类型 1 条" in summary.describe()
    assert store.policies.get(measures).doc_kind == "惠企措施"


def test_old_stores_migrate_and_keep_their_hashes(tmp_path):
    """A store written before kinds were derived: its doc_kind column becomes the source's
    label, staff's "政策原文" (no longer a kind) is dropped with an audit entry, and
    re-importing the same record changes nothing."""
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=7)
    record = all_documents()[MEASURES]
    policy = policy_from_record(record)
    content_hash = policy.compute_hash()
    conn.execute("INSERT INTO policies (id, url, title, body_text, validity, doc_kind, content_hash)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (policy.id, policy.url, policy.title, policy.body_text, policy.validity,
                  "政策原文", content_hash))
    other = Policy(id=policy_id_for("http://gov.example/jd.html", ""), url="http://gov.example/jd.html",
                   title="一图读懂", body_text="问：答：")
    conn.execute("INSERT INTO policies (id, url, title, body_text, doc_kind, content_hash)"
                 " VALUES (?, ?, ?, ?, ?, ?)",
                 (other.id, other.url, other.title, other.body_text, "政策解读", "x"))
    for pid, value in ((policy.id, "政策原文"), (other.id, "政策解读")):
        conn.execute("INSERT INTO policy_staff_fields (policy_id, field, value, by_user, at)"
                     " VALUES (?, 'doc_kind', ?, 'alice', '2024-01-01')", (pid, value))
    conn.close()

    with Store(path) as store:
        assert store.schema_version >= 8
        assert store.edits.fields(policy.id) == {}
        assert store.edits.fields(other.id) == {"doc_kind": "政策解读"}
        dropped = [r for r in store.tags.audit_log(policy.id) if r["action"] == "set_field"]
        assert dropped and json.loads(dropped[0]["detail"])["old"] == "政策原文"
        assert store.policies.get(policy.id).source_kind == "政策原文"
        assert store.policies.upsert(policy_from_record(record)) == UNCHANGED
        derive_kinds(store)
        assert store.policies.get(policy.id).doc_kind == "惠企措施"
        assert store.policies.get(other.id).doc_kind == "政策解读"


def test_kind_commands(tmp_path):
    data_dir = tmp_path / "data"
    with Store(data_dir / "policies.sqlite3") as store:
        measures = add(store, MEASURES)
    runner = CliRunner()
    result = runner.invoke(main, ["--data-dir", str(data_dir), "kind", "derive", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "处理 1 篇" in result.output and "惠企措施: 1 篇 (惠企 1)" in result.output
    shown = runner.invoke(main, ["--data-dir", str(data_dir), "kind", "show", measures, "--json"])
    data = json.loads(shown.output)
    assert data["kind"] == "惠企措施" and data["huiqi"] is True and data["kind_evidence"]
    assert runner.invoke(main, ["--data-dir", str(data_dir), "kind", "show", "nope"]).exit_code != 0
