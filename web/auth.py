"""Staff login: /login and /logout, Flask-Login sessions, CSRF, throttling, roles.

Deny by default: the staff and admin blueprints call `require_role(bp, role)`, which
checks every request of the blueprint before any view runs; a view cannot forget it.
An anonymous visitor is sent to /login (a JSON endpoint answers 401), a signed-in
user without the role gets 403.

Sessions are known to the server: the signed cookie carries a random token whose hash is
kept in the store (staff_sessions) and checked on every request, in whichever web
process answers it. Logging out deletes it, so a copy of the cookie opens nothing
afterwards; changing the password or disabling the user deletes all of that user's. The
session id also includes a fingerprint of the password hash. Disabling a user or
changing the role takes effect on the next request (the user is reloaded from the store
every time).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from urllib.parse import urlsplit

from flask import (Blueprint, Flask, abort, current_app, flash, jsonify, redirect, render_template,
                   request, session, url_for)
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from policy_search.domain.accounts import authenticate, has_role
from policy_search.domain.review_queue import record_admin_action
from policy_search.domain.store import User
from web.app import services
from web.security import is_direct_loopback

bp = Blueprint("auth", __name__)
csrf = CSRFProtect()
login_manager = LoginManager()

THROTTLE_WINDOW = 15 * 60  # seconds over which failed logins are counted
IP_FACTOR = 4  # an address may fail this many times the per-account limit
MAX_SESSION_HOURS = 24  # a session ends this long after login even when kept busy
ROLE_NAMES = {"staff": "工作人员", "admin": "管理员"}


class StaffUser(UserMixin):
    """The signed-in account as Flask-Login sees it."""

    def __init__(self, user: User, token: str):
        self.user = user
        self.username = user.username
        self.role = user.role
        self.token = token  # this session's, as kept (hashed) in the store

    def get_id(self) -> str:
        return f"{self.username}|{password_fingerprint(self.user.password_hash)}|{self.token}"

    @property
    def is_active(self) -> bool:
        return self.user.active

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)

    def has_role(self, role: str) -> bool:
        return has_role(self.user, role)


def password_fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> StaffUser:
    """A new server-side session for the user (sessions older than the longest a session
    may last are forgotten meanwhile)."""
    token = secrets.token_urlsafe(32)
    moment = time.time()
    services().store.accounts.add_session(token_hash(token), user.username, moment,
                                          forget_before=moment - MAX_SESSION_HOURS * 3600)
    return StaffUser(user, token)


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=256)])


# --- throttling ---------------------------------------------------------------------

class LoginThrottle:
    """Failed logins per account and per client address in a sliding window, kept in the
    store: every web process counts them together, and a restart does not forget."""

    def __init__(self, store, max_failures: int, window: float = THROTTLE_WINDOW,
                 clock=time.time):
        self.store = store
        self.max_failures = max_failures
        self.window = window
        self.clock = clock  # wall time: the processes share it

    def wait_seconds(self, username: str, address: str) -> int:
        """0 when a login may be tried now, else how long until it may."""
        moment = self.clock()
        waits = []
        for key, limit in ((_user_key(username), self.max_failures),
                           (f"ip:{address}", self.max_failures * IP_FACTOR)):
            entries = self.store.accounts.login_failures(key, since=moment - self.window)
            if len(entries) >= limit:
                waits.append(entries[len(entries) - limit] + self.window - moment)
        return int(max(waits)) + 1 if waits else 0

    def failed(self, username: str, address: str) -> None:
        moment = self.clock()
        self.store.accounts.record_login_failure([_user_key(username), f"ip:{address}"], moment,
                                                 forget_before=moment - self.window)

    def succeeded(self, username: str) -> None:
        self.store.accounts.clear_login_failures(_user_key(username))


def _user_key(username: str) -> str:
    return f"user:{username.lower()}"


def throttle() -> LoginThrottle:
    return current_app.extensions["login_throttle"]


# --- the Secure flag and logins over http --------------------------------------------

class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the Secure flag chosen per request.

    The session cookie also carries flask-wtf's CSRF token: a Secure cookie set over http
    is dropped by the browser, so the next form post finds no token. That is why the flag
    follows the request's scheme (auto), and why a login over http is refused with the
    reason rather than left to fail as an expired form.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        mode = app.config["COOKIE_SECURE_MODE"]
        return request.is_secure if mode == "auto" else mode == "always"


def http_login_problem() -> list[str] | None:
    """Why a staff login cannot happen over this connection (the reason, then what to do,
    one sentence each), else None."""
    if request.is_secure:
        return None
    mode = current_app.config["COOKIE_SECURE_MODE"]
    what_to_do = [
        "请改用 https:// 地址访问本站。",
        "若本站在已启用 HTTPS 的反向代理之后：在设置 trusted_proxies 中写明代理的地址，"
        "并让代理发送 X-Forwarded-Proto。",
        "若确实只在可信的内部网络中用 http 访问：把设置 session_cookie_secure 设为 0"
        "（配置文件 DATA_DIR/config.toml，或环境变量 POLICY_SEARCH_SESSION_COOKIE_SECURE=0），"
        "然后重启服务。",
    ]
    if mode == "always":
        return ["本站设置为只通过 HTTPS 登录（session_cookie_secure = 1）：经 http 访问时，"
                "浏览器不会保存登录凭据，登录无法完成。", *what_to_do]
    if mode == "auto" and not is_direct_loopback():
        return ["登录需要 HTTPS 连接：用户名、密码和登录凭据不能以明文在网络上传输。", *what_to_do]
    return None


# --- app wiring ---------------------------------------------------------------------

def setup(app: Flask) -> None:
    settings = app.extensions["policy_search"].settings
    app.session_interface = SessionInterface()
    app.config.update(
        SESSION_COOKIE_NAME="ps_session",
        COOKIE_SECURE_MODE=settings.cookie_secure_mode(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=int(settings.session_minutes)),
        SESSION_REFRESH_EACH_REQUEST=True,
        # The token lives as long as the session (which expires on its own).
        WTF_CSRF_TIME_LIMIT=None,
        # Over https, a form post must come from a page of this site (the Referer).
        WTF_CSRF_SSL_STRICT=True,
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.session_protection = "basic"
    app.extensions["login_throttle"] = LoginThrottle(app.extensions["policy_search"].store,
                                                     int(settings.login_max_failures))
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.before_request(end_old_session)


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    username, _, rest = user_id.partition("|")
    fingerprint, _, token = rest.partition("|")
    store = services().store
    if not token or not store.accounts.session_open(token_hash(token), username):
        return None  # logged out (in any process), or a session from before sessions were kept
    user = store.accounts.get(username)
    if user is None or not user.active or password_fingerprint(user.password_hash) != fingerprint:
        return None
    return StaffUser(user, token)


@login_manager.unauthorized_handler
def unauthorized():
    if wants_json():
        return jsonify({"error": "未登录", "message": "请先登录", "status": 401}), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def wants_json() -> bool:
    return (request.path.endswith(".json") or "/api/" in request.path
            or request.accept_mimetypes.best == "application/json")


def end_old_session():
    started = session.get("login_at")
    if started and time.time() - started > MAX_SESSION_HOURS * 3600:
        if current_user.is_authenticated:
            services().store.accounts.end_sessions(token_hash=token_hash(current_user.token))
        logout_user()
        session.clear()


def handle_csrf_error(error: CSRFError):
    from web.security import error_response

    # The usual cause over http: the browser dropped the Secure session cookie, and with
    # it the CSRF token. Say that, not "expired".
    refused = http_login_problem()
    message = " ".join(refused) if refused else None
    if message is None and current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        message = ("表单已过期，或浏览器没有保存本站的 Cookie（登录和表单需要 Cookie），"
                   "请允许本站使用 Cookie 后刷新页面重新提交。")
    message = message or "表单已过期或缺少安全校验码，请刷新页面后重新提交。"
    if wants_json():
        return jsonify({"error": "请求有误", "message": message, "status": 400}), 400
    return error_response(400, message)


def require_role(blueprint: Blueprint, role: str) -> None:
    """Every request to the blueprint needs a signed-in user with the role."""

    @blueprint.before_request
    def check_role():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.has_role(role):
            if wants_json():
                return jsonify({"error": "没有权限", "message": "此操作需要管理员权限",
                                "status": 403}), 403
            abort(403)
        return None

    @blueprint.after_request
    def staff_headers(response):
        # Staff pages load their own scripts (no inline script) and are never cached.
        from web.security import CSP

        response.headers["Content-Security-Policy"] = CSP.replace(
            "script-src 'none'", "script-src 'self'")
        response.headers["Cache-Control"] = "no-store"
        return response


def client_address() -> str:
    # Behind a proxy named in trusted_proxies, REMOTE_ADDR is the client's (ProxyFix).
    return request.remote_addr or "unknown"


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no //evil.example."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return None
    return target


# --- views --------------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    next_url = safe_next(request.args.get("next") or request.form.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or url_for("staff.queue"))
    refused = http_login_problem()
    if refused:
        response = render_template("staff/login.html", form=form, next_url=next_url,
                                   refused=refused)
        return response, 403 if request.method == "POST" else 200, {"Cache-Control": "no-store"}
    if form.validate_on_submit():
        username = form.username.data.strip()
        address = client_address()
        wait = throttle().wait_seconds(username, address)
        if wait:
            flash(f"登录失败次数过多，请约 {max(1, wait // 60)} 分钟后再试。", "error")
            status = 429
        else:
            user = authenticate(services().store, username, form.password.data)
            if user is None:
                throttle().failed(username, address)
                flash("用户名或密码错误，或账号已停用。", "error")
                status = 401
            else:
                throttle().succeeded(username)
                session.clear()  # no fixation: a fresh session (and CSRF token) per login
                login_user(start_session(user))
                session.permanent = True
                session["login_at"] = time.time()
                record_admin_action(services().store, "login", f"user:{user.username}",
                                    user.username, {"ip": address})
                return redirect(next_url or url_for("staff.queue"))
    elif request.method == "POST":
        status = 400
    response = render_template("staff/login.html", form=form, next_url=next_url)
    return response, status, {"Cache-Control": "no-store"}


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        services().store.accounts.end_sessions(token_hash=token_hash(current_user.token))
        record_admin_action(services().store, "logout", f"user:{current_user.username}",
                            current_user.username)
    logout_user()
    session.clear()
    flash("已退出登录。", "info")
    return redirect(url_for("auth.login"))
