import sqlite3

import pytest

from policy_search.domain.migrations import MIGRATIONS, migrate
from policy_search.domain.models import Attachment, Policy, Tag, policy_id_for
from policy_search.domain.store import ADDED, CURRENT_VERSION, UNCHANGED, UPDATED, Store, connect


def make_policy(url="http://www.gov.cn/zhengce/content/2019-02/14/content_1.htm", **fields):
    fields.setdefault("title", "关于有效缓解小微企业融资难融资贵问题的指导意见")
    return Policy(id=policy_id_for(url, fields["title"]), url=url, **fields)


def test_fresh_database_ends_at_current_version(tmp_path):
    store = Store(tmp_path / "a.sqlite3")
    assert store.schema_version == CURRENT_VERSION == len(MIGRATIONS)
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0


@pytest.mark.parametrize("old_version", sorted({1, CURRENT_VERSION - 1}))
def test_older_versions_are_migrated_and_keep_their_data(tmp_path, old_version):
    path = tmp_path / "old.sqlite3"
    conn = connect(path)
    migrate(conn, target=old_version)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == old_version
    conn.execute(
        "INSERT INTO policies (id, url, title, content_hash, first_seen_at) VALUES (?, ?, ?, ?, ?)",
        ("abc", "http://example.gov.cn/1.html", "旧库里的政策", "h", "2020-01-01"),
    )
    conn.close()

    store = Store(path)
    assert store.schema_version == CURRENT_VERSION
    assert store.policies.get("abc").title == "旧库里的政策"
    if old_version == 1:  # migration 2 backfills the source links of existing policies
        assert store.policies.links("abc") == [("http://example.gov.cn/1.html", "")]


def test_a_failing_upgrade_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    """All pending migrations are one transaction: the program version before can go on."""
    from policy_search.domain import migrations

    path = tmp_path / "old.sqlite3"
    conn = connect(path)
    migrate(conn, target=CURRENT_VERSION - 2)
    conn.close()
    broken = "CREATE TABLE broken (x INTEGER);\nSELECT no_such_function();"
    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(Exception, match="no_such_function"):
        Store(path)
    conn = connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == CURRENT_VERSION - 2
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "broken" not in tables
    conn.close()


def test_newer_database_is_refused(tmp_path):
    path = tmp_path / "new.sqlite3"
    conn = connect(path)
    conn.execute(f"PRAGMA user_version = {CURRENT_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer"):
        Store(path)


def test_upsert_reports_added_unchanged_updated(store):
    policy = make_policy(body_text="正文", attachments=[Attachment("附件1.pdf", "http://x/1.pdf")])
    assert store.policies.upsert(policy) == ADDED
    assert store.policies.upsert(make_policy(body_text="正文", attachments=[
        Attachment("附件1.pdf", "http://x/1.pdf")])) == UNCHANGED
    assert store.policies.upsert(make_policy(body_text="新正文")) == UPDATED
    stored = store.policies.get(policy.id)
    assert stored.body_text == "新正文" and stored.attachments == []
    assert stored.first_seen_at == policy.first_seen_at


def test_staff_tags_survive_updates_and_auto_retagging(store):
    policy = make_policy(body_text="一")
    store.policies.upsert(policy)
    store.tags.set_staff(policy.id, "enterprise", "小微企业", by="alice")
    store.tags.set_staff(policy.id, "support", "税费减免", by="alice", rejected=True)
    store.tags.replace_auto(policy.id, [Tag("support", "税费减免", confidence=0.9),
                                        Tag("support", "融资信贷", confidence=0.8)])
    store.policies.upsert(make_policy(body_text="二"))
    tags = {(t.facet, t.value): t for t in store.policies.get(policy.id).tags}
    assert tags[("enterprise", "小微企业")].origin == "staff"
    assert tags[("support", "税费减免")].rejected and tags[("support", "税费减免")].origin == "staff"
    assert tags[("support", "融资信贷")].origin == "auto"
    assert store.policies.get(policy.id).active_tags() == {
        "enterprise": ["小微企业"], "support": ["融资信贷"]}
    assert [a["action"] for a in store.tags.audit_log(policy.id)] == ["accept", "reject"]


def test_a_failed_write_leaves_no_half_written_policy(store):
    policy = make_policy(attachments=[Attachment("a", "u1"), Attachment("b", "u2")])
    original = store.conn
    store.conn.execute(  # make the second attachment insert fail
        "CREATE TRIGGER boom BEFORE INSERT ON attachments WHEN NEW.position = 1"
        " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        store.policies.upsert(policy)
    assert original.execute("SELECT count(*) FROM policies").fetchone()[0] == 0
    assert original.execute("SELECT count(*) FROM attachments").fetchone()[0] == 0


def test_change_log_lists_changed_policies_once(store):
    start = store.policies.last_change()
    a, b = make_policy(url="http://a/1"), make_policy(url="http://a/2")
    store.policies.upsert(a)
    store.policies.upsert(b)
    store.policies.upsert(a)  # unchanged: not logged
    store.tags.set_staff(a.id, "industry", "制造业", by="bob")
    seq, ids = store.policies.changes_since(start)
    assert ids == [a.id, b.id] and seq == store.policies.last_change()
    assert store.policies.changes_since(seq) == (seq, [])


def test_same_document_under_http_and_https_is_one_policy():
    assert policy_id_for("http://www.gov.cn/a.htm#top", "x") == policy_id_for("https://WWW.gov.cn/a.htm", "y")
    assert policy_id_for(None, "标题") == policy_id_for(None, " 标题 ")


def test_iter_policies_yields_everything_in_batches(store):
    for i in range(7):
        store.policies.upsert(make_policy(url=f"http://a/{i}", title=f"政策{i}"))
    assert len(list(store.policies.iter_all(batch_size=3))) == 7
    ids = [p.id for p in store.policies.iter_all()]
    assert [p.id for p in store.policies.get_many(ids[::-1] + ["missing"])] == ids[::-1]


def test_policy_page_lookups_search_indexes_instead_of_scanning(store):
    """A policy page asks for its interpretations and its tag neighbours: at 37k policies
    a table scan for each cost tens of milliseconds per page view."""
    main = make_policy(title="关于支持小微企业发展的若干措施")
    reading = make_policy(url="http://www.gov.cn/zhengce/2019-02/15/content_2.htm",
                          title="《关于支持小微企业发展的若干措施》政策解读", interprets=main.id)
    other = make_policy(url="http://www.gov.cn/zhengce/2019-02/16/content_3.htm", title="另一项措施")
    for policy in (main, reading, other):
        store.policies.upsert(policy)
        store.tags.replace_auto(policy.id, [Tag("support", "资金补贴奖励", confidence=0.9)])

    statements = []
    store.conn.set_trace_callback(statements.append)
    try:
        assert store.policies.find_interpretations(main.id, main.url) == [reading.id]
        assert set(store.tags.related_policies(main.id)) == {reading.id, other.id}
    finally:
        store.conn.set_trace_callback(None)

    lookups = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(lookups) >= 2
    for sql in lookups:
        plan = [row[3] for row in store.conn.execute("EXPLAIN QUERY PLAN " + sql)]
        scans = [step for step in plan if step.startswith("SCAN")
                 and step not in ("SCAN mine", "SCAN CONSTANT ROW")]  # mine: a VALUES list
        assert not scans, (sql, plan)


def test_related_policies_rank_rare_shared_tags_above_common_ones(store):
    def add(number, date, *tags):
        policy = make_policy(url=f"http://www.gov.cn/zhengce/content/{number}.htm",
                             title=f"政策{number}", publish_date=date)
        store.policies.upsert(policy)
        store.tags.replace_auto(policy.id, [Tag(f, v, confidence=0.9) for f, v in tags])
        return policy.id

    generic, rare = ("industry", "不限行业"), ("enterprise", "专精特新")
    mine = add(1, "2023-01-01", generic, rare)
    older_rare = add(2, "2020-01-01", rare)
    newer_generic = add(3, "2024-01-01", generic)
    both = add(4, "2019-01-01", generic, rare)
    for number in range(5, 12):  # 不限行业 is on most policies
        add(number, "2022-01-01", generic)
    store.tags.set_staff(both, *rare, by="alice", rejected=True)  # staff said: not 专精特新

    related = store.tags.related_policies(mine, limit=20)
    assert related[0] == older_rare  # one rare tag outweighs a newer common one
    assert newer_generic in related[1:] and both in related[1:]
    assert related.index(newer_generic) < related.index(both)  # same tag: newest first
    assert mine not in related and len(related) == 10
    assert store.tags.related_policies(add(12, "2024-02-02")) == []  # no tags, no neighbours


def test_a_dropped_store_lets_go_of_its_file_at_once(tmp_path):
    # No reference cycle: the connection closes when the last reference goes, not whenever
    # the garbage collector next runs (a long-lived process would pile up open files).
    import gc
    import weakref

    gc.disable()
    try:
        store = Store(tmp_path / "p.sqlite3")
        store.policies.count()
        store.tags, store.edits, store.review  # every repository made at least once
        dropped = weakref.ref(store)
        del store
        assert dropped() is None
    finally:
        gc.enable()
