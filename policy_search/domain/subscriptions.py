"""Subscriptions: a search or a 政策计算器 profile pushed to where an enterprise reads.

A subscription names what to follow (`kind` search or match, and the URL query string of
the search or the profile), where to push it (`channel`: e-mail, or a 企业微信 / 钉钉 /
飞书 group robot's webhook URL, with the optional 加签 secret of 钉钉 and 飞书), and how
often (每日 / 每周: at most one message per calendar day or ISO week in the schedule's
time zone). No account: the subscriber holds an unguessable token, the key of the
manage page that every message links to.

This module holds the rules (validation, the webhook allow-list, masking, periods); the
delivery use case is `policy_search.domain.notify`, the platforms' formats `policy_search.domain.channels`,
the SQL `policy_search.domain.store.subscriptions`.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

from policy_search.domain.matching import EnterpriseProfile
from policy_search.domain.url_safety import is_public, parse_numeric_host, resolve_host

CHANNELS = {"email": "电子邮件", "wecom": "企业微信群机器人", "dingtalk": "钉钉群机器人",
            "feishu": "飞书群机器人"}
WEBHOOK_CHANNELS = ("wecom", "dingtalk", "feishu")
# Channels whose robot may require a signature (钉钉 加签, 飞书 签名校验).
SIGNED_CHANNELS = ("dingtalk", "feishu")
FREQUENCIES = {"day": "每日", "week": "每周"}
KINDS = {"search": "检索", "match": "政策计算器"}
PENDING, ACTIVE, PAUSED = "pending", "active", "paused"
STATE_NAMES = {PENDING: "待确认", ACTIVE: "推送中", PAUSED: "已暂停"}
PAUSE_REASONS = {"staff": "工作人员已暂停", "subscriber": "订阅者已暂停",
                 "failures": "连续发送失败，已自动暂停"}
# The platforms' official webhook hosts per channel (each accepts only https).
OFFICIAL_HOSTS = {
    "wecom": ("qyapi.weixin.qq.com",),
    "dingtalk": ("oapi.dingtalk.com",),
    "feishu": ("open.feishu.cn", "open.larksuite.com"),
}
WEBHOOK_EXAMPLES = {
    "wecom": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
    "dingtalk": "https://oapi.dingtalk.com/robot/send?access_token=…",
    "feishu": "https://open.feishu.cn/open-apis/bot/v2/hook/…",
}
MAX_NAME_CHARS = 60
MAX_QUERY_CHARS = 2000
MAX_ADDRESS_CHARS = 500
MAX_SECRET_CHARS = 200
TOKEN_BYTES = 24  # 192 bits: the token is the only key to a subscription
# Query-string keys of a search as people read them (web.params.FACET_NAMES, plus q).
SEARCH_PARAM_NAMES = {
    "q": "关键词", "level": "层级", "region": "地区", "industry": "行业", "support": "支持方式",
    "enterprise": "企业类型", "issuer": "发文机关", "year": "年份", "validity": "有效性",
    "kind": "文件类型", "deadline": "申报状态",
}
LEVEL_WORDS = {"national": "国家", "provincial": "省", "city": "市", "county": "县"}


class SubscriptionError(ValueError):
    """Input a subscription cannot be made from; the message is for the user (Chinese)."""


class WebhookRefused(SubscriptionError):
    """A webhook URL the server will not send to (not an allowed robot host)."""


@dataclass
class Subscription:
    id: int
    kind: str
    query: str
    channel: str
    address: str
    secret: str
    frequency: str
    name: str
    token: str
    state: str
    pause_reason: str | None
    created_at: str
    created_by: str
    created_seq: int
    confirmed_at: str | None
    seen_seq: int | None
    last_sent_at: str | None
    last_attempt_at: str | None
    next_attempt_at: str | None
    failures: int
    last_error: str | None
    claimed_until: str | None = None

    @property
    def is_webhook(self) -> bool:
        return self.channel in WEBHOOK_CHANNELS

    @property
    def masked_address(self) -> str:
        return mask_address(self.channel, self.address)

    @property
    def channel_name(self) -> str:
        return CHANNELS.get(self.channel, self.channel)

    @property
    def frequency_name(self) -> str:
        return FREQUENCIES.get(self.frequency, self.frequency)

    @property
    def state_name(self) -> str:
        if self.state == PAUSED and self.pause_reason in PAUSE_REASONS:
            return PAUSE_REASONS[self.pause_reason]
        if self.state == PENDING:
            return "待确认邮件" if self.channel == "email" else "测试消息未成功，尚未生效"
        return STATE_NAMES.get(self.state, self.state)

    @property
    def description(self) -> str:
        return describe_query(self.kind, self.query)

    @property
    def title(self) -> str:
        """What the subscriber calls it, else what it follows."""
        return self.name or self.description


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


# --- what is followed ---------------------------------------------------------------

def describe_query(kind: str, query: str) -> str:
    """"关键词：专精特新 · 地区：长沙县" or "长沙县 · 制造业 · 小微" (a profile)."""
    if kind == "match":
        return EnterpriseProfile.from_params(query_params(query)).describe() or "政策计算器"
    pairs = parse_qsl(query)
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        if key in SEARCH_PARAM_NAMES:
            shown = LEVEL_WORDS.get(value, value) if key == "level" else value
            grouped.setdefault(key, []).append("全部" if value == "all" else shown)
    parts = [f"{SEARCH_PARAM_NAMES[key]}：{'、'.join(values)}"
             for key in SEARCH_PARAM_NAMES if (values := grouped.get(key))]
    return " · ".join(parts) or "全部最新政策"


def query_params(query: str) -> dict[str, list[str]]:
    """A URL query string as {key: [values]} (what EnterpriseProfile.from_params reads)."""
    params: dict[str, list[str]] = {}
    for key, value in parse_qsl(query.lstrip("?")):
        params.setdefault(key, []).append(value)
    return params


def canonical_profile_query(params) -> str:
    """A /match profile's query string as the site writes it; SubscriptionError when empty."""
    profile = EnterpriseProfile.from_params(params)
    query = urlencode(profile.to_params(), doseq=True)
    if not query:
        raise SubscriptionError("请先填写企业信息（地区、行业、规模等）再订阅")
    return query


def check_query(query: str) -> str:
    if len(query) > MAX_QUERY_CHARS:
        raise SubscriptionError("订阅的检索条件太长")
    return query


def check_name(name: str | None) -> str:
    name = " ".join((name or "").split())
    if len(name) > MAX_NAME_CHARS:
        raise SubscriptionError(f"名称最多 {MAX_NAME_CHARS} 个字")
    if any(ord(c) < 32 for c in name):
        raise SubscriptionError("名称含有不可见的控制字符")
    return name


def check_frequency(frequency: str) -> str:
    if frequency not in FREQUENCIES:
        raise SubscriptionError("推送频率只能是每日（day）或每周（week）")
    return frequency


def check_channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise SubscriptionError("请选择推送方式：电子邮件、企业微信、钉钉或飞书群机器人")
    return channel


def check_secret(channel: str, secret: str | None) -> str:
    secret = (secret or "").strip()
    if not secret:
        return ""
    if channel not in SIGNED_CHANNELS:
        raise SubscriptionError("只有钉钉和飞书机器人有签名密钥")
    if len(secret) > MAX_SECRET_CHARS or any(c.isspace() or ord(c) < 32 for c in secret):
        raise SubscriptionError("签名密钥无效：请从机器人安全设置中完整复制（钉钉的以 SEC 开头）")
    return secret


def check_email(address: str) -> str:
    """The address normalized (domain in lower case, IDN encoded); SubscriptionError if bad."""
    from email_validator import EmailNotValidError, validate_email

    address = (address or "").strip()
    if not address or len(address) > 254:
        raise SubscriptionError("请填写有效的电子邮件地址")
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        raise SubscriptionError(f"电子邮件地址无效：{address[:80]}") from None
    return checked.normalized


def check_address(channel: str, address: str, allowed_hosts: str) -> str:
    """The address to store for the channel; SubscriptionError / WebhookRefused if not."""
    check_channel(channel)
    if channel == "email":
        return check_email(address)
    return check_webhook_url(channel, address, allowed_hosts, resolve=None)


# --- webhook allow-list ----------------------------------------------------------------

@dataclass(frozen=True)
class AllowedHost:
    host: str
    port: int | None  # None: any port

    def admits(self, host: str, port: int) -> bool:
        return self.host == host and (self.port is None or self.port == port)


def parse_allowed_hosts(text: str) -> list[AllowedHost]:
    """"qyapi.weixin.qq.com, 127.0.0.1:8080, [::1]" → entries (host lower-cased)."""
    entries = []
    for raw in (text or "").replace(";", ",").split(","):
        raw = raw.strip().lower()
        if not raw:
            continue
        if "://" in raw:
            raw = urlsplit(raw).netloc
        host, port = raw, None
        if raw.startswith("["):
            host, _, rest = raw[1:].partition("]")
            port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
        elif raw.count(":") == 1:
            name, _, number = raw.partition(":")
            if number.isdigit():
                host, port = name, int(number)
        entries.append(AllowedHost(host.rstrip("."), port))
    return entries


def _official(host: str) -> bool:
    return any(host in hosts for hosts in OFFICIAL_HOSTS.values())


def check_webhook_url(channel: str, url: str, allowed_hosts: str, *, resolve=resolve_host) -> str:
    """The URL when the server may post to it, else WebhookRefused saying why.

    The host must be listed in `webhook_allowed_hosts` (compared as written: a numeric or
    otherwise disguised form of a listed address is refused). The platforms' official
    hosts take https only and must resolve to public addresses; a host the operator
    listed (an intranet robot gateway, a test server) is taken as listed. With `resolve`
    None no DNS lookup is made (checking a form's input).
    """
    url = (url or "").strip()
    label = CHANNELS.get(channel, channel)
    example = WEBHOOK_EXAMPLES.get(channel, "")
    if not url:
        raise SubscriptionError(f"请填写{label}的 Webhook 地址（形如 {example}）")
    if len(url) > MAX_ADDRESS_CHARS or any(c.isspace() or ord(c) < 32 for c in url):
        raise WebhookRefused("Webhook 地址无效：过长或含有空白字符")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise WebhookRefused(f"Webhook 地址须以 https:// 开头（形如 {example}）")
    if parts.username or parts.password:
        raise WebhookRefused("Webhook 地址中不能包含用户名或密码")
    try:
        host = (parts.hostname or "").rstrip(".").lower()
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise WebhookRefused("Webhook 地址的主机或端口无效") from None
    if not host:
        raise WebhookRefused("Webhook 地址缺少主机名")
    entries = parse_allowed_hosts(allowed_hosts)
    if not any(entry.admits(host, port) for entry in entries):
        hosts = "、".join(sorted({e.host for e in entries})) or "（无）"
        raise WebhookRefused(
            f"不允许向 {host} 发送：群机器人地址只能指向 {hosts}。"
            f"{label}的地址形如 {example}（其他地址须由管理员加入 webhook_allowed_hosts）")
    official = _official(host)
    if official and host not in OFFICIAL_HOSTS.get(channel, ()):
        raise WebhookRefused(f"这不是{label}的地址：{label}的 Webhook 形如 {example}")
    if official and scheme != "https":
        raise WebhookRefused(f"{label}的 Webhook 地址须以 https:// 开头")
    if official and resolve is not None:
        for raw in resolve(host):
            address = ipaddress.ip_address(raw.split("%", 1)[0])
            if not is_public(address):
                raise WebhookRefused(f"{host} 解析到了内部地址 {address}，已拒绝发送")
    elif not official and parse_numeric_host(host) is None and resolve is not None:
        resolve(host)  # an unknown name fails here with a clear message, before any request
    return url


# --- masking -------------------------------------------------------------------------

def _mask_tail(text: str, keep: int = 4) -> str:
    return "****" + text[-keep:] if len(text) > keep * 2 else "****"


def mask_address(channel: str, address: str) -> str:
    """z***@example.com; qyapi.weixin.qq.com/cgi-bin/webhook/send?key=****5aaa."""
    if channel == "email":
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}" if domain else "***"
    parts = urlsplit(address)
    path = parts.path
    if channel == "feishu" or "/hook/" in path:
        head, _, tail = path.rpartition("/")
        path = f"{head}/{_mask_tail(tail)}" if tail else path
    query = "&".join(f"{k}={_mask_tail(v)}" for k, v in parse_qsl(parts.query, keep_blank_values=True))
    return f"{parts.netloc}{path}" + (f"?{query}" if query else "")


# --- periods ---------------------------------------------------------------------------

def period_key(frequency: str, moment: dt.datetime, timezone: str) -> str:
    """The calendar day (每日) or ISO week (每周) a moment falls in, in the time zone."""
    local = moment.astimezone(ZoneInfo(timezone))
    if frequency == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return local.date().isoformat()


def next_period_start(frequency: str, moment: dt.datetime, timezone: str) -> dt.datetime:
    tz = ZoneInfo(timezone)
    local = moment.astimezone(tz)
    day = local.date() + dt.timedelta(days=1 if frequency == "day" else 7 - local.weekday())
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz)


def sent_this_period(subscription: Subscription, moment: dt.datetime, timezone: str) -> bool:
    if not subscription.last_sent_at:
        return False
    last = dt.datetime.fromisoformat(subscription.last_sent_at)
    return (period_key(subscription.frequency, last, timezone)
            == period_key(subscription.frequency, moment, timezone))
