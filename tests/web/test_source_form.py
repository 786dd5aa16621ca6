"""The source form: the region chosen from a list (a name or a path, not a GB/T 2260 code
to look up), and 试用 — the link pattern tried against the list page before saving, with
the items it would find (the `sources check` machinery), nothing kept."""
from __future__ import annotations

import pytest

from policy_search.domain.review_queue import admin_actions
from tests.web.staff_site import logged_in, post_form

PUBLIC_IP = "93.184.216.34"
SOURCE = {"id": "demo-county", "name": "示范县人民政府", "family": "trs",
          "url": "http://www.demo.gov.cn/zwgk/index.html", "page_url": "",
          "region": "湖南省 长沙市 长沙县", "level": "", "link_pattern": r"t\d+_\d+\.html"}


@pytest.fixture
def offline_app(app):
    app.config.update(URL_RESOLVER=lambda host: [PUBLIC_IP], URL_FETCH=lambda url: (200, None))
    return app


def saved_region(tagged_site):
    return tagged_site.store.sources.state("demo-county")["state"]["definition"]["region_code"]


@pytest.mark.parametrize("region, code", [("湖南省 长沙市 长沙县", "430121"), ("长沙县", "430121"),
                                          ("北京市 朝阳区", "110105"), ("430100", "430100")])
def test_the_region_is_chosen_by_name_or_path(offline_app, tagged_site, region, code):
    admin = logged_in(offline_app, "boss")
    response = post_form(admin, "/admin/sources/edit", {**SOURCE, "region": region}, "/admin/sources")
    assert response.status_code == 303, response.get_data(as_text=True)[-3000:]
    assert saved_region(tagged_site) == code
    # editing shows the path again, not the code
    form = admin.get("/admin/sources/edit?id=demo-county").get_data(as_text=True)
    from policy_search.domain.regions import region_path
    assert f'name="region" id="region" value="{region_path(code)}"' in form


def test_an_ambiguous_or_unknown_region_is_refused_with_the_choices(offline_app, tagged_site):
    admin = logged_in(offline_app, "boss")
    response = post_form(admin, "/admin/sources/edit", {**SOURCE, "region": "朝阳区"}, "/admin/sources")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "同名地区" in page and "北京市 朝阳区" in page and "吉林省 长春市 朝阳区" in page
    response = post_form(admin, "/admin/sources/edit", {**SOURCE, "region": "不存在县"}, "/admin/sources")
    assert response.status_code == 400 and "未知的地区：不存在县" in response.get_data(as_text=True)
    assert tagged_site.store.sources.state("demo-county")["state"] == {}
    # the form offers a list (the deployment's regions; all of China as one types)
    form = admin.get("/admin/sources/edit").get_data(as_text=True)
    assert '<datalist id="region-list">' in form and '<option value="湖南省 长沙市 长沙县">' in form
    found = admin.get("/admin/regions.json?q=朝阳").get_json()["items"]
    assert {"code": "110105", "name": "朝阳区", "path": "北京市 朝阳区"} in found
    assert all(i["code"].startswith("4301") for i in admin.get("/admin/regions.json?q=4301").get_json()["items"])


@pytest.fixture
def trial_app(app, tagged_site, gov_site, monkeypatch):
    import crawler.definitions

    app.config["LOOPBACK_SOURCES_FOR_TESTS"] = True  # the fixture site is on 127.0.0.1
    tagged_site.settings.crawl_delay, tagged_site.settings.crawl_jitter = 0.0, 0.0
    monkeypatch.setattr(crawler.definitions, "FORM_SOURCE_DELAY", 0.0)
    return app


def trial(admin, gov_site, pattern: str):
    return post_form(admin, "/admin/sources/edit", {
        **SOURCE, "op": "try", "url": f"{gov_site.base}/govcn/zhengce/gwywj/index.htm",
        "page_url": f"{gov_site.base}/govcn/zhengce/gwywj/index_{{n}}.htm",
        "region": "全国", "link_pattern": pattern}, "/admin/sources")


def test_trying_a_link_pattern_shows_the_items_it_finds_and_saves_nothing(trial_app, tagged_site, gov_site):
    admin = logged_in(trial_app, "boss")
    response = trial(admin, gov_site, r"/govcn/zhengce/content/.*content_\d+\.htm")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "试用结果" in page and '<span class="badge ok">正常</span>' in page
    count = int(page.split('<strong class="trial-count">')[1].split("<")[0])
    assert count >= 1
    assert page.count('trial-url">') == min(count, 20)
    assert "content_" in page.split('class="trial-items"')[1].split("</ol>")[0]
    assert "✓标题" in page
    assert tagged_site.store.sources.state("demo-county")["state"] == {}  # nothing saved
    assert [a["action"] for a in admin_actions(tagged_site.store)].count("source_try") == 1
    # the form keeps what was typed, to save it next
    assert r'value="/govcn/zhengce/content/.*content_\d+\.htm"' in page


def test_a_pattern_that_matches_nothing_says_so_and_shows_what_it_left_out(trial_app, tagged_site, gov_site):
    admin = logged_in(trial_app, "boss")
    page = trial(admin, gov_site, r"/nothing/like/this_\d+\.htm").get_data(as_text=True)
    assert '<strong class="trial-count">0</strong>' in page
    assert "列表页没有发现任何条目" in page and '<span class="badge bad">有问题</span>' in page
    assert "个链接不符合条目链接规则" in page and "content_" in page.split('class="trial-unmatched"')[1]
    # a bad regular expression is refused before anything is fetched
    response = trial(admin, gov_site, r"t(\d+")
    assert response.status_code == 400 and "未试用" in response.get_data(as_text=True)
