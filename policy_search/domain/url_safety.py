"""Is a URL safe to let the server fetch? (SSRF checks for URLs that admins type in.)

A URL is accepted only when it is http(s) and every address its host resolves to is a
public unicast address: not private, loopback, link-local (169.254.169.254 is the cloud
metadata service), shared, reserved, multicast or unspecified. Hosts written as numbers
in the forms inet_aton accepts (0x7f000001, 2130706433, 0177.0.0.1, 127.1) and IPv6
forms ([::1], [::ffff:127.0.0.1]) are recognised before any DNS lookup. Redirects are
followed one hop at a time, each target checked the same way.
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

ALLOWED_SCHEMES = ("http", "https")
MAX_REDIRECTS = 5
MAX_URL_LENGTH = 2000

Resolver = Callable[[str], list[str]]
# fetch(url) -> (status, Location header or None); must not follow redirects itself.
HeadFetcher = Callable[[str], tuple[int, str | None]]


class UnsafeURL(ValueError):
    """A URL the server must not fetch; the message is for the admin (Chinese)."""


def resolve_host(host: str) -> list[str]:
    """Every address the system resolver gives for host (IPv4 and IPv6)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"无法解析主机名 {host}：{exc}") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def parse_numeric_host(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host written as a number stands for, as inet_aton would read it.

    "0x7f000001", "2130706433", "0177.0.0.1", "127.1" and "::1" all name an address;
    a real host name gives None.
    """
    host = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = []
    for part in parts:
        try:
            if part.lower().startswith("0x"):
                numbers.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                numbers.append(int(part, 8))
            else:
                numbers.append(int(part, 10))
        except ValueError:
            return None
    # inet_aton: the last part fills the remaining bytes (127.1 = 127.0.0.1).
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = 0
    for n in head:
        value = value * 256 + n
    value = value * 256 ** (4 - len(head)) + last
    return ipaddress.IPv4Address(value)


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Only global unicast addresses; an IPv4 address inside IPv6 is judged as IPv4."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo:
            embedded = address.teredo[1]
        if embedded is not None:
            return is_public(embedded)
    return address.is_global and not (
        address.is_private or address.is_loopback or address.is_link_local
        or address.is_reserved or address.is_multicast or address.is_unspecified)


def scheme_problem(url: str) -> str | None:
    """Why a URL's scheme is not fetchable (one wording for every form and file), else None.

    Checked before anything else about a URL: `file:///etc/passwd` has no host, and
    "missing host" would hide the real reason.
    """
    scheme = urlsplit((url or "").strip()).scheme.lower()
    if scheme in ALLOWED_SCHEMES:
        return None
    return f"只允许 http 或 https 网址（收到的是 {scheme or '无协议'}）"


def check_scheme(url: str) -> str:
    """The URL when it is http(s); else UnsafeURL with scheme_problem's message."""
    problem = scheme_problem(url)
    if problem:
        raise UnsafeURL(problem)
    return url


def check_url(url: str, resolve: Resolver = resolve_host) -> str:
    """The URL when the server may fetch it; else UnsafeURL with the reason."""
    url = (url or "").strip()
    if not url:
        raise UnsafeURL("网址不能为空")
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeURL("网址过长")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise UnsafeURL("网址中不能有空白或控制字符")
    check_scheme(url)
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise UnsafeURL("网址中不能包含用户名或密码")
    try:
        host = parts.hostname
        parts.port  # noqa: B018 — raises ValueError on a bad port
    except ValueError:
        raise UnsafeURL("网址的主机或端口无效") from None
    if not host:
        raise UnsafeURL("网址缺少主机名")
    numeric = parse_numeric_host(host)
    if numeric is not None:
        addresses = [numeric]
    else:
        if host.rstrip(".").lower() in ("localhost",) or host.endswith(".localhost"):
            raise UnsafeURL(f"不允许访问本机地址 {host}")
        addresses = []
        for raw in resolve(host):
            try:
                addresses.append(ipaddress.ip_address(raw.split("%", 1)[0]))
            except ValueError:
                raise UnsafeURL(f"主机 {host} 解析出无效地址 {raw}") from None
        if not addresses:
            raise UnsafeURL(f"无法解析主机名 {host}")
    for address in addresses:
        if not is_public(address):
            raise UnsafeURL(f"主机 {host} 指向内部或保留地址 {address}，不允许抓取")
    return url


def check_redirects(url: str, fetch: HeadFetcher, resolve: Resolver = resolve_host,
                    max_redirects: int = MAX_REDIRECTS) -> str:
    """Follow redirects one hop at a time, checking every URL before it is requested.

    Returns the final URL; raises UnsafeURL when any hop is unsafe or there are too many.
    """
    current = check_url(url, resolve)
    for _ in range(max_redirects + 1):
        status, location = fetch(current)
        if status not in (301, 302, 303, 307, 308) or not location:
            return current
        target = urljoin(current, location)
        try:
            current = check_url(target, resolve)
        except UnsafeURL as exc:
            raise UnsafeURL(f"网址重定向到了不允许的地址：{exc}") from None
    raise UnsafeURL(f"重定向超过 {max_redirects} 次")
