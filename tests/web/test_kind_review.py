"""Staff correct the derived document kind and 惠企 flag on the review page; the correction
is audited, kept when the policy is re-derived, and can be undone back to 自动判定."""
from __future__ import annotations

import html as htmllib

from policy_search.domain.derive import derive_kinds
from tests.web.staff_site import logged_in, review_form


def test_kind_and_flag_corrected_kept_and_undone(app, tagged_site):
    derive_kinds(tagged_site.store)
    policy_id = tagged_site.ids[0]
    policy = tagged_site.store.policies.get(policy_id)
    auto = (policy.doc_kind, policy.huiqi)
    client = logged_in(app, "staffer")
    page, hidden = review_form(client, policy_id)
    page = htmllib.unescape(page)
    assert f"自动判定（{auto[0]}）" in page and "判定依据" in page
    assert policy.kind_evidence[0].describe() in page
    wanted = "申报通知" if auto[0] != "申报通知" else "惠企措施"
    flag = "否" if auto[1] else "是"
    response = client.post(f"/staff/policy/{policy_id}", data={
        **hidden, "op": "save", "doc_kind": wanted, "huiqi": flag})
    assert response.status_code == 302
    corrected = tagged_site.store.policies.get(policy_id)
    assert (corrected.doc_kind, corrected.huiqi) == (wanted, flag == "是")
    assert corrected.kind_by == corrected.huiqi_by == "staff"
    # re-deriving every policy keeps staff's answer
    derive_kinds(tagged_site.store, everything=True)
    assert tagged_site.store.policies.get(policy_id).doc_kind == wanted
    page, hidden = review_form(client, policy_id)
    assert f"<option selected>{wanted}</option>" in page
    history = client.get(f"/staff/policy/{policy_id}/history").get_data(as_text=True)
    assert f"文件类型：{auto[0]} → {wanted}" in htmllib.unescape(history)
    # back to the derived values
    response = client.post(f"/staff/policy/{policy_id}", data={
        **hidden, "op": "save", "doc_kind": "auto", "huiqi": "auto"})
    assert response.status_code == 302
    back = tagged_site.store.policies.get(policy_id)
    assert (back.doc_kind, back.huiqi, back.kind_by) == (*auto, "auto")
    actions = [(e["value"], e["action"]) for e in tagged_site.store.tags.audit_log(policy_id)]
    assert ("doc_kind", "remove_field") in actions and ("huiqi", "remove_field") in actions


def test_unknown_kind_is_refused(app, tagged_site):
    client = logged_in(app, "staffer")
    policy_id = tagged_site.ids[1]
    _page, hidden = review_form(client, policy_id)
    response = client.post(f"/staff/policy/{policy_id}", data={
        **hidden, "op": "save", "doc_kind": "政策原文"})
    assert response.status_code == 400
    assert "文件类型的取值无效" in response.get_data(as_text=True)
    assert tagged_site.store.edits.fields(policy_id).get("doc_kind") is None
