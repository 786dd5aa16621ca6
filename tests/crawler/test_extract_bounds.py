"""Hostile pages cost the extractor bounded work: deep nesting, huge numbers of elements
and links. Cost is measured as work done (tree size and depth, characters read by
get_text), never as time, so the tests hold on a loaded machine."""
from __future__ import annotations

import json

import pytest
from bs4 import Tag

from crawler import extract
from crawler.extract import MAX_DEPTH, MAX_ELEMENTS, MAX_LINKS, extract_page, parse_html
from tests.crawler.test_crawl_cli import run

URL = "http://www.csx.gov.cn/zwgk/t20240301_1.html"


def tree_depth_and_size(soup) -> tuple[int, int]:
    deepest, count = 0, 0
    stack = [(soup, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        for child in node.children:
            if isinstance(child, Tag):
                count += 1
                stack.append((child, depth + 1))
    return deepest, count


@pytest.fixture
def text_read(monkeypatch):
    """Characters returned by Tag.get_text during a test: a quadratic walk shows here."""
    total = [0]
    original = Tag.get_text

    def counting(self, *args, **kwargs):
        text = original(self, *args, **kwargs)
        total[0] += len(text)
        return text

    monkeypatch.setattr(Tag, "get_text", counting)
    return total


def test_unclosed_spans_are_read_without_recursion():
    html = "<html><body><div id=content><p>正文内容。" + "<span>第x段" * 100_000 + "</p></div></body></html>"
    page = extract_page(html, URL)  # was: RecursionError
    assert page.body_text.startswith("正文内容。")
    # libxml2 reads 2,048 levels; every level read keeps its text
    assert page.body_text.count("第x段") >= 2000
    depth, _ = tree_depth_and_size(parse_html(html))
    assert depth <= MAX_DEPTH + 2


def test_nested_divs_keep_their_text_in_a_bounded_tree(text_read):
    html = "<html><body>" + "<div>文字" * 10_000 + "</div>" * 10_000 + "</body></html>"
    soup = parse_html(html)
    depth, size = tree_depth_and_size(soup)
    assert depth <= MAX_DEPTH + 2 and size <= MAX_DEPTH + 2
    assert soup.get_text().count("文字") >= 2040  # all that libxml2 read (2,048 levels)
    page = extract_page(html, URL)
    assert page.body_text.count("文字") >= 1800  # the innermost block: past the bound
    # every tree walk is bounded by the flattened tree, not depth × size of the input
    assert text_read[0] < 200 * len(html)


@pytest.mark.slow
def test_many_elements_past_the_bound_keep_their_text():
    cells = "".join(f"<tr><td>第{i}行</td><td>值</td></tr>" for i in range(MAX_ELEMENTS))
    html = f"<html><body><div id=content><p>前言。</p><table>{cells}</table><p>结尾段落。</p></div></body></html>"
    soup = parse_html(html)
    _, size = tree_depth_and_size(soup)
    assert size <= MAX_ELEMENTS
    text = soup.get_text()
    assert f"第{MAX_ELEMENTS - 1}行" in text and "结尾段落。" in text


@pytest.mark.slow
def test_a_page_of_links_reads_only_the_first_links(text_read):
    links = "".join(f'<a href="/jd/{i}.html">相关解读：政策解读第{i}号</a>' for i in range(3 * MAX_LINKS))
    files = "".join(f'<a href="/f/{i}.pdf">附件{i}</a>' for i in range(3 * MAX_LINKS))
    html = (f"<html><head><title>关于支持企业发展的通知</title></head><body><div id=content>"
            f"<p>正文内容正文内容正文内容。</p>{links}{files}</div></body></html>")
    page = extract_page(html, URL)
    assert len(page.interpretation_urls) == MAX_LINKS
    assert page.attachments == []  # the attachment links all came after the cap
    assert len({a.url for a in page.attachments}) == len(page.attachments)
    # the links past the cap keep their words in the body
    assert f"政策解读第{3 * MAX_LINKS - 1}号" in page.body_text
    # each link's context is read from the start of its line, not the whole page
    assert text_read[0] < 20 * len(html)


def test_attachment_links_within_the_cap_are_found():
    files = "".join(f'<a href="/f/{i}.pdf">附件{i}</a>' for i in range(50))
    page = extract_page(f"<html><body><div id=content><p>正文正文正文。</p>{files}</div></body></html>", URL)
    assert len(page.attachments) == 50


@pytest.mark.slow
def test_bare_labels_in_a_large_parent_read_little(text_read):
    labels = "".join(f"<span>标题</span><i>{'文' * 20}</i>" for _ in range(3000))
    html = f"<html><body><div>{labels}</div><div id=content><p>正文正文。</p></div></body></html>"
    extract_page(html, URL)
    assert text_read[0] < 20 * len(html)


@pytest.mark.slow
def test_list_page_of_links_in_one_block_is_read_in_bounded_work(text_read):
    from crawler.discover import parse_link_list

    links = "".join(f'<a href="/zwgk/t20240301_{i}.html">关于第{i}号文件的通知</a> 2024-03-01 '
                    for i in range(3 * MAX_LINKS))
    html = f"<html><body><div class=list>{links}</div></body></html>"
    page = parse_link_list(html, "http://www.csx.gov.cn/zwgk/index.html", lambda url: True)
    assert len(page.items) == MAX_LINKS
    assert page.items[0].title == "关于第0号文件的通知" and page.items[0].date == "2024-03-01"
    assert text_read[0] < 20 * len(html)


def test_empty_and_blank_pages():
    for html in ("", "   ", "<html></html>"):
        page = extract_page(html, URL)
        assert page.body_text == "" and page.attachments == []


def test_extract_command_refuses_a_file_over_the_crawl_cap(tmp_path, gov_site):
    page = tmp_path / "big.html"
    page.write_bytes(b"<html><body>" + b"a" * 3_000 + b"</body></html>")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "config.toml").write_text("crawl_max_bytes = 2000\n")
    result = run(tmp_path, gov_site, "extract", str(page), "--json")
    assert result.exit_code == 1
    assert "超过上限 2000 字节" in result.output and "crawl_max_bytes" in result.output
    small = tmp_path / "small.html"
    small.write_text("<html><head><title>小页面的标题</title></head><body><p>正文</p></body></html>", "utf-8")
    result = run(tmp_path, gov_site, "extract", str(small), "--json")
    assert result.exit_code == 0 and json.loads(result.output)["title"] == "小页面的标题"


def test_bounds_are_far_above_real_pages(shared_pages):
    """The shared real pages come through parse_html unchanged in size and depth."""
    from crawler.encoding import decode_bytes

    for path in sorted(shared_pages.glob("*/*.htm*"))[:20]:
        html = decode_bytes(path.read_bytes())[0]
        depth, size = tree_depth_and_size(parse_html(html))
        assert depth < MAX_DEPTH // 3 and size < MAX_ELEMENTS // 5, path.name
    assert extract.MAX_LINKS >= 1000
