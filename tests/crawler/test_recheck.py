"""Edited documents are noticed: re-crawls revalidate recent documents (conditional GET)
on a schedule, though no list page changed, and record the edit in the history."""
from __future__ import annotations

import json

import pytest

from policy_search.domain.models import policy_id_for
from policy_search.domain.store import Store
from policy_search.domain.urls import canonical_url

from crawler.run import crawl_sources
from tests.crawler.conftest import make_settings
from tests.crawler.site import Page, hunan_page, sources_toml

NOTICE = "/hunan/kjt/xxgk/tzgg/202403/t20240318_1002.html"


def detail_requests(gov_site, since: int) -> list:
    return [h for h in gov_site.log[since:] if "/hunan/kjt/" in h.path]


@pytest.mark.slow
def test_recent_documents_are_rechecked_and_an_edit_is_recorded(tmp_path, gov_site):
    # Fixture documents are from 2024: a window long enough to hold them, checked every run.
    settings = make_settings(tmp_path, sources_toml(gov_site), recheck_days=100_000,
                             recheck_every_days=0)
    store = Store(settings.db_path)
    [first] = crawl_sources(store, settings, source_ids=["hunan-wjk"])
    assert first.new == 3 and first.rechecked == 0  # just fetched: nothing to re-check
    policy_id = policy_id_for(canonical_url(gov_site.base + NOTICE), "")

    # The site edits a document in place: its list pages stay the same (304).
    original = gov_site.pages[NOTICE]
    gov_site.pages[NOTICE] = Page(hunan_page(
        "湖南省科学技术厅关于组织申报2024年度湖南省科技创新计划项目的通知", "湘科发〔2024〕5号",
        "湖南省科学技术厅", "2024-03-18", "2024-03-18",
        "<p>各有关单位：</p><p>现组织申报2024年度湖南省科技创新计划项目，申报截止日期延长至2024年5月31日。</p>"
        "<p>惠及对象：在湘注册的科技型中小企业和高新技术企业。</p><p>咨询电话：0731-88888888</p>"))
    try:
        mark = len(gov_site.log)
        [second] = crawl_sources(store, settings, source_ids=["hunan-wjk"])
        asked = detail_requests(gov_site, mark)
    finally:
        gov_site.pages[NOTICE] = original
    lists = [h for h in gov_site.log[mark:] if "/hunan/wjk/" in h.path]
    assert [h.status for h in lists] == [304]  # no list page led to the documents
    assert (second.rechecked, second.recheck_changed, second.updated) == (3, 1, 1)
    assert second.not_modified == 2
    # Every re-check was conditional; the server's validators came back as sent.
    for hit in asked:
        assert hit.headers.get("If-None-Match", "").startswith('"')
        assert hit.headers.get("If-Modified-Since") == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert sorted(h.status for h in asked) == [200, 304, 304]
    assert "延长至2024年5月31日" in store.policies.get(policy_id).body_text
    [entry] = [e for e in store.tags.audit_log(policy_id) if e["action"] == "update"]
    detail = json.loads(entry["detail"])
    assert entry["by_user"] == "crawler" and detail["noticed"] == "recheck"
    assert "body_text" in detail["fields"] and "title" not in detail["fields"]
    assert 0 < detail["similarity"] < 1
    assert "复查近期文件 3（已修改 1）" in second.summary()
    store.close()


@pytest.mark.slow
def test_rechecks_keep_to_their_window_and_schedule(tmp_path, gov_site):
    settings = make_settings(tmp_path, sources_toml(gov_site), recheck_days=100_000,
                             recheck_every_days=7)
    store = Store(settings.db_path)
    crawl_sources(store, settings, source_ids=["hunan-wjk"])
    mark = len(gov_site.log)
    [again] = crawl_sources(store, settings, source_ids=["hunan-wjk"])
    assert again.rechecked == 0 and detail_requests(gov_site, mark) == []  # checked today
    # A document whose last check is a week old is due again.
    state = store.sources.state("hunan-wjk")["state"]
    store.sources.save_state("hunan-wjk", state={"checked": {
        url: "2000-01-01" for url in state["checked"]}})
    [due] = crawl_sources(store, settings, source_ids=["hunan-wjk"])
    assert due.rechecked == 3 and due.not_modified == 3
    # Documents published before the window are left alone.
    store.sources.save_state("hunan-wjk", state={"checked": {}})
    narrow = make_settings(tmp_path / "narrow", sources_toml(gov_site), recheck_days=30)
    [old] = crawl_sources(store, narrow, source_ids=["hunan-wjk"])
    assert old.rechecked == 0
    store.close()


@pytest.mark.slow
def test_staff_history_shows_the_edit(tmp_path, gov_site):
    from policy_search.domain.accounts import create_user
    from tests.web.staff_site import NoIndex, logged_in
    from web import create_app

    settings = make_settings(tmp_path, sources_toml(gov_site), recheck_days=100_000,
                             recheck_every_days=0, secret_key="t", session_cookie_secure=0)
    store = Store(settings.db_path)
    crawl_sources(store, settings, source_ids=["hunan-wjk"])
    policy_id = policy_id_for(canonical_url(gov_site.base + NOTICE), "")
    original = gov_site.pages[NOTICE]
    gov_site.pages[NOTICE] = Page(original.body.replace("科技创新计划项目".encode(), "科技创新重点项目".encode()))
    try:
        crawl_sources(store, settings, source_ids=["hunan-wjk"])
    finally:
        gov_site.pages[NOTICE] = original
    create_user(store, "staffer", "staff-password-1", "staff")
    app = create_app(settings, store=store, index=NoIndex(), testing=True)
    page = logged_in(app, "staffer").get(f"/staff/policy/{policy_id}/history").get_data(as_text=True)
    assert "原文已修改" in page and "抓取程序" in page
    assert "变更：标题、正文" in page and "定期复查近期文件时发现" in page
    assert "原标题：湖南省科学技术厅关于组织申报2024年度湖南省科技创新计划项目的通知" in page
    store.close()
