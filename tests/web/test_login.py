"""Login, logout, throttling, cookie flags, session expiry and invalidation."""
from __future__ import annotations

import time

from policy_search.domain.accounts import change_password, set_active
from tests.web.staff_site import PASSWORDS, csrf_token, logged_in, login


def test_login_redirects_and_logout_ends_the_session(app):
    client = app.test_client()
    response = login(client, "staffer", query_string={"next": "/staff/?level=county"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/?level=county"
    assert client.get("/staff/").status_code == 200
    token = csrf_token(client, "/staff/")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/staff/").status_code == 302


def test_wrong_password_and_open_redirects_refused(app):
    client = app.test_client()
    response = login(client, "staffer", "not-the-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        client = app.test_client()
        response = login(client, "staffer", query_string={"next": target})
        assert response.headers["Location"] == "/staff/", target


def test_throttling_per_account(app):
    client = app.test_client()
    for _ in range(5):
        assert login(client, "staffer", "wrong-password!").status_code == 401
    # now even the right password is refused for a while
    response = login(client, "staffer")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.get_data(as_text=True)
    # another account from another address is not affected
    other = app.test_client()
    assert login(other, "boss", environ_base={"REMOTE_ADDR": "10.1.1.9"}).status_code == 302


def test_throttling_per_ip(site_factory):
    from web import create_app

    tagged_site = site_factory(login_max_failures=2)
    app = create_app(tagged_site.settings, store=tagged_site.store, index=None, testing=True)
    client = app.test_client()
    address = {"REMOTE_ADDR": "10.9.9.9"}
    for number in range(8):  # 4 × the per-account limit, spread over many names
        response = login(client, f"nobody{number}", "wrong-password!", environ_base=address)
        assert response.status_code == 401
    assert login(client, "boss", environ_base=address).status_code == 429
    assert login(app.test_client(), "boss", environ_base={"REMOTE_ADDR": "10.9.9.10"}).status_code == 302


def test_throttling_is_shared_by_worker_processes_and_outlives_a_restart(site_factory):
    """`serve --workers N` runs N processes, each with its own app and store connection:
    failures counted in one must lock the account in all of them."""
    from policy_search.domain.store import Store
    from web import create_app
    from web.auth import THROTTLE_WINDOW

    tagged_site = site_factory(login_max_failures=2)

    def worker():
        store = Store(tagged_site.settings.db_path)
        return create_app(tagged_site.settings, store=store, index=None, testing=True)

    first, second = worker(), worker()
    assert login(first.test_client(), "staffer", "wrong-password!").status_code == 401
    assert login(second.test_client(), "staffer", "wrong-password!").status_code == 401
    assert login(first.test_client(), "staffer").status_code == 429
    restarted = worker()
    assert login(restarted.test_client(), "staffer").status_code == 429
    # the window passes: the right password works again, and success clears the count
    throttle = restarted.extensions["login_throttle"]
    throttle.clock = lambda: time.time() + THROTTLE_WINDOW + 1
    assert login(restarted.test_client(), "staffer").status_code == 302
    assert tagged_site.store.accounts.login_failures("user:staffer", since=0) == []


def test_session_expires(app, monkeypatch):
    """A session unused for longer than its lifetime is over (the signed cookie's age is
    checked against the lifetime: the signer's clock is moved on instead of waiting)."""
    import datetime as dt

    from itsdangerous.timed import TimestampSigner

    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(minutes=30)
    client = logged_in(app, "staffer")
    later = {"seconds": 29 * 60}
    monkeypatch.setattr(TimestampSigner, "get_timestamp",
                        lambda self: int(time.time()) + later["seconds"])
    assert client.get("/staff/").status_code == 200  # used again: the session goes on from now
    later["seconds"] += 31 * 60
    response = client.get("/staff/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_password_reset_and_disabling_end_sessions(app, tagged_site):
    client = logged_in(app, "staffer")
    change_password(tagged_site.store, "staffer", "a-new-password-9")
    assert client.get("/staff/").status_code == 302
    PASSWORDS_AFTER = "a-new-password-9"
    client = app.test_client()
    assert login(client, "staffer", PASSWORDS_AFTER).status_code == 302
    set_active(tagged_site.store, "staffer", False)
    assert client.get("/staff/").status_code == 302
    assert login(app.test_client(), "staffer", PASSWORDS_AFTER).status_code == 401
    assert PASSWORDS["staffer"] != PASSWORDS_AFTER
