"""Staff decisions against the tagger, re-crawls, audit entries and concurrent edits."""
from __future__ import annotations

import json

import pytest

from policy_search.domain.models import Policy, policy_id_for
from policy_search.domain.store import EditConflict, material_change
from policy_search.domain.tagging import load_evidence, tag_policies, tag_policy

BODY = ("一、支持对象\n在本市注册的小微企业和个体工商户。\n"
        "二、支持措施\n对小微企业新增贷款给予贴息，提供融资担保，降低融资成本。\n"
        "对吸纳就业的企业给予一次性就业补贴，落实稳岗返还政策。\n")


def make_policy(url="http://gov.example/1.html", body=BODY, title="关于支持小微企业融资和稳岗就业的若干措施"):
    return Policy(id=policy_id_for(url, title), url=url, title=title, body_text=body)


def auto(store, pid):
    return {(t.facet, t.value) for t in store.policies.get(pid).tags if t.origin == "auto"}


def staff(store, pid):
    return {(t.facet, t.value, t.rejected) for t in store.policies.get(pid).tags if t.origin == "staff"}


@pytest.fixture
def tagged(store):
    policy = make_policy()
    store.policies.upsert(policy)
    tag_policies(store)
    return policy.id


def test_auto_tags_are_written_with_evidence(store, tagged):
    tags = {(t.facet, t.value): t for t in store.policies.get(tagged).tags}
    assert ("enterprise", "小微企业") in tags and ("support", "融资信贷") in tags
    evidence = load_evidence(tags[("support", "融资信贷")].evidence)
    assert evidence and all(e.match in e.text for e in evidence)
    assert store.tags.needing_auto() == []


def test_staff_decisions_survive_a_rerun_of_the_tagger(store, tagged):
    store.tags.set_staff(tagged, "support", "融资信贷", "alice")                 # accept
    store.tags.set_staff(tagged, "enterprise", "小微企业", "alice", rejected=True)  # reject
    store.tags.set_staff(tagged, "industry", "金融业", "alice")                  # add
    before = staff(store, tagged)
    tag_policies(store, store.policies.all_ids())
    assert staff(store, tagged) == before
    # a decided value is never an auto tag again, a rejected one is not re-proposed
    assert ("enterprise", "小微企业") not in auto(store, tagged)
    assert ("support", "融资信贷") not in auto(store, tagged)
    assert ("enterprise", "小微企业") not in store.policies.get(tagged).active_tags().get("enterprise", [])


def test_reviewed_facet_gets_no_new_proposals(store, tagged):
    assert ("industry", "不限行业") in auto(store, tagged)
    store.tags.set_staff(tagged, "industry", "金融业", "alice")
    store.edits.set_review_state(tagged, "reviewed", "alice")
    tag_policy(store, store.policies.get(tagged))
    industry = {v for f, v in auto(store, tagged) if f == "industry"}
    assert industry == set()


def test_a_recrawl_keeps_staff_tags_and_flags_material_changes(store, tagged):
    store.tags.set_staff(tagged, "support", "融资信贷", "alice")
    store.edits.set_review_state(tagged, "reviewed", "alice")
    # Reformatted only (whitespace): still reviewed.
    assert store.policies.upsert(make_policy(body=BODY.replace("\n", "\n\n  "))) == "updated"
    assert store.edits.state(tagged)["review_state"] == "reviewed"
    # Materially changed text: back to the queue with a reason, staff tags kept.
    changed = BODY + "三、申报材料\n" + "申请企业需提交营业执照、财务报表、纳税证明和就业人数证明等材料。" * 4
    store.policies.upsert(make_policy(body=changed))
    state = store.edits.state(tagged)
    assert state["review_state"] == "new" and "正文已变更" in state["rereview_reason"]
    assert ("support", "融资信贷", False) in staff(store, tagged)
    assert store.tags.needing_auto() == [tagged]
    tag_policies(store)
    assert ("support", "融资信贷", False) in staff(store, tagged)
    store.edits.set_review_state(tagged, "reviewed", "bob")
    assert store.edits.state(tagged)["rereview_reason"] is None


def test_material_change_rules():
    assert material_change("标题", "正文内容一二三四五六", "标题", "正文内容 一二三四五六。") is None
    assert material_change("标题", "正文", "新标题", "正文") == "标题已变更"
    assert material_change("t", "甲乙丙丁戊己庚辛壬癸" * 5, "t", "子丑寅卯辰巳午未申酉" * 5).startswith("正文已变更")


def test_every_kind_of_change_is_audited(store, tagged):
    store.tags.set_staff(tagged, "support", "融资信贷", "alice")
    store.tags.set_staff(tagged, "industry", "金融业", "alice")
    store.tags.set_staff(tagged, "enterprise", "小微企业", "bob", rejected=True)
    store.tags.remove_staff(tagged, "industry", "金融业", "bob")
    store.edits.set_field(tagged, "validity", "有效", "alice")
    store.edits.set_field(tagged, "beneficiaries", "本市小微企业、个体工商户", "alice")
    store.edits.set_review_state(tagged, "reviewed", "alice")
    store.policies.upsert(make_policy(title="关于支持小微企业融资的若干措施（修订）"))
    log = store.tags.audit_log(tagged)
    assert [(e["action"], e["value"], e["by_user"]) for e in log] == [
        ("accept", "融资信贷", "alice"), ("accept", "金融业", "alice"), ("reject", "小微企业", "bob"),
        ("remove", "金融业", "bob"), ("set_field", "validity", "alice"),
        ("set_field", "beneficiaries", "alice"), ("review", "reviewed", "alice"),
        ("rereview", "new", "system"),
    ]
    assert all(e["at"] for e in log)
    assert [log[0]["detail"], log[1]["detail"]] == ["proposed", "added"]
    assert json.loads(log[4]["detail"]) == {"old": "未知", "new": "有效"}
    assert store.tags.recent_audit(limit=2)[0]["action"] == "rereview"


def test_staff_field_overrides_survive_a_recrawl(store, tagged):
    store.edits.set_field(tagged, "validity", "失效", "alice")
    store.edits.set_field(tagged, "doc_kind", "申报通知", "alice")
    store.policies.upsert(make_policy(body=BODY + "补充说明。"))
    policy = store.policies.get(tagged)
    assert (policy.validity, policy.doc_kind) == ("失效", "申报通知")
    assert store.edits.fields(tagged)["validity"] == "失效"
    with pytest.raises(ValueError):
        store.edits.set_field(tagged, "validity", "永久", "alice")
    with pytest.raises(ValueError):
        store.edits.set_field(tagged, "title", "x", "alice")


def test_the_second_save_is_told_about_the_first(store, tagged):
    version = store.edits.state(tagged)["edit_version"]
    # Two staff opened the page at the same version; alice saves first.
    with store.edits.begin(tagged, "alice", expected_version=version) as edit:
        edit.set_tag("support", "融资信贷")
        edit.set_field("validity", "有效")
        edit.set_review_state("reviewed")
    with pytest.raises(EditConflict) as conflict:
        with store.edits.begin(tagged, "bob", expected_version=version) as edit:
            edit.set_tag("support", "融资信贷", rejected=True)
    assert conflict.value.current == version + 1
    assert "alice" in str(conflict.value)
    assert {c["by_user"] for c in conflict.value.changes} == {"alice"}
    # bob's save changed nothing
    assert ("support", "融资信贷", False) in staff(store, tagged)
    assert [e["by_user"] for e in store.tags.audit_log(tagged)] == ["alice"] * 3
    # after reloading bob can save
    store.tags.set_staff(tagged, "support", "融资信贷", "bob", rejected=True,
                        expected_version=store.edits.state(tagged)["edit_version"])
    assert ("support", "融资信贷", True) in staff(store, tagged)


def test_a_failed_staff_edit_rolls_back_entirely(store, tagged):
    with pytest.raises(ValueError):
        with store.edits.begin(tagged, "alice") as edit:
            edit.set_tag("support", "融资信贷")
            edit.set_field("validity", "bogus")
    assert staff(store, tagged) == set()
    assert store.tags.audit_log(tagged) == []


def test_staff_tag_on_a_missing_policy_fails(store):
    with pytest.raises(KeyError):
        store.tags.set_staff("nope", "industry", "制造业", "alice")
