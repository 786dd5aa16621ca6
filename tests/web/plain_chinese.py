"""What a reader sees on a public page, and the Latin words or internal codes in it that the
site itself wrote (not the documents it shows).

Visible text is every text node outside <script>, <style> and <code> (a command to type
is a literal, not prose), plus the attributes a reader meets: title (tooltips),
placeholder, aria-label and alt (screen readers). Words the shown documents contain
(their titles, bodies, 文号, cards, attachment names) are theirs to say; URLs are
addresses. What is left must be Chinese — apart from the names people use for file
formats (PDF, Word, Excel …), which have no Chinese name in use, and "Webhook", which is
what 企业微信, 钉钉 and 飞书 call a group robot's address on their own Chinese screens (the
subscribe page tells the reader to look for it there).
"""
from __future__ import annotations

import re

from lxml import html as lxml_html

SKIPPED = {"script", "style", "code", "template"}
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
FILE_FORMATS = {"PDF", "Word", "Excel", "PPT", "OFD", "WPS"}
PLATFORM_WORDS = {"Webhook"}
URL = re.compile(r"https?://[^\s\"'<>，。；）)]+")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-.]*")
SIX_DIGITS = re.compile(r"(?<![\d.])\d{6}(?![\d.])")
POLICY_LINK = re.compile(r"/policy/([\w-]+)")


def visible_text(page: str) -> str:
    root = lxml_html.fromstring(page)
    parts: list[str] = []
    for element in root.iter():
        if not isinstance(element.tag, str):  # comments, processing instructions
            continue
        skipped = element.tag in SKIPPED or any(a.tag in SKIPPED for a in element.iterancestors())
        if not skipped and element.text:
            parts.append(element.text)
        parts.extend(element.get(name) for name in READ_ATTRIBUTES if element.get(name))
        # tail text belongs to the parent: skipped only when the parent is
        if element.tail and not any(a.tag in SKIPPED for a in element.iterancestors()):
            parts.append(element.tail)
    return URL.sub(" ", " ".join(parts))


def linked_policy_ids(page: str) -> set[str]:
    return set(POLICY_LINK.findall(page))


def document_text(store, policy_ids) -> str:
    """Everything the shown documents say themselves."""
    texts: list[str] = []
    for policy in store.policies.get_many(sorted(policy_ids)):
        texts += [policy.title, policy.issuer or "", policy.doc_number or "",
                  policy.index_number or "", policy.subject or "", policy.body_text,
                  policy.body_html, policy.url or ""]
        for attachment in policy.attachments:
            texts += [attachment.name, attachment.url, attachment.text]
        texts += [tag.value for tag in policy.tags]
        card = store.cards.get(policy.id)
        texts += [f"{item.value} {item.evidence}" for name in card.fields for item in card.get(name)]
    return " ".join(texts)


def facet_text(store) -> str:
    """What facet lists may show besides the shown documents: every policy's tag values
    and issuer (metadata of documents, listed on every results page)."""
    return " ".join(f"{policy.issuer or ''} " + " ".join(tag.value for tag in policy.tags)
                    for policy in store.policies.iter_all())


def site_words(page: str, store, *, also_shown: set[str] = frozenset()) -> list[str]:
    """Latin words and region-code-like numbers the site wrote on the page (should be none).

    `also_shown`: ids of further policies whose text the page shows without linking them.
    """
    from policy_search.domain.regions import find_region

    seen = visible_text(page)
    own = document_text(store, linked_policy_ids(page) | set(also_shown)) + " " + facet_text(store)
    # A word the documents contain, whole or cut (an evidence sentence shortened mid-word).
    found = [w for w in LATIN_WORD.findall(seen)
             if w.rstrip(".-") not in own and w.rstrip(".-") not in FILE_FORMATS | PLATFORM_WORDS]
    codes = [n for n in SIX_DIGITS.findall(seen) if n not in own and find_region(n) is not None]
    return sorted(set(found + codes))
