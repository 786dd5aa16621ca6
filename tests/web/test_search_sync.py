"""Staff edits reach search within seconds; a reindex job started from the admin page
swaps generations while clients search, without a failed search."""
from __future__ import annotations

import threading
import time

import pytest

from index.build import index_status, rebuild
from index.search import SearchIndex
from policy_search import jobs
from policy_search.domain.store import Store
from tests.web.staff_site import logged_in, post_form, review_form


@pytest.fixture
def indexed_app(tagged_site):
    from web import create_app

    rebuild(tagged_site.store, tagged_site.settings.index_path)
    index = SearchIndex(tagged_site.settings.index_path)
    app = create_app(tagged_site.settings, store=tagged_site.store, index=index, start_sync=True, testing=True)
    yield app
    app.extensions["policy_search"].sync.stop()


def industry_counts(client, **params) -> dict[str, int]:
    body = client.get("/api/search", query_string={"size": 1, **params}).get_json()
    return {f["value"]: f["count"] for f in body["facets"].get("industry", [])}


def test_tag_edit_shows_in_api_facets_within_two_seconds(indexed_app, tagged_site):
    public = indexed_app.test_client()
    value = "金融业"
    without = [i for i in tagged_site.ids if value not in
               tagged_site.store.policies.get(i).active_tags().get("industry", [])]
    before = industry_counts(public).get(value, 0)
    staff = logged_in(indexed_app, "staffer")
    policy_id = without[0]
    _html, hidden = review_form(staff, policy_id)
    response = staff.post(f"/staff/policy/{policy_id}", data={
        **hidden, "op": "save", "add_facet": "industry", "add_value": value})
    assert response.status_code == 302
    saved = time.monotonic()
    while industry_counts(public).get(value, 0) != before + 1:
        assert time.monotonic() - saved < 2.0, "the tag did not reach search within 2 s"
        time.sleep(0.05)
    hits = public.get("/api/search", query_string={"industry": value}).get_json()["hits"]
    assert policy_id in {h["id"] for h in hits}
    # a rejection takes the tag away again just as fast
    _html, hidden = review_form(staff, policy_id)
    staff.post(f"/staff/policy/{policy_id}", data={
        **hidden, "op": "save", f"d:industry:{value}": "reject"})
    saved = time.monotonic()
    while industry_counts(public).get(value, 0) != before:
        assert time.monotonic() - saved < 2.0
        time.sleep(0.05)


@pytest.mark.slow
def test_reindex_job_from_admin_page_while_clients_search(indexed_app, tagged_site):
    from policy_search.app.job_kinds import register_real_kinds

    old_generation = index_status(tagged_site.settings.index_path).generation
    stop = threading.Event()
    outcomes: list[int] = []
    failures: list[str] = []

    def search_client(words: str) -> None:
        client = indexed_app.test_client()
        while not stop.is_set():
            response = client.get("/api/search", query_string={"q": words})
            outcomes.append(response.status_code)
            if response.status_code != 200 or "hits" not in response.get_json():
                failures.append(f"{response.status_code} {response.get_data(as_text=True)[:200]}")

    clients = [threading.Thread(target=search_client, args=(w,)) for w in ("条例", "企业", "管理")]
    for thread in clients:
        thread.start()
    try:
        admin = logged_in(indexed_app, "boss")
        response = post_form(admin, "/admin/jobs/start", {"kind": "reindex"}, "/admin/jobs")
        job_id = int(response.headers["Location"].rsplit("/", 1)[1])
        register_real_kinds()
        worker_store = Store(tagged_site.settings.db_path)
        ran = jobs.Worker(worker_store, settings=tagged_site.settings, poll_interval=0.1).run(once=True)
        worker_store.close()
        assert ran == 1
        job = admin.get(f"/admin/jobs/{job_id}.json").get_json()
        assert job["state"] == "succeeded", job
        assert job["percent"] == 100.0 and job["result"]["documents"] == len(tagged_site.ids)
        time.sleep(0.6)  # searches keep running across the switch
    finally:
        stop.set()
        for thread in clients:
            thread.join(10)
    assert failures == [] and len(outcomes) > 20
    new_generation = index_status(tagged_site.settings.index_path).generation
    assert new_generation != old_generation and new_generation == job["result"]["generation"]
    served = indexed_app.extensions["policy_search"].index
    served.refresh()
    assert served.generation == new_generation
    assert indexed_app.test_client().get("/api/search?q=条例").status_code == 200
