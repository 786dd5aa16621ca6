"""Building the index from the store: full rebuild, incremental sync, status.

- `rebuild(store, index_path)` writes a new generation beside the live one, verifies
  it, catches up with changes made meanwhile and switches the pointer atomically.
  jieba runs in worker processes; analyzed text is cached per content hash, so a
  rebuild re-segments only documents whose text changed.
- `sync(store, index_path)` applies `store.changes_since(last_seq)` to the live
  generation; one writer at a time (a file lock, waited for, never an error).
- `start_sync_thread(store_path, index_path)` runs sync every second in the site.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import marshal
import multiprocessing
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from whoosh import index as whoosh_index

from index import layout
from index.analysis import ANALYSIS_VERSION, Preindexed, index_items, init_jieba
from index.schema import (
    SCHEMA_VERSION, TEXT_FIELDS, index_day, keyword_fields, make_schema, stored_fields,
    texts_of,
)
from policy_search.models import Policy
from policy_search.store import Store

log = logging.getLogger(__name__)

POOL_MIN_DOCS = 150      # below this, analysis in-process beats starting workers
WORKER_BATCH = 24
READ_BATCH = 400
WRITER_MB = 512          # per writing process: enough that Whoosh never spills to disk
WRITER_BATCH = 200
# Separate segment files, not one compound file: Whoosh copies each part of a compound
# file into memory when a searcher opens it (~100 MB at 37k documents); plain files are
# read on demand (searches are serialized per index, so shared file handles are safe).
COMPOUND = False


@dataclass
class BuildReport:
    generation: str
    documents: int
    analyzed: int          # documents segmented by jieba in this build
    from_cache: int        # documents whose tokens came from the cache
    seconds: float
    caught_up: int = 0     # changes applied after the build, before the switch
    removed_generations: list[str] = field(default_factory=list)


@dataclass
class SyncReport:
    applied: int
    deleted: int
    seq: int
    seconds: float
    generation: str | None


# --- token cache ------------------------------------------------------------------

@cache
def analysis_fingerprint() -> str:
    """Changes whenever tokens would: analysis code version or the user dictionary."""
    words = resources.files("index").joinpath("data/user_dict.txt").read_bytes()
    digest = hashlib.sha1(words).hexdigest()[:12]
    return f"{SCHEMA_VERSION}-{ANALYSIS_VERSION}-{digest}"


def cache_key(policy: Policy) -> str:
    content = policy.content_hash or policy.compute_hash()
    return f"{content}:{analysis_fingerprint()}"


class TokenCache:
    """Analyzed posting items per content hash, in a SQLite file beside the index."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.conn = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("CREATE TABLE IF NOT EXISTS tokens (key TEXT PRIMARY KEY, data BLOB)")

    def keys(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT key FROM tokens")}

    def get_many(self, keys: list[str]) -> dict[str, bytes]:
        found = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(self.conn.execute(
                f"SELECT key, data FROM tokens WHERE key IN ({marks})", chunk))
        return found

    def put_many(self, items: list[tuple[str, bytes]]) -> None:
        if items:
            with self.conn:
                self.conn.executemany("INSERT OR REPLACE INTO tokens VALUES (?, ?)", items)

    def keep_only(self, keys: set[str]) -> int:
        """Drop entries no document uses any more (after a full rebuild)."""
        stale = self.keys() - keys
        with self.conn:
            self.conn.executemany("DELETE FROM tokens WHERE key = ?", ((k,) for k in stale))
        return len(stale)

    def close(self) -> None:
        self.conn.close()


def encode_items(items: dict[str, list]) -> bytes:
    return zlib.compress(marshal.dumps(items), 1)


def decode_items(blob: bytes) -> dict[str, list]:
    return marshal.loads(zlib.decompress(blob))


# --- analysis ----------------------------------------------------------------------

_worker_schema = None


def _schema():
    global _worker_schema
    if _worker_schema is None:
        _worker_schema = make_schema()
    return _worker_schema


def analyze_policy(policy: Policy) -> bytes:
    """The posting items of a policy's text fields, encoded for the cache."""
    schema = _schema()
    texts = texts_of(policy)
    return encode_items({name: index_items(schema[name], texts[name]) for name in TEXT_FIELDS})


def document_for(policy: Policy, blob: bytes, day: dt.date | None = None) -> dict:
    """Keyword arguments for Whoosh's add/update_document (申报状态 as of `day`)."""
    items = decode_items(blob)
    day = day or index_day()
    doc = keyword_fields(policy, day)
    doc.update(stored_fields(policy, day))
    for name in TEXT_FIELDS:
        if items.get(name):
            doc[name] = Preindexed(items[name])
    return doc


def _worker_init() -> None:
    import warnings
    warnings.filterwarnings("ignore", category=SyntaxWarning, module=r"(jieba|whoosh)(\..*)?")
    init_jieba()


def _worker_analyze(job: tuple[str, list[str]]) -> list[tuple[Policy, str, bytes]]:
    """In a worker: read the policies and analyze them; the parent only writes."""
    store_path, ids = job
    store = _worker_store(store_path)
    return [(p, cache_key(p), analyze_policy(p)) for p in store.get_policies(ids)]


_worker_stores: dict[str, Store] = {}


def _worker_store(path: str) -> Store:
    if path not in _worker_stores:
        _worker_stores[path] = Store(path)
    return _worker_stores[path]


def _pool_context():
    # fork is cheap and shares the loaded jieba dictionary, but is unsafe in a
    # process that runs other threads (the site); spawn there.
    method = "fork" if threading.active_count() == 1 and "fork" in \
        multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def _batches(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _analyzed_documents(store: Store, cache: TokenCache, ids_and_keys: dict[str, str],
                        procs: int, counts: dict) -> Iterator[tuple[Policy, str, bytes, bool]]:
    """(policy, cache key, items blob) for every id: cached ones first, the rest analyzed
    in worker processes meanwhile."""
    cached_keys = cache.keys()
    hits = [i for i, k in ids_and_keys.items() if k in cached_keys]
    misses = [i for i, k in ids_and_keys.items() if k not in cached_keys]
    counts["from_cache"] = 0
    counts["analyzed"] = 0
    pool = None
    results: Iterator = iter(())
    if misses and procs > 1 and len(misses) >= POOL_MIN_DOCS:
        init_jieba()  # before fork, so workers share the dictionary
        pool = _pool_context().Pool(procs, initializer=_worker_init)
        results = pool.imap_unordered(
            _worker_analyze, ((str(store.path), b) for b in _batches(misses, WORKER_BATCH)))
    try:
        for batch in _batches(hits, READ_BATCH):
            policies = store.get_policies(batch)
            blobs = cache.get_many([cache_key(p) for p in policies])
            for policy in policies:
                key = cache_key(policy)
                blob = blobs.get(key)
                if blob is None:  # text changed since the hash scan
                    blob = analyze_policy(policy)
                    counts["analyzed"] += 1
                    yield policy, key, blob, True
                else:
                    counts["from_cache"] += 1
                    yield policy, key, blob, False
        if pool is not None:
            for batch in results:
                for policy, key, blob in batch:
                    counts["analyzed"] += 1
                    yield policy, key, blob, True
        else:
            for batch in _batches(misses, READ_BATCH):
                for policy in store.get_policies(batch):
                    counts["analyzed"] += 1
                    yield policy, cache_key(policy), analyze_policy(policy), True
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()


# --- rebuild -----------------------------------------------------------------------

def rebuild(store: Store, index_path: str | Path,
            progress: Callable[[int, int, str], None] | None = None,
            procs: int | None = None) -> BuildReport:
    """Build a new generation from the store and switch to it atomically.

    progress(done, total, step) is called now and then. Raises RebuildRunning when
    another rebuild is under way; on any error the live index stays as it was.
    """
    index_path = Path(index_path)
    index_path.mkdir(parents=True, exist_ok=True)
    procs = procs or min(2, os.cpu_count() or 1)
    started = time.monotonic()
    with layout.rebuild_lock(index_path):
        layout.remove_old_generations(index_path, keep=1)
        start_seq = store.last_change()
        hashes = store.content_hashes()
        fingerprint = analysis_fingerprint()
        ids_and_keys = {pid: f"{h}:{fingerprint}" for pid, h in hashes.items()}
        total = len(ids_and_keys)
        generation = layout.new_generation(index_path)
        if progress:
            progress(0, total, "分词与写入")
        cache = TokenCache(index_path / "tokens.sqlite3")
        counts: dict = {}
        try:
            ix = whoosh_index.create_in(str(generation), make_schema())
            if procs > 1 and total >= POOL_MIN_DOCS:
                # Posting work (Whoosh's pool, sort and write) is the cost once tokens
                # are cached: one segment per process, no final merge.
                writer = ix.writer(procs=procs, multisegment=True, limitmb=WRITER_MB,
                                   batchsize=WRITER_BATCH, compound=COMPOUND)
            else:
                writer = ix.writer(limitmb=WRITER_MB, compound=COMPOUND)
            written, new_blobs, used_keys = 0, [], set()
            try:
                for policy, key, blob, is_new in _analyzed_documents(store, cache, ids_and_keys,
                                                             procs, counts):
                    writer.add_document(**document_for(policy, blob))
                    used_keys.add(key)
                    written += 1
                    if is_new:
                        new_blobs.append((key, blob))
                    if len(new_blobs) >= 500:
                        cache.put_many(new_blobs)
                        new_blobs = []
                    if progress and written % 500 == 0:
                        progress(written, total, "分词与写入")
                cache.put_many(new_blobs)
                if progress:
                    progress(written, total, "合并索引")
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
            layout.write_sync_seq(generation, start_seq)
            verify(generation, written)
            layout.mark_complete(generation)
            cache.keep_only(used_keys)
        finally:
            cache.close()
        # Catch up with what changed during the build, then switch, under the writer
        # lock so no incremental update lands on the old generation after this.
        with layout.writer_lock(index_path):
            caught_up = _apply_changes(store, generation).applied
            layout.switch_to(index_path, generation, documents=written)
        removed = layout.remove_old_generations(index_path, keep=1)
        if progress:
            progress(total, total, "完成")
    return BuildReport(generation.name, written, counts.get("analyzed", 0),
                       counts.get("from_cache", 0), time.monotonic() - started,
                       caught_up, removed)


class VerifyError(RuntimeError):
    pass


def verify(generation: Path, expected: int) -> None:
    """The new generation has every document and answers queries."""
    from whoosh.query import Every, Term

    ix = whoosh_index.open_dir(str(generation))
    with ix.searcher() as searcher:
        if searcher.doc_count() != expected:
            raise VerifyError(f"索引文档数 {searcher.doc_count()} ≠ 写入数 {expected}")
        if expected:
            # Sample documents must be found by their id and by a word of their title.
            step = max(1, expected // 5)
            for docnum in range(0, searcher.doc_count_all(), step):
                if searcher.ixreader.is_deleted(docnum):
                    continue
                stored = searcher.stored_fields(docnum)
                found = searcher.search(Term("id", stored["id"]), limit=1)
                if not found or found[0]["id"] != stored["id"]:
                    raise VerifyError(f"样本文档 {stored['id']} 查不到")
            if searcher.search(Every(), limit=1).scored_length() < 1:
                raise VerifyError("索引不能回答查询")


# --- incremental sync --------------------------------------------------------------

def _apply_changes(store: Store, generation: Path) -> SyncReport:
    """Apply store changes after the generation's seq; caller holds the writer lock."""
    started = time.monotonic()
    seq = layout.sync_seq(generation)
    new_seq, ids = store.changes_since(seq)
    if not ids:
        return SyncReport(0, 0, seq, time.monotonic() - started, generation.name)
    policies = store.get_policies(ids)
    present = {p.id for p in policies}
    cache = TokenCache(Path(generation).parent / "tokens.sqlite3")
    try:
        keys = [cache_key(p) for p in policies]
        blobs = cache.get_many(keys)
        new_blobs = []
        ix = whoosh_index.open_dir(str(generation))
        writer = ix.writer(timeout=30.0, compound=COMPOUND)
        try:
            for policy, key in zip(policies, keys):
                blob = blobs.get(key)
                if blob is None:
                    blob = analyze_policy(policy)
                    new_blobs.append((key, blob))
                writer.update_document(**document_for(policy, blob))
            deleted = [i for i in ids if i not in present]
            for policy_id in deleted:
                writer.delete_by_term("id", policy_id)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        cache.put_many(new_blobs)
    finally:
        cache.close()
    layout.write_sync_seq(generation, new_seq)
    return SyncReport(len(policies), len(deleted), new_seq, time.monotonic() - started,
                      generation.name)


def sync(store: Store, index_path: str | Path, *, create: bool = True,
         lock_timeout: float | None = 60.0) -> SyncReport:
    """Bring the live index up to date with the store's change log.

    With no usable index (first run, or a schema change), `create` builds one.
    Waits for the writer lock (another sync or a rebuild's switch) rather than failing.
    """
    index_path = Path(index_path)
    generation = layout.current_generation(index_path)
    if generation is None:
        if not create:
            return SyncReport(0, 0, 0, 0.0, None)
        try:
            # In-process: this runs in the site's sync thread, where forking is unsafe.
            report = rebuild(store, index_path, procs=1)
        except layout.RebuildRunning:
            return SyncReport(0, 0, 0, 0.0, None)
        return SyncReport(report.documents, 0, store.last_change(), report.seconds,
                          report.generation)
    with layout.writer_lock(index_path, timeout=lock_timeout):
        generation = layout.current_generation(index_path)  # may have switched meanwhile
        if generation is None:
            return SyncReport(0, 0, 0, 0.0, None)
        return _apply_changes(store, generation)


class SyncThread(threading.Thread):
    """Calls sync every `interval` seconds until stop(); errors are logged, not raised."""

    def __init__(self, store_path: str | Path, index_path: str | Path, interval: float = 1.0,
                 create: bool = True):
        super().__init__(name="index-sync", daemon=True)
        self.store_path = Path(store_path)
        self.index_path = Path(index_path)
        self.interval = interval
        self.create = create
        self._stop_event = threading.Event()
        self.last_report: SyncReport | None = None
        self.last_error: str | None = None

    def run(self) -> None:
        store = Store(self.store_path)
        try:
            while not self._stop_event.is_set():
                try:
                    self.last_report = sync(store, self.index_path, create=self.create)
                    self.last_error = None
                except Exception as exc:  # keep syncing; the next round may succeed
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.exception("index sync failed")
                self._stop_event.wait(self.interval)
        finally:
            store.close()

    def stop(self, timeout: float | None = 10.0) -> None:
        self._stop_event.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)


def start_sync_thread(store_path: str | Path, index_path: str | Path,
                      interval: float = 1.0, create: bool = True) -> SyncThread:
    """Start the background sync the site runs; call .stop() on shutdown."""
    thread = SyncThread(store_path, index_path, interval, create)
    thread.start()
    return thread


# --- status ------------------------------------------------------------------------

@dataclass
class IndexStatus:
    usable: bool
    generation: str | None
    schema: str
    documents: int
    store_documents: int | None
    applied_seq: int
    store_seq: int | None
    pending_changes: int | None
    oldest_pending_at: str | None
    switched_at: str | None
    size_bytes: int
    generations_on_disk: list[str]
    message: str

    def to_dict(self) -> dict:
        return asdict(self)


def index_status(index_path: str | Path, store: Store | None = None) -> IndexStatus:
    index_path = Path(index_path)
    pointer = layout.read_pointer(index_path)
    generation = layout.current_generation(index_path)
    documents, applied = 0, 0
    message = "正常"
    if generation is not None:
        try:
            ix = whoosh_index.open_dir(str(generation))
            documents = ix.doc_count()
            applied = layout.sync_seq(generation)
        except Exception as exc:
            generation = None
            message = f"索引无法打开: {exc}"
    elif pointer is not None:
        message = f"索引格式 {pointer.get('schema')} 已过时 (需要 {SCHEMA_VERSION})，请重建"
    else:
        message = "尚无索引，请运行 policy-search index rebuild"
    store_docs = store_seq = pending = oldest = None
    if store is not None:
        store_docs = store.count_policies()
        store_seq = store.last_change()
        row = store.conn.execute(
            "SELECT count(DISTINCT policy_id), min(at) FROM change_log WHERE seq > ?",
            (applied,)).fetchone()
        pending, oldest = row[0], row[1]
        if generation is not None and pending:
            message = f"有 {pending} 个文档的变更尚未进入索引"
    return IndexStatus(
        usable=generation is not None, generation=generation.name if generation else None,
        schema=SCHEMA_VERSION, documents=documents, store_documents=store_docs,
        applied_seq=applied, store_seq=store_seq, pending_changes=pending,
        oldest_pending_at=oldest, switched_at=(pointer or {}).get("switched_at"),
        size_bytes=layout.directory_size(generation) if generation else 0,
        generations_on_disk=[g.name for g in layout.generations(index_path)],
        message=message,
    )
