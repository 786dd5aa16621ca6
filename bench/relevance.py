"""Search quality on the shared dev queries: nDCG@10, MRR, recall@20, project vs baseline.

    .venv/bin/python bench/relevance.py [--workdir DIR] [--shared ../shared]

Imports ../shared/corpus/documents.jsonl into a store, builds the project index
(`index.build.rebuild`) and a naive baseline (Whoosh + jieba.analyse.ChineseAnalyzer,
default settings, title + body, MultifieldParser), runs ../shared/eval/queries-dev.jsonl
through both and prints the figures side by side. Also checks that a 文号 typed in any
bracket style finds its document at rank 1. A document is keyed by its url, or
"title:" + title when it has none (as in qrels-dev.jsonl).
"""
from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", category=SyntaxWarning, module=r"(jieba|whoosh)(\..*)?")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BRACKETS = [("〔", "〕"), ("[", "]"), ("【", "】"), ("（", "）"), ("(", ")"), ("［", "］")]


def doc_key(url, title) -> str:
    return url if url else "title:" + (title or "")


def load_queries(shared: Path):
    queries = [json.loads(line) for line in open(shared / "eval" / "queries-dev.jsonl",
                                                   encoding="utf-8") if line.strip()]
    qrels: dict[str, dict[str, int]] = {}
    for line in open(shared / "eval" / "qrels-dev.jsonl", encoding="utf-8"):
        if line.strip():
            row = json.loads(line)
            qrels.setdefault(row["qid"], {})[row["doc"]] = int(row["grade"])
    return queries, qrels


def metrics(ranked: list[str], judged: dict[str, int]) -> dict[str, float]:
    gains = [2 ** judged.get(key, 0) - 1 for key in ranked[:10]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted((2 ** g - 1 for g in judged.values()), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    relevant = {k for k, g in judged.items() if g > 0}
    rr = 0.0
    for i, key in enumerate(ranked):
        if key in relevant:
            rr = 1.0 / (i + 1)
            break
    recall = len(relevant & set(ranked[:20])) / len(relevant) if relevant else 0.0
    return {"ndcg@10": dcg / idcg if idcg else 0.0, "mrr": rr, "recall@20": recall}


def mean(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: sum(r[k] for r in rows) / len(rows) for k in rows[0]} if rows else {}


# --- the project -----------------------------------------------------------------

def build_project(workdir: Path, documents: Path):
    from index.build import rebuild
    from policy_search.importer import import_file
    from policy_search.store import Store

    store = Store(workdir / "policies.sqlite3")
    if store.count_policies() == 0:
        started = time.monotonic()
        summary = import_file(store, documents)
        print(f"imported {summary.rows} rows in {time.monotonic() - started:.1f}s", file=sys.stderr)
    index_path = workdir / "index"
    report = rebuild(store, index_path)
    print(f"project index: {report.documents} docs, analyzed {report.analyzed}, cached "
          f"{report.from_cache}, {report.seconds:.1f}s", file=sys.stderr)
    return store, index_path


def project_search(index_path: Path):
    from index.api import SearchRequest
    from index.search import SearchIndex

    index = SearchIndex(index_path)

    def run(query: str, size: int = 20) -> list:
        result = index.search(SearchRequest(q=query, size=size, facets=False, highlight=False))
        return result.hits

    return run


# --- the baseline ------------------------------------------------------------------

def build_baseline(workdir: Path, documents: Path) -> Path:
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index as whoosh_index
    from whoosh.fields import ID, STORED, TEXT, Schema

    path = workdir / "baseline"
    if path.exists() and whoosh_index.exists_in(str(path)):
        return path
    path.mkdir(parents=True, exist_ok=True)
    analyzer = ChineseAnalyzer()
    schema = Schema(key=ID(stored=True, unique=True), title=TEXT(analyzer=analyzer, stored=True),
                    body=TEXT(analyzer=analyzer), doc_number=STORED)
    ix = whoosh_index.create_in(str(path), schema)
    writer = ix.writer()
    started = time.monotonic()
    count = 0
    for line in open(documents, encoding="utf-8"):
        row = json.loads(line)
        writer.add_document(key=doc_key(row.get("url"), row.get("title")),
                            title=row.get("title") or "", body=row.get("body") or "",
                            doc_number=row.get("doc_number"))
        count += 1
    writer.commit()
    print(f"baseline index: {count} docs in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return path


def baseline_search(path: Path):
    from whoosh import index as whoosh_index
    from whoosh.qparser import MultifieldParser

    ix = whoosh_index.open_dir(str(path))
    searcher = ix.searcher()
    parser = MultifieldParser(["title", "body"], ix.schema)

    def run(query: str, size: int = 20) -> list[str]:
        try:
            results = searcher.search(parser.parse(query), limit=size)
        except Exception:
            return []
        return [hit["key"] for hit in results]

    return run


# --- 文号 check ----------------------------------------------------------------------

def doc_number_check(store, search, samples: int = 40, seed: int = 7) -> tuple[int, int, list]:
    """Every sampled 文号 in every bracket style must put its document at rank 1."""
    from policy_search.normalize import doc_number_key

    rows = store.conn.execute(
        "SELECT id, doc_number, doc_number_key FROM policies WHERE doc_number LIKE '%〔%〕%号'"
        " ORDER BY id").fetchall()
    rng = random.Random(seed)
    picked = rng.sample(rows, min(samples, len(rows)))
    ok = total = 0
    failures = []
    for row in picked:
        match = re.match(r"(.*?)〔(\d{4})〕(.*)", row["doc_number"])
        if not match:
            continue
        for left, right in BRACKETS:
            query = f"{match.group(1)}{left}{match.group(2)}{right}{match.group(3)}"
            hits = search(query, 1)
            total += 1
            if hits and doc_number_key(hits[0].doc_number) == row["doc_number_key"]:
                ok += 1
            else:
                failures.append(query)
    return ok, total, failures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT / ".." / "shared")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep store and indexes here between runs (default: a temp dir)")
    parser.add_argument("--show", action="store_true", help="print each query's figures")
    args = parser.parse_args(argv)
    shared = args.shared.resolve()
    documents = shared / "corpus" / "documents.jsonl"
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="relevance-"))
    workdir.mkdir(parents=True, exist_ok=True)

    queries, qrels = load_queries(shared)
    store, index_path = build_project(workdir, documents)
    ours = project_search(index_path)
    theirs = baseline_search(build_baseline(workdir, documents))

    rows_ours, rows_base = [], []
    for q in queries:
        judged = qrels.get(q["qid"], {})
        ranked_ours = [doc_key(h.url, h.title) for h in ours(q["query"])]
        ranked_base = theirs(q["query"])
        m_ours, m_base = metrics(ranked_ours, judged), metrics(ranked_base, judged)
        rows_ours.append(m_ours)
        rows_base.append(m_base)
        if args.show:
            print(f"{q['qid']} {q['query'][:16]:<16} ours " +
                  " ".join(f"{k}={v:.3f}" for k, v in m_ours.items()) + "  base " +
                  " ".join(f"{k}={v:.3f}" for k, v in m_base.items()))
    ours_mean, base_mean = mean(rows_ours), mean(rows_base)
    print(f"{'metric':<10} {'project':>8} {'baseline':>9}")
    for key in ours_mean:
        print(f"{key:<10} {ours_mean[key]:8.3f} {base_mean[key]:9.3f}")
    ok, total, failures = doc_number_check(store, ours)
    print(f"文号 at rank 1 in every bracket style: {ok}/{total}"
          + (f"  failures: {failures[:5]}" if failures else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
