"""Sessions end on the server: after /logout a copied cookie opens nothing, in every web
process; a password change or disabling ends all of the user's sessions."""
from __future__ import annotations

from policy_search.domain.accounts import change_password, set_active
from policy_search.domain.store import Store
from tests.web.staff_site import csrf_token, logged_in

COOKIE = "ps_session"


def copy_of(client, app):
    """A second browser holding a copy of the first one's session cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def logout(client):
    token = csrf_token(client, "/staff/")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302


def open_sessions(store, username):
    return store.conn.execute("SELECT count(*) FROM staff_sessions WHERE username = ?",
                              (username,)).fetchone()[0]


def test_copied_cookie_opens_nothing_after_logout(app, tagged_site):
    client = logged_in(app, "staffer")
    thief = copy_of(client, app)
    assert thief.get("/staff/").status_code == 200  # the copy works while the session lives
    logout(client)
    response = thief.get("/staff/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert thief.get("/admin/", headers={"Accept": "application/json"}).status_code in (302, 401)
    assert open_sessions(tagged_site.store, "staffer") == 0


def test_logout_in_one_worker_ends_the_session_in_another(tagged_site):
    """`serve --workers N`: each process has its own app and store connection."""
    from web import create_app

    def worker():
        return create_app(tagged_site.settings, store=Store(tagged_site.settings.db_path), index=None, testing=True)

    first, second = worker(), worker()
    second.config["SECRET_KEY"] = first.config["SECRET_KEY"]  # one key, as from the data dir
    client = logged_in(first, "staffer")
    elsewhere = copy_of(client, second)
    assert elsewhere.get("/staff/").status_code == 200
    logout(client)
    assert elsewhere.get("/staff/").status_code == 302


def test_logout_ends_only_that_session(app, tagged_site):
    office = logged_in(app, "staffer")
    laptop = logged_in(app, "staffer")
    assert open_sessions(tagged_site.store, "staffer") == 2
    logout(office)
    assert office.get("/staff/").status_code == 302
    assert laptop.get("/staff/").status_code == 200
    assert open_sessions(tagged_site.store, "staffer") == 1


def test_password_change_and_disabling_end_every_session(app, tagged_site):
    first, second = logged_in(app, "staffer"), logged_in(app, "staffer")
    thief = copy_of(first, app)
    change_password(tagged_site.store, "staffer", "a-new-password-9")
    assert open_sessions(tagged_site.store, "staffer") == 0
    for client in (first, second, thief):
        assert client.get("/staff/").status_code == 302
    boss = logged_in(app, "boss")
    set_active(tagged_site.store, "boss", False)
    assert open_sessions(tagged_site.store, "boss") == 0
    assert boss.get("/staff/").status_code == 302


def test_a_forged_session_token_is_refused(app, tagged_site):
    client = logged_in(app, "staffer")
    with client.session_transaction() as session:
        user_id = session["_user_id"]
        name, fingerprint, _ = user_id.split("|")
        session["_user_id"] = f"{name}|{fingerprint}|not-a-token-the-server-issued"
    assert client.get("/staff/").status_code == 302
