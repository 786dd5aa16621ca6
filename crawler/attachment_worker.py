"""Attachment text extraction, run in a child process with time and memory limits.

Reads the file's bytes on stdin, writes {"text", "no_text_layer", "kind", "error"} as JSON
on stdout. Parsers of untrusted PDFs and Office files can hang or balloon: the parent
kills this process when it runs over, and zip-based formats are checked for bombs first.
"""
from __future__ import annotations

import io
import json
import re
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


def sniff(data: bytes) -> str:
    if data.startswith(b"%PDF"):
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
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"  # .doc/.xls/.wps: no kept pure-Python reader
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


def pdf_text(data: bytes) -> tuple[str, bool]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    pages = [page.extract_text() or "" for page in reader.pages]
    text = "\n".join(p.strip() for p in pages if p.strip())
    visible = len(re.sub(r"\s+", "", text))
    return text, bool(pages) and visible < SCAN_CHARS_PER_PAGE * len(pages)


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


def ofd_text(data: bytes) -> str:
    """OFD (GB/T 33190) is a zip of XML pages; the text sits in TextCode elements."""
    archive = check_zip(data)
    pages = sorted((n for n in archive.namelist()
                    if re.search(r"Pages/Page_?\d+/Content\.xml$", n, re.I)),
                   key=lambda n: int(re.search(r"Page_?(\d+)", n).group(1)))
    lines = []
    for name in pages:
        xml = archive.read(name).decode("utf-8", "replace")
        texts = re.findall(r"<(?:ofd:)?TextCode[^>]*>(.*?)</(?:ofd:)?TextCode>", xml, re.S)
        lines.append("".join(texts))
    return "\n".join(line for line in lines if line.strip())


def plain_text(data: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


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
            result["text"] = ofd_text(data)
        elif kind == "text":
            result["text"] = plain_text(data)
        else:
            check_zip(data) if kind == "zip" else None
            result["error"] = f"unsupported:{kind}"
    except Refused as exc:
        result["error"] = f"refused:{exc}"
    except Exception as exc:  # a broken file is reported, never fatal
        result["error"] = f"parse:{exc.__class__.__name__}: {str(exc)[:200]}"
    result["text"] = result["text"][:MAX_TEXT]
    return result


def main() -> None:
    data = sys.stdin.buffer.read()
    sys.stdout.write(json.dumps(extract(data), ensure_ascii=False))


if __name__ == "__main__":
    main()
