"""Search quality on the shared dev queries: nDCG@10, MRR, recall@20, project vs baselines.

    .venv/bin/python bench/relevance.py [--workdir DIR] [--shared ../shared] [--show]
                                        [--queries FILE --qrels FILE]

Imports ../shared/corpus/documents.jsonl into a store, derives each document's kind and
惠企 flag (as every import does; a question's ranking reads the kind), builds the project index
(`index.build.rebuild`) and two baselines: a naive Whoosh one (jieba.analyse.ChineseAnalyzer,
default settings, title + body, MultifieldParser) and a plain SQLite FTS5 one (title and
body pre-tokenized by jieba, the query's jieba tokens joined by OR, ranked by FTS5's
bm25). Runs ../shared/eval/queries-dev.jsonl through all three and prints the figures
(and judged@10, the share of the top 10 that was judged at all) side by side: all
queries, D01–D20, D21–D40 and per query type (kw keywords, nl questions, docno 文号,
title), then each system's median / p95 time per query in the same run (ranking only:
no facets, no highlights). `--queries/--qrels` run another judged set the same way
(bench/own-queries.jsonl with bench/own-qrels.jsonl: questions and keywords written
apart from the dev set, to check that a change is not fitted to it). Also checks that a
文号 typed in any bracket style, or with 年 and a zero-padded number, finds its document
at rank 1. A document is keyed by its url, or "title:" + title when it has none (as in
qrels-dev.jsonl).
"""
from __future__ import annotations

import argparse
import json
import math
import random
import re
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", category=SyntaxWarning, module=r"(jieba|whoosh)(\..*)?")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search_speed import percentile  # noqa: E402  (one p95 for every bench)

BRACKETS = [("〔", "〕"), ("[", "]"), ("【", "】"), ("（", "）"), ("(", ")"), ("［", "］")]


def doc_key(url, title) -> str:
    return url if url else "title:" + (title or "")


def load_queries(shared: Path, queries_file: Path | None = None, qrels_file: Path | None = None):
    queries_file = queries_file or shared / "eval" / "queries-dev.jsonl"
    qrels_file = qrels_file or shared / "eval" / "qrels-dev.jsonl"
    queries = [json.loads(line) for line in open(queries_file, encoding="utf-8") if line.strip()]
    qrels: dict[str, dict[str, int]] = {}
    for line in open(qrels_file, encoding="utf-8"):
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
    # judged@10: the share of the top 10 that carries a judgment. Unjudged documents count
    # as not relevant in the figures above, so a low share means they understate a system
    # whose results the judges' pool did not hold.
    top = ranked[:10]
    judged_share = sum(1 for key in top if key in judged) / len(top) if top else 1.0
    return {"ndcg@10": dcg / idcg if idcg else 0.0, "mrr": rr, "recall@20": recall,
            "judged@10": judged_share}


def mean(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: sum(r[k] for r in rows) / len(rows) for k in rows[0]} if rows else {}


# --- the project -----------------------------------------------------------------

def build_project(workdir: Path, documents: Path):
    from index.build import rebuild
    from policy_search.domain.derive import derive_kinds
    from policy_search.domain.importer import import_file
    from policy_search.domain.store import Store

    store = Store(workdir / "policies.sqlite3")
    if store.policies.count() == 0:
        started = time.monotonic()
        summary = import_file(store, documents)
        print(f"imported {summary.rows} rows in {time.monotonic() - started:.1f}s", file=sys.stderr)
    kinds = derive_kinds(store)  # only what is new or was classified by older rules
    if kinds.policies:
        print(f"kinds derived for {kinds.policies} documents", file=sys.stderr)
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


# --- the SQLite FTS5 baseline ----------------------------------------------------------

def _jieba_tokens(text: str) -> list[str]:
    """jieba's accurate-mode words (by jieba-rs: the same words), punctuation dropped."""
    import rjieba
    return [w for w in (t.strip() for t in rjieba.cut(text or "")) if w and re.search(r"\w", w)]


def build_fts(workdir: Path, documents: Path) -> Path:
    import sqlite3

    path = workdir / "fts5.sqlite3"
    if path.exists():
        return path
    started = time.monotonic()
    conn = sqlite3.connect(path)
    conn.execute("CREATE VIRTUAL TABLE docs USING fts5(key UNINDEXED, title, body)")
    with conn:
        for line in open(documents, encoding="utf-8"):
            row = json.loads(line)
            conn.execute("INSERT INTO docs VALUES (?, ?, ?)", (
                doc_key(row.get("url"), row.get("title")),
                " ".join(_jieba_tokens(row.get("title"))), " ".join(_jieba_tokens(row.get("body")))))
    conn.close()
    print(f"FTS5 baseline: built in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return path


def fts_search(path: Path):
    import sqlite3

    conn = sqlite3.connect(path)

    def run(query: str, size: int = 20) -> list[str]:
        words = dict.fromkeys(_jieba_tokens(query))
        if not words:
            return []
        match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        rows = conn.execute("SELECT key FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
                            (match, size)).fetchall()
        return [r[0] for r in rows]

    return run


# --- 文号 check ----------------------------------------------------------------------

def doc_number_check(store, search, samples: int = 40, seed: int = 7) -> tuple[int, int, list]:
    """Every sampled 文号 in every bracket style must put its document at rank 1."""
    from policy_search.domain.normalize import doc_number_key

    rows = [s for s in store.policies.summaries()
            if s["doc_number"] and re.fullmatch(r".*〔.*〕.*号", s["doc_number"], re.S)]
    rng = random.Random(seed)
    picked = rng.sample(rows, min(samples, len(rows)))
    ok = total = 0
    failures = []
    for row in picked:
        match = re.match(r"(.*?)〔(\d{4})〕(.*)", row["doc_number"])
        if not match:
            continue
        number = re.match(r"第?(\d+)(.*)", match.group(3))
        forms = [f"{match.group(1)}{left}{match.group(2)}{right}{match.group(3)}"
                 for left, right in BRACKETS]
        if number:  # as people also type it: 年 for the brackets, a zero-padded number
            issuer, year, n = match.group(1), match.group(2), int(number.group(1))
            forms += [f"{issuer}{year}年{n:02d}号", f"{issuer}〔{year}〕{n}", f"{issuer} {year} {n}号"]
        for query in forms:
            hits = search(query, 1)
            total += 1
            if hits and doc_number_key(hits[0].doc_number) == row["doc_number_key"]:
                ok += 1
            else:
                failures.append(query)
    return ok, total, failures


GROUPS = [("all", lambda q: True),
          ("D01-D20", lambda q: q["qid"] <= "D20"),
          ("D21-D40", lambda q: "D21" <= q["qid"] <= "D40"),
          ("kw", lambda q: q.get("type") == "kw"),
          ("nl", lambda q: q.get("type") == "nl"),
          ("docno", lambda q: q.get("type") == "docno"),
          ("title", lambda q: q.get("type") == "title")]
SYSTEMS = ("project", "whoosh", "fts5")


def report(queries: list[dict], rows: dict[str, list[dict]]) -> None:
    """Each metric per group of queries, the systems side by side."""
    print(f"{'queries':<9} {'n':>3}  {'metric':<10}" + "".join(f"{s:>9}" for s in SYSTEMS))
    for name, keep in GROUPS:
        picked = [i for i, q in enumerate(queries) if keep(q)]
        if not picked:
            continue
        means = {s: mean([rows[s][i] for i in picked]) for s in SYSTEMS}
        for metric in means["project"]:
            print(f"{name:<9} {len(picked):>3}  {metric:<10}"
                  + "".join(f"{means[s][metric]:9.3f}" for s in SYSTEMS))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT / ".." / "shared")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep store and indexes here between runs (default: a temp dir)")
    parser.add_argument("--show", action="store_true", help="print each query's figures")
    parser.add_argument("--queries", type=Path, help="another judged query set (JSONL)")
    parser.add_argument("--qrels", type=Path, help="its judgments (JSONL: qid, doc, grade)")
    args = parser.parse_args(argv)
    shared = args.shared.resolve()
    documents = shared / "corpus" / "documents.jsonl"
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="relevance-"))
    workdir.mkdir(parents=True, exist_ok=True)

    queries, qrels = load_queries(shared, args.queries, args.qrels)
    store, index_path = build_project(workdir, documents)
    systems = {"project": project_search(index_path),
               "whoosh": baseline_search(build_baseline(workdir, documents)),
               "fts5": fts_search(build_fts(workdir, documents))}

    rows: dict[str, list[dict]] = {s: [] for s in SYSTEMS}
    took: dict[str, list[float]] = {s: [] for s in SYSTEMS}
    for q in queries:
        judged = qrels.get(q["qid"], {})
        for name, search in systems.items():
            started = time.perf_counter()
            found = search(q["query"])
            took[name].append((time.perf_counter() - started) * 1000)
            ranked = [h if isinstance(h, str) else doc_key(h.url, h.title) for h in found]
            rows[name].append(metrics(ranked, judged))
        if args.show:
            print(f"{q['qid']} {q.get('type', ''):<5} {q['query'][:16]:<16} " + "  ".join(
                f"{s} " + " ".join(f"{v:.3f}" for v in rows[s][-1].values()) for s in SYSTEMS))
    report(queries, rows)
    print("speed     ms per query, median / p95 (each query once):  "
          + "  ".join(f"{name} {statistics.median(ms):.1f} / {percentile(ms, .95):.1f}"
                      for name, ms in took.items()))
    ok, total, failures = doc_number_check(store, systems["project"])
    print(f"文号 at rank 1 in every bracket style, with 年 and zero-padded: {ok}/{total}"
          + (f"  failures: {failures[:5]}" if failures else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
