"""`policy-search run` end to end: a real subprocess on loopback, crawling the fixture
site (or failing to reach anything), serving the site meanwhile."""
from __future__ import annotations

import json
import lzma
import signal
import threading
from importlib import resources
from urllib.parse import quote

import pytest

from policy_search.domain.store import Store
from tests.crawler.site import FixtureSite, Page, build_site, sources_toml
from tests.policy_search.cli.service import Service, processes_with, wait_for


class GatedPage:
    """A fixture page whose body is handed out only once the test opens the gate: the
    crawl is held on it, so the test sees the crawl in progress for as long as it needs."""

    def __init__(self, page: Page, gate: threading.Event):
        self.page, self.gate = page, gate
        self.status, self.content_type, self.headers = page.status, page.content_type, page.headers
        self.reached = threading.Event()

    @property
    def body(self) -> bytes:
        self.reached.set()
        self.gate.wait(120)
        return self.page.body


@pytest.fixture
def held_site(shared_pages):
    site = FixtureSite().start()
    build_site(site)
    gate = threading.Event()
    # The second list page of 中国政府网 国务院文件: the API source and the first list
    # page's ten documents are stored before the crawl reaches it.
    path = "/govcn/zhengce/gwywj/index_1.htm"
    site.pages[path] = GatedPage(site.pages[path], gate)
    yield site, site.pages[path], gate
    gate.set()
    site.stop()


@pytest.fixture(scope="module")
def shared_pages():
    from tests.crawler.site import PAGES

    assert PAGES.is_dir(), f"../shared/pages is missing: {PAGES}"
    return PAGES


def crawl_settings(tmp_path, sources_text: str, **extra) -> dict:
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_text, "utf-8")
    return {"sources_file": sources, "crawl_delay": 0.05, "crawl_jitter": 0,
            "crawl_timeout": 150, "crawl_connect_timeout": 5, "crawl_retries": 0,
            "worker_poll_interval": 0.2, "contact_url": "https://example.org/bot", **extra}


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_run_serves_while_the_first_crawl_fills_the_site(tmp_path, held_site, stop_signal):
    site, held, gate = held_site
    data = tmp_path / "data"
    service = Service(data, crawl_settings(tmp_path, sources_toml(site), starter_snapshot="off",
                                           crawl_since="2010-01-01"))
    try:
        # The empty index exists before the first request: the site answers at once.
        wait_for(service.healthy, 90, "/healthz 200", service)
        assert "首次抓取" in service.output_text()

        # The crawl is held on the second list page, after its first documents.
        wait_for(held.reached.is_set, 120, "the crawl to reach the held page", service)
        home = wait_for(lambda: (lambda page: page if "最新收录" in page else None)(service.page()),
                        60, "the newest arrivals on the home page", service)
        assert "正在进行首次抓取" in home
        assert "国务院政策文件库（检索接口）</span> <span class=\"state\">完成" in home
        assert "中国政府网 国务院文件</span> <span class=\"state\">正在抓取" in home
        assert "长沙县人民政府</span> <span class=\"state\">等待中" in home
        # …and what was stored is searchable while the crawl goes on: from the finished
        # source and from the first list page of the held one (the index follows the store
        # by its change log, so each may take a sync round to appear).
        for words, source in (("支付便利性", "a policy of the finished source"),
                              ("政府性融资担保基金", "a policy of the held source's first page")):
            found = wait_for(lambda: service.api("/api/search?q=" + quote(words))["total"],
                             60, f"{source} in search", service)
            assert found >= 1

        with Store(data / "policies.sqlite3") as store:
            crawl = next(j for j in store.conn.execute("SELECT * FROM jobs WHERE kind = 'crawl'"))
            assert crawl["state"] == "running" and crawl["created_by"] == "首次运行"

        # A stop while the crawl waits on the held page: both end, the job is requeued.
        service.process.send_signal(stop_signal)
        wait_for(lambda: service.said("收到信号 SIGTERM"), 30, "the job worker to get SIGTERM",
                 service)
        gate.set()
        assert service.process.wait(timeout=150) == 0, service.output_text()
    finally:
        gate.set()
        service.kill()
    with Store(data / "policies.sqlite3") as store:
        job = store.conn.execute("SELECT * FROM jobs WHERE id = ?", (crawl["id"],)).fetchone()
        assert job["state"] == "queued", service.output_text()
        assert "重新排队" in job["log"]
        assert store.conn.execute("SELECT count(*) FROM workers").fetchone()[0] == 0
    assert processes_with(f"run\0--port\0{service.port}") == []


@pytest.mark.slow
def test_offline_start_serves_the_snapshot_and_says_why_nothing_was_crawled(tmp_path):
    unreachable = """
[[source]]
id = "gov-a"
name = "某省人民政府 文件库"
level = "provincial"
region_code = "430000"
allowed_hosts = ["127.0.0.1"]
[[source.entries]]
kind = "trs"
url = "http://127.0.0.1:9/a/index.html"

[[source]]
id = "gov-b"
name = "某县人民政府 政务公开"
level = "county"
region_code = "430121"
allowed_hosts = ["127.0.0.1"]
[[source.entries]]
kind = "links"
url = "http://127.0.0.1:9/b/index.html"
"""
    data = tmp_path / "data"
    service = Service(data, crawl_settings(tmp_path, unreachable))
    manifest = json.loads(resources.files("policy_search").joinpath(
        "data/starter_snapshot.json").read_text("utf-8"))
    try:
        wait_for(service.healthy, 90, "/healthz 200", service)
        home = wait_for(lambda: (lambda page: page if "首次抓取没有成功" in page else None)(
            service.page()), 240, "the failure notice on the home page", service)
        # Each source with its reason, and the offline path.
        assert "某省人民政府 文件库" in home and "某县人民政府 政务公开" in home
        assert home.count("robots.txt 无法访问") == 2
        assert "policy-search import" in home and "/admin/jobs" in home
        # The snapshot is served meanwhile, named with its date.
        home = wait_for(lambda: (lambda page: page if f"未废止、未失效的 <strong>{manifest['documents']}</strong> 件"
                                 in page else None)(service.page()), 240,
                        "the snapshot in the index", service)
        assert f"有 <strong>{manifest['documents']}</strong> 条来自离线快照" in home
        assert manifest["date"] in home
        result = service.api("/api/search?q=" + quote("企业"))
        assert result["total"] > 0
        policy = service.page(f"/policy/{result['hits'][0]['id']}")
        assert "本条来自离线快照" in policy
    finally:
        assert service.stop() == 0, service.output_text()
    with Store(data / "policies.sqlite3") as store:
        assert store.policies.count_from_source("snapshot") == manifest["documents"]
        assert store.policies.count() == manifest["documents"]


def test_the_shipped_snapshot_is_small_and_complete():
    blob = resources.files("policy_search").joinpath("data/starter_snapshot.jsonl.xz").read_bytes()
    assert len(blob) <= 5_000_000
    lines = lzma.decompress(blob).decode("utf-8").splitlines()
    manifest = json.loads(resources.files("policy_search").joinpath(
        "data/starter_snapshot.json").read_text("utf-8"))
    assert len(lines) == manifest["documents"] > 100


@pytest.mark.slow
def test_no_child_outlives_a_killed_run(tmp_path):
    """SIGKILL leaves the parent no chance to stop its children: they go by themselves."""
    sources = tmp_path / "none.toml"
    sources.write_text("", "utf-8")
    service = Service(tmp_path / "data", {"sources_file": sources, "starter_snapshot": "off",
                                          "worker_poll_interval": 0.2}, workers=2)
    try:
        wait_for(service.healthy, 90, "/healthz 200", service)
        wait_for(lambda: len(processes_with(f"run\0--port\0{service.port}")) == 4, 30,
                 "two web workers and the job worker", service)
        service.process.kill()
        service.process.wait(timeout=30)
        wait_for(lambda: processes_with(f"run\0--port\0{service.port}") == [], 60,
                 "the children to go")
    finally:
        service.kill()
