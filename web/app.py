"""The application factory: one Flask app per Settings, with its store and its index.

Blueprints are listed in BLUEPRINTS as "module:attribute" and imported when the app is
built, so the staff and admin parts (login, tag review, jobs) plug in by adding a line
here; a blueprint module may also define `setup(app)` for app-wide wiring (a login
manager, say), called once after the blueprint is registered.
"""
from __future__ import annotations

import importlib
import logging
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, has_request_context, request

from index.api import IndexSync, SearchBackend, start_sync
from index.api import open_index as open_search_index
from policy_search.domain.models import Policy
from policy_search.settings import Settings, load_settings
from policy_search.domain.store import Store

log = logging.getLogger(__name__)

# Registered in this order; later issues append their staff/admin blueprints here.
BLUEPRINTS = [
    "web.public:bp",
    "web.api:bp",
    "web.feeds:bp",
    "web.match:bp",  # 政策计算器 /match and its feed
    "web.auth:bp",  # login, sessions, CSRF (its setup() wires them app-wide)
    "web.staff:bp",
    "web.admin:bp",
    "web.subscriptions:bp",  # 订阅: the subscribe form, the subscriber's manage page
    "web.subscriptions:staff_bp",  # /staff/subscriptions
    "web.embed:bp",  # the portal widget /embed (the one page other sites may frame)
]

# Requests carry no uploads on the public site; staff forms are small too. The one
# upload (a policy file to import, admins only) has its own limit, import_max_bytes.
MAX_CONTENT_LENGTH = 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024


class Site(Flask):
    """Flask, building absolute links (feeds, API, share links) from the public_base_url
    setting when it is set, never from the Host header a client sent."""

    def url_for(self, endpoint: str, /, *, _anchor: str | None = None, _method: str | None = None,
                _scheme: str | None = None, _external: bool | None = None, **values) -> str:
        if has_request_context() and (_external or _scheme is not None):
            base = self.config.get("PUBLIC_BASE_URL")
            if base:
                return base + super().url_for(endpoint, _anchor=_anchor, _method=_method,
                                              _external=False, **values)
            g.links_from_host = True
        return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                               _external=_external, **values)


def site_url() -> str:
    """The site's address without a trailing slash, for absolute links: the public_base_url
    setting, else the request's own host (and then the response is not cached publicly)."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base
    g.links_from_host = True
    return request.host_url.rstrip("/")


def checked_base_url(value: str) -> str:
    """public_base_url without its trailing slash; ValueError for anything but http(s)://host[/path]."""
    base = (value or "").strip().rstrip("/")
    if not base:
        return ""
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"setting public_base_url: {value!r} (e.g. https://zcss.example.gov.cn)")
    return base


def keep_host_links_private(response):
    """A response whose links come from the Host header must not be kept by shared caches
    (one request with Host: evil.example would serve its links to everyone)."""
    if g.get("links_from_host"):
        cache = response.headers.get("Cache-Control", "")
        if "public" in cache:
            response.headers["Cache-Control"] = cache.replace("public", "private")
        response.vary.add("Host")
    return response


@dataclass
class Services:
    """Per-app state that views reach through `services()`."""

    settings: Settings
    store: Store
    index: SearchBackend | None
    sync: IndexSync | None = None  # the index's background sync, when started


def services() -> Services:
    return current_app.extensions["policy_search"]


def load_policy(policy_id: str) -> Policy:
    """The policy of a /policy/<id> style route, or 404."""
    if len(policy_id) > 64:
        abort(404)
    policy = services().store.policies.get(policy_id)
    if policy is None:
        abort(404)
    return policy


def create_app(settings: Settings | None = None, *, store: Store | None = None,
               index: SearchBackend | None = None, start_sync: bool = False,
               blueprints: list[str] | None = None, testing: bool = False) -> Flask:
    """The site for one data directory.

    `store` and `index` may be passed in (tests, benchmarks); otherwise they are opened
    from the settings. `start_sync` starts the index's background thread that follows the
    store's change log, so crawls and staff edits reach search within seconds.
    """
    settings = settings or load_settings()
    app = Site(__name__)
    app.config.update(
        PUBLIC_BASE_URL=checked_base_url(settings.public_base_url),
        SECRET_KEY=secrets.token_hex(16) if testing else settings.ensure_secret_key(),
        MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH,
        # What the WSGI server accepts at most; views keep their own, smaller limits.
        MAX_REQUEST_BODY=max(MAX_CONTENT_LENGTH, settings.import_max_bytes + MULTIPART_OVERHEAD),
        JSON_AS_ASCII=False,
        TESTING=testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    store = store or Store(settings.db_path)
    if index is None:
        index = open_index(settings)
    app.extensions["policy_search"] = Services(settings=settings, store=store, index=index)

    from web import security, templating

    security.init_app(app)
    app.after_request(keep_host_links_private)
    # Outermost: every answer of the app, whatever produced it, has the security headers.
    app.wsgi_app = security.SecurityHeaders(app.wsgi_app)
    networks = security.trusted_networks(settings.trusted_proxies)
    if networks:
        app.wsgi_app = security.TrustedProxies(app.wsgi_app, networks)
    templating.init_app(app)
    for target in blueprints if blueprints is not None else BLUEPRINTS:
        register(app, target)
    if start_sync:
        app.extensions["policy_search"].sync = start_index_sync(settings, store, index)
    return app


def register(app: Flask, target: str) -> None:
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    app.register_blueprint(getattr(module, attr or "bp"))
    setup = getattr(module, "setup", None)
    if setup is not None:
        setup(app)


def open_index(settings: Settings) -> SearchBackend:
    """The index of the data directory; it reports itself unusable until it is built."""
    return open_search_index(settings.index_path)


def start_index_sync(settings: Settings, store: Store, index: SearchBackend) -> IndexSync:
    """Start the index's thread that applies store changes to the live index."""
    return start_sync(store.path, settings.index_path)
