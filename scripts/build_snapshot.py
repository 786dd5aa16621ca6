"""Build the starter snapshot shipped in policy_search/data/ (run by hand, rarely).

Why: many deployments sit on a government intranet that cannot reach the policy sites, and
a newcomer's machine may be offline too. `policy-search run` loads this snapshot into an
empty store, so the site has real policies to search from the first minute; crawled
documents replace the snapshot's copies as they arrive (same canonical URL, same id).

How: every national and provincial document of ../shared/corpus/documents.jsonl goes
through the project's own pipeline in a temporary store — the importer's normalization,
the auto-tagger, the policy cards (validity, repeals) — and `is_starter_policy` keeps the
enterprise-related ones in force. The chosen records (the corpus's own fields, newest
first; Markdown heading marks of the law collection dropped) are written as
xz-compressed JSON Lines, cut to fit SIZE_BUDGET, with a manifest that names the build
date, the rule and the corpus it came from.

    .venv/bin/python scripts/build_snapshot.py [--corpus ../shared/corpus/documents.jsonl]

The output is committed: policy_search/data/starter_snapshot.jsonl.xz (+ .json).
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import lzma
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from policy_search.domain.derive import enrich_changed  # noqa: E402
from policy_search.domain.importer import import_file, policy_from_record  # noqa: E402
from policy_search.domain.models import Policy  # noqa: E402
from policy_search.snapshot import MANIFEST_FILE, SNAPSHOT_FILE  # noqa: E402
from policy_search.domain.store import Store  # noqa: E402
from policy_search.domain.taxonomy import Taxonomy, current_taxonomy  # noqa: E402

CORPUS = ROOT / ".." / "shared" / "corpus" / "documents.jsonl"
DATA = ROOT / "policy_search"
SIZE_BUDGET = 5_000_000  # bytes of the compressed file (the "at most ~5 MB")
# The fields a record keeps: the importer's own (README "Importing"); no source column,
# so every row loads as a snapshot document.
FIELDS = ("title", "url", "issuer", "doc_number", "index_number", "topic", "written_date",
          "publish_date", "level", "region", "body")

STARTER_LEVELS = ("national", "provincial")
IN_FORCE = ("有效", "部分失效", "未知")
# Kinds of document that are no policy an enterprise can act on: annual work reports,
# drafts put out for comment, replies to deputies' proposals. (The document kinds of
# issue 13 will name these; until then their titles do.)
NOT_A_POLICY = re.compile(r"工作报告|征求.{0,6}意见|答复|复函")


def is_starter_policy(policy: Policy, taxonomy: Taxonomy) -> bool:
    """The selection rule, in one place (a 惠企 flag may replace its third condition).

    National or provincial; in force (validity as the cards derive it, repeals included);
    enterprise-related by the project's own tagging: at least one 支持方式 tag (the tagger
    proposes those only for texts that keep naming enterprises), and either an 企业类型 tag
    or a title that concerns enterprises (the taxonomy's own title pattern for that);
    and a policy, not a report, a draft or a reply.
    """
    if policy.level not in STARTER_LEVELS or policy.validity not in IN_FORCE:
        return False
    facets = {tag.facet for tag in policy.tags if not tag.rejected}
    if "support" not in facets:
        return False
    title_pattern = taxonomy.facet("industry").fallback_title_pattern
    concerns_enterprises = "enterprise" in facets or bool(
        title_pattern and re.search(title_pattern, policy.title))
    return concerns_enterprises and not NOT_A_POLICY.search(policy.title)


def read_candidates(corpus: Path) -> dict[str, dict]:
    """Corpus records of the starter levels by their policy id (the first of a duplicate)."""
    records: dict[str, dict] = {}
    with corpus.open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if record.get("level") not in STARTER_LEVELS:
                continue
            try:
                policy = policy_from_record(record)
            except ValueError:
                continue
            records.setdefault(policy.id, record)
    return records


def select(records: dict[str, dict], workdir: Path) -> list[Policy]:
    """The chosen policies, each tagged and carded by the project's own pipeline."""
    staging = workdir / "candidates.jsonl"
    with staging.open("w", encoding="utf-8") as out:
        for record in records.values():
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    store = Store(workdir / "policies.sqlite3")
    try:
        started = time.monotonic()
        import_file(store, staging)
        print(f"imported {store.policies.count()} candidates ({time.monotonic() - started:.0f} s)")
        started = time.monotonic()
        print(enrich_changed(store).describe(), f"({time.monotonic() - started:.0f} s)")
        taxonomy = current_taxonomy(store)
        return [p for p in store.policies.iter_all() if is_starter_policy(p, taxonomy)]
    finally:
        store.close()


def newest_first(policies: list[Policy]) -> list[Policy]:
    """By publish (else written) date, newest first, undated last; ties by title."""
    by_title = sorted(policies, key=lambda p: p.title)
    return sorted(by_title, key=lambda p: p.publish_date or p.written_date or "", reverse=True)


# The law collection in the corpus marks its chapter headings up as Markdown ("## 第一章").
MARKDOWN_HEADING = re.compile(r"^[ \t\u3000]*#{1,6}[ \t\u3000]*", re.M)


def compact(record: dict) -> dict:
    """The record as the snapshot keeps it: its fields, headings as plain lines."""
    kept = {k: record.get(k) for k in FIELDS if record.get(k) not in (None, "")}
    if kept.get("body"):
        kept["body"] = MARKDOWN_HEADING.sub("", kept["body"])
    return kept


def encode(records: list[dict]) -> bytes:
    lines = "".join(json.dumps(compact(r), ensure_ascii=False) + "\n" for r in records)
    return lzma.compress(lines.encode("utf-8"), preset=9 | lzma.PRESET_EXTREME)


def fit(records: list[dict], budget: int) -> tuple[list[dict], bytes]:
    """The longest newest-first prefix whose compressed file fits the budget."""
    blob = encode(records)
    if len(blob) <= budget:
        return records, blob
    low, high = 0, len(records)
    while high - low > 1:
        middle = (low + high) // 2
        if len(encode(records[:middle])) <= budget:
            low = middle
        else:
            high = middle
    return records[:low], encode(records[:low])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--budget", type=int, default=SIZE_BUDGET, help="bytes, compressed")
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        parser.error(f"corpus not found: {args.corpus}")
    records = read_candidates(args.corpus)
    print(f"{len(records)} national and provincial documents in {args.corpus}")
    with tempfile.TemporaryDirectory(prefix="snapshot-") as workdir:
        chosen = newest_first(select(records, Path(workdir)))
    kept, blob = fit([records[p.id] for p in chosen], args.budget)
    target = DATA / SNAPSHOT_FILE
    target.write_bytes(blob)
    dates = sorted(d for r in kept if (d := r.get("publish_date") or r.get("written_date")))
    manifest = {
        "date": dt.date.today().isoformat(),
        "documents": len(kept),
        "selected": len(chosen),
        "newest_publish_date": dates[-1] if dates else None,
        "levels": {level: sum(1 for r in kept if r.get("level") == level) for level in STARTER_LEVELS},
        "rule": " ".join(is_starter_policy.__doc__.split()),
        "corpus": "../shared/corpus/documents.jsonl",
        "corpus_sha256": hashlib.sha256(args.corpus.read_bytes()).hexdigest(),
        "bytes": len(blob),
    }
    (DATA / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                      encoding="utf-8")
    print(f"{len(kept)} of {len(chosen)} chosen policies → {target.relative_to(ROOT)} "
          f"({len(blob) / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
