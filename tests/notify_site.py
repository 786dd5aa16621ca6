"""Fixtures of the subscription tests: loopback stand-ins for the platforms' robot
endpoints (an HTTP server that checks each payload and signature the way the platforms
document them) and for a mail server (aiosmtpd), and a small site — store and index —
with settings pointing at them.
"""
from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import hashlib
import hmac
import json
import shutil
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import Message as MailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from policy_search.domain.models import Policy, Tag, policy_id_for
from policy_search.settings import Settings
from policy_search.domain.store import Store

WAIT = 30.0  # generous bound for a loaded machine
DING_SECRET = "SECtest0123456789abcdef"
FEISHU_SECRET = "feishu-test-secret"


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Robot:
    """Answers like 企业微信, 钉钉 and 飞书 robots, by path; records every request.

    `script` holds answers for the next requests: ("status", code, body),
    ("redirect", location) or ("hang",) (no answer until the test ends)."""
    base: str = ""
    received: list[Received] = field(default_factory=list)
    script: list[tuple] = field(default_factory=list)
    ding_secret: str | None = None
    feishu_secret: str | None = None
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        return urlsplit(self.base).port

    def url(self, channel: str, key: str = "k3y-0123456789") -> str:
        return {"wecom": f"{self.base}/cgi-bin/webhook/send?key={key}",
                "dingtalk": f"{self.base}/robot/send?access_token={key}",
                "feishu": f"{self.base}/open-apis/bot/v2/hook/{key}"}[channel]

    def wait_for(self, count: int) -> list[Received]:
        deadline = time.monotonic() + WAIT
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received

    def answer(self, received: Received) -> tuple[int, dict, str | None]:
        with self.lock:
            scripted = self.script.pop(0) if self.script else None
        if scripted is not None:
            if scripted[0] == "hang":
                self.release.wait(WAIT)
                return 200, {"errcode": 0}, None
            if scripted[0] == "redirect":
                return 302, {}, scripted[1]
            return scripted[1], scripted[2], None
        if received.path == "/cgi-bin/webhook/send":
            return 200, check_wecom(received), None
        if received.path == "/robot/send":
            return 200, check_dingtalk(received, self.ding_secret), None
        if received.path.startswith("/open-apis/bot/v2/hook/"):
            return 200, check_feishu(received, self.feishu_secret), None
        return 404, {"error": "unknown path"}, None


def check_wecom(received: Received) -> dict:
    """企业微信 群机器人: msgtype markdown, content of at most 4096 bytes, a key."""
    payload = received.json
    if not received.query.get("key"):
        return {"errcode": 93000, "errmsg": "invalid webhook url"}
    if payload.get("msgtype") != "markdown" or not isinstance(payload.get("markdown"), dict):
        return {"errcode": 40008, "errmsg": "invalid message type"}
    content = payload["markdown"].get("content", "")
    if not content or len(content.encode("utf-8")) > 4096:
        return {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
    return {"errcode": 0, "errmsg": "ok"}


def check_dingtalk(received: Received, secret: str | None) -> dict:
    """钉钉 自定义机器人: markdown with title and text; 加签 = timestamp (ms, within an
    hour) and sign = Base64(HmacSHA256(secret, timestamp + "\\n" + secret)) in the URL."""
    payload = received.json
    if not received.query.get("access_token"):
        return {"errcode": 300001, "errmsg": "token is not exist"}
    if secret is not None:
        stamp = received.query.get("timestamp", [""])[0]
        sign = received.query.get("sign", [""])[0]
        expected = base64.b64encode(hmac.new(
            secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()).decode()
        if not stamp.isdigit() or abs(time.time() * 1000 - int(stamp)) > 3600_000 or sign != expected:
            return {"errcode": 310000, "errmsg": "sign not match"}
    markdown = payload.get("markdown") or {}
    if payload.get("msgtype") != "markdown" or not markdown.get("title") or not markdown.get("text"):
        return {"errcode": 40035, "errmsg": "缺少参数 markdown"}
    return {"errcode": 0, "errmsg": "ok"}


def check_feishu(received: Received, secret: str | None) -> dict:
    """飞书 自定义机器人: post (rich text) with zh_cn title and content; 签名校验 =
    timestamp (s, within an hour) and sign = Base64(HmacSHA256(key=timestamp + "\\n" +
    secret, msg="")) in the body."""
    payload = received.json
    if secret is not None:
        stamp = str(payload.get("timestamp", ""))
        expected = base64.b64encode(hmac.new(
            f"{stamp}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > 3600 or payload.get("sign") != expected:
            return {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}
    post = ((payload.get("content") or {}).get("post") or {}).get("zh_cn") or {}
    rows = post.get("content")
    if payload.get("msg_type") != "post" or not post.get("title") or not isinstance(rows, list) \
            or not all(isinstance(row, list) and all(n.get("tag") in ("text", "a") for n in row)
                       for row in rows):
        return {"code": 9499, "msg": "Bad Request"}
    if len(received.body) > 20 * 1024:
        return {"code": 9499, "msg": "request body too large"}
    return {"code": 0, "msg": "success"}


@pytest.fixture
def robot():
    state = Robot()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            received = Received(parts.path, parse_qs(parts.query), dict(self.headers),
                                self.rfile.read(length))
            state.received.append(received)
            status, body, location = state.answer(received)
            data = json.dumps(body).encode()
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


class Mailbox:
    """What the loopback SMTP server received."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], MailMessage]] = []
        self.refuse: list[tuple[int, str]] = []  # next answers to DATA, e.g. (451, "busy")

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            code, text = self.refuse.pop(0)
            return f"{code} {text}"
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 Message accepted for delivery"

    def wait_for(self, count: int) -> list[MailMessage]:
        deadline = time.monotonic() + WAIT
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return [m for _, _, m in self.messages]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mailbox():
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


# --- the site ------------------------------------------------------------------------------

def policy(title: str, body: str, *, region=("430121", "长沙县"), level="county",
           published="2024-03-01", validity="有效", doc_kind="政策原文",
           issuer="长沙县人民政府") -> Policy:
    url = f"http://www.csx.gov.cn/zwgk/{policy_id_for(None, title)}.html"
    return Policy(id=policy_id_for(url, ""), url=url, title=title, body_text=body,
                  level=level, region_code=region[0], region_name=region[1], issuer=issuer,
                  publish_date=published, validity=validity, doc_kind=doc_kind)


STARTING_POLICIES = [
    policy("长沙县支持专精特新中小企业高质量发展的若干措施",
           "一、支持对象\n长沙县专精特新中小企业。\n二、支持标准\n对新认定的国家级专精特新小巨人企业奖励50万元。"),
    policy("长沙县促进数字经济发展的若干政策", "对企业数字化转型项目给予补贴，最高100万元。",
           published="2023-11-05"),
    policy("湖南省降低实体经济企业成本的通知", "降低企业用地成本、融资成本和税费负担。",
           region=("430000", "湖南省"), level="provincial", issuer="湖南省人民政府",
           published="2022-06-01"),
]


@dataclass
class Site:
    settings: Settings
    store: Store
    robot: Robot | None = None
    mailbox: Mailbox | None = None

    @property
    def index(self):
        from index.search import SearchIndex

        return SearchIndex(self.settings.index_path)

    def add(self, item: Policy, tags: list[tuple[str, str]] = ()) -> str:
        from policy_search.domain.derive import derive_kinds

        self.store.policies.upsert(item)
        if tags:
            self.store.tags.replace_auto(item.id, [Tag(f, v) for f, v in tags])
        derive_kinds(self.store)  # as import and crawl do before a round (enrich)
        return item.id

    def sync(self) -> None:
        from index.build import sync

        sync(self.store, self.settings.index_path)


def make_settings(data_dir: Path, robot: Robot | None = None, mailbox: Mailbox | None = None,
                  **extra) -> Settings:
    values = dict(
        data_dir=data_dir, secret_key="test-secret", session_cookie_secure=0,
        public_base_url="https://zc.example.gov.cn",
        webhook_allowed_hosts=Settings().webhook_allowed_hosts
        + (f", 127.0.0.1:{robot.port}" if robot else ""),
        mail_from="政策超市 <noreply@zc.example.gov.cn>",
    )
    if mailbox is not None:
        values.update(smtp_host="127.0.0.1", smtp_port=mailbox.port, smtp_starttls=0)
    values.update(extra)
    return Settings(**values)


@pytest.fixture(scope="session")
def notify_data(tmp_path_factory) -> Path:
    """The starting policies stored and indexed once a session; each test gets a copy (the
    data does not depend on the robot's or the mailbox's address)."""
    from index.build import rebuild

    settings = make_settings(tmp_path_factory.mktemp("notify-data") / "data")
    store = Store(settings.db_path)
    template = Site(settings, store)
    for item in STARTING_POLICIES:
        template.add(item, [("enterprise", "专精特新")] if "专精特新" in item.title else [])
    rebuild(store, settings.index_path)
    store.close()
    return settings.data_dir


@pytest.fixture
def notify_site(tmp_path, robot, mailbox, notify_data) -> Site:
    settings = make_settings(tmp_path / "data", robot, mailbox)
    shutil.copytree(notify_data, settings.data_dir)
    store = Store(settings.db_path)
    yield Site(settings, store, robot, mailbox)
    store.close()


class FakeClock:
    """Sleeps that only record (the back-off between retries), for the sender."""

    def __init__(self):
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


@pytest.fixture
def clock():
    return FakeClock()


def day(text: str) -> dt.datetime:
    """A moment on a given local day (Asia/Shanghai noon), for period tests."""
    return dt.datetime.fromisoformat(f"{text}T12:00:00+08:00")
