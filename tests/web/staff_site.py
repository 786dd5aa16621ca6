"""Fixtures for the staff and admin pages: a small store of real corpus documents,
auto-tagged by the real tagger, with an admin and a staff account; helpers to log in
and to submit forms with their CSRF token."""
from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from policy_search.domain.accounts import create_user
from policy_search.domain.importer import policy_from_record
from policy_search.settings import Settings
from policy_search.domain.store import Store
from policy_search.domain.tagging import tag_policies
from tests.conftest import shared_path

CORPUS_STEP = 400  # every 400th corpus document: a dozen real policies
PASSWORDS = {"boss": "admin-password-1", "staffer": "staff-password-1",
             "staffer2": "staff-password-2"}
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@dataclass
class Site:
    settings: Settings
    store: Store
    ids: list[str]

    @property
    def index(self):
        return NoIndex()  # the staff pages need none


def corpus_policies(step: int = CORPUS_STEP):
    with open(shared_path("corpus", "documents.jsonl"), encoding="utf-8") as f:
        return [policy_from_record(json.loads(line)) for n, line in enumerate(f) if n % step == 0]


def make_site(data_dir: Path, template: Path | None = None, **settings) -> Site:
    """A data directory with the test policies and accounts; copied from `template`
    (an earlier site's store) when given, which is much faster than building it."""
    settings = Settings(**{"data_dir": data_dir, "secret_key": "test-secret",
                           "session_cookie_secure": 0, **settings})
    data_dir.mkdir(parents=True, exist_ok=True)
    if template is not None:
        source = sqlite3.connect(template)
        target = sqlite3.connect(settings.db_path)
        source.backup(target)
        source.close()
        target.close()
        store = Store(settings.db_path)
        return Site(settings, store, _ordered_ids(store))
    store = Store(settings.db_path)
    ids = []
    for policy in corpus_policies():
        store.policies.upsert(policy)
        ids.append(policy.id)
    tag_policies(store, ids)
    create_user(store, "boss", PASSWORDS["boss"], "admin")
    create_user(store, "staffer", PASSWORDS["staffer"], "staff")
    create_user(store, "staffer2", PASSWORDS["staffer2"], "staff")
    return Site(settings, store, _ordered_ids(store))


def _ordered_ids(store: Store) -> list[str]:
    return [r[0] for r in store.conn.execute("SELECT id FROM policies ORDER BY rowid")]


@pytest.fixture(scope="session")
def template_site(tmp_path_factory) -> Site:
    return make_site(tmp_path_factory.mktemp("template") / "data")


@pytest.fixture
def tagged_site(tmp_path, template_site) -> Site:
    return make_site(tmp_path / "data", template_site.settings.db_path)


@pytest.fixture
def site_factory(tmp_path, template_site):
    """make(**settings) -> a fresh Site with those settings."""
    count = iter(range(100))
    return lambda **settings: make_site(tmp_path / f"data{next(count)}",
                                        template_site.settings.db_path, **settings)


class NoIndex:
    """The staff pages need no index; the public pages answer 503 without one."""

    def search(self, request):
        raise RuntimeError("no index in this test")

    def is_usable(self) -> bool:
        return False

    def doc_count(self) -> int:
        return 0

    def region_codes(self) -> list[str]:
        raise RuntimeError("no index in this test")


def csrf_token(client, path: str = "/login") -> str:
    page = client.get(path)
    found = TOKEN.search(page.get_data(as_text=True))
    assert found, f"no csrf token on {path}"
    return found.group(1)


def login(client, username: str, password: str | None = None, **extra):
    token = csrf_token(client)
    return client.post("/login", data={"username": username,
                                       "password": password or PASSWORDS[username],
                                       "csrf_token": token}, **extra)


def logged_in(app, username: str):
    client = app.test_client()
    response = login(client, username)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def post_form(client, path: str, data: dict | list, token_from: str = "/staff/"):
    """POST with the CSRF token of a page the user can see."""
    token = csrf_token(client, token_from)
    if isinstance(data, dict):
        data = list(data.items())
    from werkzeug.datastructures import MultiDict

    return client.post(path, data=MultiDict([("csrf_token", token), *data]))


def review_form(client, policy_id: str) -> tuple[str, dict]:
    """The review page and its hidden fields (version, token)."""
    html = client.get(f"/staff/policy/{policy_id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    token = TOKEN.search(html).group(1)
    return html, {"version": version, "csrf_token": token}
