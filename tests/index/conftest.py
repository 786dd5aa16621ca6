"""A small fixture store: real documents from ../shared plus a few crafted ones."""
from __future__ import annotations

import itertools
import json
import zlib

import pytest

from tests.conftest import built_once, shared_path

REAL_DOCS = 40


def real_rows(count: int = REAL_DOCS, start: int = 0) -> list[dict]:
    """Documents with a body from the shared corpus (the test fails if it is missing)."""
    path = shared_path("corpus", "documents.jsonl")
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in itertools.islice(f, start, None):
            row = json.loads(line)
            if row.get("body") and len(row["body"]) > 200:
                rows.append(row)
            if len(rows) >= count:
                break
    return rows


def corpus_rows(titles) -> list[dict]:
    """The shared corpus's documents of these titles (the test fails if one is missing)."""
    wanted, rows = set(titles), {}
    with open(shared_path("corpus", "documents.jsonl"), encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["title"] in wanted and row["title"] not in rows:
                rows[row["title"]] = row
    missing = wanted - set(rows)
    assert not missing, f"documents missing from the shared corpus: {missing}"
    return list(rows.values())


def crafted_policies():
    from policy_search.domain.models import Policy, policy_id_for

    def make(title, body, **kw):
        # the same url in every process (hash() of a str is not): the store is built once
        # per run and its ids looked up by other xdist workers
        url = kw.pop("url", f"https://example.gov.cn/{zlib.crc32(title.encode())}.html")
        return Policy(id=policy_id_for(url, title), url=url, title=title, body_text=body, **kw)

    return [
        make("长沙县关于支持小型微利企业发展的若干措施", "对小型微利企业给予房租补助。天使投资机构投资本县企业的给予奖励。",
             level="county", region_code="430121", region_name="长沙县", issuer="长沙县人民政府",
             doc_number="长县政发〔2023〕7号", publish_date="2023-05-01", validity="有效"),
        make("长沙市稳岗返还实施细则", "失业保险稳岗返还政策，面向参保企业。融资担保机构不在此列。",
             level="city", region_code="430100", region_name="长沙市", issuer="长沙市人力资源和社会保障局",
             doc_number="长人社发[2022]12号", publish_date="2022-03-15", validity="有效"),
        make("湖南省专精特新中小企业认定办法", "专精特新“小巨人”企业认定。研发费用加计扣除比例提高。ISO9001 认证、５Ｇ应用。",
             level="provincial", region_code="430000", region_name="湖南省", issuer="湖南省工业和信息化厅",
             doc_number="湘工信发（2021）3号", publish_date="2021-08-20", validity="失效"),
        make("关于防范脚本注入的测试通知", "<script>alert('x')</script> 融资担保 & <b>粗体</b> 测试。",
             level="provincial", region_code="430000", region_name="湖南省", issuer="湖南省测试厅",
             publish_date="2020-01-01"),
    ]


def build_fixture_store(path, rows=None):
    from policy_search.domain.importer import policy_from_record
    from policy_search.domain.models import Tag
    from policy_search.domain.store import Store

    store = Store(path)
    for row in rows if rows is not None else real_rows():
        store.policies.upsert(policy_from_record(row, "test"))
    for policy in crafted_policies():
        store.policies.upsert(policy)
    crafted = crafted_policies()
    store.tags.replace_auto(crafted[0].id, [Tag("enterprise", "小微企业"), Tag("support", "资金补贴奖励")])
    store.tags.replace_auto(crafted[1].id, [Tag("support", "稳岗就业")])
    store.tags.replace_auto(crafted[2].id, [Tag("enterprise", "专精特新"), Tag("support", "税费减免")])
    return store


def build_fixture_index(base) -> None:
    from index.build import rebuild

    with build_fixture_store(base / "policies.sqlite3") as store:
        rebuild(store, base / "index", procs=1)


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """(store, index_path) with a rebuilt index; shared by every read-only test."""
    from policy_search.domain.store import Store

    base = built_once(tmp_path_factory, "index", build_fixture_index)
    store = Store(base / "policies.sqlite3")
    yield store, base / "index"
    store.close()


@pytest.fixture(scope="session")
def searcher(built):
    from index.search import SearchIndex

    index = SearchIndex(built[1])
    yield index
    index.close()
