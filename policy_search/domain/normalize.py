"""Normalizing the messy values of real government metadata.

Dates come as 2021年5月8日, 2021.05.08, 2021-5-8 or 二〇二一年五月八日; 文号 come with
〔〕, [], 【】, （） or () in full or half width, with stray spaces and text.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

# --- dates -----------------------------------------------------------------

_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

_NUMERIC_DATE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*(?:年|[-./])\s*(?P<m>\d{1,2})\s*(?:月|[-./])\s*(?P<d>\d{1,2})\s*日?"
)
_COMPACT_DATE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?!\d)")
_CN_DATE = re.compile(
    r"(?P<y>[〇○零一二三四五六七八九OＯ]{4})年(?P<m>[一二三四五六七八九十]{1,3})月(?P<d>[一二三四五六七八九十]{1,3})日"
)


def _cn_small_number(text: str) -> int:
    """十二 → 12, 二十三 → 23, 三十 → 30, 九 → 9."""
    if "十" not in text:
        return _CN_DIGITS[text]
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def parse_date(value: object) -> str | None:
    """An ISO date (YYYY-MM-DD) from any common form; None for empty input.

    Raises ValueError when there is text but no valid date in it.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return None
    for pattern in (_NUMERIC_DATE, _COMPACT_DATE):
        match = pattern.search(text)
        if match:
            return _checked(int(match["y"]), int(match["m"]), int(match["d"]), text)
    match = _CN_DATE.search(str(value))
    if match:
        year = int("".join(str(_CN_DIGITS[c]) for c in match["y"]))
        return _checked(year, _cn_small_number(match["m"]), _cn_small_number(match["d"]), text)
    raise ValueError(f"无法识别的日期: {text!r}")


def _checked(year: int, month: int, day: int, text: str) -> str:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(f"不存在的日期: {text!r}") from None


# --- 发文字号 ---------------------------------------------------------------

_OPEN = "〔[【(（﹝〖{｛［"
_CLOSE = "〕]】)）﹞〗}｝］"
_BRACKETS = _OPEN + _CLOSE
# 湘政发〔2021〕5号, 国办函 [2018] 71号, 公告2018年第14号, 国令第706号, 省政府令 第5号
_ISSUER_CHAR = r"[\u4e00-\u9fffA-Za-z]"
_NUMBER = (
    r"\s*(?:[" + re.escape(_OPEN) + r"]\s*(?:19|20)\d{2}\s*[" + re.escape(_CLOSE) + r"]\s*第?\s*\d{1,5}\s*号"
    r"|(?:19|20)\d{2}\s*年\s*第?\s*\d{1,5}\s*号"
    r"|第\s*\d{1,5}\s*号)"
)
DOC_NUMBER_PATTERN = re.compile(_ISSUER_CHAR + "{1,16}" + _NUMBER)
# A whole 文号 that names its issuer (not a bare 第5号)
_ISSUED = re.compile(_ISSUER_CHAR + "{2,16}" + _NUMBER)


def find_doc_number(text: str) -> str | None:
    """The first 文号-shaped part of a text, as written there."""
    match = DOC_NUMBER_PATTERN.search(unicodedata.normalize("NFKC", text))
    return match.group(0).strip() if match else None


def clean_doc_number(value: str | None, title: str | None = None) -> str | None:
    """文号 as published, trimmed of stray text and inner spaces.

    With the title: some exports spill the end of the title into the 文号 field
    ("…管理秩序意见的通知国办发〔2001〕85号"); that leading part is dropped.
    """
    if value is None:
        return None
    text = re.sub(r"\s+", "", str(value))
    if not text:
        return None
    found = find_doc_number(text)
    if found:
        # Keep the published bracket style but drop the stray text around it.
        start = unicodedata.normalize("NFKC", text).find(found)
        text = text[start:start + len(found)] if start >= 0 else found
        return _without_title_spill(text, re.sub(r"\s+", "", title or ""))
    return text


MIN_TITLE_SPILL = 4  # shorter overlaps are too likely to be a real issuer code (…通知 / 国发)


def _without_title_spill(doc_number: str, title: str) -> str:
    for length in range(min(len(doc_number) - 1, len(title)), MIN_TITLE_SPILL - 1, -1):
        rest = doc_number[length:]
        if title.endswith(doc_number[:length]) and _ISSUED.fullmatch(
                unicodedata.normalize("NFKC", rest)):
            return rest
    return doc_number


_NUMBER_YEAR = re.compile(r"[" + re.escape(_OPEN) + r"]\s*((?:19|20)\d{2})\s*[" + re.escape(_CLOSE) + r"]"
                          r"|((?:19|20)\d{2})\s*年\s*第?\s*\d{1,5}\s*号")


def doc_number_year(value: str | None) -> int | None:
    """The year a 文号 names (国发〔1979〕71号: 1979; 公告2018年第14号: 2018), or None."""
    match = _NUMBER_YEAR.search(unicodedata.normalize("NFKC", value or ""))
    return int(match.group(1) or match.group(2)) if match else None


def doc_number_key(value: str | None) -> str | None:
    """The search key of a 文号: width-folded, without brackets, spaces or 第.

    国办函〔2018〕71号, 国办函[2018]71号 and 国办函（2018）71号 share one key.
    """
    if not value:
        return None
    text = unicodedata.normalize("NFKC", value).lower()
    text = re.sub(r"\s+", "", text)
    text = "".join(ch for ch in text if ch not in _BRACKETS)
    text = re.sub(r"第(?=\d+号)", "", text)
    return text or None


# 文号 as people type them: 国办发2019年6号, 国办发〔2019〕06号, 国办发〔2019〕6 (no 号),
# 国办发 2019 6号, 国办发(2019)6号; 国令第706号 has no year.
_TYPED_NUMBER = re.compile(
    r"(?P<issuer>" + _ISSUER_CHAR + r"{2,16}?)\s*"
    r"(?:[" + re.escape(_OPEN) + r"]\s*(?P<y1>(?:19|20)\d{2})\s*[" + re.escape(_CLOSE) + r"]"
    r"|(?P<y2>(?:19|20)\d{2})\s*年?|(?=第))"
    r"\s*第?\s*(?P<n>\d{1,5})\s*(?:号|(?![\d月日.]))")


@dataclass(frozen=True)
class TypedDocNumber:
    """A 文号 as found in typed text (NFKC-folded offsets: `text` is that folded text)."""
    text: str
    start: int
    end: int
    issuer: str
    year: str
    number: str

    def keys(self) -> list[str]:
        """Canonical keys for each way of reading where the issuer begins (关于国办发…:
        关于国办发, 于国办发, 国办发, 办发), longest first: a caller keeps the one its
        index knows."""
        return [f"{self.issuer[i:]}|{self.year}|{self.number}"
                for i in range(max(1, len(self.issuer) - 1))]


def find_typed_doc_number(value: str | None) -> TypedDocNumber | None:
    if not value:
        return None
    text = unicodedata.normalize("NFKC", str(value)).lower()
    match = _TYPED_NUMBER.search(text)
    if not match:
        return None
    return TypedDocNumber(text, match.start(), match.end(), match["issuer"],
                          match["y1"] or match["y2"] or "", str(int(match["n"])))


def doc_number_canonical(value: str | None) -> str | None:
    """One key for every way a 文号 is written or typed: issuer|year|number, the number
    without leading zeros (国办发〔2019〕6号, 国办发2019年06号, 国办发[2019]6 all give
    国办发|2019|6); None when there is no 文号 shape in it."""
    found = find_typed_doc_number(value)
    return found.keys()[0] if found else None


# --- levels ----------------------------------------------------------------

_LEVEL_ALIASES = {
    "national": ("national", "国家", "国家级", "中央", "全国", "国务院", "部委"),
    "provincial": ("provincial", "province", "省", "省级", "省本级", "自治区", "直辖市"),
    "city": ("city", "municipal", "prefecture", "市", "市级", "市本级", "地市", "州", "地级市"),
    "county": ("county", "district", "县", "县级", "区", "区县", "县区", "县市区", "县级市"),
}
_LEVEL_LOOKUP = {alias.lower(): level for level, aliases in _LEVEL_ALIASES.items()
                 for alias in aliases}


def normalize_level(value: str | None) -> str | None:
    """national / provincial / city / county from an English or Chinese name.

    Raises ValueError for a non-empty name it does not know.
    """
    if value is None or not str(value).strip():
        return None
    key = unicodedata.normalize("NFKC", str(value)).strip().lower()
    if key in _LEVEL_LOOKUP:
        return _LEVEL_LOOKUP[key]
    raise ValueError(f"未知的层级: {value!r}")


def normalize_text(value: object) -> str | None:
    """Trimmed text or None; non-breaking and full-width spaces become plain spaces."""
    if value is None:
        return None
    text = str(value).replace("\u3000", " ").replace("\xa0", " ").strip()
    return text or None
