"""Crawler throughput: extraction over the real pages, a full fixture-site crawl, and
the first crawl of a multi-host site one source after another vs hosts in parallel.

    .venv/bin/python bench/crawl_speed.py [--rounds 3] [--delay 0.25] [--hosts 4]

Prints extraction pages/s over ../shared/pages/*/*.html, then crawls the loopback
fixture site (tests/crawler/site.py) with the politeness delay set to 0 and prints
pages/s, policies stored and peak memory (Python heap via tracemalloc, and the
process's max RSS). Last, the multi-host site (tests/crawler/hosts.py: one server per
127.0.0.x address, the real gov.cn pages dealt out to them) is crawled from an empty
store with a politeness delay, serially (crawl_parallel_hosts = 1, the baseline) and
with one lane per host; medians over the rounds and their ratio.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.encoding import decode_bytes  # noqa: E402
from crawler.extract import extract_page  # noqa: E402
from crawler.run import crawl_sources  # noqa: E402
from tests.crawler.hosts import MultiHostSite  # noqa: E402
from policy_search.settings import load_settings  # noqa: E402
from policy_search.store import Store  # noqa: E402
from tests.crawler.site import PAGES, FixtureSite, build_site, sources_toml  # noqa: E402


def bench_extraction(rounds: int) -> None:
    pages = []
    for expected in sorted(PAGES.glob("*/expected.jsonl")):
        for line in expected.read_text("utf-8").splitlines():
            record = json.loads(line)
            pages.append(((expected.parent / record["file"]).read_bytes(), record["url"]))
    size = sum(len(data) for data, _ in pages)
    started = time.perf_counter()
    for _ in range(rounds):
        for data, url in pages:
            extract_page(decode_bytes(data)[0], url)
    seconds = time.perf_counter() - started
    count = len(pages) * rounds
    print(f"extraction: {count} pages ({size / 1e6:.1f} MB per round) in {seconds:.2f} s"
          f" = {count / seconds:.1f} pages/s, {size * rounds / 1e6 / seconds:.2f} MB/s")


def bench_crawl() -> None:
    site = FixtureSite().start()
    build_site(site)
    with tempfile.TemporaryDirectory() as tmp:
        sources_file = Path(tmp) / "sources.toml"
        sources_file.write_text(sources_toml(site, delay=0.0), "utf-8")
        settings = load_settings(environ={}, data_dir=Path(tmp) / "data", sources_file=sources_file,
                                 crawl_delay=0.0, crawl_jitter=0.0, crawl_timeout=5.0)
        store = Store(settings.db_path)
        tracemalloc.start()
        started = time.perf_counter()
        results = crawl_sources(store, settings)
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        fetched = sum(r.pages_fetched + r.list_pages + r.attachments for r in results)
        details = sum(r.pages_fetched for r in results)
        print(f"fixture crawl (delay 0): {fetched} requests ({details} detail pages,"
              f" {sum(r.attachments for r in results)} attachments) in {seconds:.2f} s"
              f" = {fetched / seconds:.1f} pages/s; {store.count_policies()} policies stored")
        print(f"peak memory: Python heap {peak / 1e6:.1f} MB (tracemalloc),"
              f" max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        store.close()
    site.stop()


def first_crawl_seconds(site: MultiHostSite, delay: float, parallel: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        sources_file = Path(tmp) / "sources.toml"
        sources_file.write_text(site.sources_toml(second_source=False), "utf-8")
        settings = load_settings(environ={}, data_dir=Path(tmp) / "data", sources_file=sources_file,
                                 crawl_delay=delay, crawl_jitter=0.0, crawl_timeout=5.0,
                                 crawl_parallel_hosts=parallel)
        store = Store(settings.db_path)
        started = time.perf_counter()
        results = crawl_sources(store, settings)
        seconds = time.perf_counter() - started
        assert all(r.status == "ok" for r in results), [r.summary() for r in results]
        count = store.count_policies()
        store.close()
    return seconds, count


def bench_parallel_hosts(rounds: int, delay: float, hosts: int) -> None:
    site = MultiHostSite(hosts=hosts).start()
    try:
        figures = {}
        for label, parallel in (("serial (crawl_parallel_hosts = 1)", 1),
                                (f"parallel (crawl_parallel_hosts = {hosts})", hosts)):
            runs = [first_crawl_seconds(site, delay, parallel) for _ in range(rounds)]
            figures[parallel] = statistics.median(seconds for seconds, _ in runs)
            print(f"first crawl, {hosts} hosts, delay {delay} s, {label}: median"
                  f" {figures[parallel]:.2f} s over {rounds} runs"
                  f" ({', '.join(f'{s:.2f}' for s, _ in runs)}); {runs[0][1]} policies")
        print(f"parallel hosts: {figures[1] / figures[hosts]:.2f}x faster than serial")
    finally:
        site.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.25,
                        help="politeness delay of the multi-host crawl, seconds")
    parser.add_argument("--hosts", type=int, default=4)
    args = parser.parse_args()
    bench_extraction(args.rounds)
    bench_crawl()
    bench_parallel_hosts(args.rounds, args.delay, args.hosts)


if __name__ == "__main__":
    main()
