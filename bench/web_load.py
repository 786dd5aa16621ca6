"""Load test of the site on loopback: N concurrent clients for a bounded time.

    .venv/bin/python bench/web_load.py [--clients 20] [--seconds 20] [--data-dir DIR]

Without --data-dir the corpus (../shared/corpus/documents.jsonl) is imported into a
temporary data directory and indexed first (a few minutes; --limit N imports fewer).
The site runs as `policy-search serve` in its own process(es) (waitress, forked workers),
the clients are threads in this process with keep-alive connections (http.client), each looping over realistic requests: /api/search and / with
queries from the evaluation set, facet filters, sorts and pages, and the front page (bare /,
a tenth of the requests). Prints requests/s,
p50/p95/max latency and errors per endpoint.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

warnings.filterwarnings("ignore", category=SyntaxWarning)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared"
sys.path.insert(0, str(ROOT))

from search_speed import percentile  # noqa: E402  (one p95 for every bench)

FALLBACK_QUERIES = ["专精特新", "研发费用加计扣除", "稳岗返还", "小微企业 税收优惠", "融资担保",
                    "高新技术企业", "人才引进", "国办发〔2018〕71号", "数字化转型", "失业保险"]
FILTERS = [{}, {}, {"level": "national"}, {"level": "provincial"}, {"year": "2019"},
           {"validity": "有效"}, {"kind": "政策原文"}]
SORTS = ["relevance", "relevance", "relevance", "newest", "deadline"]


def load_queries() -> list[str]:
    path = SHARED / "eval" / "queries-dev.jsonl"
    if not path.exists():
        return FALLBACK_QUERIES
    queries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        text = record.get("query") or record.get("q") or record.get("text")
        if text:
            queries.append(text)
    return queries or FALLBACK_QUERIES


def prepare(data_dir: Path | None, limit: int | None) -> Path:
    """Settings, store and index for the run: an existing data dir or a fresh corpus import."""
    from index.build import rebuild
    from index.search import SearchIndex
    from policy_search.domain.importer import import_file
    from policy_search.settings import Settings
    from policy_search.domain.store import Store

    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="web-load-"))
        corpus = SHARED / "corpus" / "documents.jsonl"
        if limit:
            subset = data_dir / "subset.jsonl"
            with open(corpus, encoding="utf-8") as src, open(subset, "w", encoding="utf-8") as dst:
                for number, line in enumerate(src):
                    if number >= limit:
                        break
                    dst.write(line)
            corpus = subset
        settings = Settings(data_dir=data_dir, secret_key="bench")
        store = Store(settings.db_path)
        started = time.monotonic()
        import_file(store, corpus)
        print(f"imported {store.policies.count()} policies in {time.monotonic() - started:.1f}s")
        started = time.monotonic()
        rebuild(store, settings.index_path)
        print(f"indexed in {time.monotonic() - started:.1f}s")
    else:
        settings = Settings(data_dir=data_dir, secret_key="bench")
        store = Store(settings.db_path)
        if not SearchIndex(settings.index_path).is_usable():
            rebuild(store, settings.index_path)
    print(f"data directory: {data_dir} (reuse it with --data-dir)")
    store.close()
    return data_dir


def start_server(data_dir: Path, workers: int, threads: int):
    """`policy-search serve` in its own process, as in production; returns (process, port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-c", "from policy_search.cli import main; main()",
               "--data-dir", str(data_dir), "serve", "--port", str(port),
               "--workers", str(workers), "--threads", str(threads), "--no-sync"]
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "POLICY_SEARCH_LOG_LEVEL": "ERROR",
           "POLICY_SEARCH_SECRET_KEY": "bench"}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"serve exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process, port
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("the site did not become healthy")


def random_path(rng: random.Random, queries: list[str]) -> tuple[str, str]:
    if rng.random() < 0.1:   # the front page: shortcuts, open calls, newest lists, 热门搜索
        return "/ (home)", "/"
    endpoint = rng.choice(["/api/search", "/"])
    params = {"q": rng.choice(queries)} if rng.random() < 0.85 else {}
    params.update(rng.choice(FILTERS))
    sort = rng.choice(SORTS)
    if sort != "relevance":
        params["sort"] = sort
    if rng.random() < 0.2:
        params["page"] = rng.randint(2, 4)
    if not params and endpoint == "/":
        params["sort"] = "newest"   # the list of every policy (bare "/" is the front page)
    return endpoint, endpoint + ("?" + urlencode(params) if params else "")


def client_loop(port: int, deadline: float, queries: list[str], seed: int, results: dict,
                lock: threading.Lock) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    local: dict[str, list] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    while time.monotonic() < deadline:
        endpoint, path = random_path(rng, queries)
        started = time.perf_counter()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        elapsed = time.perf_counter() - started
        if ok:
            local[endpoint].append(elapsed)
        else:
            errors[endpoint] += 1
    conn.close()
    with lock:
        for endpoint, times in local.items():
            results["times"][endpoint].extend(times)
        for endpoint, count in errors.items():
            results["errors"][endpoint] += count


def run(port: int, clients: int, seconds: float, queries: list[str]) -> dict:
    results = {"times": defaultdict(list), "errors": defaultdict(int)}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=client_loop, args=(port, deadline, queries, n, results, lock))
               for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results["elapsed"] = time.monotonic() - started
    return results


def report(results: dict, clients: int) -> dict:
    elapsed = results["elapsed"]
    summary = {}
    print(f"\n{clients} clients, {elapsed:.1f}s on loopback")
    print(f"{'endpoint':<14}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'errors':>8}")
    endpoints = sorted(set(results["times"]) | set(results["errors"]))
    for endpoint in endpoints:
        times = results["times"].get(endpoint, [])
        errors = results["errors"].get(endpoint, 0)
        row = {
            "requests": len(times) + errors, "rps": len(times) / elapsed,
            "p50_ms": 1000 * statistics.median(times) if times else None,
            "p95_ms": 1000 * percentile(times, 0.95) if times else None,
            "max_ms": 1000 * max(times) if times else None, "errors": errors,
        }
        summary[endpoint] = row
        print(f"{endpoint:<14}{row['requests']:>10}{row['rps']:>9.1f}"
              f"{row['p50_ms'] or 0:>9.1f}{row['p95_ms'] or 0:>9.1f}{row['max_ms'] or 0:>9.1f}"
              f"{errors:>8}")
    total = sum(len(t) for t in results["times"].values())
    print(f"{'all':<14}{total + sum(results['errors'].values()):>10}{total / elapsed:>9.1f}")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--threads", type=int, default=8, help="threads per server process")
    parser.add_argument("--workers", type=int, default=0,
                        help="server processes (default: as `serve`, the CPU count up to 4)")
    parser.add_argument("--data-dir", type=Path, help="use this data directory as it is")
    parser.add_argument("--limit", type=int, help="import only the first N corpus documents")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    from policy_search.cli.serve import default_workers

    data_dir = prepare(args.data_dir, args.limit)
    workers = args.workers or default_workers()
    server, port = start_server(data_dir, workers, args.threads)
    print(f"server: {workers} process(es) × {args.threads} threads")
    queries = load_queries()
    # Warm up: first queries load jieba's dictionary and open the index segments.
    run(port, 2, 2.0, queries)
    results = run(port, args.clients, args.seconds, queries)
    summary = report(results, args.clients)
    server.terminate()
    server.wait(timeout=30)
    if args.json:
        args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    target_ok = all(row["errors"] == 0 and (row["p95_ms"] or 0) < 300 for row in summary.values())
    print("target (p95 < 300 ms, 0 errors):", "met" if target_ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
