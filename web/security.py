"""Response headers, CORS for the read-only API, and friendly error pages.

The site ships no JavaScript at all, so the CSP forbids every script; styles come only
from our own stylesheet (no inline style attributes, which also strips them from any
crawled HTML that slipped through).
"""
from __future__ import annotations

import logging

from flask import Flask, abort, current_app, g, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

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
    """Refuse an oversized body before any view runs (the server caps it too)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and (request.content_length or 0) > limit:
        abort(413)


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
    return error_response(400, error.message, error.param)


def handle_http_error(error: HTTPException):
    status = error.code or 500
    response = error_response(status, ERROR_HINTS.get(status) or error.description)
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def handle_unexpected(error: Exception):
    log.exception("unhandled error on %s", request.path)
    return error_response(500)
