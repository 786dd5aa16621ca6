"""Delivery rounds of subscriptions: what a round costs, next to what a search costs.

    .venv/bin/python bench/notify_round.py [--workdir DIR] [--rounds 3] [--subscriptions 100]
                                            [--metadata]

Imports ../shared/corpus/documents.jsonl (4,876 documents; with --metadata also the 32k
metadata records), tags and cards them, builds the index, and prints medians over the
rounds of:

- matching a saved search against 200 changed policies (`SearchIndex.matching_ids`) next
  to running the same search as the site does (`SearchIndex.search`, page 1, facets) —
  the baseline;
- a subscription's first round, which takes its starting point (every policy it matches
  then), for a broad search, a narrow one and a /match profile;
- a round over N subscriptions (searches and profiles mixed) when nothing changed, and
  when 20 new policies arrived, each digest posted to a loopback robot.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

warnings.filterwarnings("ignore", category=SyntaxWarning, module=r"(jieba|whoosh)(\..*)?")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"

SEARCHES = ["q=企业", "q=专精特新", "q=小微企业&level=national", "q=融资 担保", "q=税收优惠",
            "enterprise=高新技术企业", "q=就业&region=湖南省", "q=知识产权", "support=融资信贷",
            "q=补贴&sort=newest"]
PROFILES = ["region=430121&industry=制造业&size=小微", "region=360000&qual=高新技术企业",
            "region=100000&need=融资", "region=430100&industry=批发和零售业&age=2"]


class Robot(ThreadingHTTPServer):
    """A loopback 企业微信 robot that accepts every message."""

    def __init__(self):
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = b'{"errcode": 0, "errmsg": "ok"}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.daemon_threads = True
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/cgi-bin/webhook/send?key=bench"


def build(workdir: Path, metadata: bool) -> Path:
    from policy_search.domain.derive import enrich_changed
    from policy_search.domain.importer import import_file
    from policy_search.domain.store import Store

    db = workdir / "template.sqlite3"
    if not db.exists():
        store = Store(workdir / "building.sqlite3")
        started = time.perf_counter()
        import_file(store, SHARED / "corpus" / "documents.jsonl")
        if metadata:
            import_file(store, SHARED / "corpus" / "metadata.jsonl")
        enrich_changed(store)
        store.close()
        (workdir / "building.sqlite3").rename(db)
        print(f"store built in {time.perf_counter() - started:.0f} s")
    return db


def fresh_site(workdir: Path, template: Path, robot: Robot):
    from index.build import rebuild
    from policy_search.settings import Settings
    from policy_search.domain.store import Store

    data = workdir / "site"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    settings = Settings(data_dir=data, public_base_url="https://zc.example.gov.cn",
                        webhook_allowed_hosts=f"127.0.0.1:{robot.server_address[1]}")
    with Store(template) as source:
        source.backup(settings.db_path)
    store = Store(settings.db_path)
    index_dir = workdir / "index-template"
    if not index_dir.exists():
        rebuild(store, index_dir)
    shutil.copytree(index_dir, settings.index_path)
    return settings, store


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--subscriptions", type=int, default=100)
    parser.add_argument("--metadata", action="store_true")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="notify-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)

    from index.api import SearchRequest
    from index.search import SearchIndex
    from policy_search.domain.channels import Sender
    from policy_search.app.delivery import IndexMatcher, parse_search_query, sync_index
    from policy_search.domain.models import Policy, policy_id_for
    from policy_search.domain.notify import run_round
    from policy_search.domain.subscriptions import ACTIVE

    robot = Robot()
    template = build(workdir, args.metadata)
    figures: dict[str, list[float]] = {}

    def record(name: str, seconds: float) -> None:
        figures.setdefault(name, []).append(seconds)

    for number in range(args.rounds):
        settings, store = fresh_site(workdir, template, robot)
        index = SearchIndex(settings.index_path)
        matcher = IndexMatcher(settings, store, index)
        sender = Sender(settings)
        ids = store.policies.all_ids()
        policies = len(ids)
        changed = ids[number * 200:(number + 1) * 200]

        # a saved search against 200 changed policies vs the same search on the site; the
        # first subscription of a round looks the changed ids up, the others reuse them
        for position, query in enumerate(SEARCHES):
            request = parse_search_query(query).to_request()
            index.search(SearchRequest(q=request.q + " ", filters=request.filters))  # warm terms
            started = time.perf_counter()
            index.search(request)
            record("search: site search (baseline)", time.perf_counter() - started)
            started = time.perf_counter()
            index.matching_ids(request, changed)
            record("search: matching 200 changed ids, first of a round" if position == 0 else
                   "search: matching 200 changed ids, the others", time.perf_counter() - started)

        # a subscription's first round: its starting point
        for label, kind, query in (("first round: all policies", "search", ""),
                                   ("first round: narrow search", "search", "q=专精特新"),
                                   ("first round: profile", "match", PROFILES[0])):
            sub = store.subscriptions.create(kind=kind, query=query, channel="wecom",
                                             address=robot.url, state=ACTIVE)
            started = time.perf_counter()
            run_round(store, settings, matcher, sender)
            record(label, time.perf_counter() - started)
            known = store.subscriptions.policy_counts(sub.id).get("baseline", 0)
            figures.setdefault(label + " (baseline rows)", []).append(known / 1000)
            store.subscriptions.delete(sub.id)

        # N subscriptions: starting points, an idle round, a round after 20 new policies
        for n in range(args.subscriptions):
            kind, pool = ("match", PROFILES) if n % 4 == 3 else ("search", SEARCHES)
            store.subscriptions.create(kind=kind, query=pool[n % len(pool)], channel="wecom",
                                       address=robot.url, state=ACTIVE)
        run_round(store, settings, matcher, sender)
        started = time.perf_counter()
        run_round(store, settings, matcher, sender)
        record(f"round, {args.subscriptions} subscriptions, nothing new", time.perf_counter() - started)
        for k in range(20):
            title = f"关于支持专精特新小微企业融资担保和高新技术企业创新的通知（第{number}-{k}号）"
            url = f"http://www.csx.gov.cn/bench/{number}/{k}.html"
            store.policies.upsert(Policy(id=policy_id_for(url, ""), url=url, title=title,
                                         body_text="对小微企业、专精特新企业融资担保给予补贴，支持就业和知识产权。",
                                         level="county", region_code="430121", region_name="长沙县",
                                         publish_date="2024-05-01", validity="有效"))
        sync_index(store, settings)
        started = time.perf_counter()
        report = run_round(store, settings, matcher, sender)
        record(f"round, {args.subscriptions} subscriptions, 20 new policies", time.perf_counter() - started)
        figures.setdefault("messages sent in that round", []).append(report.sent / 1000)
        index.close()
        store.close()

    print(f"\nmedians over {args.rounds} runs, {policies} policies"
          f" ({'documents + metadata' if args.metadata else 'documents'}):")
    for name, values in figures.items():
        if "rows" in name or "messages" in name:
            print(f"  {name:<52} {statistics.median(values) * 1000:8.0f}")
        else:
            print(f"  {name:<52} {median_ms(values)}")
    robot.shutdown()


if __name__ == "__main__":
    main()
