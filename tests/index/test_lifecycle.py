"""Index lifecycle: atomic rebuild, token cache, searching during rebuilds, crash
safety, incremental sync, status."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from index import layout
from index.api import SearchRequest
from index.build import index_status, rebuild, start_sync_thread, sync
from index.search import SearchIndex
from tests.conftest import held_files
from tests.index.conftest import build_fixture_store, crafted_policies, real_rows

ROOT = Path(__file__).resolve().parents[2]
CANARY = "长县政发〔2023〕7号"


@pytest.fixture
def fresh(tmp_path):
    store = build_fixture_store(tmp_path / "policies.sqlite3", real_rows(20))
    yield store, tmp_path / "index"
    store.close()


@pytest.mark.slow
def test_rebuild_switches_atomically_and_removes_generations_nobody_uses(fresh):
    store, index_path = fresh
    first = rebuild(store, index_path, procs=1)
    assert first.documents == store.policies.count() and first.analyzed == first.documents
    assert layout.read_pointer(index_path)["generation"] == first.generation
    second = rebuild(store, index_path, procs=1)
    third = rebuild(store, index_path, procs=1)
    assert third.analyzed == 0 and third.reused == third.documents  # nothing changed
    # no searcher holds the old ones: only the live generation is left on disk
    assert [g.name for g in layout.generations(index_path)] == [third.generation]
    assert second.removed_generations == [first.generation]
    assert third.removed_generations == [second.generation]


def test_a_searcher_dropped_without_close_lets_go_of_its_generation(fresh):
    store, index_path = fresh
    rebuild(store, index_path, procs=1)
    before = held_files(layout.READERS_FILE)
    index = SearchIndex(index_path, refresh_interval=0)
    assert index.search(SearchRequest(q=CANARY)).total >= 1
    assert held_files(layout.READERS_FILE) == before + 1
    del index  # a long-lived worker opens one per delivery round
    assert held_files(layout.READERS_FILE) == before


@pytest.mark.slow
def test_a_generation_a_searcher_uses_stays_until_it_moves_on(fresh):
    store, index_path = fresh
    first = rebuild(store, index_path, procs=1)
    index = SearchIndex(index_path, refresh_interval=0)
    assert index.search(SearchRequest(q=CANARY)).total >= 1
    second = rebuild(store, index_path, procs=1)
    assert first.generation not in second.removed_generations
    assert {g.name for g in layout.generations(index_path)} == {first.generation, second.generation}
    # the searcher's next search moves it to the live one; it then removes the old one
    assert index.search(SearchRequest(q=CANARY)).total >= 1
    assert index.generation == second.generation
    assert [g.name for g in layout.generations(index_path)] == [second.generation]
    index.close()


_HOLDING_SEARCHER = """
import sys
from index.api import SearchRequest
from index.search import SearchIndex
index = SearchIndex(sys.argv[1], refresh_interval=3600)  # never refreshes on its own
def ask():
    result = index.search(SearchRequest(q="%s", size=5))
    titles = [h.title for h in result.hits]  # stored fields: files read on demand
    print(index.generation, result.total, len(titles), flush=True)
ask()
for line in sys.stdin:
    if line.strip() == "refresh":
        index.refresh()
    ask()
""" % CANARY


@pytest.mark.slow
def test_a_searcher_in_another_process_keeps_its_generation_readable(fresh):
    """A serve worker still searching the previous generation: a rebuild in another
    process does not remove it under it (Whoosh opens segment files on demand)."""
    store, index_path = fresh
    first = rebuild(store, index_path, procs=1)
    reader = subprocess.Popen([sys.executable, "-c", _HOLDING_SEARCHER, str(index_path)], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        generation, total, _titles = reader.stdout.readline().split()
        assert generation == first.generation and int(total) >= 1
        changed = store.policies.get(crafted_policies()[1].id)
        changed.body_text += " 新增条款：全部分桶重写。"
        store.policies.upsert(changed)
        second = rebuild(store, index_path, procs=1, reuse=False)  # nothing shared on disk
        assert first.generation not in second.removed_generations
        reader.stdin.write("search\n")
        reader.stdin.flush()
        generation, total, _titles = reader.stdout.readline().split()
        assert generation == first.generation and int(total) >= 1  # still reads the old one
        reader.stdin.write("refresh\n")
        reader.stdin.flush()
        generation, total, _titles = reader.stdout.readline().split()
        assert generation == second.generation and int(total) >= 1
        assert [g.name for g in layout.generations(index_path)] == [second.generation]
    finally:
        reader.stdin.close()
        reader.wait(timeout=60)


@pytest.mark.slow
def test_rebuild_reports_its_steps_and_moves_within_the_writing_step(fresh):
    from index import build

    store, index_path = fresh
    reports = []
    build.PROGRESS_POLL, saved = 0.0, build.PROGRESS_POLL  # report every document
    try:
        rebuild(store, index_path, procs=1, progress=lambda d, t, s: reports.append((d, t, s)))
    finally:
        build.PROGRESS_POLL = saved
    steps = list(dict.fromkeys(step for _d, _t, step in reports))
    assert steps == [build.STEP_PREPARE, build.STEP_DICTIONARY, build.STEP_WRITE, build.STEP_MERGE,
                     build.STEP_VERIFY, build.STEP_SWITCH, build.STEP_DONE]
    total = store.policies.count()
    writing = [d for d, t, s in reports if s == build.STEP_WRITE]
    # counted per document, not per bucket of documents
    assert len(set(writing)) > build.BUCKETS and writing == sorted(writing) and writing[-1] == total


@pytest.mark.slow
def test_directory_size_counts_a_linked_segment_once(fresh):
    store, index_path = fresh
    rebuild(store, index_path, procs=1)
    index = SearchIndex(index_path, refresh_interval=0)
    index.search(SearchRequest(q=CANARY))  # holds the first generation
    rebuild(store, index_path, procs=1)  # takes every bucket over: hard links
    both = layout.generations(index_path)
    assert len(both) == 2
    sizes = [layout.directory_size(g) for g in both]
    assert layout.directory_size(index_path) < sum(sizes)
    index.close()


@pytest.mark.slow
def test_changed_document_is_reanalyzed_on_rebuild(fresh):
    store, index_path = fresh
    rebuild(store, index_path, procs=1)
    policy = store.policies.get(crafted_policies()[1].id)
    policy.body_text += " 新增条款：数字人民币试点。"
    store.policies.upsert(policy)
    report = rebuild(store, index_path, procs=1)
    assert report.analyzed == 1
    hits = SearchIndex(index_path).search(SearchRequest(q="数字人民币试点")).hits
    assert hits and hits[0].id == policy.id


@pytest.mark.slow
def test_searchers_pick_up_a_new_generation_without_restart(fresh):
    store, index_path = fresh
    rebuild(store, index_path, procs=1)
    index = SearchIndex(index_path, refresh_interval=0)
    before = index.generation
    assert index.search(SearchRequest(q=CANARY)).total >= 1
    rebuild(store, index_path, procs=1)
    assert index.search(SearchRequest(q=CANARY)).total >= 1
    assert index.generation != before


@pytest.mark.slow
def test_rebuild_while_ten_threads_search(fresh):
    store, index_path = fresh
    rebuild(store, index_path, procs=1)
    index = SearchIndex(index_path, refresh_interval=0)
    errors, empty, done = [], [], threading.Event()
    counts = [0] * 10

    def worker(n):
        queries = [CANARY, "稳岗返还", "", "小微企业 补贴"]
        while not done.is_set():
            q = queries[counts[n] % len(queries)]
            try:
                result = index.search(SearchRequest(q=q, page=1 + counts[n] % 2, size=5))
            except Exception as exc:  # search must never raise
                errors.append(repr(exc))
                continue
            if result.mode == "error":
                errors.append(result.message)
            if q == CANARY and (not result.hits or result.hits[0].doc_number != CANARY):
                empty.append(result)
            counts[n] += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    try:
        for _ in range(2):
            rebuild(store, index_path, procs=1)
    finally:
        done.set()
        for t in threads:
            t.join(30)
    assert not errors and not empty
    assert all(counts)


_SLOW_REBUILD = """
import sys, time
from index.build import rebuild
from index import build
from policy_search.domain.store import Store
original = build.document_for
def slow(*args):
    print("adding", flush=True)
    time.sleep(0.3)  # so the test can kill it mid-build
    return original(*args)
build.document_for = slow
rebuild(Store(sys.argv[1]), sys.argv[2], procs=1, reuse=False)
"""


@pytest.mark.slow
def test_kill_9_during_rebuild_leaves_the_old_index_serving(fresh):
    store, index_path = fresh
    live = rebuild(store, index_path, procs=1).generation
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_REBUILD, str(store.path), str(index_path)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(3):  # a few documents into the new generation
            assert proc.stdout.readline().strip() == "adding"
        assert len(layout.generations(index_path)) == 2
        assert proc.poll() is None, "the rebuild finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert layout.read_pointer(index_path)["generation"] == live
    index = SearchIndex(index_path)
    assert index.search(SearchRequest(q=CANARY)).hits[0].doc_number == CANARY
    # The next rebuild is not blocked by locks the dead process held, and removes its debris.
    report = rebuild(store, index_path, procs=1)
    assert layout.read_pointer(index_path)["generation"] == report.generation
    assert len(layout.generations(index_path)) == 2
    assert sync(store, index_path).generation == report.generation


@pytest.mark.slow
def test_incremental_sync_adds_updates_and_deletes(fresh):
    store, index_path = fresh
    rebuild(store, index_path, procs=1)
    index = SearchIndex(index_path, refresh_interval=0)
    from policy_search.domain.models import Policy, policy_id_for

    url = "https://example.gov.cn/new.html"
    new = Policy(id=policy_id_for(url, "新增政策"), url=url, title="关于氢能产业链补贴的新增政策",
                 body_text="氢能产业链企业可申请补贴。", level="county", region_code="430121")
    store.policies.upsert(new)
    status = index_status(index_path, store)
    assert status.pending_changes == 1
    report = sync(store, index_path)
    assert report.applied == 1
    assert index.search(SearchRequest(q="氢能产业链")).hits[0].id == new.id
    store.policies.delete(new.id)
    sync(store, index_path)
    assert new.id not in [h.id for h in index.search(SearchRequest(q="氢能产业链")).hits]
    assert index_status(index_path, store).pending_changes == 0
    assert index.doc_count() == store.policies.count()


@pytest.mark.slow
def test_staff_tag_change_is_searchable_within_two_seconds(fresh):
    store, index_path = fresh
    rebuild(store, index_path, procs=1)
    index = SearchIndex(index_path)
    target = crafted_policies()[0].id
    thread = start_sync_thread(store.path, index_path, interval=0.2)
    try:
        store.tags.set_staff(target, "industry", "制造业", by="staff1")
        started = time.monotonic()
        while time.monotonic() - started < 2.0:
            result = index.search(SearchRequest(q="", filters={"industry": ["制造业"]}))
            if [h.id for h in result.hits] == [target]:
                break
            time.sleep(0.05)
        else:
            pytest.fail("staff tag not searchable within 2 s")
        assert result.hits[0].tags["industry"] == ["制造业"]
    finally:
        thread.stop()
    assert not thread.is_alive() and thread.last_error is None


@pytest.mark.slow
def test_sync_waits_for_the_writer_lock_instead_of_failing(fresh):
    store, index_path = fresh
    rebuild(store, index_path, procs=1)
    store.tags.set_staff(crafted_policies()[1].id, "industry", "金融业", by="staff1")
    held, released = threading.Event(), threading.Event()

    def hold():
        with layout.writer_lock(index_path):
            held.set()
            time.sleep(0.5)
            released.set()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    report = sync(store, index_path)  # blocks until the holder lets go
    assert released.is_set() and report.applied == 1
    holder.join()


@pytest.mark.slow
def test_sync_builds_an_index_when_there_is_none(fresh):
    store, index_path = fresh
    index = SearchIndex(index_path)
    assert not index.is_usable()
    assert index.search(SearchRequest(q="稳岗")).mode == "unavailable"
    sync(store, index_path)
    assert index.is_usable() and index.doc_count() == store.policies.count()


def test_status_reports_generation_and_staleness(fresh):
    store, index_path = fresh
    assert not index_status(index_path, store).usable
    rebuild(store, index_path, procs=1)
    status = index_status(index_path, store)
    assert status.usable and status.documents == store.policies.count()
    assert status.pending_changes == 0 and status.generation


@pytest.mark.slow
def test_an_index_of_another_schema_version_is_not_opened(fresh):
    store, index_path = fresh
    rebuild(store, index_path, procs=1)
    pointer = layout.read_pointer(index_path)
    layout.write_json_atomic(index_path / layout.POINTER, {**pointer, "schema": "old"})
    assert not SearchIndex(index_path).is_usable()
    assert "重建" in index_status(index_path, store).message


def test_a_forked_child_does_not_keep_the_rebuild_lock(tmp_path):
    """Whoosh's segment writers fork: an orphan must not block the next rebuild."""
    from index.layout import RebuildRunning, rebuild_lock

    read_end, write_end = os.pipe()
    worker = os.fork()
    if worker == 0:  # takes the lock, forks a long-lived child, waits to be killed
        with rebuild_lock(tmp_path):
            orphan = os.fork()
            if orphan == 0:
                signal.pause()
                os._exit(0)
            os.write(write_end, f"{orphan}\n".encode())
            signal.pause()
        os._exit(0)
    os.close(write_end)
    orphan = int(os.read(read_end, 32).decode())
    try:
        with pytest.raises(RebuildRunning):
            with rebuild_lock(tmp_path):
                pass
        os.kill(worker, signal.SIGKILL)
        os.waitpid(worker, 0)
        os.kill(orphan, 0)  # still alive …
        with rebuild_lock(tmp_path):  # … yet the lock is free
            pass
    finally:
        for pid in (worker, orphan):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# --- buckets: a rebuild writes only what changed ----------------------------------

def _searchable(index_path, **kw):
    return SearchIndex(index_path).search(SearchRequest(size=50, **kw))


@pytest.mark.slow
def test_rebuild_rewrites_only_the_buckets_that_changed(fresh):
    from index import build
    from policy_search.domain.models import Tag

    store, index_path = fresh
    total = store.policies.count()
    rebuild(store, index_path, procs=1)
    same = rebuild(store, index_path, procs=1)
    assert same.reused == total and same.analyzed == same.from_cache == 0
    # a text change (through sync, so its bucket's segment has a deletion) and a tag change
    changed = store.policies.get(crafted_policies()[1].id)
    changed.body_text += " 新增条款：氢燃料电池示范。"
    store.policies.upsert(changed)
    sync(store, index_path)
    tagged = crafted_policies()[0].id
    store.tags.replace_auto(tagged, [Tag("industry", "氢能产业")])
    buckets = {build.bucket_of(changed.id), build.bucket_of(tagged)}
    in_buckets = sum(1 for pid in store.policies.content_hashes() if build.bucket_of(pid) in buckets)
    report = rebuild(store, index_path, procs=1)
    assert report.documents == total
    assert report.reused == total - in_buckets
    assert report.from_cache == in_buckets and report.analyzed == 0  # sync cached the text
    assert _searchable(index_path, q="氢燃料电池示范").hits[0].id == changed.id
    assert [h.id for h in _searchable(index_path, filters={"industry": ["氢能产业"]}).hits] == [tagged]
    # the generations the reused segments came from are gone; the live one still answers
    rebuild(store, index_path, procs=1)
    rebuild(store, index_path, procs=1)
    assert _searchable(index_path, q=CANARY).hits[0].doc_number == CANARY
    assert _searchable(index_path).total == total


def test_a_new_day_rewrites_the_buckets_whose_status_moved(tmp_path, monkeypatch):
    """The fingerprint covers 申报状态, which depends on the day."""
    import datetime as dt

    from index import build
    from policy_search.domain.derive import derive_all
    from policy_search.domain.models import Policy

    store = build_fixture_store(tmp_path / "policies.sqlite3", real_rows(10))
    day = build.index_day()
    end = day + dt.timedelta(days=20)
    policy = Policy(id="window", title="数字化改造补助申报通知", url="http://www.example.gov.cn/w.html",
                    body_text=f"一、申报时间\n{day.year}年{day.month}月{day.day}日至"
                              f"{end.year}年{end.month}月{end.day}日。\n", validity="有效")
    store.policies.upsert(policy)
    derive_all(store)
    index_path = tmp_path / "index"
    rebuild(store, index_path, procs=1)
    assert rebuild(store, index_path, procs=1).reused == store.policies.count()
    monkeypatch.setattr(build, "index_day", lambda: day + dt.timedelta(days=10))
    later = rebuild(store, index_path, procs=1)
    in_bucket = sum(1 for pid in store.policies.content_hashes()
                    if build.bucket_of(pid) == build.bucket_of("window"))
    assert later.reused == store.policies.count() - in_bucket
    hits = _searchable(index_path, filters={"deadline": ["即将截止"]}).hits
    assert [h.id for h in hits] == ["window"]
    store.close()


@pytest.mark.slow
def test_parallel_bucket_writers_build_the_same_index(fresh, tmp_path):
    store, index_path = fresh
    one = rebuild(store, tmp_path / "serial", procs=1)
    two = rebuild(store, index_path, procs=2, reuse=False)
    assert one.documents == two.documents == store.policies.count()
    assert two.analyzed + two.from_cache == two.documents
    for q in ("稳岗返还", "小微企业 补贴", CANARY, ""):
        a = _searchable(tmp_path / "serial", q=q)
        b = _searchable(index_path, q=q)
        assert a.total == b.total and {h.id for h in a.hits} == {h.id for h in b.hits}
    assert not list(Path(index_path, two.generation).glob("*.tmp"))  # temp dirs removed


@pytest.mark.slow
def test_rebuild_finishes_in_a_process_whose_sigterm_handler_does_not_exit(tmp_path):
    """The job worker traps SIGTERM (to requeue); forked tokenizer workers must not inherit that."""
    script = f"""
import signal, sys
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
signal.signal(signal.SIGTERM, lambda *args: None)
from tests.index.conftest import build_fixture_store, real_rows
from index.build import rebuild
store = build_fixture_store({str(tmp_path / 's.sqlite3')!r}, real_rows(12))
report = rebuild(store, {str(tmp_path / 'index')!r}, procs=2)
print("built", report.documents)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    assert "built" in done.stdout
