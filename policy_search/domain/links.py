"""Which link is the original (原文): a page on the issuing government's own site.

A policy's link is offered to the public as 原文 only when it is an http(s) address on a
government site:

- a host under gov.cn — every level of government publishes there (www.gov.cn,
  www.hunan.gov.cn, www.csx.gov.cn; the port does not matter), or
- a host of a crawl source (or a subdomain of one): the sites the admins chose to crawl, some
  of which are a government's own domain outside gov.cn.

Any other link — a library's login proxy (s.fjlib.net:6443/interlibSSO/…), a wiki, a news
site, a database or an aggregator that republished the text — stays in the store and is
shown to staff as where the text was found, never to the public as the original.
"""
from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

GOVERNMENT_DOMAINS = ("gov.cn",)


def link_host(url: str | None) -> str:
    """The lower-case host of an http(s) URL, "" for anything else."""
    if not url:
        return ""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https"):
        return ""
    return host.rstrip(".").lower()


def _under(host: str, domain: str) -> bool:
    domain = domain.strip().lower().rstrip(".")
    return bool(domain) and (host == domain or host.endswith("." + domain))


def is_official_url(url: str | None, source_hosts: Iterable[str] = ()) -> bool:
    """Whether the link is on a government site (see the module's rule)."""
    host = link_host(url)
    if not host:
        return False
    return any(_under(host, d) for d in GOVERNMENT_DOMAINS) or any(
        _under(host, h) for h in source_hosts)


def original_url(url: str | None, source_hosts: Iterable[str] = ()) -> str | None:
    """The link to offer as 原文, or None when it is not on a government site."""
    return url.strip() if url and is_official_url(url, source_hosts) else None
