"""Whoosh and the segmenter are versioned dependencies of the index: Whoosh is pinned
to the one version whose internals `index.whoosh_internals` was written against, and
both versions key the token cache and the reuse of bucket segments."""
from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from index import build, whoosh_internals
from tests.index.conftest import build_fixture_store, real_rows

ROOT = Path(__file__).resolve().parents[2]


def requirement(name: str) -> tuple[str, str]:
    """(operator, version) of a dependency in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for spec in project["dependencies"]:
        found = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(==|>=)\s*([0-9.]+)", spec.strip())
        if found and found[1].lower() == name:
            return found[2], found[3]
    raise AssertionError(f"{name} is not a dependency in pyproject.toml")


def release(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_the_installed_whoosh_is_the_pinned_one():
    operator, pinned = requirement(whoosh_internals.WHOOSH_DISTRIBUTION)
    assert operator == "==", "whoosh-reloaded must be pinned exactly (its internals are read)"
    assert whoosh_internals.whoosh_version() == pinned == version("whoosh-reloaded")


def test_the_installed_segmenter_meets_its_lower_bound():
    from index.analysis import SEGMENTER_DISTRIBUTION, segmenter_version

    operator, lowest = requirement(SEGMENTER_DISTRIBUTION)
    assert operator == ">="
    assert release(segmenter_version()) >= release(lowest)


def test_the_fingerprint_names_both_versions(monkeypatch):
    fingerprint = build.analysis_fingerprint()
    assert f"whoosh{version('whoosh-reloaded')}" in fingerprint
    assert f"rjieba{version('rjieba')}" in fingerprint
    try:
        monkeypatch.setattr(whoosh_internals, "whoosh_version", lambda: "2.7.6")
        build.analysis_fingerprint.cache_clear()
        other_whoosh = build.analysis_fingerprint()
        monkeypatch.undo()
        monkeypatch.setattr(build, "segmenter_version", lambda: "0.3.0")
        build.analysis_fingerprint.cache_clear()
        other_segmenter = build.analysis_fingerprint()
    finally:
        monkeypatch.undo()
        build.analysis_fingerprint.cache_clear()
    assert len({fingerprint, other_whoosh, other_segmenter}) == 3
    assert build.analysis_fingerprint() == fingerprint


# slow: builds an index twice, under two versions
@pytest.mark.slow
def test_another_version_reuses_no_segment_and_no_cached_tokens(tmp_path, monkeypatch):
    store = build_fixture_store(tmp_path / "policies.sqlite3", real_rows(10))
    index_path = tmp_path / "index"
    try:
        build.rebuild(store, index_path, procs=1)
        same = build.rebuild(store, index_path, procs=1)
        assert same.reused == same.documents and same.analyzed == 0
        monkeypatch.setattr(build, "segmenter_version", lambda: "9.9.9")
        build.analysis_fingerprint.cache_clear()
        upgraded = build.rebuild(store, index_path, procs=1)
        assert upgraded.reused == 0 and upgraded.from_cache == 0
        assert upgraded.analyzed == upgraded.documents == store.policies.count()
    finally:
        monkeypatch.undo()
        build.analysis_fingerprint.cache_clear()
        store.close()
