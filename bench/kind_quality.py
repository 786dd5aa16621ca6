"""Document kind and 惠企 flag against hand labels: per-kind precision / recall and the
惠企 flag's precision / recall, on the labels the rules were tuned on and on the held-out ones.

The labels (bench/kind_labels.jsonl: splits tune and heldout; bench/kind_labels_fresh.jsonl,
bench/kind_labels_fresh2.jsonl, bench/kind_labels_fresh3.jsonl: splits fresh, fresh2, fresh3;
bench/kind_labels_fresh4.jsonl: split fresh4, the set still held out; rules in
bench/kind_labels.md) were assigned by reading documents of ../shared/corpus/documents.jsonl.
Two independent readers (bench/kind_labels_second.jsonl, bench/kind_labels_third.jsonl) labelled
stratified samples from the issue's definitions alone; their figures and the readers' agreement
(Cohen's kappa on the documents two readings share) are printed too — see kind_labels.md for why
the flag keeps the project's reading where theirs is more lenient. Other label files of the same shape (key, kind,
huiqi; split optional) can be given with --labels (repeatable).

    .venv/bin/python bench/kind_quality.py [--labels FILE]… [--corpus FILE] [--errors]
                                           [--split tune|heldout|fresh|fresh2|fresh3|fresh4]
                                           [--by-source]

--errors lists the disagreements of the splits the rules have been mended on (tune, heldout,
fresh, fresh2, fresh3: each counted as seen once its errors were studied), never those of
fresh4, the set still held out. --by-source prints the 惠企 flag per issuer level and per source_repo
of the corpus for every split (a check that a rule is general, not fitted to one source).

Goal: 惠企 precision >= 0.90 at recall >= 0.80.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from policy_search.domain.importer import policy_from_record
from policy_search.domain.kinds import DOC_KINDS, classify

# Run as a script, bench/ is on sys.path: one Counts for the quality benches.
from tagging_quality import Counts

ROOT = Path(__file__).resolve().parents[1]
LABELS = (ROOT / "bench" / "kind_labels.jsonl", ROOT / "bench" / "kind_labels_fresh.jsonl",
          ROOT / "bench" / "kind_labels_fresh2.jsonl", ROOT / "bench" / "kind_labels_fresh3.jsonl",
          ROOT / "bench" / "kind_labels_fresh4.jsonl")
# Independent readers: each labelled a stratified sample from the definitions alone,
# without the project's label rules, its earlier labels or the classifier.
READERS = (ROOT / "bench" / "kind_labels_second.jsonl", ROOT / "bench" / "kind_labels_third.jsonl")
# The splits whose per-document errors may be shown: those the rules were already mended on.
SEEN = ("tune", "heldout", "fresh", "fresh2", "fresh3")
CORPUS = ROOT / ".." / "shared" / "corpus" / "documents.jsonl"


def load_labels(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_documents(path: Path, keys: set[str]) -> dict[str, dict]:
    found = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            key = record.get("url") or "title:" + record["title"]
            if key in keys:
                found[key] = record
    return found


def evaluate(labels: list[dict], documents: dict[str, dict]):
    kinds = {k: Counts() for k in DOC_KINDS}
    flag = Counts()
    confusion: Counter = Counter()
    errors = []
    by_source: dict[str, Counts] = {}
    for label in labels:
        record = documents.get(label["key"])
        if record is None:
            print(f"missing from corpus: {label['key']}", file=sys.stderr)
            continue
        decision = classify(policy_from_record(record))
        want, got = label["kind"], decision.kind
        confusion[(want, got)] += 1
        if want == got:
            kinds[want].tp += 1
        else:
            kinds[want].fn += 1
            kinds[got].fp += 1
        groups = (f"level {record.get('level') or '-'}", f"repo {record.get('source_repo') or '-'}")
        for counts in (flag, *(by_source.setdefault(g, Counts()) for g in groups)):
            if label["huiqi"] and decision.huiqi:
                counts.tp += 1
            elif decision.huiqi:
                counts.fp += 1
            elif label["huiqi"]:
                counts.fn += 1
        if want != got or label["huiqi"] != decision.huiqi:
            errors.append((label, decision))
    return kinds, flag, confusion, errors, by_source


def fmt(value: float) -> str:
    return "  -  " if value != value else f"{value:.2f}"


def report(name: str, labels: list[dict], documents: dict[str, dict], show_errors: bool,
           by_source: bool = False) -> None:
    kinds, flag, confusion, errors, sources = evaluate(labels, documents)
    total = sum(confusion.values())
    right = sum(n for (want, got), n in confusion.items() if want == got)
    print(f"\n== {name}: {total} documents, kind accuracy {right / max(total, 1):.2f}")
    print(f"{'kind':<10} {'n':>4} {'prec':>6} {'recall':>6}")
    for kind in DOC_KINDS:
        c = kinds[kind]
        print(f"{kind:<10} {c.tp + c.fn:>4} {fmt(c.precision):>6} {fmt(c.recall):>6}")
    print(f"惠企 flag: {flag.tp + flag.fn} positive, precision {fmt(flag.precision)}, "
          f"recall {fmt(flag.recall)}  (goal: precision >= 0.90 at recall >= 0.80)")
    if by_source:
        for group, c in sorted(sources.items()):
            print(f"  {group:<58} {c.tp + c.fn:>3} positive {c.tp + c.fp:>3} flagged  "
                  f"precision {fmt(c.precision)} recall {fmt(c.recall)}")
    if show_errors and name in SEEN:
        for label, decision in errors:
            print(f"  - {label['title'][:50]} | want {label['kind']}/{label['huiqi']} got "
                  f"{decision.kind}/{decision.huiqi} | "
                  + "; ".join(c.describe() for c in decision.kind_clues[:1] + decision.huiqi_clues[:1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, action="append",
                        help="label file (repeatable; default: the tune/heldout and fresh files)")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--split", choices=("tune", "heldout", "fresh", "fresh2", "fresh3", "fresh4",
                                            "second", "third"),
                        help="only this part")
    parser.add_argument("--errors", "--show-errors", action="store_true",
                        help="list the disagreements of the seen splits (never fresh4's)")
    parser.add_argument("--by-source", action="store_true",
                        help="惠企 flag per issuer level and source_repo")
    args = parser.parse_args()
    own = [label for path in (args.labels or LABELS) for label in load_labels(path)]
    readers = [] if args.labels else [label for path in READERS if path.exists()
                                      for label in load_labels(path)]
    labels = own + readers
    started = time.perf_counter()
    documents = load_documents(args.corpus, {label["key"] for label in labels})
    splits = sorted({label.get("split", "all") for label in labels})
    if args.split:
        splits = [args.split]
    for split in splits:
        part = [label for label in labels if label.get("split", "all") == split]
        report(split, part, documents, args.errors, args.by_source)
    if args.errors and not set(SEEN) & set(splits):
        print("\n(--errors lists the seen splits only: held-out errors are not shown)")
    if not args.split:
        if len({label.get("split") for label in own}) > 1:
            report("all of the project's labels", own, documents, False, args.by_source)
        if readers:
            report("all of the independent readers' labels", unique(readers), documents, False,
                   args.by_source)
        print_agreement(labels)
    print(f"\n({time.perf_counter() - started:.1f} s)")


def unique(labels: list[dict]) -> list[dict]:
    """One label per document (the first), for a figure over readers who overlap."""
    seen: dict[str, dict] = {}
    for label in labels:
        seen.setdefault(label["key"], label)
    return list(seen.values())


def print_agreement(labels: list[dict]) -> None:
    """How often two readings of the same document agree on the 惠企 flag, and Cohen's kappa
    (agreement beyond chance): the ceiling any classifier can reach against either reading."""
    def reader(split: str) -> str:
        return "project" if split in SEEN + ("fresh4",) else split
    by_key: dict[str, dict[str, bool]] = {}
    for label in labels:
        by_key.setdefault(label["key"], {})[reader(label.get("split", ""))] = label["huiqi"]
    names = sorted({name for readings in by_key.values() for name in readings})
    lines = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            pairs = [(r[a], r[b]) for r in by_key.values() if a in r and b in r]
            if not pairs:
                continue
            n = len(pairs)
            agree = sum(x == y for x, y in pairs) / n
            pa, pb = sum(x for x, _ in pairs) / n, sum(y for _, y in pairs) / n
            chance = pa * pb + (1 - pa) * (1 - pb)
            kappa = (agree - chance) / (1 - chance) if chance < 1 else 1.0
            only_a = sum(x and not y for x, y in pairs)
            only_b = sum(y and not x for x, y in pairs)
            lines.append(f"  {a} vs {b}: {n} documents, 惠企 agreement {agree:.2f}, kappa {kappa:.2f} "
                         f"({only_a} 惠企 for {a} only, {only_b} for {b} only)")
    if lines:
        print("\n== readers' agreement on the documents both labelled")
        print("\n".join(lines))


if __name__ == "__main__":
    main()
