"""Attachment text extraction, run in a child process with time and memory limits.

Reads the file's bytes on stdin, writes {"text", "no_text_layer", "kind", "error"} as JSON
on stdout. The format is told by the bytes, not the name: PDF (pypdf, CJK fonts
included), DOCX/XLSX, Word 97 .doc and WPS .wps (olefile and the piece table), .xls and
WPS .et (xlrd), OFD (GB/T 33190: zip of XML), Word "web pages" saved as .doc, plain text.
A file without text says why in `error` ("code: detail", the codes are listed in
policy_search.domain.models.ATTACHMENT_ERRORS). Parsers of untrusted PDFs and Office files can hang or balloon: the parent
kills this process when it runs over, and zip-based formats are checked for bombs first.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import posixpath
import re
import struct
import sys
import zipfile

MAX_UNCOMPRESSED = 200_000_000
MAX_RATIO = 200
MAX_MEMBERS = 5_000
MAX_TEXT = 2_000_000
# Below this many characters per page a PDF is taken for a scan without a text layer.
SCAN_CHARS_PER_PAGE = 20


class Refused(Exception):
    """A file we will not parse (zip bomb, unknown format)."""


class Unreadable(Exception):
    """A file read to its end without usable text; args[0] is the error code
    (see policy_search.domain.models.ATTACHMENT_ERRORS), args[1] a detail."""


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff(data: bytes) -> str:
    if data.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK"):
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if any(n.lower() == "ofd.xml" for n in names):
            return "ofd"
        return "zip"
    if data.startswith(OLE_MAGIC):
        return "ole"  # .doc/.wps (Word 97) or .xls/.et (BIFF8): told apart by their streams
    head = data[:2048].lstrip().lower()
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")) and b"<html" in data[:4096].lower():
        return "html"  # Word "web page" saved as .doc: common on county sites
    return "text"


def check_zip(data: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(data))
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise Refused(f"zip 条目过多 ({len(members)})")
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED:
        raise Refused(f"解压后过大 ({total} 字节)")
    for member in members:
        if member.compress_size and member.file_size > 1_000_000 and \
                member.file_size / member.compress_size > MAX_RATIO:
            raise Refused(f"压缩比异常 ({member.filename})")
    return archive


# --- PDF --------------------------------------------------------------------------

def pdf_text(data: bytes) -> tuple[str, bool]:
    """pypdf reads CJK text through ToUnicode maps and the predefined Adobe CMaps
    (UniGB-UCS2-H, GBK-EUC-H, ETen-B5-H…); a font with neither gives control characters,
    which are reported as garbled rather than stored."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            reader.decrypt("")  # an owner password only restricts printing and copying
        except Exception:
            raise Unreadable("encrypted", "PDF 有打开密码") from None
    pages = [page.extract_text() or "" for page in reader.pages]
    text = "\n".join(p.strip() for p in pages if p.strip())
    visible = re.sub(r"\s+", "", text)
    if visible and garbled_share(visible) > 0.3:
        raise Unreadable("garbled", f"共 {len(pages)} 页")
    return text, bool(pages) and len(visible) < SCAN_CHARS_PER_PAGE * len(pages)


def garbled_share(visible: str) -> float:
    """Share of characters that are no text: control codes, private use, replacement."""
    bad = sum(1 for ch in visible if ord(ch) < 0x20 or 0xE000 <= ord(ch) <= 0xF8FF or ch == "\ufffd")
    return bad / len(visible)


# --- Office Open XML --------------------------------------------------------------

def docx_text(data: bytes) -> str:
    import docx

    check_zip(data)
    document = docx.Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("\t".join(cell.text.strip() for cell in row.cells))
    return "\n".join(line for line in lines if line.strip())


def xlsx_text(data: bytes) -> str:
    import openpyxl

    check_zip(data)
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    lines = []
    for sheet in workbook.worksheets:
        lines.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            cells = [str(v).strip() for v in row if v is not None and str(v).strip()]
            if cells:
                lines.append("\t".join(cells))
    workbook.close()
    return "\n".join(lines)


# --- OLE: Word 97 (.doc, WPS's .wps) and BIFF8 (.xls, WPS's .et) ----------------------

def ole_text(data: bytes) -> tuple[str, str]:
    """(kind, text) of an OLE compound file, by the streams it holds."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except OSError as exc:
        raise Unreadable("broken", f"OLE 容器无法读取: {exc}") from None
    with ole:
        if ole.exists("WordDocument"):
            return "doc", word97_text(ole)
        if ole.exists("Workbook") or ole.exists("Book"):
            return "xls", xls_text(data)
        if ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage"):
            raise Unreadable("encrypted", "加密的 Office 文档")
        if ole.exists("PowerPoint Document"):
            raise Unreadable("unsupported", "PowerPoint 演示文稿 (.ppt/.dps)")
        streams = ", ".join("/".join(e) for e in ole.listdir()[:5])
        raise Unreadable("unsupported", f"未知的 OLE 文档（{streams}）")


# Word's marks inside the text stream ([MS-DOC] 2.8.25): paragraph, line and page
# breaks become newlines, table cells tabs, objects and footnote marks nothing.
WORD_MARKS = str.maketrans({"\r": "\n", "\x0b": "\n", "\x0c": "\n", "\x1e": "-", "\xa0": " ",
                            "\x1f": None, "\x01": None, "\x02": None, "\x05": None, "\x08": None})
FIELD_BEGIN, FIELD_SEPARATOR, FIELD_END = "\x13", "\x14", "\x15"


def word97_text(ole) -> str:
    """The main document text of a Word 97–2003 file through its piece table ([MS-DOC]
    2.4.1 "Retrieving Text"): text runs are 8-bit (cp1252) or UTF-16 pieces anywhere in
    the WordDocument stream, so fast-saved files read right and CJK text is UTF-16."""
    word = ole.openstream("WordDocument").read()
    if len(word) < 0x200:
        raise Unreadable("broken", "WordDocument 流过短")
    ident, nfib = struct.unpack_from("<HH", word, 0)
    flags = struct.unpack_from("<H", word, 0x0A)[0]
    if ident != 0xA5EC:
        raise Unreadable("broken", "不是 Word 文档")
    if flags & 0x0100:
        raise Unreadable("encrypted", "Word 文档有打开密码")
    if nfib < 101:
        raise Unreadable("unsupported", f"Word 6/95 或更早的格式 (nFib {nfib})")
    table_name = "1Table" if flags & 0x0200 else "0Table"
    if not ole.exists(table_name):
        raise Unreadable("broken", f"缺少 {table_name} 流")
    table = ole.openstream(table_name).read()
    csw = struct.unpack_from("<H", word, 32)[0]
    lw_at = 34 + csw * 2 + 2
    cslw = struct.unpack_from("<H", word, lw_at - 2)[0]
    ccp_text = struct.unpack_from("<i", word, lw_at + 3 * 4)[0]
    fc_at = lw_at + cslw * 4 + 2
    fc_clx, lcb_clx = struct.unpack_from("<II", word, fc_at + 33 * 8)
    clx = table[fc_clx:fc_clx + lcb_clx]
    at = 0
    while at < len(clx) and clx[at] == 0x01:  # Prc: property modifiers, skipped
        at += 3 + struct.unpack_from("<h", clx, at + 1)[0]
    if at >= len(clx) or clx[at] != 0x02:
        raise Unreadable("broken", "找不到 Word 文档的文本片段表")
    lcb = struct.unpack_from("<I", clx, at + 1)[0]
    plc = clx[at + 5:at + 5 + lcb]
    count = (lcb - 4) // 12
    cps = struct.unpack_from(f"<{count + 1}I", plc, 0)
    pieces = []
    for index in range(count):
        start, end = cps[index], min(cps[index + 1], ccp_text)
        if start >= end:
            continue
        raw = struct.unpack_from("<I", plc, 4 * (count + 1) + 8 * index + 2)[0]
        if raw & 0x40000000:
            offset = (raw & 0x3FFFFFFF) // 2
            pieces.append(word[offset:offset + end - start].decode("cp1252", "replace"))
        else:
            offset = raw & 0x3FFFFFFF
            pieces.append(word[offset:offset + 2 * (end - start)].decode("utf-16-le", "replace"))
    return tidy_word_text(drop_field_codes("".join(pieces)))


def drop_field_codes(text: str) -> str:
    """Keep a field's shown result, drop its code ({ HYPERLINK "…" } , { PAGE })."""
    out: list[str] = []
    in_code: list[bool] = []  # one flag per open field: still in its code part
    for ch in text:
        if ch == FIELD_BEGIN:
            in_code.append(True)
        elif ch == FIELD_SEPARATOR and in_code:
            in_code[-1] = False
        elif ch == FIELD_END and in_code:
            in_code.pop()
        elif not (in_code and in_code[-1]):
            out.append(ch)
    return "".join(out)


def tidy_word_text(text: str) -> str:
    # A row ends with its last cell's mark and the row mark: two marks, one line.
    text = text.replace("\x07\x07", "\n").replace("\x07", "\t").translate(WORD_MARKS)
    text = re.sub(r"[\x00-\x08\x0e-\x1f]", "", text)
    lines = (line.strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def xls_text(data: bytes) -> str:
    """Every sheet's cells, a row a line; dates as ISO dates, whole numbers without .0."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise Unreadable("encrypted", "Excel 文件有打开密码") from None
        raise Unreadable("broken", f"xlrd: {exc}") from None
    lines = []
    for index in range(book.nsheets):
        sheet = book.sheet_by_index(index)
        lines.append(sheet.name)
        for row in range(sheet.nrows):
            cells = [cell_text(book, cell) for cell in sheet.row(row)]
            cells = [c for c in cells if c]
            if cells:
                lines.append("\t".join(cells))
        book.unload_sheet(index)
    book.release_resources()
    return "\n".join(lines)


def cell_text(book, cell) -> str:
    import xlrd

    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            moment = xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return str(cell.value)
        return moment.date().isoformat() if moment.time() == dt.time() else moment.isoformat(" ")
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        return str(int(cell.value)) if float(cell.value).is_integer() else str(cell.value)
    if cell.ctype in (xlrd.XL_CELL_TEXT,):
        return str(cell.value).strip()
    return ""


# --- OFD (GB/T 33190) -------------------------------------------------------------

def ofd_text(data: bytes) -> tuple[str, bool]:
    """Text of an OFD package: OFD.xml names each document's root, whose page list
    gives the pages in order; a page's text is in its TextObject/TextCode elements,
    after the text of the template pages it draws on. Text codes on one baseline are
    one line (producers often cut a line into many TextObjects)."""
    archive = check_zip(data)
    package = OfdPackage(archive)
    lines: list[str] = []
    page_count = 0
    for doc_path in package.documents():
        document = package.xml(doc_path)
        templates = {t.get("ID"): package.resolve(doc_path, t.get("BaseLoc", ""))
                     for t in iter_named(document, "TemplatePage")}
        for page in iter_named(document, "Page"):
            page_count += 1
            content_path = package.resolve(doc_path, page.get("BaseLoc", ""))
            content = package.xml(content_path)
            if content is None:
                continue
            for used in iter_named(content, "Template"):
                template = templates.get(used.get("TemplateID"))
                if template and package.xml(template) is not None:
                    lines += text_lines(package.xml(template))
            lines += text_lines(content)
    text = "\n".join(line for line in lines if line.strip())
    if page_count == 0:
        raise Unreadable("broken", "OFD 没有页面")
    visible = len(re.sub(r"\s+", "", text))
    return text, visible < SCAN_CHARS_PER_PAGE * page_count


class OfdPackage:
    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        # Producers differ in case and in slashes ("Doc_0\\Pages\\…" from Windows tools).
        self.names = {self.key(n): n for n in archive.namelist()}
        self.cache: dict[str, object] = {}

    @staticmethod
    def key(name: str) -> str:
        return posixpath.normpath("/" + name.replace("\\", "/").lstrip("/")).lower()

    def resolve(self, base_file: str, location: str) -> str:
        location = location.strip().replace("\\", "/")
        if location.startswith("/"):
            return location
        return posixpath.join(posixpath.dirname("/" + base_file.lstrip("/")), location)

    def xml(self, path: str):
        key = self.key(path)
        if key not in self.cache:
            name = self.names.get(key)
            self.cache[key] = parse_xml(self.archive.read(name)) if name else None
        return self.cache[key]

    def documents(self) -> list[str]:
        root = self.xml("OFD.xml")
        if root is None:
            raise Unreadable("broken", "缺少 OFD.xml")
        return [self.resolve("OFD.xml", el.text or "") for el in iter_named(root, "DocRoot")
                if (el.text or "").strip()]


def parse_xml(raw: bytes):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, recover=True)
    return etree.fromstring(raw, parser)


def iter_named(root, name: str):
    """Elements of a local name, whatever namespace prefix the producer used."""
    if root is None:
        return
    for element in root.iter():
        tag = element.tag
        if isinstance(tag, str) and tag.rsplit("}", 1)[-1] == name:
            yield element


def text_lines(root) -> list[str]:
    lines: list[str] = []
    current: list[str] = []
    baseline = None
    for text_object in iter_named(root, "TextObject"):
        box = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", text_object.get("Boundary", ""))]
        top = box[1] if len(box) > 1 else 0.0
        size = float(text_object.get("Size") or 3.5)
        for code in iter_named(text_object, "TextCode"):
            y = top + float(code.get("Y") or 0)
            if baseline is not None and abs(y - baseline) > size / 2:
                lines.append("".join(current))
                current = []
            baseline = y
            current.append(code.text or "")
    if current:
        lines.append("".join(current))
    return lines


# --- other ------------------------------------------------------------------------

def html_text(data: bytes) -> str:
    import lxml.html

    from crawler.encoding import decode_bytes

    document = lxml.html.document_fromstring(decode_bytes(data, "")[0])
    for junk in document.xpath("//script|//style"):
        junk.drop_tree()
    lines = (line.strip() for line in document.text_content().splitlines())
    return "\n".join(line for line in lines if line)


def plain_text(data: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if garbled_share(re.sub(r"\s+", "", text) or "x") > 0.05:
            break  # decodes, but it is binary (an old WPS file, an image…)
        return text
    raise Unreadable("unsupported", "无法识别的二进制格式")


def extract(data: bytes) -> dict:
    result = {"text": "", "no_text_layer": False, "kind": "", "error": ""}
    try:
        kind = sniff(data)
        result["kind"] = kind
        if kind == "pdf":
            result["text"], result["no_text_layer"] = pdf_text(data)
        elif kind == "docx":
            result["text"] = docx_text(data)
        elif kind == "xlsx":
            result["text"] = xlsx_text(data)
        elif kind == "ofd":
            result["text"], result["no_text_layer"] = ofd_text(data)
        elif kind == "ole":
            result["kind"], result["text"] = ole_text(data)
        elif kind == "html":
            result["text"] = html_text(data)
        elif kind == "text":
            result["text"] = plain_text(data)
        elif kind == "zip":
            check_zip(data)
            result["error"] = "unsupported: 压缩包（仅保留链接）"
        else:
            result["error"] = f"unsupported: {kind.upper()}"
    except Unreadable as exc:
        result["error"] = f"{exc.args[0]}: {exc.args[1]}"[:300]
    except Refused as exc:
        result["error"] = f"refused: {exc}"
    except Exception as exc:  # a broken file is reported, never fatal
        result["error"] = f"broken: {exc.__class__.__name__}: {str(exc)[:200]}"
    result["text"] = result["text"][:MAX_TEXT]
    return result


def main() -> None:
    data = sys.stdin.buffer.read()
    sys.stdout.write(json.dumps(extract(data), ensure_ascii=False))


if __name__ == "__main__":
    main()
