"""Validity: when a policy takes effect, when it expires, and what it repeals.

Read from the document's own clauses — "本办法自2020年1月1日起施行", "自印发之日起施行，
有效期3年", "有效期至2025年12月31日", "《…》（…〔2015〕23号）同时废止" — and turned into
effective / expiry dates and 有效 / 失效 / 废止 on a given day. A later document that names
an earlier one (by title or 文号) in a repeal clause marks that one 废止.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from policy_search.domain.deadlines import DATE, cn_number, iso, make_date, normalize_date_text, to_date
from policy_search.domain.normalize import DOC_NUMBER_PATTERN, doc_number_key

VALID, EXPIRED, REPEALED, PARTLY, UNKNOWN = "有效", "失效", "废止", "部分失效", "未知"

_SENTENCE = re.compile(r"[^。；;！!？?\n]+[。；;！!？?]?")
_DOC_WORDS = (r"(?:办法|通知|规定|细则|政策|措施|意见|方案|条例|决定|公告|规划|文件|制度|准则|指引"
              r"|规则|若干规定|实施意见|暂行办法|管理办法|条款|本法|法)")
_SUBJECT = re.compile(r"本" + _DOC_WORDS + r"|上述政策|以上政策|各项政策|上述措施|以上措施|本次政策"
                      r"|(?:施行|实施|执行|印发之日|发布之日|公布之日)")
# "有效期" of something else: a licence, a qualification, a certificate
_NOT_OURS = re.compile(r"(?:证|注册|证书|证件|许可证|许可|资格|认定|资质|登记|备案|批准文件|执照|称号|证明|合同"
                       r"|协议|授权|签证|护照|密码|样品|产品|药品|标准|批文|评价结果|检验报告|报告)"
                       r"(?:的)?有效期")
_EFFECTIVE = re.compile(
    r"(?:自|从|于)(?:" + DATE.format(p="e") + r"|(?P<anchor>公布|发布|印发|颁布|公告|下发|发文|签发)之?日)"
    r"(?:起|开始)?(?:正式)?(?:施行|实施|执行|生效)")
_TERM_YEARS = re.compile(r"有效期(?:限)?(?:为|是)?(?P<n>\d{1,2}|[一二三四五六七八九十两]{1,3})年")
_TERM_TO = re.compile(r"(?:有效期|执行期|实施期|有效期限|执行期限|实施期限)?(?:限)?(?:为|是)?"
                      r"(?:" + DATE.format(p="s") + r"(?:起)?(?:至|到|—|-|~|－)|(?:至|到|截至|截止到?))"
                      + DATE.format(p="x"))
_TERM_CUE = re.compile(r"有效期|执行期|实施期|执行至|实施至|有效至|截至|执行到|实施到|有效到|试行")
_TRIAL_YEARS = re.compile(r"(?:试行|暂行)(?:期)?(?:为)?(?P<n>\d{1,2}|[一二三四五六七八九十两]{1,3})年")
_REPEAL = re.compile(r"(?:同时|予以|一并|即行|自行|相应)?(?:废止|停止执行|不再执行|停止施行|不再施行)")
_TITLE = re.compile(r"《([^《》]{2,80})》")


@dataclass
class RepealRef:
    title: str | None = None
    doc_number: str | None = None
    evidence: str = ""


@dataclass
class ValidityInfo:
    effective_date: str | None = None
    expiry_date: str | None = None
    effective_evidence: str = ""
    expiry_evidence: str = ""
    repeals: list[RepealRef] = field(default_factory=list)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text or "") if s.strip()]


def derive_validity(text: str, publish_date: str | None = None,
                    written_date: str | None = None) -> ValidityInfo:
    """Effective and expiry dates and repeal references stated in a document's text.

    The clauses sit in the closing part (附则), so the last one stated wins; a date
    "自印发之日起" comes from the written date, "自发布之日起" from the publish date
    (each falling back on the other).
    """
    info = ValidityInfo()
    term_years: int | None = None
    for sentence in sentences(text):
        folded = normalize_date_text(sentence)
        for match in _EFFECTIVE.finditer(folded):
            date = _effective_from(match, publish_date, written_date)
            if date and (_SUBJECT.search(folded) or "起施行" in folded):
                info.effective_date, info.effective_evidence = iso(date), sentence
        for clause in _term_clauses(folded):
            years = _TERM_YEARS.search(clause) or _TRIAL_YEARS.search(clause)
            if years and (n := cn_number(years["n"])):
                term_years, info.expiry_evidence = n, sentence
                info.expiry_date = None
            match = _TERM_TO.search(clause)
            if match and _TERM_CUE.search(clause):
                end = _date_of(match, "x")
                start = _date_of(match, "s")
                if end:
                    info.expiry_date, info.expiry_evidence, term_years = iso(end), sentence, None
                    if start and not info.effective_date:
                        info.effective_date, info.effective_evidence = iso(start), sentence
        if _REPEAL.search(folded):
            info.repeals.extend(_repeal_refs(sentence))
    if term_years:
        start = to_date(info.effective_date) or to_date(publish_date) or to_date(written_date)
        if start:
            end = make_date(start.year + term_years, start.month, start.day) or dt.date(
                start.year + term_years, start.month, 28)
            info.expiry_date = iso(end - dt.timedelta(days=1))
    return info


def _term_clauses(sentence: str) -> list[str]:
    """Clauses stating the policy's own term: "本办法…，有效期5年" but not "驾驶证有效期6年".

    The clause names the document itself, or follows a clause of the same sentence that
    does (本办法自…起施行，有效期3年).
    """
    clauses = re.split(r"[，,：:]", sentence)
    kept = []
    for i, clause in enumerate(clauses):
        if not _TERM_CUE.search(clause) or _NOT_OURS.search(clause):
            continue
        if _SUBJECT.search(clause) or (
                re.match(r"(?:其|政策)?(?:有效期|执行期|实施期|试行期|暂行期)", clause)
                and i > 0 and _SUBJECT.search(clauses[i - 1])):
            kept.append(clause)
    return kept


def _date_of(match: re.Match, prefix: str) -> dt.date | None:
    year, month, day = match[prefix + "y"], match[prefix + "m"], match[prefix + "d"]
    if not (year and month and day):
        return None
    return make_date(int(year), int(month), int(day))


def _effective_from(match: re.Match, publish_date, written_date) -> dt.date | None:
    if match["anchor"]:
        first, second = ((written_date, publish_date) if match["anchor"] in ("印发", "签发", "下发", "发文")
                         else (publish_date, written_date))
        return to_date(first) or to_date(second)
    return _date_of(match, "e")


def _repeal_refs(sentence: str) -> list[RepealRef]:
    """The documents a repeal sentence names, by 《title》 and/or 文号.

    Only what stands before the repeal verb counts ("《A》同时废止"); a sentence that
    merely talks about repealing ("对…予以废止的，…") names nothing and yields nothing.
    """
    verb = _REPEAL.search(normalize_date_text(sentence))
    head = unicodedata.normalize("NFKC", sentence)
    cut = head.find(verb.group(0)) if verb else -1
    head = head[:cut] if cut > 0 else head
    refs: list[RepealRef] = []
    titles = list(_TITLE.finditer(head))
    for i, match in enumerate(titles):
        tail_end = titles[i + 1].start() if i + 1 < len(titles) else len(head)
        number = DOC_NUMBER_PATTERN.search(head[match.end():tail_end])
        refs.append(RepealRef(title=match[1].strip(), evidence=sentence.strip(),
                              doc_number=number.group(0) if number else None))
    if not titles:
        for number in DOC_NUMBER_PATTERN.finditer(head):
            refs.append(RepealRef(doc_number=number.group(0), evidence=sentence.strip()))
    return refs


def title_key(title: str | None) -> str:
    """Titles compared without punctuation, brackets, spaces or 《》."""
    text = unicodedata.normalize("NFKC", title or "")
    return "".join(ch for ch in text if ch.isalnum())


def _inner_titles(title: str) -> list[str]:
    """A notice that issues a document: 关于印发《X》的通知 also stands for X."""
    return [m[1] for m in _TITLE.finditer(unicodedata.normalize("NFKC", title or ""))]


@dataclass
class PolicyRef:
    """What repeal linking needs of a policy."""
    id: str
    title: str
    doc_number: str | None = None
    publish_date: str | None = None


class RepealIndex:
    """Policies by 文号 key and by title (and the title a notice issues), for repeal linking."""

    def __init__(self, candidates: list[PolicyRef]):
        self.by_number: dict[str, list[PolicyRef]] = {}
        self.by_title: dict[str, list[PolicyRef]] = {}
        for candidate in candidates:
            key = doc_number_key(candidate.doc_number)
            if key:
                self.by_number.setdefault(key, []).append(candidate)
            for title in [candidate.title, *_inner_titles(candidate.title)]:
                if title_key(title):
                    self.by_title.setdefault(title_key(title), []).append(candidate)

    def match(self, repealer: PolicyRef, refs: list[RepealRef]) -> list[tuple[str, str]]:
        """(repealed id, evidence) for each policy a repeal clause names.

        A 文号 match is decisive; else the title matches the policy's title or the
        document it issues (关于印发《X》的通知). Only earlier (or undated) documents,
        never the repealer itself.
        """
        found: dict[str, str] = {}
        for ref in refs:
            matches = self.by_number.get(doc_number_key(ref.doc_number) or "", []) \
                if ref.doc_number else []
            if not matches and ref.title:
                matches = self.by_title.get(title_key(ref.title), [])
            for candidate in matches:
                if candidate.id == repealer.id:
                    continue
                if repealer.publish_date and candidate.publish_date and \
                        candidate.publish_date > repealer.publish_date:
                    continue
                found.setdefault(candidate.id, ref.evidence)
        return list(found.items())


def link_repeals(repealer: PolicyRef, refs: list[RepealRef],
                 candidates: list[PolicyRef]) -> list[tuple[str, str]]:
    """One repealer against a list of candidates (see RepealIndex.match)."""
    return RepealIndex(candidates).match(repealer, refs)


def validity_on(today: dt.date, *, effective_date: str | None, expiry_date: str | None,
                repealed_by: str | None = None, stated: str = UNKNOWN,
                derived: bool = False) -> str:
    """有效 / 失效 / 废止 / 部分失效 / 未知 on `today`.

    stated: what the source page said (时效性); kept unless a repeal or a passed expiry
    date says otherwise. derived: the text had a validity clause (施行 / 有效期).
    """
    if repealed_by:
        return REPEALED
    expiry = to_date(expiry_date)
    if expiry and expiry < today:
        return EXPIRED
    if stated and stated != UNKNOWN:
        return stated
    if derived or effective_date or expiry_date:
        return VALID
    return UNKNOWN
