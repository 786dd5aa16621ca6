"""Building the index from the store: full rebuild, incremental sync, status.

- `rebuild(store, index_path)` writes a new generation beside the live one, verifies
  it, catches up with changes made meanwhile and switches the pointer atomically.
  jieba runs in worker processes; analyzed text is cached per content hash, so a
  rebuild re-segments only documents whose text changed.
- `sync(store, index_path)` applies `store.policies.changes_since(last_seq)` to the live
  generation; one writer at a time (a file lock, waited for, never an error).
- `start_sync_thread(store_path, index_path)` runs sync every second in the site.
"""
from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import logging
import marshal
import multiprocessing
import os
import shutil
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import TOC, clean_files
from whoosh.writing import MERGE_SMALL

from index import layout, whoosh_internals
from index.api import IndexStatus
from index.analysis import (
    ANALYSIS_VERSION, Preindexed, index_items, init_jieba, segmenter_version,
)
from index.postings import HotTermWriter, hot_path
from index.ranking import lexical_breadth
from index.schema import (
    SCHEMA_VERSION, TEXT_FIELDS, index_day, keyword_fields, make_schema, stored_fields,
    texts_of,
)
from policy_search.domain.models import Policy
from policy_search.domain.store import Store

log = logging.getLogger(__name__)

READ_BATCH = 400
WRITER_MB = 512          # per writing process: enough that Whoosh never spills to disk
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
    reused: int = 0        # documents of unchanged buckets taken over from the live index


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
    """Changes whenever tokens or the segments written from them could: analysis code
    version, the user dictionary, the segmenter's version (its dictionary and HMM) and
    Whoosh's (posting items and segment files, written partly through its internals)."""
    words = resources.files("index").joinpath("data/user_dict.txt").read_bytes()
    digest = hashlib.sha1(words).hexdigest()[:12]
    return (f"{SCHEMA_VERSION}-{ANALYSIS_VERSION}-{digest}"
            f"-whoosh{whoosh_internals.whoosh_version()}-rjieba{segmenter_version()}")


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


def document_for(policy: Policy, items: dict[str, list], day: dt.date | None = None) -> dict:
    """Keyword arguments for Whoosh's add/update_document (申报状态 as of `day`);
    items: the policy's analyzed text fields (`decode_items` of its cache entry)."""
    day = day or index_day()
    doc = keyword_fields(policy, day)
    doc.update(stored_fields(policy, day))
    for name in TEXT_FIELDS:
        if items.get(name):
            doc[name] = Preindexed(items[name])
    doc["breadth"] = lexical_breadth(items.get("body") or [])
    return doc


# Documents written so far in this build, shared with the worker processes (a
# multiprocessing Value), so progress moves with every document, not every bucket.
_counter = None
PROGRESS_POLL = 0.5  # seconds between progress reports while buckets are written


class _LocalCounter:
    """The counter of an in-process build: reports as it counts (throttled)."""

    def __init__(self, report: Callable[[int], None] | None):
        self.value, self.report, self.reported = 0, report, 0.0

    def get_lock(self):
        return _NO_LOCK

    def add(self, n: int) -> None:
        self.value += n
        moment = time.monotonic()
        if self.report is not None and moment - self.reported >= PROGRESS_POLL:
            self.reported = moment
            self.report(self.value)


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


_NO_LOCK = _NoLock()


def _count_documents(n: int = 1) -> None:
    counter = _counter
    if counter is None:
        return
    if isinstance(counter, _LocalCounter):
        counter.add(n)
        return
    with counter.get_lock():
        counter.value += n


def _worker_init(counter=None) -> None:
    import signal
    import warnings

    global _counter
    _counter = counter
    warnings.filterwarnings("ignore", category=SyntaxWarning, module=r"(jieba|whoosh)(\..*)?")
    # A forked worker inherits its parent's handlers; the job worker's SIGTERM handler
    # only requeues, so Pool.terminate() would wait forever on such a child.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


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


# --- buckets -----------------------------------------------------------------------
#
# Documents are partitioned into BUCKETS stable buckets by a hash of their id; each
# bucket is one Whoosh segment. A bucket's fingerprint covers everything written for
# its documents (text via the content hash, facet and stored fields, 申报状态 of the
# day), so a rebuild links the segment files of an unchanged bucket from the live
# generation (segment files are immutable: Whoosh keeps deletions in the TOC) and
# writes only the changed buckets, in worker processes.

BUCKETS = 8
BUCKET_FILE = "BUCKETS"


def bucket_of(policy_id: str) -> int:
    return int.from_bytes(hashlib.sha1(policy_id.encode("utf-8")).digest()[:4], "big") % BUCKETS


def document_fingerprint(policy: Policy, key: str, day: dt.date) -> str:
    fields = keyword_fields(policy, day)
    hit = stored_fields(policy, day)["hit"]
    blob = json.dumps([policy.id, key, fields, hit], ensure_ascii=False, sort_keys=True,
                      default=str)
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()


def bucket_fingerprint(doc_fingerprints: list[str]) -> str:
    digest = hashlib.sha1(f"{BUCKETS}:{analysis_fingerprint()}".encode())
    for fp in sorted(doc_fingerprints):
        digest.update(fp.encode())
    return digest.hexdigest()


@dataclass
class BucketJob:
    store_path: str
    index_path: str
    generation: str
    bucket: int
    ids: list[str]
    previous: str | None       # the live generation's fingerprint of this bucket
    day: dt.date


@dataclass
class BucketResult:
    bucket: int
    fingerprint: str
    documents: int
    segment: object | None = None   # a Whoosh segment, None when reused or empty
    analyzed: int = 0
    from_cache: int = 0
    reused: bool = False


def write_bucket(job: BucketJob) -> BucketResult:
    """Load a bucket's policies; unless its fingerprint is the live one, write its segment
    into the new generation (tokens from the cache, jieba for the rest)."""
    store = _worker_store(job.store_path)
    policies = []
    for batch in _batches(job.ids, READ_BATCH):
        policies.extend(store.policies.get_many(batch))
    policies.sort(key=lambda p: p.id)
    keys = [cache_key(p) for p in policies]
    fingerprint = bucket_fingerprint(
        [document_fingerprint(p, k, job.day) for p, k in zip(policies, keys)])
    result = BucketResult(job.bucket, fingerprint, len(policies))
    if fingerprint == job.previous:
        result.reused = True
        _count_documents(len(policies))
        return result
    if not policies:
        return result
    cache = TokenCache(Path(job.index_path) / "tokens.sqlite3")
    try:
        blobs = cache.get_many(keys)
        new_blobs = []
        ix = whoosh_index.open_dir(job.generation)
        hot = HotTermWriter()
        with whoosh_internals.segment_writer(ix, f"bucket{job.bucket}.{os.getpid()}.tmp",
                                             limitmb=WRITER_MB, compound=COMPOUND) as writer:
            for docnum, (policy, key) in enumerate(zip(policies, keys)):
                blob = blobs.get(key)
                if blob is None:
                    blob = analyze_policy(policy)
                    new_blobs.append((key, blob))
                    result.analyzed += 1
                else:
                    result.from_cache += 1
                items = decode_items(blob)
                writer.add_document(**document_for(policy, items, job.day))
                hot.add(docnum, items)
                _count_documents()
            result.segment = whoosh_internals.finalize_segment(writer)
        hot.write(hot_path(job.generation, result.segment.segment_id()))
        cache.put_many(new_blobs)
    finally:
        cache.close()
    return result


def _live_buckets(index_path: Path) -> tuple[Path | None, dict[int, dict], dict]:
    """The live generation, its reusable buckets (bucket -> record) and segments by id.

    A bucket is reusable while its segment is still in the live TOC without deletions
    (an incremental update deletes from it, a merge removes it)."""
    generation = layout.current_generation(index_path)
    if generation is None or not layout.is_complete(generation):
        return None, {}, {}
    record = layout.read_json(generation / BUCKET_FILE) or {}
    if record.get("buckets_n") != BUCKETS or record.get("fingerprint") != analysis_fingerprint():
        return generation, {}, {}
    try:
        segments = {seg.segment_id(): seg
                    for seg in whoosh_internals.toc_segments(str(generation))}
    except whoosh_internals.UNREADABLE_INDEX:
        return generation, {}, {}
    usable = {}
    for bucket, info in (record.get("buckets") or {}).items():
        seg = segments.get(info.get("segment")) if info.get("segment") else None
        if info.get("segment") and (seg is None or seg.has_deletions()
                                    or seg.doc_count_all() != info.get("documents")):
            continue
        usable[int(bucket)] = info
    return generation, usable, segments


def _link_segment(source: Path, target: Path, segment_id: str) -> None:
    prefix = f"{segment_id}."  # segment ids carry the index name: MAIN_xxxx
    for path in source.iterdir():
        if path.name.startswith(prefix):
            try:
                os.link(path, target / path.name)
            except OSError:
                shutil.copy2(path, target / path.name)


def _run_jobs(jobs: list[BucketJob], procs: int, misses: bool,
              tick: Callable[[int], None] | None = None) -> Iterator[BucketResult]:
    """Write the buckets (in worker processes when procs > 1); tick(documents done) is
    called about every PROGRESS_POLL seconds meanwhile."""
    global _counter
    if procs > 1 and len(jobs) > 1:
        context = _pool_context()
        counter = context.Value("q", 0)
        # Frozen: a forked worker's garbage collector never finalizes what it inherited.
        # Closing an inherited SQLite connection in a child can checkpoint and delete the
        # WAL under the parent's feet (SQLite: never carry a connection across fork).
        gc.freeze()
        try:
            pool = context.Pool(min(procs, len(jobs)), initializer=_worker_init,
                                initargs=(counter,))
        finally:
            gc.unfreeze()
        with pool:
            results = pool.imap_unordered(write_bucket, jobs)
            for _ in jobs:
                while True:
                    try:
                        result = results.next(timeout=PROGRESS_POLL)
                        break
                    except multiprocessing.TimeoutError:
                        if tick:
                            tick(counter.value)
                if tick:
                    tick(counter.value)
                yield result
            pool.close()  # all done: let the workers exit rather than terminating them
            pool.join()
    else:
        _counter = _LocalCounter(tick)
        try:
            for job in jobs:
                result = write_bucket(job)
                if tick:
                    tick(_counter.value)
                yield result
        finally:
            _counter = None


# --- rebuild -----------------------------------------------------------------------

# The steps a rebuild reports (progress(done, total, step)), in order.
STEP_PREPARE = "准备：读取文档清单"
STEP_DICTIONARY = "准备：加载分词词典"
STEP_WRITE = "分词与写入"
STEP_MERGE = "合并索引"
STEP_VERIFY = "校验新索引"
STEP_SWITCH = "切换到新索引"
STEP_DONE = "完成"


def rebuild(store: Store, index_path: str | Path,
            progress: Callable[[int, int, str], None] | None = None,
            procs: int | None = None, reuse: bool = True) -> BuildReport:
    """Build a new generation from the store and switch to it atomically.

    Unchanged buckets are taken over from the live generation (reuse=False writes
    everything). progress(done, total, step) reports each step (STEP_*) and, while
    documents are written, their count about twice a second. Raises RebuildRunning
    when another rebuild is under way; on any error the live index stays as it was.
    Afterwards every generation no searcher holds is removed (the previous one stays
    until the searchers still reading it have moved on; see layout).
    """
    index_path = Path(index_path)
    index_path.mkdir(parents=True, exist_ok=True)
    procs = procs or min(2, os.cpu_count() or 1)
    started = time.monotonic()
    day = index_day()
    report = progress or (lambda done, total, step: None)
    with layout.rebuild_lock(index_path):
        layout.remove_unused_generations(index_path, rebuilding=True)
        report(0, 0, STEP_PREPARE)
        start_seq = store.policies.last_change()
        hashes = store.policies.content_hashes()
        fingerprint = analysis_fingerprint()
        ids_and_keys = {pid: f"{h}:{fingerprint}" for pid, h in hashes.items()}
        total = len(ids_and_keys)
        live, reusable, live_segments = _live_buckets(index_path) if reuse else (None, {}, {})
        generation = layout.new_generation(index_path)
        by_bucket: dict[int, list[str]] = {b: [] for b in range(BUCKETS)}
        for pid in ids_and_keys:
            by_bucket[bucket_of(pid)].append(pid)
        cache = TokenCache(index_path / "tokens.sqlite3")
        try:
            misses = bool(set(ids_and_keys.values()) - cache.keys())
        finally:
            cache.close()
        if misses:
            # Loaded once here, before the workers fork, so they share the dictionary.
            report(0, total, STEP_DICTIONARY)
            init_jieba()
        report(0, total, STEP_WRITE)
        schema = make_schema()
        ix = whoosh_index.create_in(str(generation), schema)
        jobs = [BucketJob(str(store.path), str(index_path), str(generation), b, ids,
                          (reusable.get(b) or {}).get("fingerprint"), day)
                for b, ids in sorted(by_bucket.items(), key=lambda kv: -len(kv[1]))]
        results: dict[int, BucketResult] = {}
        for result in _run_jobs(jobs, procs, misses,
                                tick=lambda done: report(min(done, total), total, STEP_WRITE)):
            results[result.bucket] = result
        report(total, total, STEP_MERGE)
        segments, record = [], {}
        for bucket in range(BUCKETS):
            result = results[bucket]
            segment = result.segment
            if result.reused:
                segment_id = reusable[bucket].get("segment")
                segment = live_segments.get(segment_id) if segment_id else None
                if segment is not None:
                    _link_segment(live, generation, segment_id)
            if segment is not None:
                segments.append(segment)
            record[str(bucket)] = {"fingerprint": result.fingerprint, "documents": result.documents,
                                   "segment": segment.segment_id() if segment else None}
        shutil.rmtree(generation / f"{ix.indexname}.tmp", ignore_errors=True)
        TOC(schema, segments, 1).write(ix.storage, ix.indexname)
        clean_files(ix.storage, ix.indexname, 1, segments)
        written = sum(r.documents for r in results.values())
        layout.write_json_atomic(generation / BUCKET_FILE, {
            "buckets_n": BUCKETS, "fingerprint": fingerprint, "day": day.isoformat(),
            "buckets": record})
        layout.write_sync_seq(generation, start_seq)
        report(total, total, STEP_VERIFY)
        verify(generation, written)
        layout.mark_complete(generation)
        cache = TokenCache(index_path / "tokens.sqlite3")
        try:
            cache.keep_only(set(ids_and_keys.values()))
        finally:
            cache.close()
        # Catch up with what changed during the build, then switch, under the writer
        # lock so no incremental update lands on the old generation after this.
        report(total, total, STEP_SWITCH)
        with layout.writer_lock(index_path):
            caught_up = _apply_changes(store, generation).applied
            layout.switch_to(index_path, generation, documents=written)
        removed = layout.remove_unused_generations(index_path, rebuilding=True)
        report(total, total, STEP_DONE)
    values = list(results.values())
    return BuildReport(generation.name, written, sum(r.analyzed for r in values),
                       sum(r.from_cache for r in values), time.monotonic() - started,
                       caught_up, removed, reused=sum(r.documents for r in values if r.reused))


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
    new_seq, ids = store.policies.changes_since(seq)
    if not ids:
        return SyncReport(0, 0, seq, time.monotonic() - started, generation.name)
    policies = store.policies.get_many(ids)
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
                writer.update_document(**document_for(policy, decode_items(blob)))
            deleted = [i for i in ids if i not in present]
            for policy_id in deleted:
                writer.delete_by_term("id", policy_id)
            writer.commit(mergetype=_merge_sparing(_bucket_segments(generation)))
        except BaseException:
            writer.cancel()
            raise
        cache.put_many(new_blobs)
    finally:
        cache.close()
    layout.write_sync_seq(generation, new_seq)
    return SyncReport(len(policies), len(deleted), new_seq, time.monotonic() - started,
                      generation.name)


def _bucket_segments(generation: Path) -> set[str]:
    record = layout.read_json(Path(generation) / BUCKET_FILE) or {}
    return {b["segment"] for b in (record.get("buckets") or {}).values() if b.get("segment")}


def _merge_sparing(protected: set[str]):
    """Whoosh's merge of small segments, leaving the buckets' segments alone (a rebuild
    takes an unchanged bucket's segment over; a merged one would have to be rewritten)."""
    def merge(writer, segments):
        kept = [s for s in segments if s.segment_id() in protected]
        return kept + MERGE_SMALL(writer, [s for s in segments if s.segment_id() not in protected])
    return merge


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
        return SyncReport(report.documents, 0, store.policies.last_change(), report.seconds,
                          report.generation)
    with layout.writer_lock(index_path, timeout=lock_timeout):
        generation = layout.current_generation(index_path)  # may have switched meanwhile
        if generation is None:
            return SyncReport(0, 0, 0, 0.0, None)
        return _apply_changes(store, generation)


# An idle round costs a fraction of a millisecond (a file lock and one query), so the site
# can look often: a change is searchable within about a second.
SYNC_INTERVAL = 0.5


class SyncThread(threading.Thread):
    """Calls sync every `interval` seconds until stop(); errors are logged, not raised."""

    def __init__(self, store_path: str | Path, index_path: str | Path, interval: float = SYNC_INTERVAL,
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
                      interval: float = SYNC_INTERVAL, create: bool = True) -> SyncThread:
    """Start the background sync the site runs; call .stop() on shutdown."""
    thread = SyncThread(store_path, index_path, interval, create)
    thread.start()
    return thread


# --- status ------------------------------------------------------------------------

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
        store_docs = store.policies.count()
        store_seq = store.policies.last_change()
        pending, oldest = store.policies.pending_changes(applied)
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
