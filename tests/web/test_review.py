"""The review queue and review page: decisions, fields, bulk actions, history, conflicts,
and an audit entry for every kind of change."""
from __future__ import annotations

import re

from policy_search.domain.tagging import load_evidence, tag_policy
from tests.web.staff_site import csrf_token, logged_in, post_form, review_form


def richest(tagged_site) -> str:
    """The test policy with the most suggestions."""
    return max(tagged_site.ids, key=lambda i: len(tagged_site.store.policies.get(i).tags))


def suggestions(tagged_site, policy_id):
    return [t for t in tagged_site.store.policies.get(policy_id).tags if t.origin == "auto"]


def test_queue_lists_new_policies_newest_first_with_counts_and_filters(app, tagged_site):
    client = logged_in(app, "staffer")
    html = client.get("/staff/").get_data(as_text=True)
    assert f"待审核 <strong>{len(tagged_site.ids)}</strong> 条" in html
    dates = [tagged_site.store.policies.get(i).publish_date or "" for i in
             re.findall(r'href="/staff/policy/([0-9a-f]+)', html)]
    assert dates == sorted(dates, reverse=True) and len(dates) == len(tagged_site.ids)
    html = client.get("/staff/?level=provincial").get_data(as_text=True)
    shown = set(re.findall(r'href="/staff/policy/([0-9a-f]+)', html))
    expected = {i for i in tagged_site.ids if tagged_site.store.policies.get(i).level == "provincial"}
    assert shown == expected and expected
    html = client.get("/staff/?from=2020-01-01&to=2022-12-31").get_data(as_text=True)
    shown = set(re.findall(r'href="/staff/policy/([0-9a-f]+)', html))
    assert shown == {i for i in tagged_site.ids
                     if "2020-01-01" <= (tagged_site.store.policies.get(i).publish_date or "") <= "2022-12-31"}
    source = tagged_site.store.policies.get(tagged_site.ids[0]).source_id
    html = client.get("/staff/", query_string={"source": source}).get_data(as_text=True)
    shown = set(re.findall(r'href="/staff/policy/([0-9a-f]+)', html))
    assert shown == {i for i in tagged_site.ids if tagged_site.store.policies.get(i).source_id == source}
    # low confidence in 行业: an open industry suggestion under 60 % (a policy without any
    # industry suggestion has nothing weak to review)
    def weak_in(facet=None):
        return {i for i in tagged_site.ids if any(
            t.origin == "auto" and not t.rejected and t.confidence < 0.6
            and (facet is None or t.facet == facet) for t in tagged_site.store.policies.get(i).tags)}

    html = client.get("/staff/?low=industry").get_data(as_text=True)
    shown = set(re.findall(r'href="/staff/policy/([0-9a-f]+)', html))
    without = {i for i in tagged_site.ids if not any(t.facet == "industry"
                                              for t in tagged_site.store.policies.get(i).tags)}
    assert shown == weak_in("industry") and shown and not shown & without
    html = client.get("/staff/?low=any").get_data(as_text=True)
    shown = set(re.findall(r'href="/staff/policy/([0-9a-f]+)', html))
    assert shown == weak_in() and weak_in("industry") <= shown < set(tagged_site.ids)
    # a weak suggestion decided by staff no longer counts
    decided = sorted(weak_in("industry"))[0]
    for tag in tagged_site.store.policies.get(decided).tags:
        if tag.facet == "industry" and tag.confidence < 0.6:
            tagged_site.store.tags.set_staff(decided, "industry", tag.value, "staffer", rejected=True)
    html = client.get("/staff/?low=industry").get_data(as_text=True)
    assert decided not in html and decided not in weak_in("industry")


def test_review_page_shows_suggestions_with_highlighted_evidence(app, tagged_site):
    client = logged_in(app, "staffer")
    policy_id = richest(tagged_site)
    html = client.get(f"/staff/policy/{policy_id}").get_data(as_text=True)
    for tag in suggestions(tagged_site, policy_id):
        assert f'name="d:{tag.facet}:{tag.value}"' in html
        for ev in load_evidence(tag.evidence)[:1]:
            assert ev.match in html
    assert '<mark class="ev-mark"' in html
    assert "autofocus" in html and 'id="kbd-help"' in html and 'accesskey="n"' not in html


def test_accept_all_add_fields_and_next_with_audit(app, tagged_site):
    client = logged_in(app, "staffer")
    policy_id = richest(tagged_site)
    proposed = {(t.facet, t.value) for t in suggestions(tagged_site, policy_id)}
    _html, hidden = review_form(client, policy_id)
    response = client.post(f"/staff/policy/{policy_id}", data={
        **hidden, "op": "accept_all", "add_facet": "support", "add_value": "税费减免",
        "validity": "失效", "doc_kind": "政策解读", "beneficiaries": "在沪科技型中小企业",
    })
    assert response.status_code == 302
    policy = tagged_site.store.policies.get(policy_id)
    staff = {(t.facet, t.value) for t in policy.tags if t.origin == "staff" and not t.rejected}
    assert staff == proposed | {("support", "税费减免")}
    assert (policy.validity, policy.doc_kind) == ("失效", "政策解读")
    assert tagged_site.store.edits.fields(policy_id)["beneficiaries"] == "在沪科技型中小企业"
    actions = [(e["action"], e["detail"]) for e in tagged_site.store.tags.audit_log(policy_id)]
    assert actions.count(("accept", "proposed")) == len(proposed)
    assert ("accept", "added") in actions
    assert {e["value"] for e in tagged_site.store.tags.audit_log(policy_id) if e["action"] == "set_field"} == \
        {"validity", "doc_kind", "beneficiaries"}
    assert {e["by_user"] for e in tagged_site.store.tags.audit_log(policy_id)} == {"staffer"}
    # then reject one, undo another, mark reviewed and move on to the next in the queue
    (facet, value), (facet2, value2) = sorted(proposed)[:2]
    _html, hidden = review_form(client, policy_id)
    response = client.post(f"/staff/policy/{policy_id}", data={
        **hidden, "op": "save_next", f"d:{facet}:{value}": "reject", f"d:{facet2}:{value2}": "undo"})
    assert response.status_code == 302
    assert re.match(r"/staff/policy/[0-9a-f]+", response.headers["Location"])
    assert policy_id not in response.headers["Location"]
    policy = tagged_site.store.policies.get(policy_id)
    assert policy.review_state == "reviewed"
    tags = {(t.facet, t.value): t for t in policy.tags}
    assert tags[(facet, value)].rejected and tags[(facet, value)].origin == "staff"
    assert (facet2, value2) not in tags or tags[(facet2, value2)].origin == "auto"
    actions = {e["action"] for e in tagged_site.store.tags.audit_log(policy_id)}
    assert {"accept", "reject", "remove", "set_field", "review"} <= actions
    # the history tab lists them, newest first, with who
    history = client.get(f"/staff/policy/{policy_id}/history").get_data(as_text=True)
    assert "否决标签" in history and "撤销标签决定" in history and "标记为已审核" in history
    assert "有效性：" in history and "staffer" in history
    # the staff decision survives a re-run of the tagger
    tag_policy(tagged_site.store, tagged_site.store.policies.get(policy_id))
    again = {(t.facet, t.value): t for t in tagged_site.store.policies.get(policy_id).tags}
    assert again[(facet, value)].rejected and again[("support", "税费减免")].origin == "staff"


def test_unknown_value_is_refused(app, tagged_site):
    client = logged_in(app, "staffer")
    policy_id = tagged_site.ids[0]
    _html, hidden = review_form(client, policy_id)
    response = client.post(f"/staff/policy/{policy_id}", data={
        **hidden, "op": "save", "add_facet": "industry", "add_value": "不存在的行业"})
    assert response.status_code == 400
    assert "不是“行业”中的标签值" in response.get_data(as_text=True)
    assert tagged_site.store.tags.audit_log(policy_id) == []


def test_edit_conflict_is_reported_not_overwritten(app, tagged_site):
    first, second = logged_in(app, "staffer"), logged_in(app, "staffer2")
    policy_id = richest(tagged_site)
    tag = suggestions(tagged_site, policy_id)[0]
    _h, hidden1 = review_form(first, policy_id)
    _h, hidden2 = review_form(second, policy_id)
    assert first.post(f"/staff/policy/{policy_id}", data={
        **hidden1, "op": "save", f"d:{tag.facet}:{tag.value}": "accept"}).status_code == 302
    response = second.post(f"/staff/policy/{policy_id}", data={
        **hidden2, "op": "save", f"d:{tag.facet}:{tag.value}": "reject", "validity": "废止"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "保存冲突" in html and "staffer" in html
    policy = tagged_site.store.policies.get(policy_id)
    decided = {(t.facet, t.value): t for t in policy.tags}[(tag.facet, tag.value)]
    assert decided.origin == "staff" and not decided.rejected
    assert policy.validity != "废止"
    assert [e["by_user"] for e in tagged_site.store.tags.audit_log(policy_id)] == ["staffer"]
    # the second editor's input is still in the form, to check and save again
    assert re.search(rf'name="d:{tag.facet}:{tag.value}" value="reject" checked', html)
    assert "<option selected>废止</option>" in html
    assert "按现在的内容重新保存，将会" in html


def test_bulk_accept_one_facet_leaves_policies_with_other_open_suggestions_in_the_queue(app, tagged_site):
    client = logged_in(app, "staffer")
    html = client.get("/staff/").get_data(as_text=True)
    versions = dict(re.findall(r'name="v-([0-9a-f]+)" value="(\d+)"', html))
    facets_of = {i: {t.facet for t in suggestions(tagged_site, i)} for i in tagged_site.ids}
    mixed = [i for i in tagged_site.ids if "industry" in facets_of[i] and len(facets_of[i]) > 1][:2]
    only = [i for i in tagged_site.ids if facets_of[i] == {"industry"}][:2]
    assert mixed and only
    chosen = mixed + only
    data = [("op", "accept_review"), ("facet", "industry")]
    data += [("ids", i) for i in chosen] + [(f"v-{i}", versions[i]) for i in chosen]
    response = post_form(client, "/staff/bulk", data)
    assert response.status_code == 302
    for policy_id in chosen:
        policy = tagged_site.store.policies.get(policy_id)
        for tag in policy.tags:
            assert (tag.origin == "staff") == (tag.facet == "industry"), tag
    # reviewed only where nothing is left open; the others stay in the queue, named
    assert {i for i in chosen if tagged_site.store.policies.get(i).review_state == "reviewed"} == set(only)
    for policy_id in only:
        assert {e["action"] for e in tagged_site.store.tags.audit_log(policy_id)} == {"accept", "review"}
    for policy_id in mixed:
        assert "review" not in {e["action"] for e in tagged_site.store.tags.audit_log(policy_id)}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"标记已审核 {len(only)} 条" in page
    assert f"{len(mixed)} 条政策还有未处理的建议，未标记已审核，仍在队列中" in page
    for policy_id in mixed:
        policy = tagged_site.store.policies.get(policy_id)
        assert policy.title[:20] in page
        assert f'href="/staff/policy/{policy_id}"' in page  # still listed
    # a public page shows the open ones as suggestions still
    from web.present import is_suggestion
    policy = tagged_site.store.policies.get(mixed[0])
    assert {t.facet for t in policy.tags if is_suggestion(policy, t)} == facets_of[mixed[0]] - {"industry"}


def test_bulk_all_facets_marks_reviewed_and_mark_only_refuses_open_suggestions(app, tagged_site):
    client = logged_in(app, "staffer")
    html = client.get("/staff/").get_data(as_text=True)
    versions = dict(re.findall(r'name="v-([0-9a-f]+)" value="(\d+)"', html))
    with_tags = [i for i in tagged_site.ids if suggestions(tagged_site, i)][:3]
    # 标记已审核 alone: nothing is reviewed while suggestions are open
    response = post_form(client, "/staff/bulk", [("op", "review")] + [("ids", i) for i in with_tags]
                         + [(f"v-{i}", versions[i]) for i in with_tags])
    assert all(tagged_site.store.policies.get(i).review_state == "new" for i in with_tags)
    assert all(tagged_site.store.edits.state(i)["edit_version"] == int(versions[i]) for i in with_tags)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "标记已审核 0 条" in page and f"{len(with_tags)} 条政策还有未处理的建议" in page
    # 全部分类: every suggestion accepted, then reviewed
    response = post_form(client, "/staff/bulk", [("op", "accept_review"), ("facet", "")]
                         + [("ids", i) for i in with_tags] + [(f"v-{i}", versions[i]) for i in with_tags])
    for policy_id in with_tags:
        policy = tagged_site.store.policies.get(policy_id)
        assert policy.review_state == "reviewed"
        assert tagged_site.store.edits.state(policy_id)["reviewed_by"] == "staffer"
        assert all(t.origin == "staff" for t in policy.tags)
    # a stale version is not applied
    stale = with_tags[0]
    response = post_form(client, "/staff/bulk", [("op", "review"), ("ids", stale),
                                                 (f"v-{stale}", versions[stale])])
    assert response.status_code == 302
    page = client.get("/staff/").get_data(as_text=True)
    assert "已被他人修改" in page


def test_bulk_route_uses_the_domain_function():
    """One implementation of accepting suggestions: the route calls review_queue's."""
    import inspect

    import web.staff

    source = inspect.getsource(web.staff.bulk)
    assert "accept_suggestions(" in source and "set_tag" not in source


def test_autocomplete_endpoint(app, tagged_site):
    client = logged_in(app, "staffer")
    data = client.get("/staff/taxonomy.json?q=制造").get_json()
    assert {"facet": "industry", "facet_label": "行业", "value": "制造业"} in data["items"]
    data = client.get("/staff/taxonomy.json?q=&facet=support").get_json()
    assert data["items"] and {i["facet"] for i in data["items"]} == {"support"}
    assert client.get("/staff/taxonomy.json?q=<script>").get_json()["items"] == []
    anonymous = tagged_site and app.test_client()
    assert anonymous.get("/staff/taxonomy.json?q=制造").status_code == 401
    assert csrf_token(client, "/staff/")


def test_sources_appear_by_their_names_not_repository_paths(app, tagged_site):
    store = tagged_site.store
    crawled = tagged_site.ids[0]
    with store.transaction() as conn:
        conn.execute("UPDATE policies SET source_id = 'csx' WHERE id = ?", (crawled,))
    imported = next(i for i in tagged_site.ids[1:] if "/" in (store.policies.get(i).source_id or ""))
    repository = store.policies.get(imported).source_id
    client = logged_in(app, "staffer")
    text = re.sub(r"<[^>]+>", " ", client.get("/staff/").get_data(as_text=True))
    assert "来源：长沙县人民政府 政府信息公开" in text and "来源：csx" not in text
    assert f"导入数据集 {repository.split('/', 1)[1]}" in text and repository not in text
    review = re.sub(r"<[^>]+>", " ", client.get(f"/staff/policy/{crawled}").get_data(as_text=True))
    assert "长沙县人民政府 政府信息公开" in review
