"""Sources on different hosts crawled at once; each host still polite: one request at a
time, its delay start to start, its robots.txt; sources sharing a host share that."""
from __future__ import annotations

import threading

import pytest

from policy_search.domain.store import Store

from crawler.fetch import Fetcher, FetchPolicy
from crawler.run import crawl_sources, host_lanes
from crawler.sources import parse_source
from tests.crawler.conftest import make_settings
from tests.crawler.hosts import MultiHostSite


@pytest.fixture(scope="module")
def hosts(shared_pages):
    gov_site = MultiHostSite(hosts=3).start()
    yield gov_site
    gov_site.stop()


def polite_gaps(gov_site, server, since: int) -> list[float]:
    """Start-to-start gaps between one host's requests; asserts none overlapped."""
    hits = sorted((h for h in gov_site.log[since:] if h.port == server.port), key=lambda h: h.start)
    for before, after in zip(hits, hits[1:]):
        assert after.start >= before.end, (before.path, after.path)
    return sorted(b.start - a.start for a, b in zip(hits, hits[1:]))


@pytest.mark.slow
def test_hosts_are_crawled_at_once_and_each_stays_polite(tmp_path, hosts):
    delay = 0.12
    settings = make_settings(tmp_path, hosts.sources_toml(), crawl_delay=delay, crawl_jitter=0.02,
                             crawl_parallel_hosts=3)
    store = Store(settings.db_path)
    # Each host's first list page is answered only when all three hosts asked theirs:
    # a crawl asking the hosts one after another would get 503s after the timeout.
    hosts.meet_at_first_lists(timeout=60)
    for server in hosts.hosts:
        server.hold, server.max_active = 0.01, 0
    mark = len(hosts.log)
    try:
        results = crawl_sources(store, settings)
    finally:
        hosts.rendezvous_paths = set()
        for server in hosts.hosts:
            server.hold = 0.0
    assert [r.status for r in results] == ["ok"] * 4, [r.summary() for r in results]
    assert not hosts.rendezvous.broken
    assert store.policies.count() == len(hosts.expected)
    for server in hosts.hosts:
        assert server.max_active == 1  # never two requests to one host at once
        gaps = polite_gaps(hosts, server, mark)
        # Slack below the delay is for thread scheduling on a busy machine only.
        assert gaps[0] >= delay - 0.03 and gaps[len(gaps) // 2] >= delay, (server.address, gaps)
        robots = [h for h in hosts.log[mark:] if h.port == server.port and h.path == "/robots.txt"]
        assert len(robots) == 1  # read once per host, though host 0 has two sources
        connections = {h.client_port for h in hosts.log[mark:] if h.port == server.port}
        assert len(connections) <= 2  # kept alive: robots and pages reuse the connection
    # Results come back in the order of the sources, each with its own figures.
    assert [r.source_id for r in results] == ["h0", "h1", "h2", "h0b"]
    assert results[3].new == 25 and sum(r.new for r in results) == len(hosts.expected)
    store.close()


def test_sources_sharing_a_host_share_one_lane():
    def source(source_id, *hosts):
        return parse_source({"id": source_id, "name": source_id, "region_code": "430121",
                             "allowed_hosts": list(hosts),
                             "entries": [{"kind": "links", "url": f"http://{hosts[0]}/"}]}, "test")

    sources = [source("a", "www.gov.cn"), source("b", "www.hunan.gov.cn"),
               source("c", "sousuo.www.gov.cn"), source("d", "www.csx.gov.cn"),
               source("e", "kjt.hunan.gov.cn", "www.csx.gov.cn")]
    lanes = [[s.id for s in lane] for lane in host_lanes(sources)]
    # c is a subdomain of a's host; e shares a host with d: lanes joined, order kept.
    assert sorted(lanes) == [["a", "c"], ["b"], ["d", "e"]]


def test_one_host_is_one_queue_whichever_source_or_port_asks(gov_site):
    """Two sources' fetchers in two threads on one host name (two ports of 127.0.0.1):
    their requests never overlap and keep the larger source delay start to start."""
    fetcher = Fetcher(FetchPolicy(user_agent="t", delay=0.02, jitter=0))
    first = fetcher.for_source(None, delay=0.1)
    second = fetcher.for_source(None, delay=0.1)
    for server in (gov_site.main, gov_site.robots404):
        server.hold, server.max_active = 0.01, 0
    mark = len(gov_site.log)

    def fetch(view, base):
        for _ in range(6):
            view.get(base + "/csx/zwgk/index.html")

    threads = [threading.Thread(target=fetch, args=(first, gov_site.main.base)),
               threading.Thread(target=fetch, args=(second, gov_site.robots404.base))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for server in (gov_site.main, gov_site.robots404):
            server.hold = 0.0
        fetcher.close()
    hits = sorted(gov_site.hits_since(mark, 12, lambda h: h.path != "/robots.txt"),
                  key=lambda h: h.start)
    assert len(hits) == 12 and {h.port for h in hits} == {gov_site.main.port, gov_site.robots404.port}
    for before, after in zip(hits, hits[1:]):
        assert after.start >= before.end
    gaps = sorted(b.start - a.start for a, b in zip(hits, hits[1:]))
    assert gaps[0] >= 0.07 and gaps[len(gaps) // 2] >= 0.1, gaps


@pytest.mark.slow
def test_a_stop_asked_by_the_caller_stops_every_lane(tmp_path, hosts):
    """A job's cancellation raises in its progress report: the crawl ends soon, the
    exception reaches the caller, and each source is left resumable."""
    settings = make_settings(tmp_path, hosts.sources_toml(), crawl_delay=0.02, crawl_jitter=0.0,
                             crawl_parallel_hosts=3)
    store = Store(settings.db_path)

    class Cancelled(BaseException):
        pass

    seen = []

    def progress(message):
        seen.append(message)
        if len(seen) == 8:
            raise Cancelled()

    with pytest.raises(Cancelled):
        crawl_sources(store, settings, progress=progress)
    assert store.policies.count() < len(hosts.expected)
    started = [s for s in ("h0", "h1", "h2") if store.sources.state(s)["state"].get("in_progress")]
    assert started  # an unfinished source is redone in full next time
    results = crawl_sources(store, settings)
    assert all(r.status == "ok" for r in results) and store.policies.count() == len(hosts.expected)
    store.close()
