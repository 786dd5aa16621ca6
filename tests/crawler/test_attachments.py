import pytest

from crawler.attachment_worker import extract
from crawler.attachments import ExtractionLimits, extract_text, merge_cover_note
from policy_search.domain.models import Attachment
from tests.crawler.site import docx_bytes, simple_pdf, xlsx_bytes, zip_bomb_docx


def test_formats_and_scan_flag():
    assert "hello policy" in extract(simple_pdf("hello policy"))["text"]
    scan = extract(simple_pdf(None))
    assert scan["no_text_layer"] and scan["text"] == ""
    assert "申报条件" in extract(docx_bytes(["申报条件：小微企业"]))["text"]
    assert "金额" in extract(xlsx_bytes([["名称", "金额"]]))["text"]
    assert extract(b"\xd0\xcf\x11\xe0old word")["error"].startswith("unsupported")


def test_zip_bomb_refused_without_inflating():
    result = extract(zip_bomb_docx())
    assert result["error"].startswith("refused") and result["text"] == ""


@pytest.mark.slow
def test_child_process_time_and_memory_limits():
    result = extract_text(simple_pdf("limited"), ExtractionLimits(seconds=20, memory_bytes=1_500_000_000))
    assert "limited" in result.text and not result.error
    starved = extract_text(simple_pdf("x"), ExtractionLimits(seconds=20, memory_bytes=30_000_000))
    assert "MemoryError" in starved.error or "memory" in starved.error
    slow = extract_text(simple_pdf("x"), ExtractionLimits(seconds=0.01))
    assert slow.error.startswith("timeout")


def test_cover_note_gets_attachment_text():
    attachments = [Attachment(name="方案.pdf", url="u", text="第一条 支持措施")]
    assert "第一条 支持措施" in merge_cover_note("现印发给你们。", attachments)
    long_body = "正文" * 300
    assert merge_cover_note(long_body, attachments) == long_body
