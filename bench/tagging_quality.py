"""Auto-tagger quality against hand labels: precision / recall / F1 per facet.

The labels (tests/policy_search/labels.jsonl) were assigned by reading 75 real documents of
../shared/corpus/documents.jsonl (惠企 policies, tax, finance, employment, laws, and
documents that concern no business at all); see tests/policy_search/LABELS.md for the rules.

    .venv/bin/python bench/tagging_quality.py [--values] [--errors] [--corpus PATH]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from policy_search.domain.models import Policy, policy_id_for
from policy_search.domain.tagging import propose
from policy_search.domain.taxonomy import Taxonomy, load_shipped

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "policy_search" / "labels.jsonl"
CORPUS = ROOT / ".." / "shared" / "corpus" / "documents.jsonl"


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    documents: int = 0
    facets: dict[str, Counts] = field(default_factory=dict)
    values: dict[tuple[str, str], Counts] = field(default_factory=dict)
    errors: list[tuple[str, str, list[str], list[str]]] = field(default_factory=list)
    seconds: float = 0.0


def load_labels(path: Path = LABELS) -> dict[str, dict[str, list[str]]]:
    labels = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                labels[row.pop("key")] = row
    return labels


def load_documents(keys: set[str], path: Path = CORPUS) -> dict[str, Policy]:
    """The labeled documents of the corpus as policies (title, body), by label key."""
    found = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            key = doc.get("url") or "title:" + doc["title"]
            if key in keys:
                found[key] = Policy(id=policy_id_for(doc.get("url"), doc["title"]),
                                    title=doc["title"], url=doc.get("url"),
                                    body_text=doc.get("body") or "")
    missing = keys - set(found)
    if missing:
        raise SystemExit(f"{len(missing)} labeled documents are not in {path}: {sorted(missing)[:3]}")
    return found


def evaluate(labels: dict, documents: dict[str, Policy], taxonomy: Taxonomy) -> Report:
    report = Report(facets={key: Counts() for key in taxonomy.facets})
    start = time.perf_counter()
    for key, expected in labels.items():
        policy = documents[key]
        got: dict[str, set[str]] = {}
        for proposal in propose(policy, taxonomy):
            got.setdefault(proposal.facet, set()).add(proposal.value)
        report.documents += 1
        for facet in taxonomy.facets:
            want, have = set(expected.get(facet, [])), got.get(facet, set())
            counts = report.facets[facet]
            counts.tp += len(want & have)
            counts.fp += len(have - want)
            counts.fn += len(want - have)
            for value in want | have:
                c = report.values.setdefault((facet, value), Counts())
                c.tp += value in want and value in have
                c.fp += value in have and value not in want
                c.fn += value in want and value not in have
            if want != have:
                report.errors.append((policy.title, facet, sorted(want - have), sorted(have - want)))
    report.seconds = time.perf_counter() - start
    return report


def print_report(report: Report, taxonomy: Taxonomy, values: bool, errors: bool) -> None:
    print(f"{report.documents} labeled documents, tagged in {report.seconds:.2f} s")
    print(f"{'facet':<12} {'P':>6} {'R':>6} {'F1':>6}   tp  fp  fn")
    total = Counts()
    for facet, c in report.facets.items():
        total.tp, total.fp, total.fn = total.tp + c.tp, total.fp + c.fp, total.fn + c.fn
        label = taxonomy.facets[facet].label
        print(f"{label:<10} {c.precision:6.2f} {c.recall:6.2f} {c.f1:6.2f}  {c.tp:3} {c.fp:3} {c.fn:3}")
    print(f"{'all (micro)':<12} {total.precision:6.2f} {total.recall:6.2f} {total.f1:6.2f}"
          f"  {total.tp:3} {total.fp:3} {total.fn:3}")
    if values:
        print("\nper value:")
        for (facet, value), c in sorted(report.values.items(), key=lambda kv: (kv[0][0], -kv[1].tp)):
            print(f"  {facet:<10} {value:<20} P {c.precision:4.2f} R {c.recall:4.2f}"
                  f"  tp {c.tp:2} fp {c.fp:2} fn {c.fn:2}")
    if errors:
        print("\ndifferences (missed / extra):")
        for title, facet, missed, extra in report.errors:
            print(f"  {title[:40]:<40} {facet:<10} -{missed} +{extra}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", action="store_true", help="per-value figures")
    parser.add_argument("--errors", action="store_true", help="list every difference")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--labels", type=Path, default=LABELS)
    args = parser.parse_args(argv)
    taxonomy = load_shipped()
    labels = load_labels(args.labels)
    report = evaluate(labels, load_documents(set(labels), args.corpus), taxonomy)
    print_report(report, taxonomy, args.values, args.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
