"""The first run on the home page: the crawl's progress, every source's reason after a
failed first crawl with the offline path, the snapshot's date — escaped, and laid out
for a phone and a desktop (headless Chromium, JavaScript off)."""
from __future__ import annotations

import pytest

from policy_search import jobs
from policy_search.domain.models import Policy
from policy_search.settings import Settings
from policy_search.domain.store import Store, now
from tests.conftest import serve_in_thread

SOURCES = """
[[source]]
id = "prov"
name = "某省人民政府 文件库"
level = "provincial"
region_code = "430000"
allowed_hosts = ["www.example.gov.cn"]
[[source.entries]]
kind = "trs"
url = "http://www.example.gov.cn/index.html"

[[source]]
id = "county"
name = "某县人民政府"
level = "county"
region_code = "430121"
allowed_hosts = ["xian.example.gov.cn"]
[[source.entries]]
kind = "links"
url = "http://xian.example.gov.cn/zwgk/"
"""


@pytest.fixture
def home(tmp_path):
    """A site whose store the test sets up: (app, store)."""
    from index.build import rebuild
    from web import create_app

    sources = tmp_path / "sources.toml"
    sources.write_text(SOURCES, "utf-8")
    settings = Settings(data_dir=tmp_path / "data", secret_key="t", sources_file=sources)
    store = Store(settings.db_path)
    rebuild(store, settings.index_path, procs=1)
    app = create_app(settings, store=store, testing=True)
    yield app, store
    store.close()


def crawling(store) -> None:
    job_id = jobs.enqueue(store, "crawl", {"since": "2019-01-01", "first_run": True}, "首次运行")
    jobs.claim_next(store, ["crawl"])
    store.sources.save_state("prov", last_status="ok", last_run_at=now(),
                             state={"last_figures": {"new": 12}})
    store.sources.save_state("county", last_status="running")
    store.policies.upsert(Policy(id="c1", title="关于支持<em>小微企业</em>的若干措施", source_id="prov",
                                 issuer="某省人民政府", publish_date="2024-03-01"))
    assert job_id


def failed(store) -> None:
    job_id = jobs.enqueue(store, "crawl", {"since": "2019-01-01", "first_run": True}, "首次运行")
    jobs.claim_next(store, ["crawl"])
    jobs._finish(store, job_id, jobs.SUCCEEDED, result={"sources": [
        {"source_id": "prov", "name": "某省人民政府 文件库", "status": "failed",
         "error": "robots.txt 无法访问 (connection)，本次不抓取 http://www.example.gov.cn"},
        {"source_id": "county", "name": "某县人民政府", "status": "empty",
         "error": "列表页 <script>alert(1)</script> 没有发现任何条目"}]})
    snapshot = jobs.enqueue(store, "snapshot", {"path": "builtin"}, "首次运行")
    jobs.claim_next(store, ["snapshot"])
    jobs._finish(store, snapshot, jobs.SUCCEEDED, result={"date": "2026-11-29", "added": 1,
                                                          "description": "随程序提供的惠企政策"})
    store.policies.upsert(Policy(id="s1", title="快照里的一项惠企政策", source_id="snapshot"))


def test_the_home_page_follows_the_first_crawl(home):
    app, store = home
    crawling(store)
    page = app.test_client().get("/").get_data(as_text=True)
    assert "正在进行首次抓取" in page and "2019-01-01 以来发布的" in page
    assert '<span class="name">某省人民政府 文件库</span> <span class="state">完成：新增 12 条' in page
    assert '<span class="name">某县人民政府</span> <span class="state">正在抓取：已收录 0 条' in page
    assert "已收录 <strong>1</strong> 条政策" in page
    assert "关于支持&lt;em&gt;小微企业&lt;/em&gt;的若干措施" in page  # crawled text is escaped
    # Only the home page carries it: not a search, not page 2.
    assert "正在进行首次抓取" not in app.test_client().get("/?q=企业").get_data(as_text=True)


def test_the_home_page_says_why_nothing_was_crawled(home):
    app, store = home
    failed(store)
    page = app.test_client().get("/").get_data(as_text=True)
    assert "首次抓取没有成功" in page
    assert "某省人民政府 文件库</span> <span class=\"state\">失败：robots.txt 无法访问" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "policy-search import" in page and 'href="/admin/jobs"' in page
    assert "有 <strong>1</strong> 条来自离线快照（2026-11-29 制作：随程序提供的惠企政策）" in page
    policy = app.test_client().get("/policy/s1").get_data(as_text=True)
    assert "本条来自离线快照（2026-11-29 制作）" in policy


@pytest.mark.browser
@pytest.mark.parametrize("state", [crawling, failed], ids=["crawling", "failed"])
def test_the_first_run_panel_fits_a_phone_and_a_desktop(home, state, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    from tests.web.conftest import CHROMIUM_ARGS, DESKTOP, PHONE, chromium_path

    app, store = home
    state(store)
    shots = tmp_path_factory.mktemp("startup-screenshots")
    with serve_in_thread(app) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for viewport in (PHONE, DESKTOP):
            context = browser.new_context(java_script_enabled=False, viewport=viewport, locale="zh-CN")
            page = context.new_page()
            page.goto(url + "/")
            panel = page.locator("section.startup")
            assert panel.is_visible()
            box = panel.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            # The panel comes before the results, at the top of the page.
            assert box["y"] < 400
            page.screenshot(path=str(shots / f"{state.__name__}-{viewport['width']}.png"),
                            full_page=True)
            context.close()
        browser.close()
