"""Response headers, CORS for the read-only API, and friendly error pages.

The site ships no JavaScript at all, so the CSP forbids every script; styles come only
from our own stylesheet (no inline style attributes, which also strips them from any
crawled HTML that slipped through).
"""
from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable

from flask import Flask, abort, current_app, g, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from web.params import ParamError

log = logging.getLogger(__name__)

CSP = "; ".join([
    "default-src 'none'",
    "script-src 'none'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type, If-None-Match",
    "Access-Control-Max-Age": "86400",
}
ERROR_TITLES = {
    400: "请求有误", 404: "页面不存在", 405: "不支持的请求方法", 413: "请求内容过大",
    500: "服务器出错了", 503: "检索服务暂不可用",
}
ERROR_HINTS = {
    400: "请检查检索条件后重试。",
    404: "您访问的页面或政策不存在，可能已被移除或链接有误。",
    405: "此地址不接受这种请求。",
    413: "提交的内容超过了允许的大小。",
    500: "处理请求时发生了意外错误，我们会尽快修复。请稍后再试。",
    503: "检索索引正在建立或暂时无法使用，请稍后再试。",
}


def is_api_request() -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


def init_app(app: Flask) -> None:
    app.before_request(limit_body)
    app.after_request(add_headers)
    app.register_error_handler(ParamError, handle_param_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)


def limit_body():
    """Refuse an oversized body before any view runs (the server caps it too). A view
    marked with `body_limit` (the import upload) has its own limit, for this request."""
    own = getattr(current_app.view_functions.get(request.endpoint), "body_limit", None)
    limit = own() if own is not None else current_app.config.get("MAX_CONTENT_LENGTH")
    if own is not None:
        request.max_content_length = limit
    if limit and (request.content_length or 0) > limit:
        abort(413)


def body_limit(limit: Callable[[], int]):
    """Give a view its own request size limit (bytes, asked per request)."""
    def mark(view):
        view.body_limit = limit
        return view
    return mark


def add_headers(response):
    # Only a view that sets g.frame_ancestors (the /embed widget) may be framed, and only by
    # the sites it names; X-Frame-Options cannot name sites, so it is left off there.
    frame_ancestors = g.get("frame_ancestors")
    for name, value in SECURITY_HEADERS.items():
        if frame_ancestors and name == "X-Frame-Options":
            continue
        if frame_ancestors and name == "Content-Security-Policy":
            value = value.replace("frame-ancestors 'none'", f"frame-ancestors {frame_ancestors}")
        response.headers.setdefault(name, value)
    # A page may add a directive (g.csp_extra), e.g. the digest preview's inline styles;
    # this runs after every blueprint's own headers.
    for directive, sources in g.get("csp_extra", {}).items():
        policy = response.headers.get("Content-Security-Policy", CSP)
        response.headers["Content-Security-Policy"] = f"{policy}; {directive} {sources}"
    if is_api_request() and request.method in ("GET", "HEAD", "OPTIONS"):
        response.headers.update(CORS_HEADERS)
    return response


def error_response(status: int, message: str | None = None, param: str | None = None):
    """A JSON error under /api, a Chinese error page elsewhere."""
    message = message or ERROR_HINTS.get(status, "")
    title = ERROR_TITLES.get(status, "错误")
    if is_api_request():
        body = {"error": title, "message": message, "status": status}
        if param:
            body["param"] = param
        response = jsonify(body)
    else:
        response = make_response(render_template(
            "error.html", status=status, title=title, message=message))
    response.status_code = status
    return response


def handle_param_error(error: ParamError):
    return error_response(400, error.message if is_api_request() else error.page_message,
                          error.param)


def handle_http_error(error: HTTPException):
    status = error.code or 500
    response = error_response(status, ERROR_HINTS.get(status) or error.description)
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def handle_unexpected(error: Exception):
    log.exception("unhandled error on %s", request.path)
    return error_response(500)


class SecurityHeaders:
    """WSGI middleware: any response of the app that lacks a security header gets it
    (after_request covers the views; this covers whatever else answers)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            if framable(headers):  # the /embed widget: its CSP names who may frame it
                present.add("x-frame-options")
            headers = list(headers) + [(name, value) for name, value in SECURITY_HEADERS.items()
                                       if name.lower() not in present]
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def framable(headers) -> bool:
    """Whether the app's own CSP lets some site frame the response (frame-ancestors not
    'none'): X-Frame-Options cannot name sites, so DENY must not be added to it."""
    policy = next((value for name, value in headers if name.lower() == "content-security-policy"), "")
    return "frame-ancestors" in policy and "frame-ancestors 'none'" not in policy


# --- reverse proxies ------------------------------------------------------------------

FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_FORWARDED",
                      "HTTP_X_REAL_IP")


def trusted_networks(spec: str) -> list:
    """The trusted_proxies setting ("127.0.0.1, 10.0.0.0/8") as networks."""
    networks = []
    for part in (spec or "").replace(";", ",").split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise ValueError(f"setting trusted_proxies: {part.strip()!r} is no address or network") from None
    return networks


class TrustedProxies:
    """werkzeug's ProxyFix for requests that come from a proxy the settings name: only then
    are X-Forwarded-For (the client's address: throttling, the loopback check) and
    X-Forwarded-Proto (https: the Secure cookie) believed. Anyone else could send them."""

    def __init__(self, app, networks: list):
        self.app = app
        self.networks = networks
        self.fixed = ProxyFix(app, x_for=1, x_proto=1)

    def __call__(self, environ, start_response):
        if address_in(environ.get("REMOTE_ADDR"), self.networks):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)


def address_in(address: str | None, networks: list) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    return any(ip in network for network in networks)


def is_direct_loopback() -> bool:
    """Does the request come from this machine itself, not relayed by an untrusted proxy?
    (A proxy on this machine that the settings do not name makes every client look local.)"""
    environ = request.environ
    relayed = "werkzeug.proxy_fix.orig" not in environ and any(
        environ.get(name) for name in FORWARDING_HEADERS)
    try:
        local = ipaddress.ip_address((request.remote_addr or "").split("%", 1)[0]).is_loopback
    except ValueError:
        local = False
    return local and not relayed
