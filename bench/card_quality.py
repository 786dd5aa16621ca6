"""Per-field precision/recall of the policy card extractor on hand-labelled real documents.

Labels: bench/card_labels.json, keyed by url (or "title:" + title) of
../shared/corpus/documents.jsonl; per document only the fields that were labelled are
scored (an empty list = "this document has none"). Text fields match when one side
contains the other (punctuation and spaces ignored); phones compare digits; 申报时间
compares the normalized window end (any of the listed dates is accepted).

    .venv/bin/python bench/card_quality.py [--show-errors]
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from policy_search.domain.card import CARD_FIELDS, deadline_from_card, extract_card  # noqa: E402

CORPUS = ROOT / ".." / "shared" / "corpus" / "documents.jsonl"
LABELS = Path(__file__).with_name("card_labels.json")


def norm(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def same(field: str, predicted: str, gold: str) -> bool:
    if field == "phone":
        return digits(predicted) == digits(gold)
    p, g = norm(predicted), norm(gold)
    return bool(p and g) and (g in p or (len(p) >= 4 and p in g))


def score_field(field: str, predicted: list[str], gold: list[str]) -> tuple[int, int, int]:
    """(true positives among predicted, predicted count, gold items found)."""
    if field == "deadline":
        hit = bool(predicted) and predicted[0] in gold
        return int(hit), len(predicted), int(hit) if gold else 0
    tp = sum(any(same(field, p, g) for g in gold) for p in predicted)
    found = sum(any(same(field, p, g) for p in predicted) for g in gold)
    return tp, len(predicted), found


def main() -> None:
    show = "--show-errors" in sys.argv
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    docs = {}
    with open(CORPUS, encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)
            docs.setdefault(doc.get("url") or "title:" + doc["title"], doc)
    totals = {f: [0, 0, 0, 0, 0] for f in CARD_FIELDS}  # tp, predicted, found, gold, docs
    for key, gold_fields in labels.items():
        doc = docs[key]
        policy = SimpleNamespace(id=key, body_text=doc.get("body") or "", attachments=[],
                                 publish_date=doc.get("publish_date"),
                                 written_date=doc.get("written_date"))
        card = extract_card(policy)
        for field in CARD_FIELDS:
            if field not in gold_fields:
                continue
            gold = gold_fields[field]
            if field == "deadline":
                window = deadline_from_card(card, policy)
                predicted = [window.end] if window.kind == "window" and window.end else (
                    [f"recurring:{window.recur_end}"] if window.kind == "recurring" else (
                        ["long_term"] if window.kind == "long_term" else []))
            else:
                predicted = card.values(field)
            tp, n_pred, found = score_field(field, predicted, gold)
            for i, v in enumerate((tp, n_pred, found, len(gold), 1)):
                totals[field][i] += v
            if show and (tp < n_pred or found < len(gold)):
                print(f"[{field}] {doc['title'][:40]}\n   predicted {predicted}\n   gold      {gold}")
    print(f"{len(labels)} labelled documents")
    print(f"{'field':<14}{'docs':>5}{'gold':>6}{'pred':>6}{'precision':>11}{'recall':>8}")
    for field, (tp, n_pred, found, n_gold, n_docs) in totals.items():
        precision = tp / n_pred if n_pred else float("nan")
        recall = found / n_gold if n_gold else float("nan")
        print(f"{CARD_FIELDS[field]:<10}{n_docs:>9}{n_gold:>6}{n_pred:>6}{precision:>11.2f}{recall:>8.2f}")


if __name__ == "__main__":
    main()
