"""Template filters and globals shared by every page."""
from __future__ import annotations

from flask import Flask

from policy_search.models import DOC_KINDS, TAG_FACETS, attachment_error_label
from policy_search.subjects import subject_label, subject_path
from web.cards import hit_deadline
from web.originals import original_link
from web.params import FACET_NAMES, SORT_NAMES
from web.present import (
    facet_value_label, level_name, media_label, paragraphs, safe_snippet, safe_url, sanitize_body,
)


def init_app(app: Flask) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters.update(
        level_name=level_name,
        snippet=safe_snippet,
        sanitize_body=sanitize_body,
        paragraphs=paragraphs,
        facet_value=facet_value_label,
        safe_url=safe_url,
        media_label=media_label,
        attachment_error=attachment_error_label,
        deadline_badge=hit_deadline,
        original_link=original_link,
        subject_label=subject_label,
        subject_path=subject_path,
    )
    app.jinja_env.globals.update(
        FACET_NAMES=FACET_NAMES,
        SORT_NAMES=SORT_NAMES,
        TAG_FACETS=TAG_FACETS,
        SITE_NAME="政策超市",
        # CSS class suffix per document kind (ASCII: class names stay simple)
        KIND_CLASSES={kind: f"k{number}" for number, kind in enumerate(DOC_KINDS)},
    )
