"""The session cookie's Secure flag by scheme and proxy settings, and a login over plain
http: refused with the reason (HTTPS, or the setting that allows http) instead of
failing later as an expired form."""
from __future__ import annotations

import pytest

from policy_search.domain.review_queue import admin_actions
from tests.web.staff_site import PASSWORDS, TOKEN

HTTPS = "https://policy.example.gov.cn"
HTTP = "http://policy.example.gov.cn"
LAN = {"REMOTE_ADDR": "192.168.1.50"}


def make_app(site_factory, **settings):
    from web import create_app

    tagged_site = site_factory(**settings)
    return create_app(tagged_site.settings, store=tagged_site.store, index=None, testing=True), tagged_site


def login_over(client, base_url: str, username: str = "staffer", environ: dict | None = None,
               headers: dict | None = None, browser_url: str | None = None):
    """GET the form and POST it the way a browser at base_url would: (GET, POST)."""
    extra = {"base_url": base_url, "environ_base": environ or {}, "headers": headers or {}}
    page = client.get("/login", **extra)
    found = TOKEN.search(page.get_data(as_text=True))
    if found is None:
        return page, None
    # a browser sends the page it posts from (checked over https)
    extra["headers"] = {**extra["headers"], "Referer": (browser_url or base_url) + "/login"}
    post = client.post("/login", data={"username": username, "password": PASSWORDS[username],
                                       "csrf_token": found.group(1)}, **extra)
    return page, post


def session_cookie(response) -> str:
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("ps_session="))


def test_auto_https_gets_a_secure_cookie(site_factory):
    app, _ = make_app(site_factory, session_cookie_secure="auto")
    _, post = login_over(app.test_client(), HTTPS, environ=LAN)
    assert post.status_code == 302
    cookie = session_cookie(post)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # a permanent session with the configured lifetime


def test_auto_http_from_this_machine_works_without_secure(site_factory):
    app, _ = make_app(site_factory, session_cookie_secure="auto")
    client = app.test_client()
    _, post = login_over(client, "http://127.0.0.1:8000")
    assert post.status_code == 302
    assert "Secure" not in session_cookie(post)
    assert client.get("/staff/", base_url="http://127.0.0.1:8000").status_code == 200


def test_auto_http_from_the_network_says_https_is_needed(site_factory):
    app, tagged_site = make_app(site_factory, session_cookie_secure="auto")
    client = app.test_client()
    page, post = login_over(client, HTTP, environ=LAN)
    assert post is None  # no form to fill in: it could not work
    html = page.get_data(as_text=True)
    assert "登录需要 HTTPS" in html and "session_cookie_secure 设为 0" in html
    assert "trusted_proxies" in html and 'type="password"' not in html
    # a post made anyway (an old tab, a script) is refused with the same reason
    forged = client.post("/login", base_url=HTTP, environ_base=LAN,
                         data={"username": "staffer", "password": PASSWORDS["staffer"]})
    assert forged.status_code in (400, 403)
    assert "登录需要 HTTPS" in forged.get_data(as_text=True)
    assert "表单已过期" not in forged.get_data(as_text=True)
    assert not [a for a in admin_actions(tagged_site.store) if a["action"] == "login"]


def test_trusted_proxy_with_https_gets_a_secure_cookie_and_the_client_address(site_factory):
    app, tagged_site = make_app(site_factory, session_cookie_secure="auto",
                         trusted_proxies="10.0.0.1, 172.16.0.0/12")
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.168.7.8"}
    for proxy in ("10.0.0.1", "172.20.3.4"):
        # the proxy talks http to the site; the browser is on https
        _, post = login_over(app.test_client(), HTTP, environ={"REMOTE_ADDR": proxy},
                             headers=proxied, browser_url=HTTPS)
        assert post.status_code == 302, proxy
        assert "Secure" in session_cookie(post)
    logins = [a for a in admin_actions(tagged_site.store) if a["action"] == "login"]
    assert logins and all("192.168.7.8" in str(a["detail"]) for a in logins)


@pytest.mark.parametrize("remote", ["10.0.0.2", "127.0.0.1"])
def test_forwarded_headers_from_an_untrusted_proxy_are_ignored(site_factory, remote):
    """Anyone may send X-Forwarded-Proto; and a proxy on this machine that the settings do
    not name makes every client look local."""
    app, _ = make_app(site_factory, session_cookie_secure="auto", trusted_proxies="10.0.0.1")
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.168.7.8"}
    page, post = login_over(app.test_client(), HTTP, environ={"REMOTE_ADDR": remote}, headers=headers)
    assert post is None and "登录需要 HTTPS" in page.get_data(as_text=True)
    assert "Secure" not in session_cookie(page)


def test_always_secure_over_http_names_the_setting(site_factory):
    app, _ = make_app(site_factory, session_cookie_secure=1)
    client = app.test_client()
    page, post = login_over(client, "http://127.0.0.1:8000")
    assert post is None
    assert "session_cookie_secure = 1" in page.get_data(as_text=True)
    # A form fetched over https and posted over http: the browser keeps the Secure cookie
    # to itself, the CSRF token is missing, and the message says why.
    form = client.get("/login", base_url=HTTPS)
    token = TOKEN.search(form.get_data(as_text=True)).group(1)
    client.delete_cookie("ps_session", domain="policy.example.gov.cn")
    response = client.post("/login", base_url=HTTP, data={
        "username": "staffer", "password": PASSWORDS["staffer"], "csrf_token": token})
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "session_cookie_secure = 1" in text
    assert "表单已过期" not in text
    _, post = login_over(app.test_client(), HTTPS, environ=LAN)
    assert post.status_code == 302 and "Secure" in session_cookie(post)


def test_never_secure_allows_http_on_a_trusted_network(site_factory):
    app, _ = make_app(site_factory, session_cookie_secure=0)
    client = app.test_client()
    _, post = login_over(client, HTTP, environ=LAN)
    assert post.status_code == 302 and "Secure" not in session_cookie(post)
    assert client.get("/staff/", base_url=HTTP, environ_base=LAN).status_code == 200


def test_missing_cookie_over_https_says_cookies_are_needed(site_factory):
    app, _ = make_app(site_factory, session_cookie_secure="auto")
    client = app.test_client()
    form = client.get("/login", base_url=HTTPS)
    token = TOKEN.search(form.get_data(as_text=True)).group(1)
    client.delete_cookie("ps_session", domain="policy.example.gov.cn")
    response = client.post("/login", base_url=HTTPS, headers={"Referer": HTTPS + "/login"},
                           data={"username": "staffer", "password": PASSWORDS["staffer"],
                                 "csrf_token": token})
    assert response.status_code == 400 and "Cookie" in response.get_data(as_text=True)


@pytest.mark.parametrize("settings, name", [({"session_cookie_secure": "sometimes"}, "session_cookie_secure"),
                                            ({"trusted_proxies": "10.0.0.300"}, "trusted_proxies")])
def test_unreadable_settings_are_named(site_factory, settings, name):
    with pytest.raises(ValueError, match=name):
        make_app(site_factory, **settings)
