"""Search and indexing speed, project vs a naive Whoosh + ChineseAnalyzer baseline.

    .venv/bin/python bench/search_speed.py [--workdir DIR] [--rounds 3] [--queries 200]

Imports ../shared/corpus/documents.jsonl + metadata.jsonl (~37k documents) and prints,
for the project and the baseline in the same run: index.search median / p95 latency over
mixed queries (one word, two words, phrase, 文号, level/region filter, facets, sorted by
date, highlights), the full rebuild time, the rebuild time when nothing changed, the
incremental update latency, the index size and the peak memory of the searching process.
Project latencies are given without the result cache (every query computed; later rounds
reuse the per-term caches, so the first round, on a fresh searcher, is shown apart too) and
with it (the repeated rounds of a head-heavy query log).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", category=SyntaxWarning, module=r"(jieba|whoosh)(\..*)?")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BRACKETS = [("〔", "〕"), ("[", "]"), ("【", "】"), ("（", "）"), ("(", ")")]
WORDS = ["企业", "补贴", "融资", "税收优惠", "就业", "专精特新", "营商环境", "知识产权", "创新",
         "小微企业", "社会保险", "人才", "科技", "农业", "贷款", "环境保护", "数字经济", "外贸",
         "减税降费", "高新技术企业", "疫情防控", "安全生产", "养老服务", "职业教育", "乡村振兴"]


def is_bracketed_number(doc_number: str | None) -> bool:
    """A 文号 of the shape 〔year〕…号 (what the 文号 queries are made of)."""
    return bool(doc_number) and re.fullmatch(r".*〔.*〕.*号", doc_number, re.S) is not None


def make_queries(store, count: int, seed: int = 11) -> list[dict]:
    """A reproducible mix of query shapes, as dicts of SearchRequest fields."""
    rng = random.Random(seed)
    summaries = store.policies.summaries()
    titles = [s["title"] for s in summaries]
    numbers = [s["doc_number"] for s in summaries if is_bracketed_number(s["doc_number"])]
    regions = sorted({s["region_name"] for s in summaries if s["region_name"] is not None})
    shapes = []
    for i in range(count):
        kind = i % 8
        if kind == 0:
            q = {"q": rng.choice(WORDS)}
        elif kind == 1:
            q = {"q": " ".join(rng.sample(WORDS, 2))}
        elif kind == 2:
            title = rng.choice(titles)
            start = rng.randrange(0, max(1, len(title) - 6))
            q = {"q": '"' + title[start:start + 6] + '"'}
        elif kind == 3:
            number = rng.choice(numbers)
            left, right = rng.choice(BRACKETS)
            q = {"q": number.replace("〔", left).replace("〕", right)}
        elif kind == 4:
            q = {"q": rng.choice(WORDS), "filters": {"level": [rng.choice(["national", "provincial"])]}}
        elif kind == 5:
            q = {"q": rng.choice(WORDS), "filters": {"region": [rng.choice(regions)]}}
        elif kind == 6:
            q = {"q": rng.choice(WORDS), "sort": "newest"}
        else:
            q = {"q": rng.choice(titles)[:12]}
        shapes.append(q)
    return shapes


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM). ru_maxrss would carry the parent's peak
    across the exec of a spawned child."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


# --- searching in a child process (so peak memory is the searcher's own) -----------

def _project_search(index_path: str, queries: list[dict], rounds: int, cached: bool, out):
    from index.api import SearchRequest
    from index.search import SearchIndex

    index = SearchIndex(index_path, result_cache=512 if cached else 0)
    index.search(SearchRequest(q="预热"))
    times = []
    for _ in range(rounds):
        for q in queries:
            request = SearchRequest(**q, facets=True, highlight=True)
            started = time.perf_counter()
            index.search(request)
            times.append((time.perf_counter() - started) * 1000)
    out.put((times, peak_rss_mb()))


def _baseline_search(path: str, queries: list[dict], rounds: int, out):
    from whoosh import index as whoosh_index
    from whoosh.qparser import MultifieldParser
    from whoosh.query import Term

    ix = whoosh_index.open_dir(path)
    searcher = ix.searcher()
    parser = MultifieldParser(["title", "body"], ix.schema)
    times = []
    for _ in range(rounds):
        for q in queries:
            started = time.perf_counter()
            try:
                query = parser.parse(q["q"])
                filters = q.get("filters") or {}
                filter_q = None
                if "level" in filters:
                    filter_q = Term("level", filters["level"][0])
                if "region" in filters:
                    filter_q = Term("region", filters["region"][0])
                results = searcher.search(
                    query, limit=10, filter=filter_q, groupedby=["level", "region", "year"],
                    sortedby="date" if q.get("sort") == "newest" else None,
                    reverse=q.get("sort") == "newest", terms=True)
                total = len(results)
                for hit in results[:10]:
                    hit.highlights("body")
                del total
            except Exception:
                pass
            times.append((time.perf_counter() - started) * 1000)
    out.put((times, peak_rss_mb()))


def in_child(target, *args):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    proc = context.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


# --- building -------------------------------------------------------------------------

def import_corpus(workdir: Path, shared: Path):
    from policy_search.domain.importer import import_file
    from policy_search.domain.store import Store

    store = Store(workdir / "policies.sqlite3")
    if store.policies.count() == 0:
        for name in ("documents.jsonl", "metadata.jsonl"):
            import_file(store, shared / "corpus" / name)
    return store


def build_baseline(workdir: Path, store) -> tuple[Path, float]:
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index as whoosh_index
    from whoosh.fields import ID, NUMERIC, TEXT, Schema

    path = workdir / "baseline"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    analyzer = ChineseAnalyzer()
    schema = Schema(id=ID(stored=True, unique=True), title=TEXT(analyzer=analyzer, stored=True),
                    body=TEXT(analyzer=analyzer, stored=True), level=ID(stored=True),
                    region=ID(stored=True), year=ID(stored=True),
                    date=NUMERIC(int, sortable=True, default=0))
    started = time.monotonic()
    ix = whoosh_index.create_in(str(path), schema)
    writer = ix.writer()
    for p in store.policies.iter_all():
        date = p.publish_date or p.written_date or ""
        writer.add_document(id=p.id, title=p.title, body=p.body_text or "", level=p.level or "",
                            region=p.region_name or "", year=date[:4],
                            date=int(date.replace("-", "") or 0))
    writer.commit()
    return path, time.monotonic() - started


def baseline_update_latency(path: Path) -> float:
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(path))
    started = time.monotonic()
    writer = ix.writer()
    writer.update_document(id="bench-update", title="基准增量更新测试", body="氢能产业链补贴测试",
                           level="county", region="长沙县", year="2024", date=20240101)
    writer.commit()
    with ix.searcher() as searcher:
        from whoosh.query import Term
        assert searcher.search(Term("id", "bench-update"))
    return time.monotonic() - started


def project_update_latency(store, index_path: Path) -> float:
    """From a store write to the change being visible to a running SearchIndex."""
    from index.api import SearchRequest
    from index.build import start_sync_thread
    from index.search import SearchIndex
    from policy_search.domain.models import Policy, policy_id_for

    index = SearchIndex(index_path)
    thread = start_sync_thread(store.path, index_path, interval=0.2)
    try:
        url = f"https://example.gov.cn/bench-{time.time()}.html"
        policy = Policy(id=policy_id_for(url, "x"), url=url, title="基准增量更新测试氢能政策",
                        body_text="氢能产业链补贴测试。", level="county", region_code="430121")
        started = time.monotonic()
        store.policies.upsert(policy)
        while time.monotonic() - started < 30:
            hits = index.search(SearchRequest(q="基准增量更新测试氢能政策", size=1)).hits
            if hits and hits[0].id == policy.id:
                return time.monotonic() - started
            time.sleep(0.02)
        return float("nan")
    finally:
        thread.stop()
        store.policies.delete(policy.id)


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT / ".." / "shared")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-baseline-build", action="store_true",
                        help="reuse WORKDIR/baseline and its build time from an earlier run")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="speed-"))
    workdir.mkdir(parents=True, exist_ok=True)
    from index.build import rebuild

    store = import_corpus(workdir, args.shared.resolve())
    docs = store.policies.count()
    index_path = workdir / "index"
    shutil.rmtree(index_path, ignore_errors=True)  # a first build: no token cache
    first = rebuild(store, index_path)
    again = rebuild(store, index_path)
    update = project_update_latency(store, index_path)
    size = dir_size(index_path / again.generation)

    saved = workdir / "baseline.json"
    if args.skip_baseline_build and (workdir / "baseline").exists():
        # The build time measured when this baseline was built (same corpus, machine).
        base_path = workdir / "baseline"
        base_build = json.loads(saved.read_text())["build_seconds"] if saved.exists() else float("nan")
    else:
        base_path, base_build = build_baseline(workdir, store)
        saved.write_text(json.dumps({"build_seconds": base_build, "documents": docs}))
    base_update = baseline_update_latency(base_path)
    base_size = dir_size(base_path)

    queries = make_queries(store, args.queries)
    cold, rss_cold = in_child(_project_search, str(index_path), queries, args.rounds, False)
    warm, rss_warm = in_child(_project_search, str(index_path), queries, args.rounds, True)
    base, rss_base = in_child(_baseline_search, str(base_path), queries, args.rounds)

    print(f"documents: {docs}   queries: {len(queries)} x {args.rounds} rounds")
    print(f"{'':34} {'project':>14} {'baseline':>14}")
    row = "{:34} {:>14} {:>14}".format
    print(row("search median, no result cache", f"{statistics.median(cold):.1f} ms",
              f"{statistics.median(base):.1f} ms"))
    print(row("search p95, no result cache", f"{percentile(cold, .95):.1f} ms",
              f"{percentile(base, .95):.1f} ms"))
    first_round = slice(0, len(queries))  # a fresh searcher: no term seen before
    print(row("  first round only, median / p95",
              f"{statistics.median(cold[first_round]):.1f}/{percentile(cold[first_round], .95):.1f} ms",
              f"{statistics.median(base[first_round]):.0f}/{percentile(base[first_round], .95):.0f} ms"))
    print(row("search median / p95, with cache",
              f"{statistics.median(warm):.1f}/{percentile(warm, .95):.1f} ms", "-"))
    print(row("full rebuild", f"{first.seconds:.1f} s", f"{base_build:.1f} s"))
    print(row("  documents per second", f"{docs / first.seconds:.0f}",
              f"{docs / base_build:.0f}" if base_build == base_build else "-"))
    print(row("rebuild, nothing changed", f"{again.seconds:.1f} s", f"{base_build:.1f} s"))
    print(row("incremental update visible", f"{update:.2f} s", f"{base_update:.2f} s"))
    print(row("index size", f"{size / 1e6:.0f} MB", f"{base_size / 1e6:.0f} MB"))
    print(row("peak memory of searching process", f"{max(rss_cold, rss_warm):.0f} MB",
              f"{rss_base:.0f} MB"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
