"""Roles and CSRF on every staff/admin route of app.url_map (deny by default)."""
from __future__ import annotations

from policy_search import jobs
from tests.web.staff_site import csrf_token, logged_in

# subscriptions: the subscribe form and the token-keyed manage page are public
PUBLIC_BLUEPRINTS = ("public.", "api.", "feeds.", "match.", "auth.", "subscriptions.",
                     "embed.")
STAFF_BLUEPRINTS = ("staff.", "admin.", "staff_subscriptions.")
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Pages that read the index answer 503 here (these tests' site has none).
NEEDS_INDEX = {"staff.export"}


def protected_routes(app, tagged_site):
    """(method, url, endpoint) for every staff/admin rule, with real argument values."""
    job_id = jobs.enqueue(tagged_site.store, "reindex", {}, "tester")
    subscription = tagged_site.store.subscriptions.create(kind="search", query="q=补贴", channel="wecom",
                                                  address="https://qyapi.weixin.qq.com/x?key=k")
    values = {"policy_id": tagged_site.ids[0], "job_id": job_id, "username": "staffer2",
              "source_id": "govcn-api", "subscription_id": subscription.id, "fmt": "xlsx"}
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith(PUBLIC_BLUEPRINTS):
            continue
        url = rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, url, rule.endpoint))
    return routes


def test_every_route_is_public_or_behind_a_role(app):
    # Deny by default: a rule outside the public blueprints must belong to staff or admin.
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith(PUBLIC_BLUEPRINTS):
            continue
        assert rule.endpoint.startswith(STAFF_BLUEPRINTS), rule


def test_anonymous_is_sent_to_login_or_gets_401(app, tagged_site):
    client = app.test_client()
    token = csrf_token(client)  # a valid token, so the role check is what answers
    routes = protected_routes(app, tagged_site)
    assert len(routes) > 20
    for method, url, endpoint in routes:
        data = {"csrf_token": token} if method in STATE_CHANGING else None
        response = client.open(url, method=method, data=data)
        if url.endswith(".json"):
            assert response.status_code == 401, (method, url)
            assert response.get_json()["status"] == 401
        else:
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/login?next="), (method, url)


def test_staff_gets_403_on_admin_and_in_on_staff_pages(app, tagged_site):
    client = logged_in(app, "staffer")
    token = csrf_token(client, "/staff/")
    for method, url, endpoint in protected_routes(app, tagged_site):
        data = {"csrf_token": token} if method in STATE_CHANGING else None
        response = client.open(url, method=method, data=data)
        if endpoint.startswith("admin."):
            assert response.status_code == 403, (method, url)
        elif method == "GET":
            assert response.status_code == (503 if endpoint in NEEDS_INDEX else 200), (method, url)
        else:
            assert response.status_code not in (401, 403), (method, url)


def test_admin_opens_every_page(app, tagged_site):
    client = logged_in(app, "boss")
    for method, url, endpoint in protected_routes(app, tagged_site):
        if method == "GET":
            response = client.get(url)
            expected = 503 if endpoint in NEEDS_INDEX else 200
            assert response.status_code == expected, (url, response.status_code)


def test_every_state_changing_route_needs_the_csrf_token(app, tagged_site):
    client = logged_in(app, "boss")
    changing = [(m, u) for m, u, _ in protected_routes(app, tagged_site) if m in STATE_CHANGING]
    changing += [("POST", "/logout"), ("POST", "/login")]
    assert len(changing) >= 12
    for method, url in changing:
        response = client.open(url, method=method, data={"username": "boss"})
        assert response.status_code == 400, (method, url)
        assert "安全校验" in response.get_data(as_text=True)
    # a wrong token is refused too
    response = client.post("/admin/users/add", data={"csrf_token": "forged", "username": "eve"})
    assert response.status_code == 400
    assert tagged_site.store.accounts.get("eve") is None


def test_public_get_forms_still_work_with_csrf_on(app):
    client = app.test_client()
    assert client.get("/healthz").status_code in (200, 503)
    assert client.get("/robots.txt").status_code == 200
    # a POST to a GET-only public page is a 405, not a CSRF 400
    assert client.post("/robots.txt").status_code == 405


def test_staff_pages_may_load_own_scripts_only(app, tagged_site):
    client = logged_in(app, "boss")
    response = client.get("/admin/jobs")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["Cache-Control"] == "no-store"
    assert 'src="/static/admin.js"' in response.get_data(as_text=True)
    assert "<script>" not in response.get_data(as_text=True)
