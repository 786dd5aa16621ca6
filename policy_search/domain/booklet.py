"""The 政策汇编: a search compiled into the booklet a federation hands its members.

DOCX (python-docx): a cover (what was searched, how many, when), contents grouped by
category (支持方式 by default), then each policy with its 文号, issuer, dates, where it
applies, its card (惠及对象, 申报条件, 支持标准, 申报时间, 受理地址, 咨询电话) and links. XLSX
(openpyxl): one row per policy with every card and tag field, for sorting and filtering.
This module is the one adapter to both libraries.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from policy_search.domain.applicability import applicability_of
from policy_search.domain.card import CARD_FIELDS, PolicyCard
from policy_search.domain.digest import deadline_line, grouped
from policy_search.domain.models import LEVEL_NAMES, TAG_FACETS, Policy

FORMATS = ("docx", "xlsx")
MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DISCLAIMER = "本汇编由政策超市根据政府公开文件整理，政策内容以发文机关公布的原文为准。"
# Text a spreadsheet would run as a formula when it starts a cell (CSV/formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_COLUMNS = [
    ("number", "序号", 6), ("title", "标题", 48), ("doc_number", "文号", 20),
    ("issuer", "发文机关", 24), ("publish_date", "发布日期", 12), ("written_date", "成文日期", 12),
    ("level", "层级", 8), ("region", "发文地区", 12), ("applies_in", "适用地区", 16),
    ("subject", "主题分类", 20), ("doc_kind", "文件类型", 10), ("validity", "有效性", 8),
    ("effective_date", "施行日期", 12), ("expiry_date", "失效日期", 12),
    ("status", "申报状态", 10), ("deadline", "申报截止", 26),
    *[(key, label, 16) for key, label in TAG_FACETS.items()],
    *[(f"card_{key}", label, 40) for key, label in CARD_FIELDS.items()],
    ("original_url", "原文链接（政府网站）", 40), ("page_url", "本站链接", 40), ("id", "编号", 18),
]


@dataclass
class Booklet:
    """What to compile: the policies in order, their cards, and the words around them."""
    title: str
    description: str              # the search in words ("地区：长沙县；支持方式：资金补贴奖励")
    policies: list[Policy]
    cards: dict[str, PolicyCard]
    total: int                    # how many the search found (more than listed when cut)
    limit: int
    day: dt.date
    page_url: Callable[[Policy], str | None]
    original_url: Callable[[Policy], str | None]
    order: list[str] = field(default_factory=list)   # 支持方式 values in the taxonomy's order
    site_name: str = "政策超市"

    @property
    def cut(self) -> bool:
        return self.total > len(self.policies)

    def scope_note(self) -> str:
        note = f"共收录 {len(self.policies)} 条政策"
        if self.cut:
            note += f"（检索结果共 {self.total} 条，本汇编收录最新的 {len(self.policies)} 条；每册最多 {self.limit} 条）"
        return note + "。"

    def date_words(self) -> str:
        return f"{self.day.year}年{self.day.month}月{self.day.day}日"


def row_of(booklet: Booklet, number: int, policy: Policy) -> dict:
    """Every field of a policy (text, and its number), keyed like XLSX_COLUMNS."""
    card = booklet.cards.get(policy.id) or PolicyCard(policy.id)
    status, deadline = deadline_line(policy, booklet.day)
    tags = policy.active_tags()
    row = {
        "number": number, "title": policy.title, "doc_number": policy.doc_number or "",
        "issuer": policy.issuer or "", "publish_date": policy.publish_date or "",
        "written_date": policy.written_date or "",
        "level": LEVEL_NAMES.get(policy.level or "", policy.level or ""),
        "region": policy.region_name or "", "applies_in": "、".join(applicability_of(policy).names()),
        "subject": policy.subject or "", "doc_kind": policy.doc_kind or "",
        "validity": policy.validity or "", "effective_date": policy.effective_date or "",
        "expiry_date": policy.expiry_date or "", "status": status, "deadline": deadline,
        "original_url": booklet.original_url(policy) or "", "page_url": booklet.page_url(policy) or "",
        "id": policy.id,
    }
    for key in TAG_FACETS:
        row[key] = "；".join(tags.get(key, []))
    for key in CARD_FIELDS:
        row[f"card_{key}"] = "\n".join(card.values(key))
    return row


# --- XLSX ------------------------------------------------------------------------------

def write_xlsx(booklet: Booklet, out: BinaryIO) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "政策汇编"
    sheet.append([label for _, label, _ in XLSX_COLUMNS])
    for column, (_, _, width) in enumerate(XLSX_COLUMNS, 1):
        sheet.column_dimensions[get_column_letter(column)].width = width
        cell = sheet.cell(row=1, column=column)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="B3261E")
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    wrap = Alignment(vertical="top", wrap_text=True)
    for number, policy in enumerate(booklet.policies, 1):
        row = row_of(booklet, number, policy)
        for column, (key, _, _) in enumerate(XLSX_COLUMNS, 1):
            _set_text(sheet.cell(row=number + 1, column=column), row[key], wrap)
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(XLSX_COLUMNS))}{len(booklet.policies) + 1}"

    about = workbook.create_sheet("说明")
    for line in (booklet.title, f"检索条件：{booklet.description or '全部政策'}",
                 f"生成日期：{booklet.date_words()}", booklet.scope_note(), DISCLAIMER):
        about.append([line])
    about.column_dimensions["A"].width = 100
    about["A1"].font = Font(bold=True, size=14)
    workbook.save(out)


def _set_text(cell, value, alignment) -> None:
    """Text stays text: a value starting with = (or + - @) is not turned into a formula."""
    cell.value = value
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True
    cell.alignment = alignment


# --- DOCX ------------------------------------------------------------------------------

def write_docx(booklet: Booklet, out: BinaryIO) -> None:
    from docx import Document
    from docx.enum.text import WD_BREAK
    from docx.shared import Pt

    document = Document()
    _a4(document)
    _chinese_fonts(document)
    _cover(document, booklet)
    groups = grouped(booklet.policies, "support", booklet.order)
    in_order = [policy for _, members in groups for policy in members]
    numbers = {p.id: n for n, p in enumerate(in_order, 1)}  # numbered as the contents list them

    document.add_heading("目录", level=1)
    for name, members in groups:
        document.add_paragraph(f"{name}（{len(members)} 条）", style="List Bullet").runs[0].bold = True
        for policy in members:
            paragraph = document.add_paragraph(f"{numbers[policy.id]}. {policy.title}")
            paragraph.paragraph_format.left_indent = Pt(24)
            paragraph.paragraph_format.space_after = Pt(0)
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    for name, members in groups:
        document.add_heading(name, level=1)
        for policy in members:
            _policy_section(document, booklet, numbers[policy.id], policy)
    document.core_properties.title = booklet.title
    document.core_properties.subject = booklet.description or "全部政策"
    document.core_properties.author = booklet.site_name
    document.save(out)


def _a4(document) -> None:
    """A4 with 2.5 cm margins (the template is US Letter): 16 cm of text width."""
    from docx.shared import Cm

    for section in document.sections:
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.5)
        section.top_margin = section.bottom_margin = Cm(2.5)


def _chinese_fonts(document) -> None:
    """Song for the body and Hei for headings, also for CJK text (East Asian font slot)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    for style_name, font in (("Normal", "宋体"), ("Title", "黑体"), ("Heading 1", "黑体"),
                             ("Heading 2", "黑体"), ("Subtitle", "宋体")):
        style = document.styles[style_name]
        style.font.name = font
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        fonts.set(qn("w:eastAsia"), font)
    document.styles["Normal"].font.size = Pt(11)


def _cover(document, booklet: Booklet) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Pt

    for _ in range(6):
        document.add_paragraph()
    title = document.add_paragraph(booklet.title, style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    lines = [f"检索条件：{booklet.description or '全部政策'}", booklet.scope_note(),
             f"{booklet.site_name} 编 · {booklet.date_words()}"]
    for line in lines:
        paragraph = document.add_paragraph(line)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.runs[0].font.size = Pt(13)
    note = document.add_paragraph(DISCLAIMER)
    note.alignment = WD_ALIGN_PARAGRAPH.CENTER
    note.runs[0].font.size = Pt(9)
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


_FACTS = (("doc_number", "文号"), ("issuer", "发文机关"), ("publish_date", "发布日期"),
          ("written_date", "成文日期"), ("place", "层级 · 发文地区"), ("applies_in", "适用地区"),
          ("subject", "主题分类"), ("validity", "有效性"), ("deadline", "申报状态"))


def _policy_section(document, booklet: Booklet, number: int, policy: Policy) -> None:
    from docx.shared import Cm, Pt

    widths = (Cm(3.6), Cm(12.4))  # label, value: the text width of the page (_a4)

    row = row_of(booklet, number, policy)
    row["place"] = " · ".join(x for x in (row["level"], row["region"]) if x)
    row["deadline"] = row["deadline"] or row["status"]
    row["validity"] = "".join(x for x in (row["validity"], f"（施行 {row['effective_date']}）"
                                           if row["effective_date"] else "") if x)
    document.add_heading(f"{number}. {policy.title}", level=2)
    facts = [(label, row[key]) for key, label in _FACTS if row[key] and row[key] != "未知"]
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.autofit = False
    for label, value in facts:
        cells = table.add_row().cells
        cells[0].text = label
        cells[0].paragraphs[0].runs[0].bold = True
        cells[1].text = value
        cells[0].width, cells[1].width = widths
    # Word reads the cells' widths, LibreOffice and WPS the table's grid: both are set
    for column, width in zip(table.columns, widths):
        column.width = width
    card = booklet.cards.get(policy.id) or PolicyCard(policy.id)
    for key, label in CARD_FIELDS.items():
        values = card.values(key)
        if not values:
            continue
        heading = document.add_paragraph()
        heading.add_run(label).bold = True
        heading.paragraph_format.space_before = Pt(6)
        heading.paragraph_format.space_after = Pt(0)
        for value in values:
            document.add_paragraph(value, style="List Bullet")
    links = document.add_paragraph()
    links.paragraph_format.space_before = Pt(6)
    if row["original_url"]:
        links.add_run("原文（政府网站）：")
        _hyperlink(links, row["original_url"])
        links.add_run().add_break()
    if row["page_url"]:
        links.add_run("本站页面：")
        _hyperlink(links, row["page_url"])


def _hyperlink(paragraph, url: str) -> None:
    """A clickable link (python-docx writes none itself: the w:hyperlink element by hand)."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rel_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel_id)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "0B57D0")
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    props.append(color)
    props.append(underline)
    run.append(props)
    text = OxmlElement("w:t")
    text.text = url
    run.append(text)
    link.append(run)
    paragraph._p.append(link)


def write(booklet: Booklet, fmt: str, out: BinaryIO) -> None:
    if fmt == "docx":
        write_docx(booklet, out)
    elif fmt == "xlsx":
        write_xlsx(booklet, out)
    else:
        raise ValueError(f"未知的格式 {fmt}（可选：docx / xlsx）")
