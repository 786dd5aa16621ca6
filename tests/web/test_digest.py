"""The 公众号 digest: the period, what it lists and how, each format (the wechat one pastes
into the 公众号 editor: inline styles only, nothing external), the staff page and the CLI."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from policy_search.cli import main
from policy_search.domain.digest import PeriodError, period_start, summary_line
from policy_search.domain.models import Policy
from policy_search.domain.card import CardItem, PolicyCard
from tests.web.channel_site import BASE_URL

TODAY = dt.date(2024, 5, 13)
# What the 公众号 editor keeps: these elements, each with a style attribute and nothing else
# (an <a> also its href).
WECHAT_TAGS = {"section", "p", "a", "strong", "span", "br"}


@pytest.mark.parametrize("since, start", [
    ("7d", dt.date(2024, 5, 6)), ("1d", dt.date(2024, 5, 12)), ("2w", dt.date(2024, 4, 29)),
    ("1m", dt.date(2024, 4, 13)), (" 3天 ", dt.date(2024, 5, 10)), ("2024-05-01", dt.date(2024, 5, 1)),
])
def test_period_start(since, start):
    assert period_start(since, TODAY) == start


@pytest.mark.parametrize("since", ["", "7", "7x", "0d", "400d", "2024-13-01", "2024-06-01", "2020-01-01"])
def test_a_period_it_cannot_read_is_refused_in_chinese(since):
    with pytest.raises(PeriodError) as info:
        period_start(since, TODAY)
    assert re.search(r"[\u4e00-\u9fff]", str(info.value))


def test_the_summary_is_the_support_standard_else_a_sentence_that_says_something():
    policy = Policy(id="p", title="t", body_text=(
        "各县市区人民政府：\n为贯彻落实省委部署，现将有关事项通知如下：\n一、支持对象\n"
        "对新认定的专精特新企业给予一次性奖励，每家最高不超过五十万元，所需资金由县财政统筹安排，"
        "经县工业和信息化局会同县财政局审核并报县人民政府同意后，按规定程序及时足额拨付到申报企业账户。"))
    assert summary_line(policy, None).startswith("对新认定的专精特新企业给予一次性奖励")
    assert len(summary_line(policy, None)) <= 80 and summary_line(policy, None).endswith("…")
    card = PolicyCard("p", {"support": [CardItem("（一）按研发投入的10%给予奖补，最高100万元。")]})
    assert summary_line(policy, card) == "按研发投入的10%给予奖补，最高100万元。"
    assert summary_line(Policy(id="q", title="t"), None) == ""


@pytest.mark.parametrize("title", ["北京市图书馆条例", "取水许可和水资源费征收管理条例",
                                   "国务院办公厅关于印发《政府网站集约化试点工作方案》的通知"])
def test_the_summary_skips_the_repeated_title_the_purpose_article_and_the_doc_number(title):
    import json

    from policy_search.domain.importer import policy_from_record
    from tests.conftest import shared_path

    with open(shared_path("corpus", "documents.jsonl"), encoding="utf-8") as f:
        [policy] = [policy_from_record(r) for r in map(json.loads, f) if r["title"] == title]
    line = summary_line(policy, None)
    assert len(line) >= 8 and not line.startswith(("第一条", title[:8])), line
    assert not re.match(r"为(了)?.*制定本", line) and "〔" not in line[:20], line


def digest_page(client, query: str):
    response = client.get("/staff/digest?" + query)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response, lxml_html.fromstring(response.get_data(as_text=True))


def test_the_wechat_format_uses_inline_styles_only(staff, channel_site):
    response, tree = digest_page(staff, "region=长沙县&since=7d")
    source = tree.xpath("//textarea[@id='digest-source']")[0].text_content()
    assert "<style" not in source and "<script" not in source and "<link" not in source
    fragment = lxml_html.fragment_fromstring(source, create_parent="div")
    elements = list(fragment.iterdescendants())
    assert len(elements) > 20
    for element in elements:
        assert element.tag in WECHAT_TAGS, element.tag
        allowed = {"style", "href"} if element.tag == "a" else {"style"}
        assert set(element.attrib) <= allowed and element.get("style"), (element.tag, element.attrib)
        assert "url(" not in element.get("style")  # no background images or fonts to fetch
    for a in fragment.iter("a"):
        assert a.get("href").startswith(BASE_URL + "/policy/")
    text = fragment.text_content()
    # the new ones of the period, grouped by 支持方式 in the taxonomy's order, each once
    assert text.index("资金补贴奖励（") < text.index("税费减免（") < text.index("融资信贷（") < text.index("科技创新（")
    assert "长沙县中小企业发展专项资金" in text and "长沙县银行业金融机构支持小微企业贷款贴息办法" in text
    assert text.count("长沙县中小企业发展专项资金") == 1
    assert "长沙县促进制造业发展若干政策" not in text  # published 2018: not new
    assert "小微企业融资支持措施" not in text          # national, 2019
    assert "上海市政府工作报告" not in text              # not where 长沙县 enterprises are
    # summary from the card's 支持标准, the deadline with days left
    assert "给予一次性奖励20万元" in text
    assert "长沙县财政局 · 长财发〔2026〕12号 · " in text  # issuer, 文号, date
    assert re.search(r"申报截止 \d{4}-\d\d-\d\d（还剩 10 天）", text)
    # crawled text stays text
    assert "<script>" not in source.replace("&lt;script&gt;", "") and "&lt;script&gt;" in source
    # the preview shows it rendered; the page lets style attributes through, no scripts
    assert tree.xpath("//div[@id='digest-preview']//section")
    csp = response.headers["Content-Security-Policy"]
    assert "style-src-attr 'unsafe-inline'" in csp and "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp.split("style-src-attr")[0]


def test_the_other_formats(staff):
    _, tree = digest_page(staff, "region=长沙县&since=7d&format=html")
    page = tree.xpath("//textarea[@id='digest-source']")[0].text_content()
    assert page.startswith("<!doctype html>") and "<style>" in page and "<script" not in page
    assert '<p class="group">资金补贴奖励（' in page and f'<a href="{BASE_URL}/policy/' in page
    assert not tree.xpath("//div[@id='digest-preview']")  # a whole page is not previewed inline
    _, tree = digest_page(staff, "region=长沙县&since=7d&format=markdown&group=kind")
    markdown = tree.xpath("//textarea[@id='digest-source']")[0].text_content()
    assert markdown.startswith("# 惠企政策速递")
    # grouped by 文件类型 in its own order (惠企措施, 申报通知 … 其他)
    kinds = re.findall(r"^## (\S+?)（\d+）$", markdown, re.M)
    assert kinds[:2] == ["惠企措施", "申报通知"] and kinds[-1] == "其他"
    assert re.search(r"^## 申报通知（\d+）\n\n1\. \*\*\[长沙县中小企业发展专项资金", markdown, re.M)
    assert re.search(r"^1\. \*\*\[长沙县.+\]\(<https://zcss\.example\.gov\.cn/policy/", markdown, re.M)
    assert "\\<script\\>" in markdown  # markdown's own markup escaped
    _, tree = digest_page(staff, "region=长沙县&since=7d&format=text&group=none")
    text = tree.xpath("//textarea[@id='digest-source']")[0].text_content()
    assert "【" not in text  # no groups
    assert re.search(r"^1\. ", text, re.M) and f"{BASE_URL}/policy/" in text


def test_the_period_and_search_narrow_it_and_errors_say_why(staff, channel_site):
    _, tree = digest_page(staff, "region=长沙县&since=3d&format=text")
    text = tree.xpath("//textarea[@id='digest-source']")[0].text_content()
    assert "长沙县银行业金融机构" in text and "长沙县中小企业发展专项资金" not in text  # 7 days old
    _, tree = digest_page(staff, "region=长沙县&support=税费减免&since=7d&format=text")
    text = tree.xpath("//textarea[@id='digest-source']")[0].text_content()
    assert "共 1 条" in text and "支持方式：税费减免" in text
    _, tree = digest_page(staff, "since=soon")
    assert "无法识别的时间段" in tree.xpath("//p[@role='alert']")[0].text_content()
    assert staff.get("/staff/digest?level=nowhere").status_code == 400


def test_the_digest_downloads_and_is_for_staff_only(staff, client):
    response = staff.get("/staff/digest?region=长沙县&since=7d&format=markdown&download=1")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert ".md" in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True).startswith("# 惠企政策速递")
    assert client.get("/staff/digest").status_code == 302  # to the login


def test_the_command_writes_each_format(channel_site, tmp_path):
    runner = CliRunner()
    base = ["--data-dir", str(channel_site.settings.data_dir), "digest", "--since", "7d"]
    out = tmp_path / "digest.html"
    result = runner.invoke(main, [*base, "region=长沙县&support=资金补贴奖励", "--format", "wechat",
                                  "--base-url", "https://site.example.gov.cn", "-o", str(out)])
    assert result.exit_code == 0, result.output
    wechat = out.read_text(encoding="utf-8")
    assert "<style" not in wechat and "https://site.example.gov.cn/policy/" in wechat
    assert "资金补贴奖励（" in wechat and "税费减免（" not in wechat
    result = runner.invoke(main, [*base, "region=长沙县", "--format", "text"])
    assert result.exit_code == 0, result.output
    assert f"{BASE_URL}/policy/" in result.stdout  # public_base_url of the data directory
    # the form: the search command's filter options, its words, mixed with parameters
    result = runner.invoke(main, [*base, "--region", "长沙县", "--support", "资金补贴奖励",
                                  "--format", "wechat"])
    assert result.exit_code == 0, result.output
    assert result.stdout == wechat.replace("https://site.example.gov.cn", BASE_URL)
    result = runner.invoke(main, [*base, "贴息", "--region", "长沙县", "--format", "text"])
    assert result.exit_code == 0, result.output
    assert "关键词“贴息”；适用地区：长沙县" in result.stdout and "长沙县银行业金融机构" in result.stdout
    assert "长沙县科技创新券" not in result.stdout
    result = runner.invoke(main, [*base, "q=银行业", "support=融资信贷", "贴息", "--format", "text"])
    assert result.exit_code == 0, result.output
    assert "关键词“银行业 贴息”；支持方式：融资信贷" in result.stdout
    result = runner.invoke(main, [*base, "--region", "长沙县", "--level", "nowhere"])
    assert result.exit_code == 2 and "level" in result.output
    result = runner.invoke(main, [*base, "regoin=长沙县"])
    assert result.exit_code == 2 and "未知的检索参数 regoin" in result.output
    result = runner.invoke(main, [*base[:-1], "next week"])
    assert result.exit_code == 2 and "无法识别的时间段" in result.output


@pytest.mark.parametrize("fmt", ["wechat", "html", "markdown", "text"])
def test_an_empty_period_says_so_in_every_format(fmt):
    from policy_search.domain.digest import EMPTY, FOOTER, build_digest, render

    digest = build_digest([], {}, start=dt.date(2024, 5, 6), end=TODAY, title="本周新政策",
                          link_for=lambda p: None, more_link="https://zcss.example.gov.cn/?q=补贴")
    text = render(digest, fmt)
    assert digest.count == 0 and "共 0 条新发布政策" in text
    assert EMPTY in text and FOOTER in text and "https://zcss.example.gov.cn/?q=补贴" in text
    if fmt == "wechat":
        assert "<style" not in text and "class=" not in text
