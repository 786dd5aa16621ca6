"""The use cases the CLI shares with the jobs, written once (policy_search.app.ingest)."""
from index.api import SearchRequest, index_status, open_index
from index.build import rebuild
from policy_search.app import ingest
from policy_search.domain.models import Policy, policy_id_for
from policy_search.settings import load_settings
from policy_search.domain.store import Store

BODY = "为支持小微企业发展，对符合条件的企业给予一次性稳岗补贴，申报截止时间为2030年12月31日。"


def make_policy(n: int, title: str) -> Policy:
    url = f"http://www.gov.cn/zhengce/content/{n}.htm"
    return Policy(id=policy_id_for(url, title), url=url, title=title, body_text=BODY,
                  publish_date="2024-03-01", level="national")


def open_data(tmp_path):
    settings = load_settings(environ={}, data_dir=tmp_path / "data")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings, Store(settings.db_path)


def test_what_changed_is_enriched_then_reaches_the_index(tmp_path):
    settings, store = open_data(tmp_path)
    store.policies.upsert(make_policy(1, "关于印发稳岗补贴办法的通知"))
    rebuild(store, settings.index_path)
    added = make_policy(2, "关于支持集成电路企业融资的若干措施")
    store.policies.upsert(added)
    notes, steps = [], []
    index_note = ingest.enrich_and_sync(store, settings, 1, note=notes.append, step=steps.append)
    assert steps == ["自动标注与政策卡片", "更新索引"]
    assert notes[0].startswith("自动标注") and notes[-1] == index_note
    assert index_note.startswith("索引已更新")
    assert store.cards.get(added.id) is not None
    assert index_status(settings.index_path, store).pending_changes == 0
    hits = open_index(settings.index_path).search(SearchRequest(q="集成电路")).hits
    assert [hit.id for hit in hits] == [added.id]


def test_nothing_changed_leaves_the_index_alone(tmp_path):
    settings, store = open_data(tmp_path)
    notes = []
    assert ingest.enrich_and_sync(store, settings, 0, note=notes.append) == ingest.NOTHING_CHANGED
    assert notes == [ingest.NOTHING_CHANGED]  # no enrichment ran
    assert ingest.enrich_and_sync(store, settings, 0, note=notes.append, follow_index=False) is None


def test_without_an_index_none_is_created(tmp_path):
    settings, store = open_data(tmp_path)
    store.policies.upsert(make_policy(1, "关于印发稳岗补贴办法的通知"))
    notes = []
    assert ingest.enrich_and_sync(store, settings, 1, note=notes.append) == ingest.NO_INDEX
    assert not index_status(settings.index_path).usable


def test_a_crawl_of_no_source_reads_no_source(tmp_path):
    settings, store = open_data(tmp_path)
    notes = []
    crawled = ingest.crawl(store, settings, note=notes.append, source_ids=[])
    assert (crawled.results, crawled.changed, crawled.explanation) == ([], 0, None)
    assert crawled.index_note == ingest.NOTHING_CHANGED
