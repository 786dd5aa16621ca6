"""Importing policy lists from JSONL, CSV and XLSX exports.

A county office usually keeps its policy list in a spreadsheet; the shared corpus
arrives as JSONL. Headers may be the field names of the corpus or their Chinese
labels. A bad row is reported with its line number and skipped; the rest imports.
"""
from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from policy_search.metadata import tidy_metadata
from policy_search.models import VALIDITIES, DOC_KINDS, Policy, policy_id_for
from policy_search.normalize import (
    clean_doc_number, doc_number_key, normalize_level, normalize_text, parse_date,
)
from policy_search.regions import find_region, level_of_code
from policy_search.store import ADDED, UNCHANGED, UPDATED, Store

# field -> accepted header names (compared case-insensitively, spaces ignored)
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "标题", "文件名称", "名称", "政策名称"),
    "url": ("url", "链接", "网址", "原文链接", "来源链接"),
    "issuer": ("issuer", "发文机关", "发布机构", "发文单位", "发布单位"),
    "doc_number": ("doc_number", "发文字号", "文号"),
    "index_number": ("index_number", "索引号"),
    "topic": ("topic", "subject", "主题分类", "主题"),
    "written_date": ("written_date", "成文日期"),
    "publish_date": ("publish_date", "发布日期", "发布时间"),
    "level": ("level", "层级", "级别"),
    "region": ("region", "地区", "区域", "行政区划"),
    "body": ("body", "正文", "内容", "全文"),
    "validity": ("validity", "有效性", "时效性"),
    "doc_kind": ("doc_kind", "文件类型", "文档类型"),
    "source_repo": ("source_repo", "来源", "数据来源"),
}
_HEADER_LOOKUP = {alias.lower(): name for name, aliases in FIELD_ALIASES.items() for alias in aliases}

BATCH_ROWS = 200      # policies per commit: each is atomic on its own (a savepoint),
BATCH_SECONDS = 1.0   # a batch only saves fsyncs


@dataclass
class Rejected:
    line: int
    reason: str


@dataclass
class ImportSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.added + self.updated + self.unchanged + len(self.rejected)

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


@dataclass
class Progress:
    rows: int
    done_fraction: float
    summary: ImportSummary


class ImportFileError(Exception):
    """The file as a whole cannot be read (missing, unknown format, no title column)."""


# --- reading rows ------------------------------------------------------------

Row = tuple[int, dict | None, str | None, float]  # line, record or None, error, fraction read


def read_rows(path: Path, fmt: str = "auto") -> Iterator[Row]:
    fmt = detect_format(path) if fmt == "auto" else fmt
    readers = {"jsonl": _read_jsonl, "csv": _read_csv, "xlsx": _read_xlsx}
    if fmt not in readers:
        raise ImportFileError(f"不支持的文件格式: {fmt} (支持 jsonl, csv, xlsx)")
    return readers[fmt](path)


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if suffix in ("csv", "tsv", "txt"):
        return "csv"
    if suffix in ("xlsx", "xlsm"):
        return "xlsx"
    raise ImportFileError(f"无法从扩展名判断格式: {path.name} (用 --format 指定)")


def _read_jsonl(path: Path) -> Iterator[Row]:
    total = max(path.stat().st_size, 1)
    read = 0
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            read += len(raw)
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                yield number, None, f"无法解析的 JSON 行: {exc}", read / total
                continue
            if not isinstance(record, dict):
                yield number, None, "该行不是一个 JSON 对象", read / total
                continue
            yield number, record, None, read / total


def _decode(data: bytes) -> str:
    # Spreadsheet exports on Chinese Windows are often GBK; GB18030 is its superset.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("无法识别的文本编码 (应为 UTF-8 或 GBK/GB18030)")


def _read_csv(path: Path) -> Iterator[Row]:
    text = _decode(path.read_bytes())
    dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    fields = _map_header(next(reader, None) or [])
    approx_lines = max(text.count("\n"), 1)  # for progress only
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            fraction = min(reader.line_num / approx_lines, 1.0)
            yield reader.line_num, _record(fields, row), None, fraction
    except csv.Error as exc:
        yield reader.line_num, None, f"CSV 格式错误: {exc}", 1.0


def _read_xlsx(path: Path) -> Iterator[Row]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ImportFileError(f"无法打开 XLSX 文件: {exc}") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        fields = _map_header([("" if c is None else str(c)) for c in (header or [])])
        total = max((sheet.max_row or 1) - 1, 1)
        for number, row in enumerate(rows, start=2):
            if not any(c not in (None, "") for c in row):
                continue
            yield number, _record(fields, list(row)), None, min((number - 1) / total, 1.0)
    finally:
        workbook.close()


def _map_header(header: list[str]) -> list[str | None]:
    fields = [_HEADER_LOOKUP.get(h.strip().replace(" ", "").lower()) for h in header]
    if "title" not in fields:
        raise ImportFileError(
            "表头中没有标题列 (title / 标题); 可用的列名: "
            + ", ".join(f"{k}/{v[1]}" for k, v in FIELD_ALIASES.items())
        )
    return fields


def _record(fields: list[str | None], row: list) -> dict:
    return {name: value for name, value in zip(fields, row) if name is not None}


# --- turning a record into a policy -------------------------------------------

def policy_from_record(record: dict, source_id: str = "import") -> Policy:
    """A normalized Policy from one imported record; ValueError names what is wrong."""
    get = lambda name: normalize_text(record.get(name))  # noqa: E731
    title = get("title")
    if not title:
        raise ValueError("缺少标题")
    dates = {}
    for name, label in (("written_date", "成文日期"), ("publish_date", "发布日期")):
        try:
            dates[name] = parse_date(record.get(name))
        except ValueError as exc:
            raise ValueError(f"{label}: {exc}") from None
    region = find_region(get("region"))
    try:
        level = normalize_level(get("level"))
    except ValueError as exc:
        raise ValueError(f"层级: {exc}") from None
    if level is None and region is not None:
        level = level_of_code(region.code)
    doc_number = clean_doc_number(get("doc_number"), title)
    url = get("url")
    validity = get("validity")
    doc_kind = get("doc_kind")
    return tidy_metadata(Policy(
        id=policy_id_for(url, title),
        url=url,
        source_id=get("source_repo") or source_id,
        title=" ".join(title.split()),
        issuer=get("issuer"),
        doc_number=doc_number,
        doc_number_key=doc_number_key(doc_number),
        index_number=get("index_number"),
        subject=get("topic"),
        written_date=dates["written_date"],
        publish_date=dates["publish_date"],
        level=level,
        region_code=region.code if region else None,
        region_name=region.name if region else get("region"),
        body_text=_clean_body(record.get("body")),
        validity=validity if validity in VALIDITIES else "未知",
        doc_kind=doc_kind if doc_kind in DOC_KINDS else "政策原文",
    ))


# imported field -> the Policy attributes it fills
_POLICY_ATTRS = {
    "issuer": ("issuer",), "doc_number": ("doc_number", "doc_number_key"),
    "index_number": ("index_number",), "topic": ("subject",),
    "written_date": ("written_date",), "publish_date": ("publish_date",),
    "level": ("level",), "region": ("region_code", "region_name"), "body": ("body_text",),
    "validity": ("validity",), "doc_kind": ("doc_kind",),
}


def _keep_absent_fields(store: Store, policy: Policy, record: dict) -> None:
    """A partial record (e.g. metadata without 正文) updates only the fields it carries.

    An empty value means "not known here", not "erase": two exports of the same
    document, one with 文号 and one without, must not undo each other.
    """
    absent = [name for name in _POLICY_ATTRS if normalize_text(record.get(name)) is None]
    if not absent:
        return
    stored = store.get_policy(policy.id)
    if stored is None:
        return
    for name in absent:
        for attr in _POLICY_ATTRS[name]:
            setattr(policy, attr, getattr(stored, attr))


def _clean_body(value) -> str:
    if not value:
        return ""
    lines = (line.replace("\u3000", " ").strip() for line in str(value).splitlines())
    return "\n".join(line for line in lines if line)


# --- the import ----------------------------------------------------------------

def import_file(
    store: Store,
    path: str | Path,
    *,
    fmt: str = "auto",
    source_id: str = "import",
    progress: Callable[[Progress], None] | None = None,
) -> ImportSummary:
    """Import one file into the store; idempotent; returns what happened to each row."""
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"文件不存在: {path}")
    summary = ImportSummary()
    seen: dict[str, int] = {}  # policy id -> line that first named it
    rows = read_rows(path, fmt)
    conn = store.conn
    batch_started, batch_rows = time.monotonic(), 0
    try:
        for line, record, error, fraction in rows:
            if not conn.in_transaction:
                conn.execute("BEGIN IMMEDIATE")
                batch_started, batch_rows = time.monotonic(), 0
            outcome = _import_row(store, record, error, line, source_id, seen, summary)
            if outcome:
                summary.count(outcome)
            batch_rows += 1
            if batch_rows >= BATCH_ROWS or time.monotonic() - batch_started > BATCH_SECONDS:
                conn.commit()
                if progress:
                    progress(Progress(summary.rows, fraction, summary))
        if conn.in_transaction:
            conn.commit()
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    if progress:
        progress(Progress(summary.rows, 1.0, summary))
    return summary


def _import_row(store, record, error, line, source_id, seen, summary) -> str | None:
    if error:
        summary.rejected.append(Rejected(line, error))
        return None
    try:
        policy = policy_from_record(record, source_id)
    except ValueError as exc:
        summary.rejected.append(Rejected(line, str(exc)))
        return None
    if policy.id in seen:
        summary.rejected.append(Rejected(line, f"与第 {seen[policy.id]} 行是同一文件 (链接或标题相同)"))
        return None
    seen[policy.id] = line
    _keep_absent_fields(store, policy, record)
    outcome = store.upsert_policy(policy)
    assert outcome in (ADDED, UPDATED, UNCHANGED)
    return outcome
