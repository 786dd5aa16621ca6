"""The domain: a policy document and what hangs off it.

Every layer speaks these dataclasses; the store turns them into rows and back.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from policy_search.domain.deadlines import Deadline
from policy_search.domain.kinds import DEFAULT_SOURCE_KIND, DOC_KINDS, OTHER, Clue  # noqa: F401 (DOC_KINDS: re-exported)
from policy_search.domain.urls import canonical_url

LEVELS = ("national", "provincial", "city", "county")
LEVEL_NAMES = {"national": "国家", "provincial": "省", "city": "市", "county": "县"}
VALIDITIES = ("有效", "失效", "废止", "部分失效", "未知")
REVIEW_STATES = ("new", "reviewed")
# Tag facets: the key used in the store, the index and the API -> the name users see.
TAG_FACETS = {"industry": "行业", "support": "支持方式", "enterprise": "企业类型"}
# The source id of the starter snapshot's documents (policy_search/snapshot.py): any
# record of the same document from a real source replaces a snapshot copy.
SNAPSHOT_SOURCE = "snapshot"
# The fields a source is judged by (`sources check`, the dashboard's alarms), with
# their Chinese names; a page without the required ones is not usable.
CHECKED_FIELDS = {"title": "标题", "publish_date": "发布日期", "issuer": "发文机关",
                  "doc_number": "文号", "body": "正文"}
REQUIRED_FIELDS = ("title", "publish_date", "body")


@dataclass
class Attachment:
    name: str
    url: str
    media_type: str = ""
    sha256: str = ""
    text: str = ""
    # A scan without a text layer: kept and flagged, never dropped.
    no_text_layer: bool = False
    # Why no text could be read from it ("" when it was read or never tried).
    text_error: str = ""


# Why an attachment gave no text: the code before the colon of Attachment.text_error.
ATTACHMENT_ERRORS = {
    "unsupported": "格式不支持",
    "encrypted": "文件已加密",
    "garbled": "PDF 字体缺少 Unicode 映射，文字无法还原",
    "broken": "文件损坏或无法解析",
    "refused": "可疑文件，拒绝解析",
    "timeout": "解析超时",
    "memory": "解析超出内存限制",
    "worker": "解析进程出错",
    "download": "下载失败",
    "skipped": "未下载（超过附件数上限，之后的抓取再下载）",
    "no_text_layer": "扫描件，没有文字层",
}


def attachment_error_label(error: str) -> str:
    """The reason an attachment has no text, in words for staff and admins."""
    code, _, detail = error.partition(":")
    label = ATTACHMENT_ERRORS.get(code.strip())
    if label is None:
        return error
    return f"{label}（{detail.strip()}）" if detail.strip() else label


@dataclass
class Tag:
    facet: str
    value: str
    origin: str = "auto"  # auto | staff
    confidence: float = 1.0
    evidence: str = ""
    by: str = ""
    at: str = ""
    # A staff decision can also be "this auto tag is wrong": kept so re-tagging
    # does not propose it again.
    rejected: bool = False


@dataclass
class Policy:
    id: str
    title: str
    url: str | None = None
    source_id: str = ""
    level: str | None = None
    region_code: str | None = None
    region_name: str | None = None
    issuer: str | None = None
    doc_number: str | None = None
    doc_number_key: str | None = None
    index_number: str | None = None
    subject: str | None = None
    written_date: str | None = None
    publish_date: str | None = None
    effective_date: str | None = None
    expiry_date: str | None = None
    validity: str = "未知"
    # What the source page or the import file called the document (政策原文 / 政策解读 /
    # 申报通知 …): a clue for the kind, not the kind.
    source_kind: str = DEFAULT_SOURCE_KIND
    interprets: str | None = None
    body_text: str = ""
    body_html: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    review_state: str = "new"
    content_hash: str = ""
    fetched_at: str | None = None
    first_seen_at: str | None = None
    updated_at: str | None = None
    # Derived from the text by `card extract` (never part of the content hash): the
    # application window and the later document that repeals this one.
    deadline: Deadline | None = None
    repealed_by: str | None = None
    # What the document is (policy_search.domain.kinds) and whether it gives enterprises something,
    # each with its clues; set by `enrich` (kind_by "auto") or corrected by staff
    # (kind_by / huiqi_by "staff"); "" while not derived yet.
    doc_kind: str = OTHER
    huiqi: bool = False
    kind_evidence: list[Clue] = field(default_factory=list)
    huiqi_evidence: list[Clue] = field(default_factory=list)
    kind_by: str = ""
    huiqi_by: str = ""

    # Fields that describe the document itself. Bookkeeping (times, review
    # state, tags, source) is left out so that re-importing or re-crawling the
    # same text is recognised as "unchanged".
    CONTENT_FIELDS = (
        "url", "level", "region_code", "region_name", "title", "issuer",
        "doc_number", "index_number", "subject", "written_date", "publish_date",
        "effective_date", "expiry_date", "validity", "source_kind", "interprets",
        "body_text", "body_html",
    )

    def compute_hash(self) -> str:
        content = {name: getattr(self, name) for name in self.CONTENT_FIELDS}
        # Stored under its old name, so that hashes written before the rename stay valid
        # (an unchanged document must not come back as "updated").
        content["doc_kind"] = content.pop("source_kind")
        content["attachments"] = [
            (a.name, a.url, a.sha256, a.text) for a in self.attachments
        ]
        blob = json.dumps(content, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def active_tags(self) -> dict[str, list[str]]:
        """Tags per facet as search and the site show them: rejected ones left out."""
        by_facet: dict[str, list[str]] = {}
        for tag in self.tags:
            if not tag.rejected and tag.value not in by_facet.get(tag.facet, []):
                by_facet.setdefault(tag.facet, []).append(tag.value)
        return by_facet

    def to_dict(self) -> dict:
        return asdict(self)


def policy_id_for(url: str | None, title: str) -> str:
    """A stable id: from the canonical URL, or from the title when there is none.

    The scheme is left out so that the http and https addresses of one page
    are the same policy.
    """
    key = canonical_url(url).split("://", 1)[-1] if url else "title:" + title.strip()
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
