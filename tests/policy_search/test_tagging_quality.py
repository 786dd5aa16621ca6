"""The tagger against the 75 hand-labeled corpus documents: per-facet floors.

The floors sit a little under the figures bench/tagging_quality.py reports, so a rule
change that makes tagging clearly worse fails here.
"""
from __future__ import annotations

import pytest

import importlib.util
import sys
from pathlib import Path

from policy_search.domain.taxonomy import load_shipped

ROOT = Path(__file__).resolve().parents[2]
FLOORS = {"industry": (0.65, 0.65), "support": (0.65, 0.65), "enterprise": (0.7, 0.6)}


def load_bench():
    spec = importlib.util.spec_from_file_location("tagging_quality", ROOT / "bench" / "tagging_quality.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_labels_are_valid_taxonomy_values():
    bench = load_bench()
    taxonomy = load_shipped()
    labels = bench.load_labels()
    assert len(labels) >= 60
    for key, row in labels.items():
        assert key.startswith(("http", "title:"))
        for facet, values in row.items():
            assert all(taxonomy.get(facet, v) for v in values), (key, facet, values)


@pytest.mark.slow
def test_precision_and_recall_per_facet(shared):
    bench = load_bench()
    labels = bench.load_labels()
    documents = bench.load_documents(set(labels), shared("corpus", "documents.jsonl"))
    report = bench.evaluate(labels, documents, load_shipped())
    assert report.documents == len(labels)
    for facet, (precision, recall) in FLOORS.items():
        counts = report.facets[facet]
        assert counts.precision >= precision, (facet, counts)
        assert counts.recall >= recall, (facet, counts)
