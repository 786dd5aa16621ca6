"""Crawled records replace the starter snapshot's copies of the same documents."""
from __future__ import annotations

import json
import lzma

import pytest

from policy_search.domain.models import SNAPSHOT_SOURCE, policy_id_for
from policy_search.snapshot import SnapshotFile, load_snapshot, snapshot_summary
from policy_search.domain.urls import canonical_url

from crawler.run import crawl_sources


def snapshot_of(gov_site, tmp_path) -> tuple[SnapshotFile, list[str], str]:
    """A snapshot holding the first gov.cn list page's ten documents (by their address),
    a Jiangxi document without an address (by title and 文号), and one more policy."""
    govcn = sorted(((url, r) for url, r in gov_site.expected.items() if "/govcn/zhengce/content/20" in url
                    and r.get("file")), key=lambda item: item[1]["publish_date"], reverse=True)[:10]
    jiangxi = next(r for url, r in gov_site.expected.items() if "/jiangxi/" in url and r.get("doc_number"))
    records = [{"title": r["title"], "url": url, "body": "快照中的正文。", "level": "national"}
               for url, r in govcn]
    records.append({"title": jiangxi["title"], "doc_number": jiangxi["doc_number"],
                    "body": "快照中的正文。", "level": "provincial", "region": "江西省"})
    records.append({"title": "关于支持个体工商户发展的若干措施", "body": "快照中的正文。",
                    "level": "national"})
    path = tmp_path / "snapshot.jsonl.xz"
    path.write_bytes(lzma.compress("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                           for r in records).encode("utf-8")))
    ids = [policy_id_for(canonical_url(url), "") for url, _r in govcn]
    return SnapshotFile(str(path), "2024-01-01"), ids, jiangxi["title"]


@pytest.mark.slow
def test_crawled_records_replace_snapshot_copies_and_the_crawl_is_not_cut_short(
        crawl_env, gov_site, tmp_path):
    settings, store = crawl_env
    snapshot, ids, jiangxi_title = snapshot_of(gov_site, tmp_path)
    assert load_snapshot(store, snapshot)["added"] == 12
    results = {r.source_id: r for r in crawl_sources(store, settings,
                                                      source_ids=["govcn-lists", "jiangxi"])}
    govcn = results["govcn-lists"]
    # Snapshot copies are not "known": every list page is walked (none holds only
    # known items), and the ten copies are replaced by their crawled records.
    assert govcn.list_pages == 5 and govcn.new + govcn.updated == 42
    assert govcn.updated == 10
    for policy in store.policies.get_many(ids):
        assert policy.source_id == "govcn-lists" and policy.body_html
        assert SNAPSHOT_SOURCE not in {source for _url, source in store.policies.links(policy.id)}
    # The copy without an address gave way to the crawled record of the same title and 文号.
    same_title = store.conn.execute("SELECT source_id FROM policies WHERE title = ?",
                                    (jiangxi_title,)).fetchall()
    assert [row[0] for row in same_title] == ["jiangxi"]
    # What no source has crawled is still served, and counted as the snapshot's.
    assert snapshot_summary(store)["documents"] == 1
    assert store.policies.find_snapshot_copy("关于支持个体工商户发展的若干措施", None) is not None
