"""Channels: one message, written in each platform's documented format and sent.

- e-mail: SMTP (settings smtp_*), a plain-text and an HTML part, List-Unsubscribe
  (RFC 2369) with one-click unsubscribe (RFC 8058);
- 企业微信 group robot: `{"msgtype": "markdown", "markdown": {"content": …}}`, content at
  most 4096 bytes; answer `{"errcode": 0}`;
- 钉钉 custom robot: `{"msgtype": "markdown", "markdown": {"title", "text"}}`; with 加签 the
  URL gets `timestamp` (ms) and `sign` = base64(HMAC-SHA256(key=secret,
  msg="timestamp\\nsecret")); answer `{"errcode": 0}`;
- 飞书 custom bot: `{"msg_type": "post", "content": {"post": {"zh_cn": {"title", "content"}}}}`
  (body at most 20 KB); with 签名校验 the body gets `timestamp` (s) and `sign` =
  base64(HMAC-SHA256(key="timestamp\\nsecret", msg="")); answer `{"code": 0}`.

Crawled text reaches a group chat as text, never as markup: markdown's special
characters are replaced by their full-width forms, so a title cannot smuggle a link in.
Requests never follow redirects, and a URL outside the allow-list is refused before any
connection is made (policy_search.domain.subscriptions.check_webhook_url).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import urlencode, urlsplit

import requests

from policy_search.domain.subscriptions import Subscription, WebhookRefused, check_webhook_url
from policy_search.domain.url_safety import UnsafeURL, resolve_host

WECOM_MAX_BYTES = 4096
DINGTALK_MAX_BYTES = 4096   # kept like 企业微信's: long digests read badly in a chat anyway
FEISHU_MAX_BYTES = 18_000   # of the 20 KB request body
EMAIL_MAX_ITEMS = 50
RESPONSE_MAX_BYTES = 65_536
# Answer codes that mean "too many messages / busy now, try again later".
RETRYABLE_CODES = {
    "wecom": {-1, 45009},
    "dingtalk": {-1, 130101, 130102},
    "feishu": {11232},
}
# Markdown's special characters → full-width look-alikes: crawled text stays text.
_MD_SAFE = str.maketrans({
    "[": "［", "]": "］", "(": "（", ")": "）", "*": "＊", "_": "＿", "`": "｀", "#": "＃",
    "<": "＜", ">": "＞", "~": "～", "|": "｜", "\\": "＼", "!": "！", "\n": " ", "\r": " ",
    "\t": " ",
})


# --- the message ----------------------------------------------------------------------------

@dataclass
class DigestItem:
    title: str
    url: str
    issuer: str | None = None
    date: str | None = None
    status: str | None = None       # 申报状态, e.g. 申报中
    deadline: str | None = None     # e.g. 截止 2024-06-30
    summary: str | None = None      # one line of the card's 支持标准

    def meta(self) -> str:
        parts = [self.issuer, self.date and f"发布 {self.date}",
                 " ".join(x for x in (self.status, self.deadline) if x)]
        return " · ".join(p for p in parts if p)


@dataclass
class Message:
    """What every channel renders: a title, a few lines, policies, and links."""
    title: str
    lines: list[str] = field(default_factory=list)
    items: list[DigestItem] = field(default_factory=list)
    more_url: str | None = None      # the whole list on the site
    manage_url: str | None = None    # manage or end the subscription
    action: tuple[str, str] | None = None  # (label, url): the main link (confirm)
    unsubscribe_url: str | None = None     # one-click (e-mail List-Unsubscribe-Post)


def md(text: str | None) -> str:
    """Crawled or typed text for a markdown message: shown as is, never as markup."""
    return " ".join((text or "").translate(_MD_SAFE).split())


def _fit(items: list[DigestItem], render: Callable[[DigestItem, int], str], budget: int,
         reserve: int) -> tuple[list[str], int]:
    """Rendered items while they fit in `budget` bytes (with `reserve` kept for the end);
    returns them and how many were left out."""
    used, out = reserve, []
    for number, item in enumerate(items, 1):
        text = render(item, number)
        size = len(text.encode("utf-8"))
        if used + size > budget:
            break
        out.append(text)
        used += size
    return out, len(items) - len(out)


def _markdown(message: Message, budget: int, gap: str) -> str:
    def item_text(item: DigestItem, number: int) -> str:
        lines = [f"{number}. [{md(item.title)}]({item.url})"]
        if item.meta():
            lines.append(f"> {md(item.meta())}")
        if item.summary:
            lines.append(f"> 支持标准：{md(item.summary)}")
        return gap.join(lines) + gap

    head = f"### {md(message.title)}{gap}" + "".join(f"{md(line)}{gap}" for line in message.lines)
    links = []
    if message.action:
        links.append(f"[{md(message.action[0])}]({message.action[1]})")
    if message.manage_url:
        links.append(f"[管理或退订]({message.manage_url})")
    tail = gap.join(links)
    more_line = f"另有 {{n}} 条未列出：[在网站上查看全部]({message.more_url}){gap}" if message.more_url else ""
    reserve = len((head + tail + more_line).encode("utf-8")) + 16
    body, left = _fit(message.items, item_text, budget, reserve)
    more = more_line.replace("{n}", str(left)) if left and more_line else ""
    return head + "".join(body) + more + tail


def wecom_payload(message: Message) -> dict:
    return {"msgtype": "markdown",
            "markdown": {"content": _markdown(message, WECOM_MAX_BYTES, "\n")}}


def dingtalk_payload(message: Message) -> dict:
    # 钉钉 renders a single newline as a space: paragraphs need a blank line.
    return {"msgtype": "markdown",
            "markdown": {"title": md(message.title)[:60],
                         "text": _markdown(message, DINGTALK_MAX_BYTES, "\n\n")}}


def feishu_payload(message: Message) -> dict:
    def text(value: str) -> dict:
        return {"tag": "text", "text": value}

    def item_rows(item: DigestItem, number: int) -> list[list[dict]]:
        rows = [[text(f"{number}. "), {"tag": "a", "text": item.title, "href": item.url}]]
        if item.meta():
            rows.append([text(item.meta())])
        if item.summary:
            rows.append([text(f"支持标准：{item.summary}")])
        return rows

    content: list[list[dict]] = [[text(line)] for line in message.lines]
    footer: list[list[dict]] = []
    if message.action:
        footer.append([{"tag": "a", "text": message.action[0], "href": message.action[1]}])
    if message.manage_url:
        footer.append([{"tag": "a", "text": "管理或退订", "href": message.manage_url}])
    used = len(json.dumps(content + footer, ensure_ascii=False).encode("utf-8")) + 400
    left = 0
    for number, item in enumerate(message.items, 1):
        rows = item_rows(item, number)
        size = len(json.dumps(rows, ensure_ascii=False).encode("utf-8"))
        if used + size > FEISHU_MAX_BYTES:
            left = len(message.items) - number + 1
            break
        content += rows
        used += size
    if left and message.more_url:
        content.append([text(f"另有 {left} 条未列出："),
                        {"tag": "a", "text": "在网站上查看全部", "href": message.more_url}])
    return {"msg_type": "post",
            "content": {"post": {"zh_cn": {"title": message.title, "content": content + footer}}}}


PAYLOADS = {"wecom": wecom_payload, "dingtalk": dingtalk_payload, "feishu": feishu_payload}


# --- signatures --------------------------------------------------------------------------

def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"),
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """The robot URL with `timestamp` and `sign` (URL-encoded) appended."""
    extra = urlencode({"timestamp": str(timestamp_ms), "sign": dingtalk_sign(secret, timestamp_ms)})
    return url + ("&" if urlsplit(url).query else "?") + extra


def feishu_sign(secret: str, timestamp: int) -> str:
    digest = hmac.new(f"{timestamp}\n{secret}".encode("utf-8"), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


# --- e-mail ---------------------------------------------------------------------------------

def email_message(message: Message, to: str, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = sender
    mail["To"] = to
    mail["Date"] = formatdate(localtime=False)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    mail["Message-ID"] = make_msgid(domain=domain)
    if message.unsubscribe_url:
        mail["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(email_text(message))
    mail.add_alternative(email_html(message), subtype="html")
    return mail


def _email_items(message: Message) -> tuple[list[DigestItem], int]:
    shown = message.items[:EMAIL_MAX_ITEMS]
    return shown, len(message.items) - len(shown)


def email_text(message: Message) -> str:
    lines = [message.title, "", *message.lines]
    if message.action:
        lines += ["", f"{message.action[0]}：{message.action[1]}"]
    shown, left = _email_items(message)
    for number, item in enumerate(shown, 1):
        lines += ["", f"{number}. {item.title}"]
        if item.meta():
            lines.append(f"   {item.meta()}")
        if item.summary:
            lines.append(f"   支持标准：{item.summary}")
        lines.append(f"   {item.url}")
    if left and message.more_url:
        lines += ["", f"另有 {left} 条未列出，在网站上查看全部：{message.more_url}"]
    if message.manage_url:
        lines += ["", "—", f"管理或退订此订阅：{message.manage_url}"]
    return "\n".join(lines) + "\n"


def email_html(message: Message) -> str:
    esc = html.escape
    parts = [f"<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
             f"<title>{esc(message.title)}</title></head>"
             "<body style=\"font-family:sans-serif;line-height:1.6;color:#222;max-width:680px\">",
             f"<h2 style=\"font-size:18px\">{esc(message.title)}</h2>"]
    parts += [f"<p>{esc(line)}</p>" for line in message.lines]
    if message.action:
        parts.append(f"<p><a href=\"{esc(message.action[1])}\" style=\"display:inline-block;"
                     "padding:8px 16px;background:#b3261e;color:#fff;text-decoration:none;"
                     f"border-radius:4px\">{esc(message.action[0])}</a></p>")
    shown, left = _email_items(message)
    if shown:
        parts.append("<ol style=\"padding-left:20px\">")
        for item in shown:
            parts.append(f"<li style=\"margin-bottom:12px\"><a href=\"{esc(item.url)}\">"
                         f"{esc(item.title)}</a>")
            if item.meta():
                parts.append(f"<br><span style=\"color:#666\">{esc(item.meta())}</span>")
            if item.summary:
                parts.append(f"<br>支持标准：{esc(item.summary)}")
            parts.append("</li>")
        parts.append("</ol>")
    if left and message.more_url:
        parts.append(f"<p>另有 {left} 条未列出：<a href=\"{esc(message.more_url)}\">"
                     "在网站上查看全部</a></p>")
    if message.manage_url:
        parts.append(f"<hr><p style=\"color:#666;font-size:13px\"><a href=\""
                     f"{esc(message.manage_url)}\">管理或退订此订阅</a></p>")
    parts.append("</body></html>")
    return "".join(parts)


# --- sending ------------------------------------------------------------------------------

@dataclass
class Attempt:
    number: int
    ok: bool
    status: str          # HTTP status, SMTP code, "timeout", "refused", …
    detail: str          # what the endpoint answered, or why it failed
    retryable: bool = False


@dataclass
class SendResult:
    ok: bool
    attempts: list[Attempt]

    @property
    def error(self) -> str:
        last = self.attempts[-1] if self.attempts else None
        return "" if self.ok or last is None else f"{last.status}：{last.detail}".strip("：")


class Sender:
    """Sends a Message over a subscription's channel, retrying with back-off on timeouts,
    connection errors, 429/5xx answers and the platforms' "busy" codes."""

    def __init__(self, settings, *, timeout: float = 10.0, backoff: float = 2.0,
                 sleep: Callable[[float], None] = time.sleep, resolve=resolve_host,
                 clock: Callable[[], float] = time.time):
        self.settings = settings
        self.timeout = timeout
        self.backoff = backoff
        self.sleep = sleep
        self.resolve = resolve
        self.clock = clock
        self.session = requests.Session()

    def send(self, subscription: Subscription, message: Message, *, retries: int = 3) -> SendResult:
        attempts: list[Attempt] = []
        for number in range(1, retries + 2):
            attempt = self._once(subscription, message, number)
            attempts.append(attempt)
            if attempt.ok or not attempt.retryable or number > retries:
                break
            self.sleep(self.backoff * 2 ** (number - 1))
        return SendResult(attempts[-1].ok, attempts)

    def _once(self, subscription: Subscription, message: Message, number: int) -> Attempt:
        if subscription.channel == "email":
            return self._email(subscription.address, message, number)
        return self._webhook(subscription, message, number)

    # --- webhooks

    def _webhook(self, subscription: Subscription, message: Message, number: int) -> Attempt:
        channel = subscription.channel
        try:
            url = check_webhook_url(channel, subscription.address,
                                    self.settings.webhook_allowed_hosts, resolve=self.resolve)
        except WebhookRefused as exc:
            return Attempt(number, False, "refused", str(exc))
        except UnsafeURL as exc:  # the host name did not resolve: worth another try
            return Attempt(number, False, "dns", str(exc), True)
        payload = PAYLOADS[channel](message)
        if subscription.secret and channel == "dingtalk":
            url = dingtalk_signed_url(url, subscription.secret, int(self.clock() * 1000))
        elif subscription.secret and channel == "feishu":
            stamp = int(self.clock())
            payload = {"timestamp": str(stamp), "sign": feishu_sign(subscription.secret, stamp),
                       **payload}
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            response = self.session.post(
                url, data=body, allow_redirects=False, stream=True,
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=(min(self.timeout, 10.0), self.timeout))
            try:
                raw = response.raw.read(RESPONSE_MAX_BYTES, decode_content=True)
            finally:
                response.close()
        except requests.Timeout:
            return Attempt(number, False, "timeout", f"{self.timeout:g} 秒内没有应答", True)
        except requests.RequestException as exc:
            return Attempt(number, False, "network", f"连接失败：{type(exc).__name__}", True)
        return _judge(channel, number, response.status_code, raw)

    # --- e-mail

    def _email(self, address: str, message: Message, number: int) -> Attempt:
        settings = self.settings
        if not settings.smtp_host or not settings.mail_from:
            return Attempt(number, False, "unconfigured", "本站尚未配置邮件发送（smtp_host、mail_from）")
        mail = email_message(message, address, settings.mail_from)
        try:
            with _smtp(settings, self.timeout) as smtp:
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            return Attempt(number, False, str(code), _reply(reply), 400 <= code < 500)
        except smtplib.SMTPResponseException as exc:
            return Attempt(number, False, str(exc.smtp_code), _reply(exc.smtp_error),
                           400 <= exc.smtp_code < 500)
        except (socket.timeout, TimeoutError):
            return Attempt(number, False, "timeout", f"{self.timeout:g} 秒内邮件服务器没有应答", True)
        except (smtplib.SMTPException, OSError) as exc:
            return Attempt(number, False, "network", f"邮件服务器连接失败：{type(exc).__name__} {exc}"[:300],
                           True)
        if refused:
            code, reply = next(iter(refused.values()))
            return Attempt(number, False, str(code), _reply(reply), 400 <= code < 500)
        return Attempt(number, True, "250", "已交给邮件服务器")


def _smtp(settings, timeout: float) -> smtplib.SMTP:
    host, port = settings.smtp_host, int(settings.smtp_port)
    if port == 465:
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if int(settings.smtp_starttls):
            smtp.starttls(context=ssl.create_default_context())
    if settings.smtp_user:
        smtp.login(settings.smtp_user, settings.smtp_password)
    return smtp


def _reply(reply) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return text[:300]


def _judge(channel: str, number: int, status: int, raw: bytes) -> Attempt:
    """An HTTP answer of a robot endpoint: delivered, worth retrying, or failed."""
    text = raw.decode("utf-8", "replace")[:300]
    if 300 <= status < 400:
        return Attempt(number, False, str(status), "地址发生了重定向（出于安全不跟随），请检查 Webhook 地址")
    if status == 429 or status >= 500:
        return Attempt(number, False, str(status), text or "服务器错误", True)
    if status != 200:
        return Attempt(number, False, str(status), text or "请求被拒绝")
    try:
        answer = json.loads(text) if text else {}
    except ValueError:
        return Attempt(number, False, "200", f"无法识别的应答：{text[:100]}")
    if not isinstance(answer, dict):
        return Attempt(number, False, "200", f"无法识别的应答：{text[:100]}")
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    message = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or ""
    if code in (0, "0", None):
        return Attempt(number, True, "200", str(message or "ok"))
    retryable = code in RETRYABLE_CODES.get(channel, set())
    return Attempt(number, False, f"200/{code}", str(message)[:200] or "平台返回错误", retryable)
