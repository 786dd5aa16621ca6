"""主题分类 as a path: "财政、金融、审计\\银行" is the category 银行 under 财政、金融、审计.

Government sites write the levels of their 主题分类 with a backslash (gov.cn), a slash or an
angle bracket; 、 joins the words of one category's name and is no level. A subject is kept
and shown as its levels joined by " › ", and searched by every level from the top: asking
for 财政、金融、审计 finds its 银行 and 税务 documents too.
"""
from __future__ import annotations

import re

SEPARATOR = " › "
_LEVELS = re.compile(r"\s*[\\＼/／>＞›»]+\s*")
MAX_LEVELS = 4


def subject_path(value: str | None) -> tuple[str, ...]:
    """The levels of a 主题分类, top first; () for none."""
    if not value:
        return ()
    parts = [" ".join(p.split()) for p in _LEVELS.split(value or "")]
    return tuple(p for p in parts if p)[:MAX_LEVELS]


def subject_label(value: str | None) -> str | None:
    """The subject as shown and stored: "财政、金融、审计 › 银行"; None for none."""
    path = subject_path(value)
    return SEPARATOR.join(path) if path else None


def subject_prefixes(value: str | None) -> list[str]:
    """Every level's label from the top ("财政、金融、审计", "财政、金融、审计 › 银行"): the
    values a document is filed under, so a category finds its sub-categories' documents."""
    path = subject_path(value)
    return [SEPARATOR.join(path[:n]) for n in range(1, len(path) + 1)]


def subject_depth(label: str) -> int:
    """0 for a top category, 1 for one below it …"""
    return len(subject_path(label)) - 1
