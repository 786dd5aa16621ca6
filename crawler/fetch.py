"""Polite, robust HTTP: the one module of the crawler that touches the network.

robots.txt is obeyed (an unreachable or failing robots.txt closes the host for the
run); one connection and a minimum delay with jitter per host; connect and read
timeouts and an overall deadline; retries with backoff on 429/5xx and network errors,
honouring Retry-After; a whole-exchange deadline enforced by a watchdog that cuts the
connection (a server dripping a byte a second never trips a per-read timeout); a size
cap enforced while streaming, after decompression;
redirects followed by hand so every hop is checked against the allowed hosts and
robots; conditional GET; an honest User-Agent. A challenge page or a 403 wall is a
block to report, never something to retry around.
"""
from __future__ import annotations

import email.utils
import random
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from protego import Protego
from requests.adapters import HTTPAdapter

from policy_search.domain.url_safety import UnsafeURL, scheme_problem

from crawler.encoding import decode_bytes

MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 300.0  # seconds; a server asking for longer is treated as down
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
BLOCK_STATUSES = frozenset({403, 412})
# Words of WAF / CAPTCHA interstitials (Chinese government firewalls and common CDNs).
CHALLENGE_MARKERS = re.compile(
    r"验证码|人机验证|安全验证|滑动验证|访问验证|请完成验证|访问过于频繁|访问受限|"
    r"captcha|are you a robot|just a moment|cf-challenge|challenge-platform|"
    r"_waf_|waf\.|please enable javascript|请开启\s*javascript",
    re.I,
)
CHALLENGE_MAX_BYTES = 30_000


class FetchError(Exception):
    """A request that ended without usable content; `reason` is a short code."""

    def __init__(self, url: str, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail or url}")
        self.url = url
        self.reason = reason
        self.detail = detail or url


class BlockedError(FetchError):
    """The site answered with a challenge, CAPTCHA or 403 wall: the source is blocked."""


class HostClosed(FetchError):
    """robots.txt failed or forbids this URL: the host (or URL) is not crawled this run."""


@dataclass
class Response:
    url: str
    status: int
    headers: dict[str, str]
    content: bytes = b""
    elapsed: float = 0.0
    redirects: list[str] = field(default_factory=list)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def text(self) -> str:
        return decode_bytes(self.content, self.content_type)[0]


@dataclass
class FetchPolicy:
    """The politeness and robustness knobs of one fetcher (from Settings)."""

    user_agent: str
    delay: float = 1.5
    jitter: float = 0.5
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    retries: int = 3
    max_bytes: int = 20_000_000
    max_retry_after: float = MAX_RETRY_AFTER

    @classmethod
    def from_settings(cls, settings) -> FetchPolicy:
        return cls(
            user_agent=settings.user_agent.format(contact_url=settings.contact_url),
            delay=settings.crawl_delay, jitter=settings.crawl_jitter,
            connect_timeout=settings.crawl_connect_timeout, read_timeout=settings.crawl_timeout,
            retries=settings.crawl_retries, max_bytes=settings.crawl_max_bytes,
        )


# --- the whole-exchange deadline ------------------------------------------------------

_sending = threading.local()  # the Deadline of the request this thread is making


class Deadline:
    """Cuts the connection of the request made inside it when the whole exchange (connect,
    headers, body) runs past `seconds`. The read timeout holds per read only, and the size
    is checked per chunk: a server sending one byte a second would trip neither."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.connection = None  # set by the connection the request goes out on
        self.expired = threading.Event()
        self.timer = threading.Timer(seconds, self.cut)
        self.timer.daemon = True

    def __enter__(self) -> Deadline:
        _sending.deadline = self
        self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.timer.cancel()
        _sending.deadline = None

    def cut(self) -> None:
        self.expired.set()
        sock = getattr(self.connection, "sock", None)
        if sock is not None:
            try:
                # The plain socket's shutdown, also under TLS: it wakes the reading thread
                # with an end of stream without touching the TLS object that thread uses.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass


class _Watched:
    """Mixed into urllib3's connections: tell the current Deadline which connection its
    request went out on."""

    def request(self, *args, **kwargs):
        deadline = getattr(_sending, "deadline", None)
        if deadline is not None:
            deadline.connection = self
        return super().request(*args, **kwargs)


class _WatchedHTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter whose connections a Deadline can cut."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


class HostGate:
    """Politeness shared by every fetcher of one crawl: a lock, a next-request time, a
    delay and the robots.txt rules per host, whichever source (thread) asks.

    A host is the host name without the port: two ports of one name are one machine to
    be polite to. robots.txt stays per origin (scheme, host and port), as RFC 9309 says.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.host_locks: dict[str, threading.Lock] = {}
        self.next_time: dict[str, float] = {}
        self.host_delay: dict[str, float] = {}
        self.robots: dict[str, Protego | FetchError | None] = {}

    def host_lock(self, key: str) -> threading.Lock:
        with self.lock:
            return self.host_locks.setdefault(key, threading.Lock())


def host_key(url: str) -> str:
    """The politeness key of a URL: its host name, lower case, without the port."""
    return (urlsplit(url).hostname or "").lower()


class Fetcher:
    """HTTP for one crawl run. Thread-safe: requests to one host are serialized (one
    connection, the delay kept start to start) across every fetcher made by `for_source`."""

    def __init__(self, policy: FetchPolicy, allowed: Callable[[str], bool] | None = None,
                 sleep: Callable[[float], None] = time.sleep, *, gate: HostGate | None = None,
                 session: requests.Session | None = None):
        self.policy = policy
        self.allowed = allowed
        # Raises UnsafeURL for a URL whose host resolves to a private or reserved address
        # (set while an admin-added source is crawled; None: hosts are trusted).
        self.check_address: Callable[[str], object] | None = None
        # A source's own minimum delay, for every host it asks (subdomains included).
        self.source_delay = 0.0
        self.sleep = sleep
        self.gate = gate or HostGate()
        self._owns_session = session is None
        self.session = session or self._new_session(policy)

    @staticmethod
    def _new_session(policy: FetchPolicy) -> requests.Session:
        session = requests.Session()
        # One pooled connection per host: with the host lock, never two at once.
        adapter = DeadlineAdapter(pool_connections=16, pool_maxsize=1, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers.update({
            "User-Agent": policy.user_agent,
            "Accept": "text/html,application/xhtml+xml,application/json,*/*;q=0.8",
            "Accept-Language": "zh-CN,zh;q=0.9",
            "Accept-Encoding": "gzip, deflate",
        })
        return session

    def for_source(self, allowed: Callable[[str], bool] | None, *, delay: float = 0.0,
                   check_address: Callable[[str], object] | None = None) -> Fetcher:
        """A fetcher for one source's run: its own allowed hosts, address check and delay,
        sharing this one's connections and per-host politeness with every other source."""
        view = Fetcher(self.policy, allowed, self.sleep, gate=self.gate, session=self.session)
        view.check_address = check_address
        view.source_delay = delay
        return view

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def set_host_delay(self, host: str, delay: float) -> None:
        """A minimum delay for a host (the larger of it and the global one)."""
        with self.gate.lock:
            key = host.lower()
            self.gate.host_delay[key] = max(self.gate.host_delay.get(key, 0.0), delay)

    # --- public ------------------------------------------------------------

    def get(self, url: str, *, headers: dict[str, str] | None = None, etag: str | None = None,
            last_modified: str | None = None, data: dict | None = None,
            max_bytes: int | None = None) -> Response:
        """GET (or POST when `data` is given) with every rule applied; raises FetchError."""
        self.check_allowed(url, url)
        self.check_robots(url)
        extra = dict(headers or {})
        if etag:
            extra["If-None-Match"] = etag
        if last_modified:
            extra["If-Modified-Since"] = last_modified
        redirects: list[str] = []
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            response = self._request_with_retries(current, extra, data, max_bytes)
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise FetchError(current, "bad_redirect", f"{current} 重定向没有 Location")
                target = urljoin(current, location)
                self.check_allowed(target, url)
                self.check_robots(target)
                redirects.append(current)
                current = target
                if response.status == 303:
                    data = None
                continue
            response.redirects = redirects
            self.raise_for_block(response)
            if response.status >= 400:
                raise FetchError(current, f"http_{response.status}", f"HTTP {response.status}: {current}")
            return response
        raise FetchError(url, "too_many_redirects", f"超过 {MAX_REDIRECTS} 次重定向: {url}")

    def check_allowed(self, url: str, origin: str) -> None:
        problem = scheme_problem(url)
        if problem:
            raise FetchError(url, "bad_scheme", f"{problem}: {url}")
        if self.allowed is not None and not self.allowed(url):
            raise FetchError(url, "off_site", f"{origin} 指向允许范围以外的主机: {url}")
        if self.check_address is not None:
            try:
                self.check_address(url)
            except UnsafeURL as exc:
                raise FetchError(url, "unsafe_host", f"{exc}: {url}") from None

    # --- robots ------------------------------------------------------------

    def check_robots(self, url: str) -> None:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        gate = self.gate
        # One reader per origin: two sources starting on one host fetch robots.txt once.
        with gate.host_lock("robots " + key):
            with gate.lock:
                known = key in gate.robots
            if not known:
                rules = self._load_robots(key)
                with gate.lock:
                    gate.robots[key] = rules
        rules = gate.robots[key]
        if isinstance(rules, FetchError):
            raise HostClosed(url, rules.reason, rules.detail)
        if rules is not None and not rules.can_fetch(url, self.policy.user_agent):
            raise HostClosed(url, "robots_disallow", f"robots.txt 不允许抓取: {url}")

    def _load_robots(self, origin: str) -> Protego | FetchError | None:
        robots_url = origin + "/robots.txt"
        try:
            response = self._request_once(robots_url, {}, None, 500_000)
        except FetchError as exc:
            return FetchError(robots_url, "robots_unreachable",
                              f"robots.txt 无法访问 ({exc.reason})，本次不抓取 {origin}")
        if response.status >= 500 or response.status == 429:
            return FetchError(robots_url, "robots_unavailable",
                              f"robots.txt 返回 {response.status}，本次不抓取 {origin}")
        if response.status != 200:
            return None  # 3xx/4xx: no rules (RFC 9309)
        rules = Protego.parse(response.text())
        crawl_delay = rules.crawl_delay(self.policy.user_agent)
        if crawl_delay:
            self.set_host_delay(host_key(origin), min(float(crawl_delay), 60.0))
        return rules

    # --- requests ----------------------------------------------------------

    def _request_with_retries(self, url: str, headers: dict, data: dict | None,
                              max_bytes: int | None) -> Response:
        last_error: FetchError | None = None
        for attempt in range(self.policy.retries + 1):
            try:
                response = self._request_once(url, headers, data, max_bytes)
            except FetchError as exc:
                if exc.reason not in ("timeout", "connection", "truncated"):
                    raise
                last_error = exc
                wait = self._backoff(attempt)
            else:
                if response.status not in RETRY_STATUSES:
                    return response
                last_error = FetchError(url, f"http_{response.status}",
                                        f"HTTP {response.status} ({attempt + 1} 次尝试): {url}")
                wait = self._retry_after(response) if response.status in (429, 503) else None
                if wait is None:
                    wait = self._backoff(attempt)
                elif wait > self.policy.max_retry_after:
                    raise FetchError(url, "retry_after_too_long",
                                     f"服务器要求 {wait:.0f} 秒后再试: {url}")
            if attempt < self.policy.retries:
                self.sleep(wait)
        assert last_error is not None
        raise last_error

    def _backoff(self, attempt: int) -> float:
        base = max(self.policy.delay, 0.05)
        return min(base * (2 ** attempt) + random.uniform(0, self.policy.jitter), 60.0)

    @staticmethod
    def _retry_after(response: Response) -> float | None:
        value = response.headers.get("retry-after")
        if not value:
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())

    def _wait_turn(self, host: str) -> None:
        wait = self.gate.next_time.get(host, 0.0) - time.monotonic()
        if wait > 0:
            self.sleep(wait)

    def _schedule_next(self, host: str) -> None:
        delay = max(self.policy.delay, self.gate.host_delay.get(host, 0.0), self.source_delay)
        jitter = random.uniform(0, self.policy.jitter) if self.policy.jitter > 0 else 0.0
        self.gate.next_time[host] = time.monotonic() + delay + jitter

    def _request_once(self, url: str, headers: dict, data: dict | None,
                      max_bytes: int | None) -> Response:
        host = host_key(url)
        cap = max_bytes or self.policy.max_bytes
        with self.gate.host_lock(host):
            self._wait_turn(host)
            started = time.monotonic()
            try:
                return self._stream(url, headers, data, cap, started)
            finally:
                self._schedule_next(host)

    def _stream(self, url: str, headers: dict, data: dict | None, cap: int,
                started: float) -> Response:
        limit = max(self.policy.read_timeout * 3, self.policy.connect_timeout)
        deadline = started + limit
        too_slow = FetchError(url, "too_slow", f"下载超时：超过总时限 {limit:g} 秒（服务器发送过慢）: {url}")
        with Deadline(limit) as watchdog:
            try:
                response = self._exchange(url, headers, data, cap, started, deadline)
            except FetchError:
                if watchdog.expired.is_set():
                    # Not retried: a server this slow is as slow the next time.
                    raise too_slow from None
                raise
        # Cut while the headers came, the answer may look complete: it is not.
        if watchdog.expired.is_set():
            raise too_slow
        return response

    def _exchange(self, url: str, headers: dict, data: dict | None, cap: int,
                  started: float, deadline: float) -> Response:
        timeout = (self.policy.connect_timeout, self.policy.read_timeout)
        try:
            raw = self.session.request(
                "POST" if data is not None else "GET", url, headers=headers, data=data,
                timeout=timeout, allow_redirects=False, stream=True,
            )
        except requests.Timeout as exc:
            raise FetchError(url, "timeout", f"超时: {url} ({exc.__class__.__name__})") from None
        except requests.ConnectionError as exc:
            raise FetchError(url, "connection", f"无法连接: {url} ({short(exc)})") from None
        except requests.RequestException as exc:
            raise FetchError(url, "request", f"请求失败: {url} ({short(exc)})") from None
        with raw:
            response_headers = {k.lower(): v for k, v in raw.headers.items()}
            declared = response_headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise FetchError(url, "too_large", f"超过 {cap} 字节 (Content-Length {declared}): {url}")
            chunks: list[bytes] = []
            size = 0
            try:
                # iter_content decompresses: the cap holds after decompression (gzip bombs).
                for chunk in raw.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > cap:
                        raise FetchError(url, "too_large", f"超过 {cap} 字节 (解压后): {url}")
                    if time.monotonic() > deadline:
                        raise FetchError(url, "timeout", f"下载太慢，超过总时限: {url}")
                    chunks.append(chunk)
            except requests.exceptions.ChunkedEncodingError as exc:
                raise FetchError(url, "truncated", f"响应被截断: {url} ({short(exc)})") from None
            except requests.exceptions.ContentDecodingError as exc:
                raise FetchError(url, "bad_encoding", f"无法解压: {url} ({short(exc)})") from None
            except requests.Timeout:
                raise FetchError(url, "timeout", f"读取超时: {url}") from None
            except requests.ConnectionError as exc:
                if "timed out" in str(exc):
                    raise FetchError(url, "timeout", f"读取超时: {url}") from None
                raise FetchError(url, "truncated", f"连接中断: {url} ({short(exc)})") from None
            return Response(url=url, status=raw.status_code, headers=response_headers,
                            content=b"".join(chunks), elapsed=time.monotonic() - started)

    def raise_for_block(self, response: Response) -> None:
        if response.status in BLOCK_STATUSES:
            raise BlockedError(response.url, "blocked",
                               f"网站拒绝访问 (HTTP {response.status})，不绕过: {response.url}")
        if response.status == 200 or response.status == 202:
            if len(response.content) <= CHALLENGE_MAX_BYTES and "html" in (
                    response.content_type or "text/html"):
                head = response.content[:CHALLENGE_MAX_BYTES].decode("utf-8", "ignore")
                visible = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>|\s+", "",
                                 head, flags=re.S | re.I)
                # Only a near-empty page is an interstitial; a document may mention 验证码.
                if len(visible) < 1500 and CHALLENGE_MARKERS.search(head):
                    raise BlockedError(response.url, "challenge",
                                       f"网站返回验证/挑战页面，不绕过: {response.url}")
            if response.status == 202:
                raise BlockedError(response.url, "challenge",
                                   f"网站返回 202 挑战响应，不绕过: {response.url}")


# Declared types that are no web page (unless the bytes are HTML after all: some servers
# label every answer application/octet-stream).
BINARY_TYPES = re.compile(r"^(image|audio|video|font)/|^application/(pdf|zip|octet-stream|x-|msword|vnd\.)")
_HTML_START = re.compile(rb"<(!doctype|html|head|body|meta|title|div|p|table)\b", re.I)
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
MAX_CONTROL_SHARE = 0.02  # text in any encoding has none; random bytes have ~11 %


def page_problem(response: Response) -> str | None:
    """Why a 200 answer is no page to extract a policy from (empty, binary), else None."""
    body = response.content
    if not body.strip():
        return "页面内容为空（HTTP 200 但没有内容）"
    head = body[:4096]
    declared = response.content_type.split(";")[0].strip().lower()
    if BINARY_TYPES.search(declared) and not _HTML_START.search(head):
        return f"不是网页（Content-Type: {declared}）"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text has NUL bytes by nature
        return None
    if len(_CONTROL_BYTES.findall(head)) > MAX_CONTROL_SHARE * len(head):
        return "内容不是文本（疑似二进制文件）"
    return None


def short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 160 else text[:157] + "…"
