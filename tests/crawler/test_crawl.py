"""Crawls of the loopback fixture site: completeness, dedup, change, resume."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from policy_search.domain.models import policy_id_for
from policy_search.domain.store import Store
from policy_search.domain.urls import canonical_url

from crawler.run import crawl_sources, explain_failures
from tests.crawler.site import HUNAN_POLICY, Page, hunan_page

ROOT = Path(__file__).resolve().parents[2]


def snapshot(store: Store) -> dict[str, str]:
    return store.policies.content_hashes()


def detail_hits(gov_site, since: int = 0):
    return [h for h in gov_site.log[since:] if h.method == "GET" and h.status == 200
            and ("/art/" in h.path or "content_" in h.path or "/t2024" in h.path)]


@pytest.mark.slow
def test_full_crawl_stores_every_reachable_policy_once(crawl_env, gov_site):
    settings, store = crawl_env
    results = crawl_sources(store, settings)
    by_id = {r.source_id: r for r in results}
    assert all(r.status == "ok" for r in results), [r.summary() for r in results]
    assert explain_failures(results) is None
    # 42 gov.cn + 2 new gov.cn + 25 Jiangxi + 3 Hunan + 1 Changsha own + 2 county.
    assert store.policies.count() == 75
    stored_urls = {p.url for p in store.policies.iter_all()}
    for url in gov_site.expected:
        assert canonical_url(url) in stored_urls
    # Every policy once: ids are unique per canonical URL and the repost was merged.
    assert by_id["changsha-zfwjk"].duplicates == 1
    title, doc_number, _ = HUNAN_POLICY
    provincial = store.policies.get(policy_id_for(
        canonical_url(gov_site.base + "/hunan/kjt/xxgk/tzgg/202403/t20240315_1001.html"), title))
    links = store.policies.links(provincial.id)
    assert {source for _, source in links} == {"hunan-wjk", "changsha-zfwjk"}
    # The gov.cn page listed both by the API and by the list is one policy, fetched once
    # per run: the second source revalidated it (304).
    first = store.policies.get(policy_id_for(canonical_url(
        gov_site.base + "/govcn/zhengce/content/2018-11/09/content_5338761.htm"), ""))
    assert first is not None and len(store.policies.links(first.id)) == 1
    # Metadata from the source definition; new policies await review.
    assert (provincial.level, provincial.region_code, provincial.region_name) == (
        "provincial", "430000", "湖南省")
    assert all(p.review_state == "new" for p in store.policies.iter_all())
    # Attachments: text extracted once each, scans flagged, cover note made searchable.
    names = {a.name: a for a in provincial.attachments}
    assert "rent relief" in names["若干措施.pdf"].text
    assert "受理地址" in names["申报指南.docx"].text
    assert "统一社会信用代码" in names["申报表.xlsx"].text
    assert names["扫描件.pdf"].no_text_layer and not names["扫描件.pdf"].text
    assert all(a.sha256 for a in provincial.attachments)
    assert "rent relief" in provincial.body_text
    # The interpretation is linked to the policy it explains.
    interpretation = store.policies.get(policy_id_for(canonical_url(
        gov_site.base + "/hunan/kjt/xxgk/jd/202403/t20240316_2001.html"), ""))
    assert interpretation.doc_kind == "政策解读"
    assert interpretation.interprets == provincial.id
    # GBK county pages, declared gb2312 or lying utf-8, decode without mojibake.
    county = [p for p in store.policies.iter_all() if p.source_id == "csx"]
    assert len(county) == 2 and all("王堃" in p.body_text and "镕" in p.title for p in county)
    # Source state kept for the admin page.
    state = store.sources.state("hunan-wjk")
    assert state["last_status"] == "ok" and state["runs"] == 1 and state["zero_runs"] == 0
    assert state["state"]["last_figures"]["new"] == 3 and not state["state"]["in_progress"]


@pytest.mark.slow
def test_second_crawl_fetches_only_changed_pages(crawl_env, gov_site):
    settings, store = crawl_env
    crawl_sources(store, settings, source_ids=["hunan-wjk", "govcn-lists"])
    title, doc_number, issuer = HUNAN_POLICY
    provincial_id = policy_id_for(canonical_url(
        gov_site.base + "/hunan/kjt/xxgk/tzgg/202403/t20240315_1001.html"), title)
    store.tags.set_staff(provincial_id, "support", "融资信贷", by="staff1")
    store.edits.set_review_state(provincial_id, "reviewed")
    before = snapshot(store)

    mark = len(gov_site.log)
    results = crawl_sources(store, settings, source_ids=["hunan-wjk", "govcn-lists"])
    assert [r.new + r.updated for r in results] == [0, 0]
    assert detail_hits(gov_site, mark) == []
    assert snapshot(store) == before
    assert store.sources.state("hunan-wjk")["zero_runs"] == 1

    # Change one document and publish a new one on the first list page.
    changed = "/hunan/kjt/xxgk/jd/202403/t20240316_2001.html"
    original = gov_site.pages[changed]
    new_path = "/hunan/kjt/xxgk/tzgg/202403/t20240325_1003.html"
    gov_site.pages[changed] = Page(hunan_page(
        "解读《湖南省支持中小微企业纾困发展若干措施》", "", "湖南省科学技术厅", "2024-03-16",
        "2024-03-16", "<p>一、出台背景</p><p>内容已更新：增加了申报流程说明。</p>"))
    gov_site.pages[new_path] = Page(hunan_page(
        "湖南省科学技术厅关于开展2024年高新技术企业认定工作的通知", "湘科发〔2024〕9号",
        "湖南省科学技术厅", "2024-03-25", "2024-03-25", "<p>各有关单位：</p><p>现开展认定工作。</p>"))
    first_list = gov_site.pages["/hunan/wjk/wjk_glrb.html"]
    body = first_list.body.replace(b'<ul class="list">', (
        f'<ul class="list"><li><a href="{gov_site.base}{new_path}">高企认定</a><span>2024-03-25</span></li>'
    ).encode())
    gov_site.pages["/hunan/wjk/wjk_glrb.html"] = Page(body)
    try:
        mark = len(gov_site.log)
        results = crawl_sources(store, settings, source_ids=["hunan-wjk"])
        fetched = {h.path for h in detail_hits(gov_site, mark)}
        assert fetched == {changed, new_path}
        assert (results[0].new, results[0].updated) == (1, 1)
        after = store.policies.get(provincial_id)
        assert after.review_state == "reviewed"
        assert [(t.value, t.origin) for t in after.tags] == [("融资信贷", "staff")]
        interpretation = store.policies.get(policy_id_for(canonical_url(gov_site.base + changed), ""))
        assert "申报流程说明" in interpretation.body_text
        assert interpretation.interprets == provincial_id  # kept though the page no longer links
        assert store.sources.state("hunan-wjk")["zero_runs"] == 0
    finally:
        gov_site.pages[changed] = original
        gov_site.pages["/hunan/wjk/wjk_glrb.html"] = first_list
        del gov_site.pages[new_path]


@pytest.mark.slow
def test_politeness_delay_and_robots(tmp_path, gov_site):
    from tests.crawler.conftest import make_settings
    from tests.crawler.site import sources_toml

    settings = make_settings(tmp_path, sources_toml(gov_site), crawl_delay=0.15, crawl_jitter=0.05)
    store = Store(settings.db_path)
    mark = len(gov_site.log)
    crawl_sources(store, settings, source_ids=["jiangxi"])
    hits = sorted(gov_site.log[mark:], key=lambda h: h.start)
    assert hits[0].path == "/robots.txt"
    # Start to start: the server logs both at the same point of its handler. Without the
    # delay the gaps would be milliseconds; the slack is for thread scheduling on a busy CI.
    gaps = sorted(b.start - a.start for a, b in zip(hits, hits[1:]))
    assert len(gaps) >= 25
    assert gaps[0] >= 0.13 and gaps[len(gaps) // 2] >= 0.15, gaps
    assert all("PolicySearchBot" in h.headers.get("User-Agent", "") and
               "https://example.org/bot" in h.headers["User-Agent"] for h in hits)
    store.close()


@pytest.mark.slow
def test_kill_mid_crawl_then_rerun_ends_in_the_same_store(tmp_path, gov_site):
    from tests.crawler.conftest import make_settings
    from tests.crawler.site import sources_toml

    reference_settings = make_settings(tmp_path / "ref", sources_toml(gov_site), crawl_delay=0.0,
                                       crawl_jitter=0.0)
    reference = Store(reference_settings.db_path)
    crawl_sources(reference, reference_settings, source_ids=["govcn-lists", "jiangxi"])
    expected = snapshot(reference)
    reference.close()

    settings = make_settings(tmp_path / "killed", sources_toml(gov_site), crawl_delay=0.02,
                             crawl_jitter=0.0)
    script = textwrap.dedent(f"""
        from policy_search.settings import load_settings
        from policy_search.domain.store import Store
        from crawler.run import crawl_sources
        settings = load_settings(environ={{}}, data_dir={str(settings.data_dir)!r},
            sources_file={str(settings.sources_file)!r}, crawl_delay=0.02, crawl_jitter=0.0,
            crawl_timeout=0.5, crawl_connect_timeout=0.5, crawl_retries=1)
        crawl_sources(Store(settings.db_path), settings, source_ids=["govcn-lists", "jiangxi"])
    """)
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    store = Store(settings.db_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if store.policies.count() >= 15:
                break
        except Exception:
            pass
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = store.policies.count()
    assert 15 <= partial < len(expected)
    assert store.sources.state("govcn-lists")["state"]["in_progress"]

    results = crawl_sources(store, settings, source_ids=["govcn-lists", "jiangxi"])
    assert all(r.status == "ok" for r in results), [r.summary() for r in results]
    assert snapshot(store) == expected
    assert not store.sources.state("govcn-lists")["state"]["in_progress"]
    store.close()


@pytest.mark.slow
def test_since_skips_older_items(crawl_env, gov_site):
    settings, store = crawl_env
    results = crawl_sources(store, settings, source_ids=["govcn-lists"], since="2019-01-01")
    dates = sorted(p.publish_date for p in store.policies.iter_all())
    assert dates and dates[0] >= "2019-01-01"
    assert results[0].new == len(dates) < 42


@pytest.mark.slow
def test_an_edit_of_the_source_during_its_crawl_is_kept(crawl_env, gov_site):
    """The admin pages keep an added source's definition in the same row as the crawl's
    progress: a crawl writing back its start-of-run copy would undo the edit."""
    from crawler.sources import DEFINITION_KEY

    settings, store = crawl_env
    edited = {"id": "govcn-lists", "name": "改过的名称"}
    admin = Store(settings.db_path)
    store.sources.save_state("govcn-lists", state={DEFINITION_KEY: {"id": "govcn-lists"}})

    def edit_once(message):
        if not admin.sources.state("govcn-lists")["state"].get(DEFINITION_KEY, {}).get("name"):
            admin.sources.save_state("govcn-lists", state={DEFINITION_KEY: edited})

    results = crawl_sources(store, settings, source_ids=["govcn-lists"], progress=edit_once)
    assert results[0].status == "ok" and results[0].new > 0
    state = admin.sources.state("govcn-lists")["state"]
    assert state[DEFINITION_KEY] == edited
    assert state["pages"] and state["last_figures"]["new"] == results[0].new  # the crawl's own
    admin.close()


@pytest.mark.slow
def test_a_source_added_on_the_admin_pages_never_reaches_internal_addresses(crawl_env, gov_site):
    """Its host was checked when it was saved; a name can later point inside, so the crawl
    checks again before every request (the shipped sources are trusted)."""
    from crawler.sources import DEFINITION_KEY

    settings, store = crawl_env
    store.sources.save_state("added", state={DEFINITION_KEY: {
        "id": "added", "name": "后台添加的来源", "region_code": "430100",
        "allowed_hosts": ["127.0.0.1"], "link_pattern": r"/govcn/zhengce/content/.*content_\d+\.htm",
        "entries": [{"kind": "trs", "url": f"{gov_site.base}/govcn/zhengce/gwywj/index.htm"}]}})
    before = len(gov_site.log)
    [result] = crawl_sources(store, settings, source_ids=["added"])
    assert result.status == "failed" and "内部或保留地址" in result.error
    assert len(gov_site.log) == before and store.policies.count() == 0
    # the same pages through a shipped source are crawled
    [shipped] = crawl_sources(store, settings, source_ids=["govcn-lists"])
    assert shipped.status == "ok" and shipped.new > 0
