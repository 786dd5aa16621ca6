"""Admin pages: users (last-admin rule), sources (SSRF-checked URLs), jobs, taxonomy,
and an audit entry for each admin action."""
from __future__ import annotations

import pytest

from policy_search import jobs
from policy_search.domain.review_queue import admin_actions
from policy_search.domain.url_safety import UnsafeURL, check_redirects, check_url
from tests.web.staff_site import logged_in, login, post_form

PUBLIC_IP = "93.184.216.34"  # what the fake resolver answers for any name


def actions(tagged_site) -> list[tuple[str, str, str]]:
    return [(a["action"], a["value"], a["by_user"]) for a in admin_actions(tagged_site.store)][::-1]


def flashes(client, path="/admin/users") -> str:
    return client.get(path).get_data(as_text=True)


def test_user_management_with_audit(app, tagged_site):
    admin = logged_in(app, "boss")
    response = post_form(admin, "/admin/users/add", {
        "username": "newbie", "role": "staff", "password": "long-password-1",
        "password2": "long-password-1"}, token_from="/admin/users")
    assert response.status_code == 303
    assert tagged_site.store.accounts.get("newbie").role == "staff"
    assert login(app.test_client(), "newbie", "long-password-1").status_code == 302
    post_form(admin, "/admin/users/newbie/role", {"role": "admin"}, "/admin/users")
    assert tagged_site.store.accounts.get("newbie").role == "admin"
    post_form(admin, "/admin/users/newbie/password",
              {"password": "another-pass-2", "password2": "another-pass-2"}, "/admin/users")
    assert login(app.test_client(), "newbie", "another-pass-2").status_code == 302
    post_form(admin, "/admin/users/newbie/active", {"active": "0"}, "/admin/users")
    assert not tagged_site.store.accounts.get("newbie").active
    post_form(admin, "/admin/users/newbie/active", {"active": "1"}, "/admin/users")
    assert tagged_site.store.accounts.get("newbie").active
    # invalid input changes nothing and says why
    post_form(admin, "/admin/users/add", {"username": "x", "role": "staff", "password": "short",
                                          "password2": "short"}, "/admin/users")
    assert tagged_site.store.accounts.get("x") is None
    assert "未添加" in flashes(admin)
    done = [a for a in actions(tagged_site) if a[1] == "user:newbie"]
    assert [a[0] for a in done if a[0] != "login"] == [
        "user_add", "user_role", "user_password", "user_disable", "user_enable"]
    assert {a[2] for a in done if a[0] != "login"} == {"boss"}


def test_last_admin_cannot_be_demoted_or_disabled(app, tagged_site):
    admin = logged_in(app, "boss")
    post_form(admin, "/admin/users/boss/role", {"role": "staff"}, "/admin/users")
    assert tagged_site.store.accounts.get("boss").role == "admin"
    assert "最后一个管理员" in flashes(admin)
    post_form(admin, "/admin/users/boss/active", {"active": "0"}, "/admin/users")
    assert tagged_site.store.accounts.get("boss").active
    assert "最后一个管理员" in flashes(admin)
    # with a second admin, the first may step down
    post_form(admin, "/admin/users/staffer/role", {"role": "admin"}, "/admin/users")
    post_form(admin, "/admin/users/boss/role", {"role": "staff"}, "/admin/users")
    assert tagged_site.store.accounts.get("boss").role == "staff"
    # boss is staff now: the admin pages close for this session at once
    assert admin.get("/admin/users").status_code == 403
    other = logged_in(app, "staffer")
    post_form(other, "/admin/users/staffer/active", {"active": "0"}, "/admin/users")
    assert tagged_site.store.accounts.get("staffer").active
    assert [a[0] for a in actions(tagged_site) if a[0].startswith("user_")] == ["user_role", "user_role"]


@pytest.fixture
def fake_net(app):
    """Name resolution and redirects without a network: every name is public unless
    listed, and /redirect-home answers 302 to the loopback address."""
    hops = []

    def resolve(host):
        return {"internal.example": ["10.0.0.8"]}.get(host, [PUBLIC_IP])

    def fetch(url):
        hops.append(url)
        if url.endswith("/redirect-home"):
            return 302, "http://127.0.0.1:8080/admin"
        if url.endswith("/redirect-chain"):
            return 301, "/column/index.html"
        return 200, None

    app.config.update(URL_RESOLVER=resolve, URL_FETCH=fetch)
    return hops


SOURCE = {"id": "demo-county", "name": "示范县人民政府", "family": "trs",
          "url": "http://www.demo.gov.cn/zwgk/index.html",
          "page_url": "http://www.demo.gov.cn/zwgk/index_{n}.html",
          "region_code": "430121", "level": "", "link_pattern": r"t\d+_\d+\.html"}


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/list.html", "http://[::1]/list.html", "http://169.254.169.254/latest/meta-data",
    "http://0x7f000001/list.html", "file:///etc/passwd", "http://2130706433/", "http://127.1/",
    "http://[::ffff:127.0.0.1]/", "http://localhost:8000/", "http://internal.example/list",
    "gopher://www.demo.gov.cn/", "http://user:pw@www.demo.gov.cn/",
    "http://www.demo.gov.cn/redirect-home",
])
def test_source_urls_refused(app, tagged_site, fake_net, url):
    admin = logged_in(app, "boss")
    response = post_form(admin, "/admin/sources/edit", {**SOURCE, "url": url, "page_url": ""},
                         "/admin/sources")
    assert response.status_code == 400, url
    assert "未保存" in response.get_data(as_text=True)
    assert tagged_site.store.sources.state("demo-county")["state"] == {}
    assert not [a for a in actions(tagged_site) if a[0].startswith("source_")]


@pytest.mark.parametrize("field", ["url", "page_url"])
@pytest.mark.parametrize("url, scheme", [("file:///etc/passwd", "file"), ("gopher://www.demo.gov.cn/", "gopher"),
                                         ("javascript:alert(1)", "javascript"), ("www.demo.gov.cn/x", "无协议")])
def test_source_url_scheme_named_alike_in_both_fields(app, tagged_site, fake_net, field, url, scheme):
    """A non-http address is refused for its scheme, in the same words in either field."""
    admin = logged_in(app, "boss")
    response = post_form(admin, "/admin/sources/edit", {**SOURCE, field: url}, "/admin/sources")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"只允许 http 或 https 网址（收到的是 {scheme}）" in page
    assert "allowed_hosts" not in page and "missing" not in page
    assert fake_net == []  # refused before anything was asked of the network


def test_source_added_enabled_disabled_and_edited(app, tagged_site, fake_net):
    admin = logged_in(app, "boss")
    response = post_form(admin, "/admin/sources/edit", {
        **SOURCE, "url": "http://www.demo.gov.cn/redirect-chain"}, "/admin/sources")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    # each hop was checked before it was requested
    assert fake_net[:2] == ["http://www.demo.gov.cn/redirect-chain",
                            "http://www.demo.gov.cn/column/index.html"]
    page = admin.get("/admin/sources").get_data(as_text=True)
    assert "示范县人民政府" in page and "demo-county" in page
    assert "示范县人民政府" in admin.get("/admin/jobs").get_data(as_text=True)
    post_form(admin, "/admin/sources/demo-county/enabled", {"enabled": "0"}, "/admin/sources")
    assert tagged_site.store.sources.state("demo-county")["enabled"] is False
    response = post_form(admin, "/admin/sources/edit?id=demo-county",
                         {**SOURCE, "name": "示范县政府（新）"}, "/admin/sources")
    assert response.status_code == 303
    definition = tagged_site.store.sources.state("demo-county")["state"]["definition"]
    assert definition["name"] == "示范县政府（新）" and definition["allowed_hosts"] == ["www.demo.gov.cn"]
    assert tagged_site.store.sources.state("demo-county")["enabled"] is False  # kept over the edit
    assert [a[0] for a in actions(tagged_site) if a[1] == "source:demo-county"] == [
        "source_add", "source_disable", "source_edit"]


def test_url_checker_unit():
    public = lambda host: [PUBLIC_IP]  # noqa: E731
    assert check_url("https://www.gov.cn/zhengce/", public) == "https://www.gov.cn/zhengce/"
    for url in ("http://[fe80::1]/", "http://0.0.0.0/", "http://100.64.0.1/", "http://224.0.0.1/",
                "http://0177.0.0.1/", "http://[::]/", "http://192.168.1.1/", "ftp://x.gov.cn/"):
        with pytest.raises(UnsafeURL):
            check_url(url, public)
    with pytest.raises(UnsafeURL):  # a name resolving to a private address (DNS)
        check_url("http://sneaky.example/", lambda host: [PUBLIC_IP, "127.0.0.1"])
    with pytest.raises(UnsafeURL, match="重定向"):
        check_redirects("http://a.example/", lambda url: (302, "http://[::1]/"), public)
    with pytest.raises(UnsafeURL, match="重定向超过"):
        check_redirects("http://a.example/", lambda url: (302, url + "x"), public)


def test_jobs_start_refuse_cancel_with_audit(app, tagged_site):
    admin = logged_in(app, "boss")
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert 'id="worker-notice" class="notice">' in page  # no worker running
    response = post_form(admin, "/admin/jobs/start", {"kind": "reindex"}, "/admin/jobs")
    assert response.status_code == 303
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert "没有运行中的工作进程" in admin.get(response.headers["Location"]).get_data(as_text=True)
    job = admin.get(f"/admin/jobs/{job_id}.json").get_json()
    assert (job["kind"], job["state"], job["created_by"]) == ("reindex", "queued", "boss")
    # a second reindex is refused with a clear message
    response = post_form(admin, "/admin/jobs/start", {"kind": "reindex"}, "/admin/jobs")
    assert "同一时间只能运行一个" in admin.get("/admin/jobs").get_data(as_text=True)
    assert len(jobs.list_jobs(tagged_site.store, kind="reindex")) == 1
    # an unknown source is refused; a known one is queued with its argument
    post_form(admin, "/admin/jobs/start", {"kind": "crawl", "source": "nope"}, "/admin/jobs")
    assert "未知的来源" in admin.get("/admin/jobs").get_data(as_text=True)
    response = post_form(admin, "/admin/jobs/start", {"kind": "crawl", "source": "govcn-api"},
                         "/admin/jobs")
    crawl_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert tagged_site.store.jobs.get(crawl_id).args == {"source": "govcn-api"}
    listing = admin.get("/admin/jobs.json").get_json()
    assert {j["id"] for j in listing["jobs"]} == {job_id, crawl_id}
    assert listing["worker_running"] is False
    post_form(admin, f"/admin/jobs/{job_id}/cancel", {}, "/admin/jobs")
    assert tagged_site.store.jobs.get(job_id).state == "cancelled"
    assert [a[0] for a in actions(tagged_site) if a[0].startswith("job_")] == [
        "job_start", "job_start", "job_cancel"]


def test_taxonomy_value_added_is_usable_for_tagging(app, tagged_site):
    admin = logged_in(app, "boss")
    response = post_form(admin, "/admin/taxonomy/add", {
        "facet": "support", "value": "首台套保险补偿", "synonyms": "首台套，首台（套）",
        "keywords": "首台套保险", "negative": ""}, "/admin/taxonomy")
    assert response.status_code == 303
    assert "首台套保险补偿" in admin.get("/admin/taxonomy").get_data(as_text=True)
    assert [a[0] for a in actions(tagged_site) if a[0] == "taxonomy_value"] == ["taxonomy_value"]
    staff = logged_in(app, "staffer")
    items = staff.get("/staff/taxonomy.json?q=首台").get_json()["items"]
    assert {"facet": "support", "facet_label": "支持方式", "value": "首台套保险补偿"} in items
    # a bad value is refused
    post_form(admin, "/admin/taxonomy/add", {"facet": "nope", "value": "x"}, "/admin/taxonomy")
    assert "未保存" in admin.get("/admin/taxonomy").get_data(as_text=True)
