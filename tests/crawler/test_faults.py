"""Every fault endpoint ends as a recorded error with a reason; nothing crashes the run."""
from __future__ import annotations

import pytest

from crawler.fetch import BlockedError, FetchError, Fetcher, FetchPolicy
from crawler.run import crawl_sources, explain_failures


@pytest.mark.slow
def test_fault_endpoints_are_recorded_errors(fault_env, gov_site):
    settings, store = fault_env
    mark = len(gov_site.log)
    results = {r.source_id: r for r in crawl_sources(store, settings)}

    faults = results["faults"]
    assert faults.status == "partial" and faults.new == 0
    reasons = {url.rsplit("/", 1)[-1]: reason for url, reason in faults.failures}
    assert "超时" in reasons["hang"] and "超时" in reasons["slow"]
    assert "HTTP 429" in reasons["429"] and "HTTP 503" in reasons["503"]
    assert "截断" in reasons["truncated"]
    assert "Content-Length" in reasons["huge"]
    assert "解压后" in reasons["gzip-bomb"]
    assert "允许范围以外" in reasons["redirect-away"]
    assert "robots.txt 不允许" in reasons["secret.html"]

    assert results["challenge"].status == "blocked" and "验证" in results["challenge"].error
    assert results["forbidden"].status == "blocked" and "403" in results["forbidden"].error
    assert results["robots503"].status == "failed" and "robots.txt 返回 503" in results["robots503"].error
    assert results["robots404"].status == "ok" and results["robots404"].new == 2
    assert results["jslist"].status == "empty" and "JavaScript" in results["jslist"].error
    assert results["unreachable"].status == "failed" and "无法访问" in results["unreachable"].error

    # Nothing asked of the other host or of the host whose robots.txt failed (but robots).
    assert gov_site.hits(port=gov_site.other.port) == []
    assert [h.path for h in gov_site.hits(port=gov_site.robots503.port)] == ["/robots.txt"]
    assert all(h.path != "/private/secret.html" for h in gov_site.log[mark:])
    # 429 was retried after the Retry-After pause.
    tries = sorted(h.start for h in gov_site.log[mark:] if h.path == "/faults/429")
    assert len(tries) == 2 and tries[1] - tries[0] >= 0.95

    # Recorded in the store for the admin page; a blocked source stays blocked.
    state = store.sources.state("challenge")
    assert state["blocked"] and state["last_status"] == "blocked"
    again = crawl_sources(store, settings, source_ids=["challenge"])[0]
    assert again.status == "blocked" and again.list_pages == 0
    faults_state = store.sources.state("faults")
    assert faults_state["state"]["error_rate"] == 1.0
    assert faults_state["state"]["retry"]  # failed pages are retried next run
    message = explain_failures(list(results.values()))
    assert "robots 503" in message and "policy-search import" in message


def test_fetcher_refuses_off_site_and_bad_scheme(gov_site):
    fetcher = Fetcher(FetchPolicy(user_agent="t", delay=0, jitter=0),
                      allowed=lambda url: "127.0.0.1" in url)
    for url, reason in ((f"http://localhost:{gov_site.main.port}/", "off_site"),
                        ("file:///etc/passwd", "bad_scheme")):
        try:
            fetcher.get(url)
        except FetchError as exc:
            assert exc.reason == reason
        else:
            raise AssertionError(url)
    try:
        fetcher.get(gov_site.base + "/faults/challenge")
    except BlockedError as exc:
        assert exc.reason == "challenge"
    fetcher.close()


def test_conditional_get_returns_304(gov_site):
    fetcher = Fetcher(FetchPolicy(user_agent="t", delay=0, jitter=0))
    first = fetcher.get(gov_site.base + "/csx/zwgk/index.html")
    assert first.status == 200 and first.etag
    second = fetcher.get(gov_site.base + "/csx/zwgk/index.html", etag=first.etag,
                         last_modified=first.last_modified)
    assert second.not_modified and second.content == b""
    fetcher.close()
