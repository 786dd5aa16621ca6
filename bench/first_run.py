"""First run on a fresh machine: how soon the site answers and has something to search.

    .venv/bin/python bench/first_run.py [--rounds 3] [--delay 0.3]

Against the loopback fixture site (tests/crawler/site.py) with a politeness delay per
request (real sources use 1–2 s), each round starts from an empty data directory and
measures, in seconds from the command's start:

- `policy-search run`: the first /healthz 200 (the site answers), the starter snapshot
  searchable, the first crawled policy searchable, and every crawled policy searchable;
- the baseline, the old `make run`: `crawl`, then `index rebuild`, then `serve` — the
  site answers only after all three.

Prints the median of each figure over the rounds.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.crawler.site import FixtureSite, build_site, sources_toml  # noqa: E402
from tests.policy_search.cli.service import Service, free_port  # noqa: E402

CRAWLED_POLICIES = 75  # every policy the fixture site's sources hold (tests/crawler)
SNAPSHOT_QUERY = "企业"
CRAWLED_QUERY = "支付便利性"  # the newest gov.cn document: the first one crawled


def answers(base: str, path: str = "/healthz") -> dict | None:
    try:
        with urllib.request.urlopen(base + path, timeout=5) as response:
            return json.loads(response.read()) if response.status == 200 else None
    except (OSError, urllib.error.HTTPError, ValueError):
        return None


def total(base: str, query: str) -> int:
    found = answers(base, "/api/search?q=" + quote(query))
    return found["total"] if found else 0


def crawled(data_dir: Path) -> int:
    from policy_search.domain.store import Store

    with Store(data_dir / "policies.sqlite3") as store:
        return store.policies.count_besides_source("snapshot")


def settings_for(workdir: Path, site: FixtureSite, delay: float) -> dict:
    sources = workdir / "sources.toml"
    sources.write_text(sources_toml(site, delay=delay), "utf-8")
    return {"sources_file": sources, "crawl_delay": delay, "crawl_jitter": 0,
            "crawl_since": "2010-01-01", "worker_poll_interval": 0.2,
            "contact_url": "https://example.org/bot"}


def round_run(site: FixtureSite, delay: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as workdir:
        service = Service(Path(workdir) / "data", settings_for(Path(workdir), site, delay))
        started = time.monotonic()
        figures: dict[str, float] = {}
        try:
            while len(figures) < 4:
                if service.poll() is not None:
                    raise SystemExit("run exited:\n" + service.output_text())
                moment = time.monotonic() - started
                health = answers(service.base)
                if health and "answers" not in figures:
                    figures["answers"] = moment
                if health and "snapshot" not in figures and total(service.base, SNAPSHOT_QUERY) > 100:
                    figures["snapshot"] = moment
                if health and "first" not in figures and total(service.base, CRAWLED_QUERY):
                    figures["first"] = moment
                if health and "all" not in figures and health.get("indexed") == health.get(
                        "policies") and crawled(Path(workdir) / "data") >= CRAWLED_POLICIES:
                    figures["all"] = moment
                time.sleep(0.2)
        finally:
            service.stop()
    return figures


def round_baseline(site: FixtureSite, delay: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as workdir:
        settings = settings_for(Path(workdir), site, delay)
        env = {**os.environ, "PYTHONWARNINGS": "ignore",
               **{f"POLICY_SEARCH_{k.upper()}": str(v) for k, v in settings.items()}}
        cli = [sys.executable, "-m", "policy_search", "--data-dir", str(Path(workdir) / "data")]
        started = time.monotonic()
        subprocess.run([*cli, "crawl", "--quiet", "--since", "2010-01-01"], env=env, cwd=ROOT,
                       check=True, capture_output=True)
        subprocess.run([*cli, "index", "rebuild"], env=env, cwd=ROOT, check=True,
                       capture_output=True)
        port = free_port()
        server = subprocess.Popen([*cli, "serve", "--port", str(port), "--workers", "1"], env=env,
                                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while not answers(f"http://127.0.0.1:{port}"):
                time.sleep(0.2)
            moment = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(timeout=60)
    return {"answers": moment, "first": moment, "all": moment}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.3, help="seconds between requests")
    args = parser.parse_args()
    site = FixtureSite().start()
    build_site(site)
    try:
        runs = [round_run(site, args.delay) for _ in range(args.rounds)]
        baselines = [round_baseline(site, args.delay) for _ in range(args.rounds)]
    finally:
        site.stop()

    def median(rounds: list[dict], key: str) -> str:
        values = [r[key] for r in rounds if key in r]
        return f"{statistics.median(values):7.1f} s" if values else "      —"

    print(f"first run against the fixture site ({CRAWLED_POLICIES} policies, delay {args.delay} s"
          f" per request), median of {args.rounds} rounds, seconds from the command's start:")
    print(f"{'':38}{'run':>9}  {'baseline (crawl, rebuild, serve)':>10}")
    for key, label in (("answers", "the site answers"), ("snapshot", "the starter snapshot searchable"),
                       ("first", "the first crawled policy searchable"),
                       ("all", "every crawled policy searchable")):
        print(f"{label:38}{median(runs, key):>9}  {median(baselines, key):>10}")


if __name__ == "__main__":
    main()
