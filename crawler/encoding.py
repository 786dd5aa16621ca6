"""Turning fetched bytes into text without mojibake.

Order: byte-order mark → HTTP header → <meta> → detection. Government pages often
declare gb2312 yet use GBK-only (or rarer) characters, so every GB family name is
decoded as GB18030, its superset. A declared charset that does not decode cleanly
is not trusted; detection gets the last word.
"""
from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_GB_FAMILY = {"gb2312", "gbk", "gb_2312-80", "gb18030", "x-gbk", "cp936", "euc-cn", "hz-gb-2312"}
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(
    rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I
)


def normalize_charset(name: str | None) -> str | None:
    """A Python codec name for a declared charset; the GB family becomes gb18030."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    if name in _GB_FAMILY:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def charset_from_header(content_type: str | None) -> str | None:
    match = _HEADER_CHARSET.search(content_type or "")
    return normalize_charset(match.group(1)) if match else None


def charset_from_meta(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    return normalize_charset(match.group(1).decode("ascii", "ignore")) if match else None


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def decode_bytes(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding used) for an HTML/XML/JSON response body."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace"), encoding
    declared = [charset_from_header(content_type), charset_from_meta(data)]
    # Valid multi-byte UTF-8 almost never happens by chance in GB text, while GB18030
    # accepts nearly any bytes: a page that is valid UTF-8 is UTF-8 whatever it claims.
    if _decodes(data, "utf-8"):
        return data.decode("utf-8"), "utf-8"
    for encoding in declared:
        if encoding and encoding != "utf-8" and _decodes(data, encoding):
            return data.decode(encoding), encoding
    best = from_bytes(data[:200_000]).best()
    encoding = normalize_charset(best.encoding) if best else None
    if encoding is None or not _decodes(data, encoding):
        # Chinese government pages that are not UTF-8 are almost always GB.
        encoding = "gb18030"
    return data.decode(encoding, errors="replace"), encoding
