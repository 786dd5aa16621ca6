"""政策计算器 quality: precision@10 of /api/match for enterprise profiles, against judgments
made by reading the documents ("could this enterprise act on it": yes / no).

The store is built from ../shared/corpus/documents.jsonl the way a deployment builds it:
import (which cleans bodies, tags, classifies and cards every policy), then the index.
Building takes minutes; --workdir keeps it for the next run.

    .venv/bin/python bench/match_quality.py [--workdir DIR] [--profiles FILE] [--judgments FILE]
                                            [--show]

--show prints each profile's top 10 with the judgment (or "?" when not judged yet) — what
the judgments were made from. Profiles: bench/match_profiles.jsonl (id, about, query: the
/match parameters); judgments: bench/match_judgments.jsonl (profile, key, title, relevant,
why), a document keyed by its url (or "title:" + title).

Printed per profile and over all: the precision of what is listed (relevant / listed — can
the list be trusted), the fill rate (listed / 10 — the corpus has few 惠企 documents per
region, so lists are short), and precision@10 with empty slots counted as misses.
Goal: precision over listed >= 0.8 without emptying the lists.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / ".." / "shared" / "corpus" / "documents.jsonl"
PROFILES = ROOT / "bench" / "match_profiles.jsonl"
JUDGMENTS = ROOT / "bench" / "match_judgments.jsonl"
K = 10


def build(workdir: Path, corpus: Path):
    from index.build import rebuild
    from policy_search.domain.derive import enrich_changed
    from policy_search.domain.importer import import_file
    from policy_search.settings import Settings
    from policy_search.domain.store import Store

    settings = Settings(data_dir=workdir, secret_key="bench")
    fresh = not settings.db_path.exists()
    store = Store(settings.db_path)
    if fresh:
        started = time.monotonic()
        import_file(store, corpus)
        enrich_changed(store)
        rebuild(store, settings.index_path, procs=1)
        print(f"built {store.policies.count()} policies in {time.monotonic() - started:.0f}s",
              file=sys.stderr)
    return settings, store


def load(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def url_query(query: str) -> str:
    """The profile's query string with its values percent-encoded."""
    pairs = [part.split("=", 1) for part in query.split("&") if part]
    return "&".join(f"{k}={quote(v)}" for k, v in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="keep the built store and index here")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--profiles", type=Path, default=PROFILES)
    parser.add_argument("--judgments", type=Path, default=JUDGMENTS)
    parser.add_argument("--show", action="store_true", help="print each top 10 with its judgment")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="match-bench-"))
    settings, store = build(workdir, args.corpus)

    from index.search import SearchIndex
    from web import create_app

    app = create_app(settings, store=store, index=SearchIndex(settings.index_path),
                     testing=True)
    client = app.test_client()
    judged = {(j["profile"], j["key"]): j for j in load(args.judgments)} if args.judgments.exists() else {}
    keys = {s["id"]: (s["url"] or "title:" + s["title"]) for s in store.policies.summaries()}
    precisions, shown_precisions, unjudged, timings = [], [], 0, []
    relevant_slots = listed_slots = 0
    for profile in load(args.profiles):
        started = time.perf_counter()
        response = client.get(f"/api/match?{url_query(profile['query'])}&size={K}")
        timings.append(time.perf_counter() - started)
        body = response.get_json()
        if response.status_code != 200:
            raise SystemExit(f"{profile['id']}: {response.status_code} {body}")
        relevant = 0
        if args.show:
            print(f"\n== {profile['id']} {profile['about']}  ({body['total']} apply)")
        for rank, hit in enumerate(body["hits"], 1):
            key = keys[hit["id"]]
            judgment = judged.get((profile["id"], key))
            if judgment is None:
                unjudged += 1
            elif judgment["relevant"]:
                relevant += 1
            if args.show:
                mark = "?" if judgment is None else ("Y" if judgment["relevant"] else "N")
                met = [r["condition"] for r in hit["reasons"] if r["status"] == "met"]
                print(f"  {rank:2d} [{mark}] {hit['kind']} | {hit['title'][:60]} | "
                      f"{hit['region']} | 符合: {'、'.join(met)}")
                print(f"       key={key}")
        listed = len(body["hits"])
        relevant_slots += relevant
        listed_slots += listed
        precisions.append(relevant / K)
        if listed:
            shown_precisions.append(relevant / listed)
        listed_precision = f"{relevant / listed:.2f}" if listed else "  -  "
        print(f"{profile['id']}: precision over listed {listed_precision} ({relevant}/{listed}), "
              f"filled {listed}/{K}, precision@{K} {relevant / K:.2f}  ({body['total']} apply)")
    count = len(precisions)
    print(f"\nprecision over listed results: {relevant_slots / max(listed_slots, 1):.2f} "
          f"({relevant_slots} relevant of {listed_slots} listed; mean per profile "
          f"{sum(shown_precisions) / max(len(shown_precisions), 1):.2f})  (goal >= 0.80)")
    print(f"fill rate: {listed_slots / (K * count):.2f} ({listed_slots} of {K * count} slots "
          f"of the top {K} filled)")
    print(f"precision@{K}, empty slots counted as misses: {sum(precisions) / count:.2f} "
          f"over {count} profiles; unjudged results counted as not relevant: {unjudged}")
    timings.sort()
    print(f"/api/match median {timings[len(timings) // 2] * 1000:.0f} ms per profile")


if __name__ == "__main__":
    main()
