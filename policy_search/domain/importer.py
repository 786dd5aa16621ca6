"""Importing policy lists from JSONL, CSV and XLSX exports.

A county office usually keeps its policy list in a spreadsheet; the shared corpus
arrives as JSONL. Headers may be the field names of the corpus or their Chinese
labels. A bad row is reported with its line number and skipped; the rest imports.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import io
import json
import lzma
import re
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from policy_search.domain.cleaning import clean_body
from policy_search.domain.kinds import DEFAULT_SOURCE_KIND, SOURCE_KINDS
from policy_search.domain.metadata import tidy_metadata
from policy_search.domain.models import VALIDITIES, Policy, policy_id_for
from policy_search.domain.normalize import (
    clean_doc_number, doc_number_key, normalize_level, normalize_text, parse_date,
)
from policy_search.domain.regions import find_region, level_of_code
from policy_search.domain.store import ADDED, UNCHANGED, UPDATED, Store
from policy_search.domain.url_safety import scheme_problem

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

# Bounds on what one record may make us read or hold (a hostile or broken file must not
# take the machine's memory): the longest body in the corpus is about 110,000 characters.
MAX_LINE_BYTES = 20_000_000     # a JSONL line longer than this is skipped unread
MAX_FIELD_CHARS = 4_000_000     # one field of any format
# An XLSX is a zip of XML: its members' declared sizes bound what inflating can produce
# (zipfile stops at the declared size), so they are checked before anything is parsed.
MAX_XLSX_EXPANDED = 200_000_000
MAX_XLSX_RATIO = 200            # for members over 1 MB; XML sheets compress 5–50:1
MAX_XLSX_MEMBERS = 5_000


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


# Compressed exports (a JSONL dump as .jsonl.gz, the starter snapshot as .jsonl.xz).
COMPRESSED = {".gz": gzip.open, ".xz": lzma.open}


def check_file(path: Path, fmt: str = "auto") -> str:
    """The file's format, after reading its header (or first line): ImportFileError when
    it cannot be imported at all, before anything is queued or written."""
    fmt = detect_format(path) if fmt == "auto" else fmt
    if path.stat().st_size == 0:
        raise ImportFileError("文件是空的")
    for _line, record, error, _fraction in read_rows(path, fmt):
        if error and fmt == "jsonl":
            raise ImportFileError(f"第一行无法读取（不是 JSON Lines 文件？）: {error}")
        if fmt == "jsonl" and "title" not in record:
            raise ImportFileError("第一条记录没有 title 字段（JSON Lines 用英文字段名，见 README）")
        break
    return fmt


def detect_format(path: Path) -> str:
    name = Path(path.name[:-len(path.suffix)]) if path.suffix.lower() in COMPRESSED else path
    suffix = name.suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if suffix in ("csv", "tsv", "txt"):
        return "csv"
    if suffix in ("xlsx", "xlsm"):
        if name is not path:
            raise ImportFileError(f"XLSX 文件本身已是压缩格式，请直接导入: {path.name}")
        return "xlsx"
    raise ImportFileError(f"无法从扩展名判断格式: {path.name} (用 --format 指定)")


def _open_binary(path: Path):
    """(the file's bytes as a stream, the raw file: its position measures progress)."""
    raw = open(path, "rb")
    opener = COMPRESSED.get(path.suffix.lower())
    return (opener(raw, "rb") if opener else raw), raw


def _read_jsonl(path: Path) -> Iterator[Row]:
    try:
        yield from _jsonl_rows(path)
    except (OSError, EOFError, lzma.LZMAError) as exc:  # a truncated or corrupt archive
        raise ImportFileError(f"无法读取或解压文件（文件可能不完整）: {exc}") from exc


def _jsonl_rows(path: Path) -> Iterator[Row]:
    total = max(path.stat().st_size, 1)
    stream, raw_file = _open_binary(path)
    with raw_file, stream as f:
        for number, raw in _bounded_lines(f, MAX_LINE_BYTES):
            fraction = raw_file.tell() / total
            if raw is None:
                yield number, None, f"该行超过 {MAX_LINE_BYTES} 字节，未读取", fraction
                continue
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                yield number, None, f"无法解析的 JSON 行: {exc}", fraction
                continue
            except RecursionError:  # [[[[… or {"a":{"a":… thousands deep
                yield number, None, "JSON 嵌套层数过深，无法读取", fraction
                continue
            if not isinstance(record, dict):
                yield number, None, "该行不是一个 JSON 对象", fraction
                continue
            yield number, record, None, fraction


def _bounded_lines(f, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) per line of a binary file; None for a line over `limit`
    bytes, whose rest is skipped in bounded reads."""
    number = 0
    while True:
        raw = f.readline(limit + 1)
        if not raw:
            return
        number += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            while True:
                rest = f.readline(1 << 20)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, None
        else:
            yield number, raw


def _text_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK): spreadsheet exports
    on Chinese Windows are often GBK. Read in chunks, so a large file is not held whole."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            stream, raw_file = _open_binary(path)
            with raw_file, stream as f:
                while chunk := f.read(1 << 20):
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ImportFileError("无法识别的文本编码 (应为 UTF-8 或 GBK/GB18030)")


def _read_csv(path: Path) -> Iterator[Row]:
    try:
        yield from _csv_rows(path)
    except (OSError, EOFError, lzma.LZMAError) as exc:  # a truncated or corrupt archive
        raise ImportFileError(f"无法读取或解压文件（文件可能不完整）: {exc}") from exc


def _csv_rows(path: Path) -> Iterator[Row]:
    encoding = _text_encoding(path)
    plain = path.with_suffix("") if path.suffix.lower() in COMPRESSED else path
    dialect = csv.excel_tab if plain.suffix.lower() == ".tsv" else csv.excel
    total = max(path.stat().st_size, 1)
    # The csv module's own limit (131,072) refuses real long bodies; ours is per field.
    # The limit is global to the csv module: raise it, never lower it.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARS))
    stream, raw = _open_binary(path)
    with raw, stream:
        text = io.TextIOWrapper(stream, encoding=encoding, newline="")
        reader = csv.reader(text, dialect)
        fields = _map_header(next(reader, None) or [])
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                # The reader goes on at the next line: one bad row loses only itself.
                yield start, None, _csv_problem(exc), min(raw.tell() / total, 1.0)
                continue
            if not any(cell.strip() for cell in row):
                continue
            too_long = [len(cell) for cell in row if len(cell) > MAX_FIELD_CHARS]
            if too_long:
                yield start, None, f"字段超过 {MAX_FIELD_CHARS} 字符", min(raw.tell() / total, 1.0)
                continue
            yield start, _record(fields, row), None, min(raw.tell() / total, 1.0)


def _csv_problem(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return f"字段超过 {MAX_FIELD_CHARS} 字符（或引号未闭合）"
    return f"CSV 格式错误: {exc}"


def _read_xlsx(path: Path) -> Iterator[Row]:
    from openpyxl import load_workbook

    check_xlsx_archive(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ImportFileError(f"无法打开 XLSX 文件: {_xml_problem(exc)}") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        number = 1
        try:
            header = next(rows, None)
        except Exception as exc:
            raise ImportFileError(f"无法读取 XLSX 表头: {_xml_problem(exc)}") from exc
        fields = _map_header([("" if c is None else str(c)) for c in (header or [])])
        total = max((sheet.max_row or 1) - 1, 1)
        while True:
            number += 1
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # a sheet broken part-way: keep what came before
                yield number, None, (f"XLSX 从第 {number} 行起无法读取，其后的行未导入: "
                                     f"{_xml_problem(exc)}"), 1.0
                return
            if not any(c not in (None, "") for c in row):
                continue
            yield number, _record(fields, list(row)), None, min((number - 1) / total, 1.0)
    finally:
        workbook.close()


def check_xlsx_archive(path: Path) -> None:
    """Refuse, before parsing, an XLSX that would inflate past our bounds or declares a
    DTD (entity expansion, external entities); ImportFileError says which."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_XLSX_MEMBERS:
                raise ImportFileError(f"XLSX 文件条目过多 ({len(members)})，不予读取")
            expanded = sum(m.file_size for m in members)
            if expanded > MAX_XLSX_EXPANDED:
                raise ImportFileError(
                    f"XLSX 文件解压后达 {expanded} 字节，超过上限 {MAX_XLSX_EXPANDED} 字节；请拆分文件")
            for member in members:
                if member.file_size > 1_000_000 and \
                        member.file_size > MAX_XLSX_RATIO * max(member.compress_size, 1):
                    raise ImportFileError(
                        f"XLSX 文件中的 {member.filename} 压缩比异常"
                        f"（{member.compress_size} 字节解压为 {member.file_size} 字节），不予读取")
            for member in members:
                if member.filename.endswith((".xml", ".rels")) and _declares_dtd(archive, member):
                    raise ImportFileError(
                        f"XLSX 文件中的 {member.filename} 含有 DTD（<!DOCTYPE>），"
                        "出于安全原因不予读取；请用表格软件另存为新的 XLSX 文件")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise ImportFileError(f"不是有效的 XLSX 文件: {exc}") from exc


def _declares_dtd(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    # A DTD can only stand in the prolog, before the root element: the head suffices.
    with archive.open(member) as f:
        head = f.read(64 * 1024)
    return b"<!DOCTYPE" in head or b"<!ENTITY" in head


def _xml_problem(exc: Exception) -> str:
    """A broken or hostile workbook's error in words, without a traceback."""
    name = type(exc).__name__
    if name in ("EntitiesForbidden", "DTDForbidden", "ExternalReferenceForbidden"):
        return "含有 DTD 实体声明，出于安全原因不予读取"
    text = str(exc).strip() or name
    return text if len(text) <= 200 else text[:197] + "…"


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


# --- checking a record's values ------------------------------------------------

FIELD_LABELS = {
    "title": "标题", "url": "链接", "issuer": "发文机关", "doc_number": "发文字号",
    "index_number": "索引号", "topic": "主题分类", "written_date": "成文日期",
    "publish_date": "发布日期", "level": "层级", "region": "地区", "body": "正文",
    "validity": "有效性", "doc_kind": "文件类型", "source_repo": "来源",
}
DATE_FIELDS = ("written_date", "publish_date")
TEXT_ONLY = ("title", "url")  # a number is no title and no address
# C0 controls but tab and line breaks, and DEL: never meaningful in a policy's text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_NO_URL = {"无", "-", "—", "/", "／", "暂无", "null", "none", "n/a"}
_BARE_HOST = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?(/|$)", re.I)


def clean_record(record: dict) -> dict:
    """The record's fields as text the store can keep; ValueError names a field that
    cannot be one (an object, a list, a number as title, a lone surrogate, too long)."""
    return {name: _field_value(name, value) for name, value in record.items()
            if name in FIELD_LABELS}


def _field_value(name: str, value):
    label = FIELD_LABELS[name]
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)) and name in DATE_FIELDS:
        return value  # an XLSX date cell
    if isinstance(value, (bool, dict, list, tuple)) or (
            name in TEXT_ONLY and not isinstance(value, str)):
        raise ValueError(f"{label}应为文本，而不是{_kind(value)}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 114300.0 from a spreadsheet cell is 114300
    text = value if isinstance(value, str) else str(value)
    bad = _SURROGATE.search(text)
    if bad:
        raise ValueError(f"{label}含有无效字符（孤立的 UTF-16 代理项 \\u{ord(bad.group()):04x}），"
                         "请检查文件的编码")
    if len(text) > MAX_FIELD_CHARS:
        raise ValueError(f"{label}超过 {MAX_FIELD_CHARS} 字符")
    return _CONTROL.sub("", text)


def _kind(value) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "数字"
    if isinstance(value, dict):
        return "对象"
    if isinstance(value, (list, tuple)):
        return "列表"
    return type(value).__name__


def checked_url(url: str | None) -> str | None:
    """A policy's address: http(s) only (no javascript:, data:, file:); a placeholder such
    as 无 means none; a bare www.example.gov.cn/… is taken as http."""
    if url is None or url.lower() in _NO_URL:
        return None
    if "://" not in url and _BARE_HOST.match(url):
        url = "http://" + url
    problem = scheme_problem(url)
    if problem:
        raise ValueError(f"链接: {problem}")
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    if not host:
        raise ValueError("链接: 网址缺少主机名或格式有误")
    return url


# --- turning a record into a policy -------------------------------------------

def policy_from_record(record: dict, source_id: str = "import") -> Policy:
    """A normalized Policy from one imported record; ValueError names what is wrong."""
    record = clean_record(record)
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
    url = checked_url(get("url"))
    validity = get("validity")
    source_kind = get("doc_kind")
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
        # the file's 文件类型 is a clue for the derived kind, not the kind itself
        source_kind=source_kind if source_kind in SOURCE_KINDS else DEFAULT_SOURCE_KIND,
    ))


# imported field -> the Policy attributes it fills
_POLICY_ATTRS = {
    "issuer": ("issuer",), "doc_number": ("doc_number", "doc_number_key"),
    "index_number": ("index_number",), "topic": ("subject",),
    "written_date": ("written_date",), "publish_date": ("publish_date",),
    "level": ("level",), "region": ("region_code", "region_name"), "body": ("body_text",),
    "validity": ("validity",), "doc_kind": ("source_kind",),
}


def _keep_absent_fields(store: Store, policy: Policy, record: dict) -> None:
    """A partial record (e.g. metadata without 正文) updates only the fields it carries.

    An empty value means "not known here", not "erase": two exports of the same
    document, one with 文号 and one without, must not undo each other.
    """
    absent = [name for name in _POLICY_ATTRS if normalize_text(record.get(name)) is None]
    if not absent:
        return
    stored = store.policies.get(policy.id)
    if stored is None:
        return
    for name in absent:
        for attr in _POLICY_ATTRS[name]:
            setattr(policy, attr, getattr(stored, attr))


def _clean_body(value) -> str:
    if not value:
        return ""
    lines = (line.replace("\u3000", " ").strip() for line in str(value).splitlines())
    return clean_body("\n".join(line for line in lines if line))


# --- the import ----------------------------------------------------------------

def import_file(
    store: Store,
    path: str | Path,
    *,
    fmt: str = "auto",
    source_id: str = "import",
    progress: Callable[[Progress], None] | None = None,
    fixed_source: bool = False,
    keep: Callable[[str], bool] | None = None,
) -> ImportSummary:
    """Import one file into the store; idempotent; returns what happened to each row.

    `fixed_source`: every row gets `source_id`, whatever its 来源 column says.
    `keep(policy_id)`: true for stored policies a row must not replace (counted unchanged).
    """
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"文件不存在: {path}")
    summary = ImportSummary()
    seen: dict[str, int] = {}  # policy id -> line that first named it
    rows = iter(read_rows(path, fmt))
    more = True
    while more:  # one transaction per batch of rows; a failure rolls back its batch only
        more, batch_started, batch_rows = False, time.monotonic(), 0
        with store.transaction():
            for line, record, error, fraction in rows:
                outcome = _import_row(store, record, error, line, source_id, seen, summary,
                                      fixed_source, keep)
                if outcome:
                    summary.count(outcome)
                batch_rows += 1
                if batch_rows >= BATCH_ROWS or time.monotonic() - batch_started > BATCH_SECONDS:
                    more = True
                    break
        if more and progress:
            progress(Progress(summary.rows, fraction, summary))
    if progress:
        progress(Progress(summary.rows, 1.0, summary))
    return summary


def _import_row(store, record, error, line, source_id, seen, summary, fixed_source,
                keep) -> str | None:
    if error:
        summary.rejected.append(Rejected(line, error))
        return None
    try:
        record = clean_record(record)
        policy = policy_from_record(record, source_id)
    except ValueError as exc:
        summary.rejected.append(Rejected(line, str(exc)))
        return None
    if policy.id in seen:
        summary.rejected.append(Rejected(line, f"与第 {seen[policy.id]} 行是同一文件 (链接或标题相同)"))
        return None
    seen[policy.id] = line
    if keep is not None and keep(policy.id):
        return UNCHANGED
    if fixed_source:
        policy.source_id = source_id
    _keep_absent_fields(store, policy, record)
    outcome = store.policies.upsert(policy)
    assert outcome in (ADDED, UPDATED, UNCHANGED)
    return outcome
