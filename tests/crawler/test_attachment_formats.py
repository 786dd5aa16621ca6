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


COUNTY_NOTICE = "/csx-files/zwgk/202404/t20240408_5001.html"
ATTACHMENTS = {  # name on the page → (file, its bytes)
    "申报通知.doc": lambda: sample("notice.doc"),
    "申报指南.wps": lambda: sample("notice.wps"),
    "申报表.xls": lambda: sample("table.xls"),
    "汇总表.et": lambda: sample("table.et"),
    "正式文件.ofd": lambda: sample("ofdrw-keyword2.ofd"),
    "政策原文.pdf": lambda: without_unicode_maps(sample("notice.pdf")),
    "附件说明.doc": lambda: encrypted_word(sample("notice.doc")),
}


def county_source(gov_site) -> str:
    return f"""
[[source]]
id = "csx-files"
name = "长沙县 附件测试"
level = "county"
region_code = "430121"
allowed_hosts = ["127.0.0.1"]
link_pattern = '/csx-files/.*/t\\d{{8}}_\\d+\\.html'
[[source.entries]]
kind = "links"
url = "{gov_site.base}/csx-files/zwgk/index.html"
"""


@pytest.mark.slow
def test_a_crawl_reads_every_format_and_records_why_not(tmp_path, gov_site):
    from policy_search.domain.accounts import create_user
    from policy_search.domain.store import Store

    from crawler.run import crawl_sources
    from tests.crawler.conftest import make_settings
    from tests.crawler.site import Page, trs_list
    from tests.web.staff_site import NoIndex, logged_in
    from web import create_app

    links = "".join(f'<p><a href="./{i}{name[name.rindex("."):]}">{name}</a></p>'
                    for i, name in enumerate(ATTACHMENTS))
    gov_site.pages[COUNTY_NOTICE] = Page(
        ("<html><head><meta charset='utf-8'><title>长沙县关于组织申报2024年度中小企业发展专项资金的通知"
         "</title></head><body><div id='zoom'><p>各有关企业：现将申报事项通知如下，详见附件。</p>"
         f"{links}<p>长沙县工业和信息化局</p><p>2024年4月8日</p></div></body></html>").encode())
    for i, (name, make) in enumerate(ATTACHMENTS.items()):
        gov_site.pages[f"/csx-files/zwgk/202404/{i}{name[name.rindex('.'):]}"] = Page(
            make(), "application/octet-stream")
    gov_site.pages["/csx-files/zwgk/index.html"] = Page(trs_list(
        [(gov_site.base + COUNTY_NOTICE, "申报通知", "2024-04-08")], 1, 0))
    settings = make_settings(tmp_path, county_source(gov_site), crawl_delay=0.0, crawl_jitter=0.0,
                             secret_key="t", session_cookie_secure=0)
    store = Store(settings.db_path)
    [result] = crawl_sources(store, settings)
    assert result.new == 1 and result.attachments == len(ATTACHMENTS)
    [policy] = store.policies.iter_all()
    got = {a.name: a for a in policy.attachments}
    assert "具有独立法人资格的中小微企业" in got["申报通知.doc"].text
    assert "科技创新券" in got["申报指南.wps"].text
    assert "91430121MA4L000001" in got["申报表.xls"].text
    assert "补贴金额" in got["汇总表.et"].text
    assert "重庆市马上融资担保有限公司" in got["正式文件.ofd"].text
    # The short cover note takes its attachments' text: the policy is found by it.
    assert "具有独立法人资格的中小微企业" in policy.body_text
    # No text, never silently: the reason is on the attachment record…
    assert got["政策原文.pdf"].text == "" and got["政策原文.pdf"].text_error.startswith("garbled:")
    assert got["附件说明.doc"].text_error.startswith("encrypted:")
    assert all(not a.text_error for name, a in got.items() if name not in ("政策原文.pdf", "附件说明.doc"))
    assert result.status == "partial" and any("附件无法提取文字" in r for _, r in result.failures)
    # …on the policy page, and counted per source on the admin sources page.
    create_user(store, "boss", "admin-password-1", "admin")
    app = create_app(settings, store=store, index=NoIndex(), testing=True)
    client = logged_in(app, "boss")
    sources_page = client.get("/admin/sources").get_data(as_text=True)
    assert "附件未能提取文字" in sources_page
    assert "PDF 字体缺少 Unicode 映射，文字无法还原 1 个" in sources_page
    assert "文件已加密 1 个" in sources_page
    policy_page = client.get(f"/policy/{policy.id}").get_data(as_text=True)
    assert "未能提取文字：PDF 字体缺少 Unicode 映射，文字无法还原（共 1 页）" in policy_page
    assert "未能提取文字：文件已加密（Word 文档有打开密码）" in policy_page
    store.close()
