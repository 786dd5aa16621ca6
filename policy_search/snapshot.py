"""The starter snapshot: real policies to serve before the first crawl, or without one.

A compact, xz-compressed JSON Lines file of national and provincial enterprise-related
policies ships in policy_search/data/ (built by scripts/build_snapshot.py, whose
docstring says how and why). `policy-search run` queues a `snapshot` job on an empty
store; the job imports the file with the ordinary importer, every row marked with source
id "snapshot", then tags and cards it like any import.

The copies give way to the real thing: a crawled record of the same document (same
canonical URL, hence the same id; or the same title and 文号) replaces its snapshot copy,
and the crawler does not count a snapshot copy as "already known". The setting
`starter_snapshot` chooses the file: builtin (default), off, or a file of one's own.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from policy_search import jobs
from policy_search.domain.importer import Progress, import_file
from policy_search.domain.models import SNAPSHOT_SOURCE
from policy_search.domain.store import Store

SNAPSHOT_FILE = "data/starter_snapshot.jsonl.xz"
MANIFEST_FILE = "data/starter_snapshot.json"
BUILTIN, OFF = "builtin", "off"


@dataclass
class SnapshotFile:
    path: str  # a file path, or "builtin" for the shipped one
    date: str  # the day it was made: built (the shipped one) or last modified
    documents: int | None = None  # when known beforehand (the manifest)
    description: str = ""

    @property
    def builtin(self) -> bool:
        return self.path == BUILTIN


def snapshot_file(settings) -> SnapshotFile | None:
    """The snapshot the settings ask for; None when it is off. ValueError: no such file."""
    value = str(settings.starter_snapshot or "").strip()
    if value.lower() in (OFF, "0", "no", "false", "none", ""):
        return None
    if value.lower() == BUILTIN:
        manifest = json.loads(resources.files("policy_search").joinpath(MANIFEST_FILE)
                              .read_text("utf-8"))
        return SnapshotFile(BUILTIN, manifest["date"], manifest.get("documents"),
                            "随程序提供的国家和省级惠企政策")
    path = Path(value).expanduser()
    if not path.is_file():
        raise ValueError(f"starter_snapshot 指定的文件不存在: {path}")
    modified = dt.date.fromtimestamp(path.stat().st_mtime).isoformat()
    return SnapshotFile(str(path), modified, None, path.name)


def load_snapshot(store: Store, snapshot: SnapshotFile,
                  progress: Callable[[Progress], None] | None = None) -> dict:
    """Import the snapshot's documents as source "snapshot"; never over a real record."""
    def real_record(policy_id: str) -> bool:
        source = store.policies.source_of(policy_id)
        return source is not None and source != SNAPSHOT_SOURCE

    with ExitStack() as stack:
        if snapshot.builtin:
            path = stack.enter_context(resources.as_file(
                resources.files("policy_search").joinpath(SNAPSHOT_FILE)))
        else:
            path = Path(snapshot.path)
        summary = import_file(store, path, source_id=SNAPSHOT_SOURCE, fixed_source=True,
                              keep=real_record, progress=progress)
    return {"date": snapshot.date, "file": snapshot.path, "description": snapshot.description,
            "added": summary.added, "updated": summary.updated, "unchanged": summary.unchanged,
            "rejected": len(summary.rejected),
            "rejects": [f"第 {r.line} 行: {r.reason}" for r in summary.rejected[:20]]}


def snapshot_summary(store: Store) -> dict | None:
    """What the site says about the snapshot: how many of its copies are still served
    (the rest were replaced by crawled records) and its date; None when there are none."""
    remaining = store.policies.count_from_source(SNAPSHOT_SOURCE)
    if not remaining:
        return None
    loaded = [j for j in jobs.recent_jobs(store, "snapshot", limit=5) if j["state"] == jobs.SUCCEEDED]
    result = jobs.job_result(store, loaded[0]["id"]) if loaded else {}
    return {"documents": remaining, "date": result.get("date"),
            "description": result.get("description") or ""}
