"""Template filters and globals shared by every page."""
from __future__ import annotations

from flask import Flask, url_for
from jinja2 import BytecodeCache

from policy_search.domain.local_time import beijing_time
from policy_search.domain.models import TAG_FACETS, attachment_error_label
from policy_search.domain.subjects import subject_label, subject_path
from web.cards import KIND_CLASSES, hit_deadline, place_label, validity_label, validity_text
from web.originals import original_link
from web.params import FACET_NAMES, SORT_NAMES
from web.present import (
    facet_value_label, level_name, media_label, paragraphs, safe_snippet, safe_url, sanitize_body,
)


class CompiledTemplates(BytecodeCache):
    """Compiled templates kept for the process, keyed by template and checked against its
    source: every app made in the process (the test suite makes over a hundred) compiles a
    template once. Sound because every app's environment is configured alike, here."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


def init_app(app: Flask) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    app.jinja_env.filters.update(
        level_name=level_name,
        snippet=safe_snippet,
        sanitize_body=sanitize_body,
        paragraphs=paragraphs,
        facet_value=facet_value_label,
        safe_url=safe_url,
        media_label=media_label,
        attachment_error=attachment_error_label,
        deadline_badge=hit_deadline,  # the portal widget's one-line status
        bj_time=beijing_time,  # every time a person reads: Beijing time, not UTC
        validity_label=validity_label,
        validity_text=validity_text,
        place_label=place_label,
        original_link=original_link,
        subject_label=subject_label,
        subject_path=subject_path,
    )
    app.jinja_env.globals.update(
        FACET_NAMES=FACET_NAMES,
        SORT_NAMES=SORT_NAMES,
        TAG_FACETS=TAG_FACETS,
        SITE_NAME="政策超市",
        subscribe_href=subscribe_href,
        KIND_CLASSES=KIND_CLASSES,
    )


def subscribe_href(state=None) -> str:
    """Where 订阅 in the header leads: the subscription form for this search, or for every
    new policy on a page that shows no search."""
    query = state.query_string(sort="relevance", page=1) if state is not None else ""
    return url_for("subscriptions.subscribe_page", kind="search") + (f"?{query}" if query else "")
