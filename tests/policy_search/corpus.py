"""Real documents of ../shared/corpus/documents.jsonl, by url (or "title:" + title)."""
from __future__ import annotations

import json
from functools import lru_cache

from policy_search.domain.models import Policy, policy_id_for
from tests.conftest import shared_path


@lru_cache(maxsize=1)
def _documents() -> dict[str, dict]:
    docs = {}
    with open(shared_path("corpus", "documents.jsonl"), encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)
            docs.setdefault(doc_key(doc), doc)
    return docs


def doc_key(doc: dict) -> str:
    return doc.get("url") or "title:" + doc["title"]


def all_documents() -> dict[str, dict]:
    return _documents()


def real_policy(key: str) -> Policy:
    """A Policy made from one real document (the way the importer maps the fields)."""
    doc = _documents()[key]
    return Policy(id=policy_id_for(doc.get("url"), doc["title"]), title=doc["title"],
                  url=doc.get("url"), issuer=doc.get("issuer"), doc_number=doc.get("doc_number"),
                  written_date=doc.get("written_date"), publish_date=doc.get("publish_date"),
                  body_text=doc.get("body") or "")
