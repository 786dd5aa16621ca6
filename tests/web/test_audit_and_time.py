"""The admin's 操作日志 and every time a person reads on the staff and admin pages:
Chinese action names, the policy by its title, values as text, filters by person, action
and date, Beijing time (Asia/Shanghai) rather than ISO UTC."""
from __future__ import annotations

import re

from policy_search.domain.card import CardItem
from policy_search.domain.local_time import beijing_day_end, beijing_day_start, beijing_time
from policy_search.domain.review_queue import accept_suggestions, record_admin_action
from tests.web.staff_site import logged_in

ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")


def visible_text(html: str) -> str:
    """The page without tags and attributes (a <time datetime="…"> keeps ISO for machines)."""
    return re.sub(r"<[^>]+>", " ", html)


def set_time(tagged_site, action: str, at: str) -> None:
    with tagged_site.store.transaction() as conn:
        conn.execute("UPDATE tag_audit SET at = ? WHERE action = ?", (at, action))


def test_beijing_time_helper():
    assert beijing_time("2024-05-01T16:30:00+00:00") == "2024-05-02 00:30"
    assert beijing_time("2024-05-01T16:30:05Z", seconds=True) == "2024-05-02 00:30:05"
    assert beijing_time("2024-05-01T16:30:00") == "2024-05-02 00:30"  # no offset: the store's UTC
    assert beijing_time("2024-05-01T08:00:00+0800") == "2024-05-01 08:00"
    assert beijing_time(0) == "1970-01-01 08:00"
    assert beijing_time("2024-05-01") == "2024-05-01" and beijing_time(None) == ""
    assert beijing_day_start("2024-05-02") == "2024-05-01T16:00:00+00:00"
    assert beijing_day_end("2024-05-02") == "2024-05-02T16:00:00+00:00"
    assert beijing_day_start("yesterday") == ""


def test_audit_page_reads_as_words_with_titles_values_and_beijing_time(app, tagged_site):
    store = tagged_site.store
    policy = store.policies.get(tagged_site.ids[0])
    store.cards.set_staff_field(policy.id, "deadline", [CardItem(value="2019年12月31日前")], "staffer")
    accept_suggestions(store, policy.id, "staffer", mark_reviewed=True)
    record_admin_action(store, "job_start", "job:7", "boss", {"kind": "crawl", "source": "csx"})
    set_time(tagged_site, "job_start", "2024-05-01T16:30:00+00:00")  # 2024-05-02 00:30 in Beijing
    admin = logged_in(app, "boss")
    html = admin.get("/admin/audit").get_data(as_text=True)
    text = visible_text(html)
    assert not ISO_UTC.search(text)
    assert "发起任务" in text and "job_start" not in text
    assert "修改政策卡片" in text and "set_card" not in text
    assert "2019年12月31日前" in text and "['2019年12月31日前']" not in text
    assert "2024-05-02 00:30" in text and "任务 #7" in text and "类型：抓取" in text
    assert f'<a href="/staff/policy/{policy.id}/history">{policy.title}</a>' in html
    assert policy.id not in text  # the title, not the hex id
    if store.edits.state(policy.id)["review_state"] == "reviewed":
        assert "标记为已审核" in text
    # the policy's own history reads the same way
    history = visible_text(admin.get(f"/staff/policy/{policy.id}/history").get_data(as_text=True))
    assert "修改政策卡片" in history and "2019年12月31日前" in history
    assert "['2019年12月31日前']" not in history and "set_card" not in history


def test_audit_filters_by_person_action_and_beijing_date(app, tagged_site):
    store = tagged_site.store
    record_admin_action(store, "user_add", "user:a", "boss", {"role": "staff"})
    record_admin_action(store, "source_disable", "source:csx", "boss")
    store.tags.set_staff(tagged_site.ids[1], "support", "税费减免", "staffer")
    with store.transaction() as conn:
        conn.execute("UPDATE tag_audit SET at = '2024-05-01T15:59:59+00:00' WHERE action = 'user_add'")
        conn.execute("UPDATE tag_audit SET at = '2024-05-01T16:00:00+00:00' WHERE action = 'source_disable'")
        conn.execute("UPDATE tag_audit SET at = '2024-05-03T01:00:00+00:00' WHERE action = 'accept'")
    admin = logged_in(app, "boss")

    def rows(**query):
        html = admin.get("/admin/audit", query_string=query).get_data(as_text=True)
        body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        return re.findall(r'<td class="nowrap">([^<]+)</td>\s*<td class="nowrap">([^<]+)</td>', body)

    assert {a for _by, a in rows(by="staffer")} == {"接受标签"}
    assert {b for b, _a in rows(action="source_disable")} == {"boss"}
    assert [a for _b, a in rows(action="source_disable")] == ["停用来源"]
    # 2024-05-02 in Beijing starts at 2024-05-01 16:00 UTC
    assert [a for _b, a in rows(**{"from": "2024-05-02", "to": "2024-05-02"})] == ["停用来源"]
    assert [a for _b, a in rows(**{"to": "2024-05-01"})] == ["添加用户"]
    assert "接受标签" in [a for _b, a in rows(**{"from": "2024-05-03", "by": "staffer"})]
    # the filter choices name people and actions in words
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert '<option value="source_disable">停用来源</option>' in page
    assert '<option value="staffer">staffer</option>' in page
    # an unknown value is ignored, not an error
    assert admin.get("/admin/audit?action=drop_table&by=nobody&from=x").status_code == 200


def test_staff_and_admin_pages_show_beijing_time_not_iso_utc(app, tagged_site):
    store = tagged_site.store
    policy_id = tagged_site.ids[2]
    accept_suggestions(store, policy_id, "staffer", mark_reviewed=True)
    with store.transaction() as conn:
        conn.execute("UPDATE tag_audit SET at = '2024-05-01T16:30:00+00:00'")
        conn.execute("UPDATE policies SET reviewed_at = '2024-05-01T16:30:00+00:00' WHERE id = ?",
                     (policy_id,))
        conn.execute("UPDATE users SET created_at = '2024-05-01T16:30:00+00:00'")
    job_id = store.jobs.create("reindex", {}, "boss")
    with store.transaction() as conn:
        conn.execute("UPDATE jobs SET created_at = '2024-05-01T16:30:00+00:00' WHERE id = ?", (job_id,))
    store.jobs.append_log(job_id, "一行日志")
    admin = logged_in(app, "boss")
    pages = {path: visible_text(admin.get(path).get_data(as_text=True)) for path in (
        f"/staff/policy/{policy_id}/history", "/staff/?state=reviewed", "/admin/users",
        "/admin/jobs", f"/admin/jobs/{job_id}", "/admin/sources", "/admin/", "/admin/audit")}
    for path, text in pages.items():
        assert not ISO_UTC.search(text), (path, ISO_UTC.search(text).group(0))
    for path in (f"/staff/policy/{policy_id}/history", "/staff/?state=reviewed", "/admin/users",
                 "/admin/jobs", f"/admin/jobs/{job_id}"):
        assert "2024-05-02 00:30" in pages[path], path
    assert "staffer 审核于" in pages["/staff/?state=reviewed"]
    log = admin.get(f"/admin/jobs/{job_id}.json").get_json()["log"]
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", line) for line in log)
