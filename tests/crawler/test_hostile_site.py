"""A hostile loopback site: a server that drips bytes, binary and empty 200 answers, a
page with thousands of attachments. Each is a recorded failure with a reason (or a
capped amount of work), never a hung crawl or a garbage policy."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crawler.fetch import FetchError, Fetcher, FetchPolicy
from crawler.run import MAX_FAILURES_KEPT, SourceResult, crawl_sources
from policy_search.domain.store import Store
from tests.crawler.conftest import make_settings
from tests.crawler.site import simple_pdf, trs_list

DETAIL = ("<html><head><meta charset='utf-8'><title>长沙县关于支持企业发展的若干措施</title></head>"
          "<body><div id='zoom'><p>为支持企业发展，制定以下措施。</p><p>长沙县人民政府</p>"
          "<p>2024年3月1日</p>{links}</div></body></html>")
PDF = simple_pdf("Support measures for enterprises in the county")


class HostileServer:
    def __init__(self, attachments: int = 40):
        self.attachments = attachments
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.requests: list[str] = []
        self.drip_sent: list[int] = []  # bytes each drip answer got out before the client left
        handler = type("Handler", (HostileHandler,), {"site": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    def hits(self, path: str) -> int:
        with self.lock:
            return sum(1 for p in self.requests if p == path)

    def start(self) -> HostileServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class HostileHandler(BaseHTTPRequestHandler):
    gov_site: HostileServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        gov_site = self.site
        with gov_site.lock:
            gov_site.requests.append(self.path)
        base = gov_site.base
        path = self.path
        try:
            if path == "/robots.txt":
                self.send(200, b"User-agent: *\nAllow: /\n", "text/plain")
            elif path == "/list.html":
                items = [(f"{base}/doc/t20240301_{n}.html", name, "2024-03-01")
                         for n, name in enumerate(["drip", "drip-headers", "binary", "binary-html",
                                                   "empty", "blank", "ok"])]
                self.send(200, trs_list(items, 1, 0))
            elif path == "/many/list.html":
                items = [(f"{base}/doc/t20240302_{n}.html", f"附件很多的页面{n}", "2024-03-02")
                         for n in range(2)]
                self.send(200, trs_list(items, 1, 0))
            elif path.startswith("/doc/t20240302_"):
                page = path.rsplit("_", 1)[1].split(".")[0]
                links = "".join(f'<p><a href="/files/{page}-{i}.pdf">附件{i}</a></p>'
                                for i in range(gov_site.attachments))
                self.send(200, DETAIL.replace("若干措施", f"若干措施（{page}）")
                          .format(links=links).encode())
            elif path.startswith("/files/"):
                self.send(200, PDF, "application/pdf")
            elif path.endswith("_0.html"):
                self.drip_body()
            elif path.endswith("_1.html"):
                self.drip_headers()
            elif path.endswith("_2.html"):
                self.send(200, bytes(range(256)) * 200, "application/octet-stream")
            elif path.endswith("_3.html"):
                self.send(200, bytes((n * 7919) % 256 for n in range(60_000)))
            elif path.endswith("_4.html"):
                self.send(200, b"")
            elif path.endswith("_5.html"):
                self.send(200, b" \r\n\t \n")
            elif path.endswith("_6.html"):
                self.send(200, DETAIL.format(links="").encode())
            else:
                self.send(404, b"<html><body>404</body></html>")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def drip_body(self) -> None:
        """Headers at once, then one byte at a time: far slower than any deadline."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.flush()
        sent = 0
        try:
            while sent < 100_000 and not self.site.stopping.is_set():
                self.wfile.write(b"<")
                self.wfile.flush()
                sent += 1
                time.sleep(0.02)
        finally:
            with self.site.lock:
                self.site.drip_sent.append(sent)

    def drip_headers(self) -> None:
        """Even the status line and headers come a byte at a time."""
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + b"X-Pad: " + b"a" * 50_000
        for byte in head:
            if self.site.stopping.is_set():
                return
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(0.02)


@pytest.fixture(scope="module")
def hostile():
    server = HostileServer().start()
    yield server
    server.stop()


def hostile_sources(base: str) -> str:
    return f"""
[[source]]
id = "hostile"
name = "恶意站点"
level = "county"
region_code = "430121"
allowed_hosts = ["127.0.0.1"]
link_pattern = '/doc/'
[[source.entries]]
kind = "links"
url = "{base}/list.html"

[[source]]
id = "many"
name = "附件很多的站点"
level = "county"
region_code = "430121"
allowed_hosts = ["127.0.0.1"]
link_pattern = '/doc/'
enabled = false
[[source.entries]]
kind = "links"
url = "{base}/many/list.html"
"""


@pytest.mark.slow
def test_dripping_server_is_cut_at_the_deadline_and_not_retried(hostile):
    fetcher = Fetcher(FetchPolicy(user_agent="t", delay=0, jitter=0, connect_timeout=0.5,
                                  read_timeout=0.5, retries=2))
    for path in ("/doc/t20240301_0.html", "/doc/t20240301_1.html"):
        with pytest.raises(FetchError) as caught:
            fetcher.get(hostile.base + path)
        assert caught.value.reason == "too_slow", path
        assert "超过总时限" in caught.value.detail
        assert hostile.hits(path) == 1, path  # no retry of a server this slow
    fetcher.close()
    # the body drip was cut long before it could finish (it would take 2,000 s)
    deadline = time.monotonic() + 30
    while not hostile.drip_sent and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hostile.drip_sent and hostile.drip_sent[0] < 100_000


@pytest.mark.slow
def test_binary_and_empty_answers_are_failures_with_reasons(tmp_path, hostile):
    settings = make_settings(tmp_path, hostile_sources(hostile.base), crawl_retries=0)
    store = Store(settings.db_path)
    [result] = crawl_sources(store, settings, source_ids=["hostile"])
    reasons = {url.rsplit("_", 1)[1].split(".")[0]: reason for url, reason in result.failures}
    assert "不是网页（Content-Type: application/octet-stream）" in reasons["2"]
    assert "不是文本" in reasons["3"]
    assert "页面内容为空" in reasons["4"] and "页面内容为空" in reasons["5"]
    assert "超过总时限" in reasons["0"] and "超过总时限" in reasons["1"]
    assert result.new == 1 and result.failed == 6 and result.status == "partial"
    [policy] = list(store.policies.iter_all())
    assert policy.title == "长沙县关于支持企业发展的若干措施"
    # every recorded failure is in the summary
    summary = result.summary()
    assert summary.count("失败: ") == 6
    store.close()


@pytest.mark.slow
def test_attachments_capped_per_page_and_per_run(tmp_path, hostile):
    settings = make_settings(tmp_path, hostile_sources(hostile.base), crawl_attachments_per_page=5,
                             crawl_attachments_per_run=8)
    store = Store(settings.db_path)
    [result] = crawl_sources(store, settings, source_ids=["many"])
    assert result.new == 2 and result.attachments == 8
    assert result.attachments_skipped == 2 * hostile.attachments - 8
    with hostile.lock:
        fetched = [p for p in hostile.requests if p.startswith("/files/")]
    assert len(fetched) == 8
    policies = {p.title: p for p in store.policies.iter_all()}
    first = policies["长沙县关于支持企业发展的若干措施（0）"]
    assert len(first.attachments) == hostile.attachments  # all listed
    assert sum(1 for a in first.attachments if a.sha256) == 5
    skipped = [a for a in first.attachments if a.text_error.startswith("skipped:")]
    assert len(skipped) == hostile.attachments - 5 and "每页 5 个" in skipped[0].text_error
    second = policies["长沙县关于支持企业发展的若干措施（1）"]
    assert "每个来源每次 8 个" in [a for a in second.attachments if not a.sha256][0].text_error
    assert "附件未下载" in result.summary()
    # the next crawl fetches the page again (no 304) and takes the next attachments
    [again] = crawl_sources(store, settings, source_ids=["many"])
    assert again.attachments == 8 and again.not_modified == 0
    store.close()


def test_summary_lists_every_recorded_failure():
    result = SourceResult("s", "来源")
    for n in range(10):
        result.fail(f"http://x/{n}", f"原因{n}")
    summary = result.summary()
    assert all(f"原因{n}" in summary for n in range(10))
    for n in range(10, MAX_FAILURES_KEPT + 7):
        result.fail(f"http://x/{n}", f"原因{n}")
    summary = result.summary()
    assert summary.count("失败: ") == MAX_FAILURES_KEPT
    assert "另有 7 个失败未逐条记录" in summary
