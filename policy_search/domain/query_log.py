"""热门搜索: what the site's searchers look for, counted per day — and nothing about them.

Only the normalized text of a query that found something is kept, with a count per day:
no address, no browser, no time of day, no session. A query that could hold personal
data (a phone or ID number, a credit code, an e-mail address) or reads like a long
personal question is not kept at all; the home page shows a query only once it has been
searched `min_count` times, so a single person's words do not show up there.
"""
from __future__ import annotations

import re
import unicodedata

# Longer queries are questions in someone's own words: rarely repeated, more personal.
MAX_LOGGED_CHARS = 30
# Counts older than this are deleted; the home page looks at the last POPULAR_DAYS.
KEEP_DAYS = 90
POPULAR_DAYS = 30

# A run of 7+ digits (phone, ID card, licence numbers), an e-mail address, or a long
# letters-and-digits code (统一社会信用代码 is 18 characters).
_PERSONAL = re.compile(r"\d{7,}|@|[0-9a-z]{15,}")


def normalize_query(text: str) -> str | None:
    """The form a query is counted under, or None when it is not to be kept.

    Full-width and half-width forms are folded (NFKC), Latin letters lowercased and runs of
    spaces collapsed, so “ＡＩ  芯片” and “ai 芯片” count together.
    """
    folded = " ".join(unicodedata.normalize("NFKC", text or "").lower().split())
    if not folded or len(folded) > MAX_LOGGED_CHARS or _PERSONAL.search(folded):
        return None
    if not any(ch.isalnum() for ch in folded):
        return None
    return folded
