"""The 政策汇编: DOCX and XLSX of a search, opened back with python-docx and openpyxl."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io

from click.testing import CliRunner
from docx import Document
from docx.shared import Cm
from openpyxl import load_workbook

from policy_search.domain.booklet import XLSX_COLUMNS
from policy_search.cli import main
from tests.web.channel_site import BASE_URL, PROXY_URL


def test_the_docx_booklet(staff, channel_site):
    response = staff.get("/staff/export.docx?region=长沙县&title=长沙县惠企政策汇编")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    assert "attachment" in response.headers["Content-Disposition"]
    document = Document(io.BytesIO(response.data))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs if p.text.strip()]
    texts = [t for _, t in paragraphs]
    # the cover: title, the search in words, how many, when
    assert ("Title", "长沙县惠企政策汇编") in paragraphs
    assert "检索条件：适用地区：长沙县" in texts
    count_line = next(t for t in texts if t.startswith("共收录"))
    count = int(count_line.split()[1])
    assert count >= 12
    # the contents, grouped by 支持方式 in the taxonomy's order, numbered 1… in that order
    contents = texts.index("目录")
    groups = [t for style, t in paragraphs if style == "List Bullet" and "条）" in t]
    assert [g.split("（")[0] for g in groups][:4] == ["资金补贴奖励", "税费减免", "融资信贷", "科技创新"]
    listed = [t for t in texts[contents:] if t[:1].isdigit() and ". " in t][:count]
    assert [int(t.split(".")[0]) for t in listed] == list(range(1, count + 1))
    # each policy: its heading, its facts, its card and its links
    headings = [t for style, t in paragraphs if style == "Heading 2"]
    assert len(headings) == count and headings[0] == listed[0]
    fund = next(h for h in headings if "长沙县中小企业发展专项资金" in h)
    table = document.tables[headings.index(fund)]
    facts = {row.cells[0].text: row.cells[1].text for row in table.rows}
    assert facts["发文机关"] == "长沙县工业和信息化局" and facts["层级 · 发文地区"] == "县 · 长沙县"
    assert facts["发布日期"] == (channel_site.today - dt.timedelta(days=7)).isoformat()
    assert facts["申报状态"].startswith("申报截止")
    assert "给予一次性奖励20万元" in texts and "0731-84011234" in texts
    links = [h.address for p in document.paragraphs for h in p.hyperlinks]
    assert f"{BASE_URL}/policy/county-fund" in links
    assert "http://www.example.gov.cn/county-fund.html" in links  # a gov.cn original
    bank = next(h for h in headings if "长沙县银行业金融机构" in h)
    facts = {row.cells[0].text: row.cells[1].text for row in document.tables[headings.index(bank)].rows}
    assert facts["文号"] == "长财发〔2026〕12号" and facts["发文机关"] == "长沙县财政局"
    measure = next(h for h in headings if "长沙县促进制造业高质量发展若干政策" in h)
    facts = {row.cells[0].text: row.cells[1].text for row in document.tables[headings.index(measure)].rows}
    assert facts["有效性"] == "有效（施行 2021-01-01）"
    assert document.core_properties.title == "长沙县惠企政策汇编"
    # an A4 page, its facts tables as wide as the text, labels narrow (Word reads the cells,
    # LibreOffice and WPS the grid)
    page = document.sections[0]
    assert (round(page.page_width.cm, 1), round(page.page_height.cm, 1)) == (21.0, 29.7)
    text_width = page.page_width - page.left_margin - page.right_margin
    for widths in ([c.width for c in table.columns], [c.width for c in table.rows[0].cells]):
        assert widths[0] < widths[1] / 3 and abs(sum(widths) - text_width) < Cm(0.2)


def test_the_docx_gives_no_original_for_a_republished_text(staff, channel_site):
    response = staff.get("/staff/export.docx?issued_region=上海市")
    document = Document(io.BytesIO(response.data))
    links = [h.address for p in document.paragraphs for h in p.hyperlinks]
    assert f"{BASE_URL}/policy/{channel_site.ids['proxy']}" in links and PROXY_URL not in links


def read_sheet(data: bytes):
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["政策汇编"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    return workbook, sheet, rows


def test_the_xlsx_has_a_row_per_policy_with_every_field(staff, channel_site):
    response = staff.get("/staff/export.xlsx?region=长沙县")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    workbook, sheet, rows = read_sheet(response.data)
    header, body = rows[0], rows[1:]
    assert header == [label for _, label, _ in XLSX_COLUMNS]
    assert sheet.freeze_panes == "C2" and sheet.auto_filter.ref.startswith("A1:")
    by_title = {row[header.index("标题")]: dict(zip(header, row)) for row in body}
    assert [row[0] for row in body] == list(range(1, len(body) + 1))
    fund = next(v for k, v in by_title.items() if k.startswith("长沙县中小企业发展专项资金"))
    assert fund["支持方式"] == "资金补贴奖励" and fund["企业类型"] == "中小企业" and fund["行业"] == "制造业"
    assert fund["支持标准"] == "给予一次性奖励20万元" and fund["咨询电话"] == "0731-84011234"
    assert fund["申报状态"] == "即将截止" and "还剩 10 天" in fund["申报截止"]
    assert fund["本站链接"] == f"{BASE_URL}/policy/county-fund"
    assert fund["原文链接（政府网站）"] == "http://www.example.gov.cn/county-fund.html"
    assert fund["适用地区"] == "长沙县" and fund["编号"] == "county-fund"
    bank = by_title["长沙县银行业金融机构支持小微企业贷款贴息办法"]
    assert bank["主题分类"] == "财政、金融、审计 › 银行" and bank["文号"] == "长财发〔2026〕12号"
    # a title that looks like a formula stays text
    formula_row = next(i for i, row in enumerate(body, 2) if str(row[1]).startswith("=HYPERLINK"))
    cell = sheet.cell(row=formula_row, column=2)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK(")
    about = [row[0].value for row in workbook["说明"].iter_rows()]
    assert "检索条件：适用地区：长沙县" in about and about[3] == f"共收录 {len(body)} 条政策。"


def test_a_large_search_is_cut_and_says_so(channel_site, tmp_path):
    from web import create_app
    from tests.web.channel_site import logged_in

    settings = dataclasses.replace(channel_site.settings, export_max_policies=3)
    app = create_app(settings, store=channel_site.store, index=channel_site.index, testing=True)
    client = logged_in(app, "staffer")
    _, _, rows = read_sheet(client.get("/staff/export.xlsx?region=长沙县").data)
    assert len(rows) == 1 + 3
    document = Document(io.BytesIO(client.get("/staff/export.docx?region=长沙县").data))
    cover = next(p.text for p in document.paragraphs if p.text.startswith("共收录"))
    assert cover.startswith("共收录 3 条政策（检索结果共 ") and "每册最多 3 条" in cover


def test_exports_are_for_staff_only(client):
    assert client.get("/staff/export.docx").status_code == 302
    assert client.get("/staff/export.pdf").status_code in (302, 404)


def test_the_export_command(channel_site, tmp_path):
    runner = CliRunner()
    out = tmp_path / "汇编.xlsx"
    result = runner.invoke(main, ["--data-dir", str(channel_site.settings.data_dir), "export",
                                  "region=长沙县", "support=资金补贴奖励", "-o", str(out), "--max", "4"])
    assert result.exit_code == 0, result.output
    assert "共收录 4 条政策（检索结果共" in result.output
    _, _, rows = read_sheet(out.read_bytes())
    assert len(rows) == 5 and all("资金补贴奖励" in row[rows[0].index("支持方式")] for row in rows[1:])
    again = tmp_path / "again.xlsx"  # the same search as the search command's options
    result = runner.invoke(main, ["--data-dir", str(channel_site.settings.data_dir), "export", "--region",
                                  "长沙县", "--support", "资金补贴奖励", "-o", str(again), "--max", "4"])
    assert result.exit_code == 0, result.output
    assert read_sheet(again.read_bytes())[2] == rows
    docx = tmp_path / "book.docx"
    result = runner.invoke(main, ["--data-dir", str(channel_site.settings.data_dir), "export",
                                  "?q=贴息", "-o", str(docx)])
    assert result.exit_code == 0, result.output
    assert any("贴息" in p.text for p in Document(str(docx)).paragraphs)
    result = runner.invoke(main, ["--data-dir", str(channel_site.settings.data_dir), "export",
                                  "-o", str(tmp_path / "book.pdf")])
    assert result.exit_code == 2 and "docx" in result.output
    assert not (tmp_path / "book.pdf").exists()
