"""Every attachment format county sites use, read in the limited child process, from real
or tool-made sample files; a file that still gives no text says why."""
from __future__ import annotations

import io
import zipfile

import pytest

from crawler.attachments import ExtractionLimits, extract_text
from tests.crawler.site import (cjk_pdf, encrypted_word, ofd_bytes, sample, simple_pdf,
                                without_unicode_maps)

LIMITS = ExtractionLimits(seconds=30)


def read(data: bytes):
    result = extract_text(data, LIMITS)
    return result


@pytest.mark.parametrize("name, kind, expected", [
    ("notice.doc", "doc", ["一、申报条件：在长沙县注册、具有独立法人资格的中小微企业。",
                           "受理地址\t长沙县星沙街道开元东路1号", "详见 长沙县人民政府网站。"]),
    ("notice.wps", "doc", ["申报2024年度科技创新券的通知", "咨询电话\t0731-84000000"]),
    ("table.xls", "xls", ["企业名称\t统一社会信用代码\t申报金额（万元）\t申报日期",
                          "长沙星沙智能制造有限公司\t91430121MA4L000001\t50\t2024-03-15",
                          "湖南黄花机场物流有限公司\t91430121MA4L000002\t12.5\t2024-03-18"]),
    ("table.et", "xls", ["补贴金额（万元）", "91430121MA4L000002"]),
    ("notice.pdf", "pdf", ["为支持中小企业专精特新发展，现将申报事项通知如下。"]),
    ("ofdrw-keyword2.ofd", "ofd", ["你好呀，OFD Reader&Writer！", "重庆市马上融资担保有限公司"]),
    ("ofdrw-path-unstd.ofd", "ofd", ["立案决定书", "根据《中华人民共和国刑事诉讼法》第", "犯罪嫌疑人"]),
])
def test_sample_files(name, kind, expected):
    result = read(sample(name))
    assert (result.kind, result.error, result.no_text_layer) == (kind, "", False)
    lines = result.text.splitlines()
    for phrase in expected:
        assert any(phrase in line for line in lines), (phrase, result.text)
    # Field codes and Word's marks stay out of the text.
    assert "HYPERLINK" not in result.text and "\x07" not in result.text and "\r" not in result.text


@pytest.mark.parametrize("cmap, codec, ordering, font, text", [
    ("GBK-EUC-H", "gbk", "GB1", "STSong-Light", "长沙县关于支持中小微企业纾困发展的若干措施"),
    ("UniGB-UCS2-H", "utf-16-be", "GB1", "STSong-Light", "第一条 对符合条件的企业给予租金减免。"),
    ("GB-EUC-H", "gb2312", "GB1", "STSong-Light", "湖南省人民政府办公厅"),
    ("ETen-B5-H", "big5", "CNS1", "MSung-Light", "臺灣省政府公報"),
])
def test_pdfs_in_predefined_cjk_cmaps(cmap, codec, ordering, font, text):
    second = "申報截止時間：2024年6月30日" if codec == "big5" else "申报截止时间：2024年6月30日"
    result = read(cjk_pdf([text, second], cmap, codec, ordering, font))
    assert not result.error and not result.no_text_layer
    assert text in result.text and second in result.text


def test_ofd_pages_in_document_order_with_template_text():
    data = ofd_bytes([[(30.0, "长沙县人民政府关于|印发《若干措施》|的通知"), (40.0, "第一条 研发投入 R&D 奖励")],
                      [(30.0, "第二页：申报流程")]],
                     template=[(285.0, "长沙县人民政府办公室")])
    result = read(data)
    assert result.kind == "ofd" and not result.error
    lines = result.text.splitlines()
    assert "长沙县人民政府关于印发《若干措施》的通知" in lines  # one line, though cut in three
    assert "第一条 研发投入 R&D 奖励" in lines
    assert lines.index("第一条 研发投入 R&D 奖励") < lines.index("第二页：申报流程")
    assert lines.count("长沙县人民政府办公室") == 2  # the template on both pages


def test_ofd_without_text_is_flagged_like_a_scan():
    result = read(ofd_bytes([[]]))
    assert result.kind == "ofd" and result.no_text_layer and result.text == ""


def test_word_web_page_saved_as_doc():
    html = ("<html><head><meta charset='gbk'><style>p{}</style></head><body><p>关于申报"
            "专精特新中小企业的通知</p><script>var x;</script></body></html>").encode("gbk")
    result = read(html)
    assert result.kind == "html" and "关于申报专精特新中小企业的通知" in result.text
    assert "var x" not in result.text


@pytest.mark.parametrize("make, code", [
    (lambda: without_unicode_maps(sample("notice.pdf")), "garbled"),
    (lambda: encrypted_word(sample("notice.doc")), "encrypted"),
    (lambda: b"\x00\x01WPS\x00\x00" + bytes(range(256)) * 20, "unsupported"),
    (lambda: sample("notice.doc")[:1536], "broken"),
])
def test_files_without_text_say_why(make, code):
    result = read(make())
    assert result.text == "" and result.error.startswith(code + ":"), result.error


def test_an_archive_is_kept_as_a_link_and_said_so():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("申报表.txt", "x")
    result = read(out.getvalue())
    assert result.error.startswith("unsupported:") and "压缩包" in result.error


def test_a_scan_is_not_an_error():
    result = read(simple_pdf(None))
    assert result.no_text_layer and not result.error
