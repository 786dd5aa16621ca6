"""Application windows (申报时间 / 兑现时限) normalized to dates, and their status on a day.

Real notices state windows in many ways: "2023年10月1日至10月31日", "请于11月9日前报送",
"截止日期为2019年2月28日", "自发布之日起30日内", "每年3月31日前", "常年受理". A phrase is
turned into a `Deadline` (a fixed window, a yearly recurring one, long-term, or unknown);
the status a user sees (申报中 / 即将截止 / 未开始 / 已截止 / 长期有效 / 未知) depends on the
day asked, so it is computed on reading, never stored.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import chinese_calendar

from policy_search.domain.kinds import APPLICATION_CALL, HUIQI_MEASURE
from policy_search.domain.normalize import doc_number_year

OPEN, CLOSING, NOT_STARTED, CLOSED, LONG_TERM, UNKNOWN = (
    "申报中", "即将截止", "未开始", "已截止", "长期有效", "未知")
DEADLINE_STATUSES = (OPEN, CLOSING, NOT_STARTED, CLOSED, LONG_TERM, UNKNOWN)
CLOSING_DAYS = 14  # "即将截止": at most this many days left
OUT_OF_FORCE = ("失效", "废止")
# A normative document is commonly valid for five years at most (规范性文件有效期一般不超过五年):
# a window that comes back every year, or stands open, is not claimed for a policy older than
# that whose validity nobody stated; its fixed dates still say what they say.
STANDING_YEARS = 5
# Three such terms on, a policy document whose validity nobody stated has as a rule been
# replaced or cleared away (the State Council's and provinces' periodic 清理): the 政策计算器
# no longer offers it (a 1979 纪要 on coal gangue is not a measure a firm can use today).
SUPERSEDED_YEARS = 3 * STANDING_YEARS
# A call for applications runs for weeks, at most months: one in which no window was found
# and that was published more than this long ago is no longer open (已截止), rather than
# counting as "not closed" for years.
STALE_CALL_DAYS = 365
# Deadlines are China's: a status is computed for the day in UTC+8 (no daylight saving).
CHINA = dt.timezone(dt.timedelta(hours=8))


_pinned_day: dt.date | None = None


def china_today() -> dt.date:
    """Today in China: the day every 申报状态, countdown and period is computed for (site,
    index, refresh, matching, crawl bookkeeping), unless a day was pinned."""
    return _pinned_day or dt.datetime.now(CHINA).date()


def pin_today(day: dt.date | None) -> None:
    """Make china_today() answer `day` in this process (None: follow the clock again).
    Work that must see one day throughout, such as a test run that crosses midnight in
    China, pins it; statuses built before midnight then agree with pages shown after."""
    global _pinned_day
    _pinned_day = day

KINDS = ("window", "recurring", "long_term", "unknown")

# --- numbers and date tokens -------------------------------------------------

_CN_DIGIT = {"〇": 0, "○": 0, "零": 0, "O": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_number(text: str) -> int | None:
    """30, 三十, 十五, 一百二十, 二〇二三 → int; None when it is not a number."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if all(c in _CN_DIGIT for c in text):  # digit by digit: 二〇二三
        return int("".join(str(_CN_DIGIT[c]) for c in text))
    total, current = 0, 0
    for char in text:
        if char in _CN_DIGIT:
            current = _CN_DIGIT[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def normalize_date_text(text: str) -> str:
    """Full-width digits and punctuation folded, Chinese-numeral dates made numeric."""
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"[\s\u3000]+", "", text)

    def numeric_date(match: re.Match) -> str:
        parts = []
        for value, unit in ((match["y"], "年"), (match["m"], "月"), (match["d"], "日")):
            if value:
                number = cn_number(value)
                parts.append(f"{number}{unit}" if number is not None else value + unit)
        return "".join(parts)

    return re.sub(
        r"(?:(?P<y>[〇○零一二三四五六七八九O]{4})年)?(?P<m>[一二三四五六七八九十]{1,2})月"
        r"(?:(?P<d>[一二三四五六七八九十]{1,3})日)?",
        numeric_date, text)


# A date with optional year and/or month: 2023年10月1日, 2023-10-01, 10月31日, 31日 (after 至).
DATE = (r"(?<!\d)(?:(?P<{p}y>(?:19|20)\d{{2}})(?:年|[-./]))?(?:(?P<{p}m>\d{{1,2}})(?:月份?|[-./]))?"
        r"(?P<{p}d>\d{{1,2}})(?![\d月年])(?:日|号)?")
_YMD = re.compile(r"((?:19|20)\d{2})(?:年|[-./])(\d{1,2})(?:月|[-./])(\d{1,2})日?")
# A bare month end: 10月底 / 10月末 / 年底 / 年末
_MONTH_END = r"(?<!\d)(?:(?P<{p}y>(?:19|20)\d{{2}})年)?(?P<{p}m>\d{{1,2}})月(?:底|末|份)"


def make_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def find_dates(text: str) -> list[dt.date]:
    """Every full (year, month, day) date written in a text, in order."""
    found = []
    for match in _YMD.finditer(normalize_date_text(text)):
        date = make_date(int(match[1]), int(match[2]), int(match[3]))
        if date:
            found.append(date)
    return found


def iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def to_date(value: str | dt.date | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def is_working_day(day: dt.date) -> bool:
    """China's official calendar — public holidays off, the weekend days worked in
    exchange (调休) on — for the years `chinesecalendar` has; Monday to Friday beyond."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the State Council has not announced (or too old)
        return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    current, left = start, days
    while left > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            left -= 1
    return current


# --- the normalized window -----------------------------------------------------


@dataclass
class Deadline:
    kind: str = "unknown"          # window | recurring | long_term | unknown
    start: str | None = None       # ISO date (window)
    end: str | None = None         # ISO date (window)
    # yearly windows: "MM-DD" of the start (optional) and the end
    recur_start: str | None = None
    recur_end: str | None = None
    text: str = ""                 # the phrase the window was read from
    evidence: str = ""             # the sentence around it
    relative: bool = False         # computed from the publish date (自发布之日起…)

    def window_on(self, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
        """The (start, end) that matters on `today`: for a yearly window, this year's or next."""
        if self.kind == "window":
            return to_date(self.start), to_date(self.end)
        if self.kind != "recurring" or not self.recur_end:
            return None, None
        for year in (today.year, today.year + 1):
            end = _month_day(year, self.recur_end)
            start = _month_day(year, self.recur_start) if self.recur_start else None
            if start and end and start > end:  # 每年12月至次年2月
                start = _month_day(year - 1, self.recur_start)
            if end >= today:
                return start, end
        return None, None

    def next_end(self, today: dt.date) -> dt.date | None:
        return self.window_on(today)[1]

    def days_left(self, today: dt.date) -> int | None:
        end = self.next_end(today)
        return (end - today).days if end else None

    def status(self, today: dt.date, *, in_force: bool = True, standing: bool = True) -> str:
        """申报中 / 即将截止 / 未开始 / 已截止 / 长期有效 / 未知 on `today`.

        in_force=False (the policy expired or was repealed): nothing is open any more.
        standing=False (nobody knows whether the policy still stands): a yearly or standing
        window is 未知, not open.
        """
        if self.kind == "unknown":
            return CLOSED if not in_force else UNKNOWN
        if not in_force:
            return CLOSED
        if not standing and self.kind in ("recurring", "long_term"):
            return UNKNOWN
        if self.kind == "long_term":
            return LONG_TERM
        start, end = self.window_on(today)
        if end is None:
            if self.kind == "window" and start is not None:
                return NOT_STARTED if start > today else OPEN  # open-ended: 自…起受理
            return CLOSED if self.kind == "recurring" else UNKNOWN
        if end < today:
            return CLOSED
        if start is not None and start > today:
            return NOT_STARTED
        return CLOSING if (end - today).days <= CLOSING_DAYS else OPEN

    def describe(self) -> str:
        """A short Chinese statement of the window, for the card and the calendar."""
        if self.kind == "long_term":
            return "长期受理"
        if self.kind == "recurring":
            end = _md_text(self.recur_end)
            return f"每年{_md_text(self.recur_start)}至{end}" if self.recur_start else f"每年{end}前"
        if self.kind == "window":
            if self.start and self.end:
                return f"{self.start} 至 {self.end}"
            if self.end:
                return f"{self.end} 前"
            if self.start:
                return f"{self.start} 起"
        return "未知"


def _month_day(year: int, md: str) -> dt.date:
    month, day = (int(x) for x in md.split("-"))
    return make_date(year, month, day) or month_end(year, month)


def _md_text(md: str | None) -> str:
    if not md:
        return ""
    month, day = (int(x) for x in md.split("-"))
    return f"{month}月{day}日"


# --- reading a phrase ------------------------------------------------------------

_LONG_TERM = re.compile(
    r"常年(?:受理|申报|开放|办理)|长期(?:受理|申报|开放|有效)|随时(?:申报|申请|受理)"
    r"|全年(?:受理|申报|开放)|不设(?:申报)?截止|常态化(?:申报|受理)|滚动(?:申报|受理)")
_RELATIVE = re.compile(
    r"(?:自|从|在)?(?P<own>本(?:通知|办法|公告|政策|细则|文件))?(?P<anchor>发布|印发|公布|公告|下发|发文|通知印发|通知下发)"
    r"(?:之日|日|后)(?:起)?(?P<n>\d{1,3}|[一二三四五六七八九十百两]{1,4})个?(?P<unit>工作日|自然日|日|天|个月|月)"
    r"(?:内|以内)")
_YEARLY = re.compile(
    r"每年(?:的)?(?P<m1>\d{1,2})月(?:(?P<d1>\d{1,2})日|(?P<e1>底|末))?"
    r"(?:(?:至|到|—|-|~|－)(?:次年)?(?P<m2>\d{1,2})月(?:(?P<d2>\d{1,2})日|(?P<e2>底|末))?)?"
    r"(?P<before>前|之前|以前|截止)?")
_SEP = r"(?:至|到|—|–|-|~|－|～)"
_RANGE = re.compile(DATE.format(p="a") + _SEP + r"(?:" + DATE.format(p="b") + r"|"
                    + _MONTH_END.format(p="c") + r")")
_BEFORE = re.compile(
    r"(?:(?P<cue>(?:截止|截至)(?:日期|时间)?(?:为|是|到|至)?|不晚于|最迟于?|于|在)\s*)?"
    r"(?:" + DATE.format(p="a") + "|" + _MONTH_END.format(p="b") + r"|(?P<ye>年底|年末))"
    r"(?:\((?:周|星期)[一二三四五六日天]\))?"  # 2019年9月4日（周三）之前
    r"(?:\d{1,2}(?::\d{2}|时|点)(?:\d{1,2}分)?)?(?P<after>前|之前|以前|止|截止|为止)?")
_FROM_NOW = re.compile(r"(?:即日|发布之日|印发之日|公布之日|通知之日|本通知发布之日)起?(?:至|到)")


def _full(year: str | None, month: str | None, day: str | None, anchor: dt.date | None,
          prev: dt.date | None = None) -> dt.date | None:
    """A date with missing parts taken from `prev` (the range start) or the anchor's year.

    A deadline without a year lies after the notice: a December notice's "1月15日前"
    means next January.
    """
    if day is None:
        return None
    base = prev or anchor
    if month is None:
        if base is None:
            return None
        month = str(base.month)
    if year is None:
        if base is None:
            return None
        date = make_date(base.year, int(month), int(day))
        if date and prev is None and anchor and date < anchor - dt.timedelta(days=60):
            date = make_date(base.year + 1, int(month), int(day))
        if date and prev is not None and date < prev:
            date = make_date(base.year + 1, int(month), int(day))
        return date
    return make_date(int(year), int(month), int(day))


def _counts_from_this_document(text: str, match: re.Match) -> bool:
    """"自本通知发布之日起30日内" counts from this document; "自选民名单公布之日起五日内",
    "自专利权公告之日起" or "自公告发布之日起" from another event, whose date the text does not give."""
    if match["own"] or match["anchor"] in ("印发", "下发", "发文", "通知印发", "通知下发"):
        return True
    if re.search(r"(?:自|从|在)(?:公告|通知|文件|办法|细则|方案)$", text[:match.start("anchor")]):
        return True  # 自公告发布之日起: the notice itself
    before = text[match.start("anchor") - 1] if match.start("anchor") > 0 else ""
    return not before or before in "自从在于起,，;；:：(（" or not before.isalpha()


def parse_window(phrase: str, anchor: str | dt.date | None = None) -> Deadline | None:
    """The window stated by one phrase or sentence; None when it states none.

    anchor: the publish (or written) date — the origin of "自发布之日起30日内" and the
    year of dates written without one.
    """
    text = normalize_date_text(phrase)
    base = to_date(anchor)
    if _LONG_TERM.search(text):
        return Deadline(kind="long_term", text=_LONG_TERM.search(text).group(0))
    match = next((m for m in _RELATIVE.finditer(text) if _counts_from_this_document(text, m)),
                 None)
    if match:
        if base is None:
            return Deadline(kind="unknown", text=match.group(0), relative=True)
        n = cn_number(match["n"]) or 0
        unit = match["unit"]
        if unit == "工作日":
            end = add_working_days(base, n)
        elif unit in ("个月", "月"):
            month = base.month - 1 + n
            year, month = base.year + month // 12, month % 12 + 1
            end = make_date(year, month, base.day) or month_end(year, month)
        else:
            end = base + dt.timedelta(days=n)
        return Deadline(kind="window", start=iso(base), end=iso(end), text=match.group(0),
                        relative=True)
    match = _YEARLY.search(text)
    if match and (match["d1"] or match["e1"] or match["m2"]) and (match["m2"] or match["before"]):
        def md(month: str, day: str | None, first: bool) -> str | None:
            number = int(month)
            if not 1 <= number <= 12:
                return None
            # A month alone: its first day as a start, its last day as an end.
            last = calendar.monthrange(2001, number)[1]
            return f"{number:02d}-{int(day) if day else (1 if first else last):02d}"
        if match["m2"]:
            start = md(match["m1"], match["d1"], True)
            end = md(match["m2"], match["d2"], False)
        else:
            start, end = None, md(match["m1"], match["d1"], False)
        if end:
            return Deadline(kind="recurring", recur_start=start, recur_end=end,
                            text=match.group(0))
    match = _RANGE.search(text)
    if match:
        start = _full(match["ay"], match["am"], match["ad"], base)
        if match["cm"]:
            year = int(match["cy"]) if match["cy"] else (start.year if start else None)
            end = month_end(year, int(match["cm"])) if year and 1 <= int(match["cm"]) <= 12 else None
        else:
            end = _full(match["by"], match["bm"], match["bd"], base, prev=start)
        if start and end and start <= end and (match["am"] or match["ay"]):
            return Deadline(kind="window", start=iso(start), end=iso(end), text=match.group(0))
    for match in _BEFORE.finditer(text):
        if not (match["cue"] or match["after"]) or (match["cue"] in ("于", "在") and not match["after"]):
            continue
        if match["ye"]:
            if base is None:
                continue
            end = dt.date(base.year, 12, 31)
        elif match["bm"]:
            year = int(match["by"]) if match["by"] else (base.year if base else None)
            if year is None or not 1 <= int(match["bm"]) <= 12:
                continue
            end = month_end(year, int(match["bm"]))
            if not match["by"] and base and end < base - dt.timedelta(days=60):
                end = month_end(year + 1, int(match["bm"]))
        else:
            if not match["am"]:  # a bare "9日前" is not a date
                continue
            end = _full(match["ay"], match["am"], match["ad"], base)
        if end is None:
            continue
        start = base if _FROM_NOW.search(text[:match.start()]) else None
        return Deadline(kind="window", start=iso(start), end=iso(end), text=match.group(0))
    return None


def policy_status(policy, today: dt.date) -> str:
    """The 申报状态 of a policy (a `models.Policy`) on `today`: its window read with what is
    known of its validity and age — the one place a status is computed (site, index, feeds,
    digest, notifications, 政策计算器)."""
    if policy.deadline is None or policy.deadline.kind == "unknown":
        # No window was found. A call for applications is closed once it is stale, and a
        # call or measure once it is out of force (nothing can be applied for under it);
        # any other document (a law, a court interpretation …) never had a window, and
        # "已截止" would claim it had.
        kind = getattr(policy, "doc_kind", "")
        if stale_call(policy, today) or (
                kind in (APPLICATION_CALL, HUIQI_MEASURE) and policy.validity in OUT_OF_FORCE):
            return CLOSED
        return UNKNOWN
    return policy.deadline.status(today, in_force=policy.validity not in OUT_OF_FORCE,
                                  standing=still_standing(policy, today))


_TITLE_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")


def stale_call(policy, today: dt.date) -> bool:
    """A call for applications (申报通知) without a window found, published more than
    STALE_CALL_DAYS before `today`. An undated call is dated by the year its title names
    ("关于开展2022年…征集活动的通知": stale from 2024 on); one naming none is given the benefit
    of the doubt."""
    if getattr(policy, "doc_kind", "") != APPLICATION_CALL:
        return False
    published = issued_on(policy)
    if published is not None:
        return (today - published).days > STALE_CALL_DAYS
    years = [int(y) for y in _TITLE_YEAR.findall(unicodedata.normalize("NFKC", policy.title or ""))]
    return bool(years) and today.year > max(years) + 1


def issued_on(policy) -> dt.date | None:
    """When a policy was issued: its publish or written date, else the last day of the year
    its 文号 names (an undated 国发〔1979〕71号 is from 1979 all the same), else None."""
    found = to_date(policy.publish_date) or to_date(getattr(policy, "written_date", None))
    if found is None:
        year = doc_number_year(getattr(policy, "doc_number", None))
        found = dt.date(year, 12, 31) if year else None
    return found


def still_standing(policy, today: dt.date, years: int = STANDING_YEARS) -> bool:
    """Whether a policy can be taken to still stand on `today`: stated in force, or issued
    less than `years` before (an undated policy is given the benefit of the doubt)."""
    if policy.validity not in (None, "", "未知"):
        return policy.validity not in OUT_OF_FORCE
    published = issued_on(policy)
    if published is None:
        return True
    try:
        limit = published.replace(year=published.year + years)
    except ValueError:  # 29 February
        limit = published.replace(year=published.year + years, day=28)
    return today < limit
