"""The 原文 link the site offers: only to the issuing government's own site.

`policy_search.domain.links` holds the 原文 rule (a gov.cn host, or a host of a crawl source); the
crawl sources' hosts are read here (from the shipped or configured sources and the ones
admins added) and kept for a minute. Other links stay in the store and are shown only to
staff.
"""
from __future__ import annotations

import logging
import time

from flask import current_app

from policy_search.domain.links import original_url
from web.app import services
from web.present import safe_url

log = logging.getLogger(__name__)

HOSTS_TTL = 60.0  # seconds: an admin's new source counts within a minute
_CACHE_KEY = "policy_search_source_hosts"


def source_hosts() -> tuple[str, ...]:
    cached = current_app.extensions.get(_CACHE_KEY)
    if cached is not None and time.monotonic() - cached[0] < HOSTS_TTL:
        return cached[1]
    svc = services()
    try:
        from web.sources import source_hosts as read_hosts

        hosts = read_hosts(svc.settings, svc.store)
    except Exception:  # a broken sources file must not take policy pages down
        log.exception("crawl sources unreadable; only gov.cn links count as originals")
        hosts = ()
    current_app.extensions[_CACHE_KEY] = (time.monotonic(), hosts)
    return hosts


def original_link(url: str | None) -> str | None:
    """The URL to offer as 原文, or None (not http(s), or not a government site)."""
    safe = safe_url(url)
    return original_url(safe, source_hosts()) if safe else None
