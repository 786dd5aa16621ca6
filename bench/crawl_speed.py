"""Crawler throughput: extraction over the real pages, a full fixture-site crawl, and
the first crawl of a multi-host site one source after another vs hosts in parallel.

    .venv/bin/python bench/crawl_speed.py [--rounds 3] [--delay 0.25] [--hosts 4]

Prints extraction pages/s over ../shared/pages/*/*.html and the time and peak memory of
extracting hostile pages (`--hostile`: only those), then crawls the loopback
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
from policy_search.domain.store import Store  # noqa: E402
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
              f" = {fetched / seconds:.1f} pages/s; {store.policies.count()} policies stored")
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
        count = store.policies.count()
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


HOSTILE_PAGES = {
    # name: (the page, what outside testing measured before the tree was bounded)
    "100,000 unclosed <span>": (
        "<html><body><div id=content><p>正文。" + "<span>x" * 100_000 + "</p></div></body></html>",
        "RecursionError"),
    "10,000 nested <div> (110 KB)": (
        "<html><body>" + "<div>文字" * 10_000 + "</div>" * 10_000 + "</body></html>", "27 s"),
    "200,000 links (7.6 MB)": (
        "<html><head><title>关于支持企业发展的通知</title></head><body><div id=content><p>正文。</p>"
        + "".join(f'<a href="/jd/{i}.html">相关解读：第{i}号</a>' for i in range(100_000))
        + "".join(f'<a href="/f/{i}.pdf">附件{i}</a>' for i in range(100_000))
        + "</div></body></html>", "78 s, 744 MB"),
}
_ONE_PAGE = """
import resource, sys, time
sys.path.insert(0, {root!r})
from bench.crawl_speed import HOSTILE_PAGES
from crawler.extract import extract_page
html = HOSTILE_PAGES[{name!r}][0]
started = time.perf_counter()
extract_page(html, "http://www.example.gov.cn/a.html")
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def bench_hostile(rounds: int) -> None:
    """Extraction of hostile pages, each in its own process (its peak memory alone)."""
    import subprocess

    for name, (_, before) in HOSTILE_PAGES.items():
        runs = []
        for _ in range(rounds):
            out = subprocess.run([sys.executable, "-c", _ONE_PAGE.format(root=str(ROOT), name=name)],
                                 capture_output=True, text=True, check=True).stdout.split()
            runs.append((float(out[0]), int(out[1])))
        print(f"hostile page, {name}: median {statistics.median(s for s, _ in runs):.1f} s,"
              f" max RSS {statistics.median(m for _, m in runs):.0f} MB over {rounds} runs"
              f" (before: {before})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.25,
                        help="politeness delay of the multi-host crawl, seconds")
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--hostile", action="store_true",
                        help="only the hostile pages (deep nesting, 200,000 links)")
    args = parser.parse_args()
    if args.hostile:
        bench_hostile(args.rounds)
        return
    bench_extraction(args.rounds)
    bench_hostile(args.rounds)
    bench_crawl()
    bench_parallel_hosts(args.rounds, args.delay, args.hosts)


if __name__ == "__main__":
    main()
