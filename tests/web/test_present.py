"""Sanitizing crawled HTML and snippets: only structure and the highlight tag survive."""
from web.present import safe_snippet, safe_url, sanitize_body, xml_text
from tests.web.conftest import XSS_BODY_HTML


def test_body_keeps_paragraphs_and_tables_and_drops_everything_active():
    cleaned = str(sanitize_body(XSS_BODY_HTML))
    for kept in ("<p>第一段：专精特新企业奖励</p>", "<table>", "<td>补贴标准</td>", "50万元", "第二段"):
        assert kept in cleaned
    for dropped in ("<script", "alert(", "onclick", "onmouseover", "style=", "<iframe", "<svg",
                    "javascript:", "onload"):
        assert dropped not in cleaned


def test_body_links_are_http_only_and_inert():
    cleaned = str(sanitize_body('<a href="https://www.gov.cn/x">原文</a><a href="data:text/html,x">d</a>'))
    assert 'href="https://www.gov.cn/x"' in cleaned
    assert "nofollow" in cleaned and "noopener" in cleaned
    assert "data:" not in cleaned


def test_snippet_keeps_only_the_highlight_tag():
    snippet = "前文 <mark>专精特新</mark> &lt;script&gt;alert(1)&lt;/script&gt; <b>粗</b> <img src=x onerror=alert(1)>"
    out = str(safe_snippet(snippet))
    assert "<mark>专精特新</mark>" in out
    assert "<script" not in out and "<b>" not in out and "<img" not in out
    assert "&lt;script&gt;" in out and "&lt;img" in out


def test_snippet_does_not_double_escape_and_keeps_literal_mark_text_escaped():
    assert str(safe_snippet("A &amp; B")) == "A &amp; B"
    assert str(safe_snippet("&lt;mark&gt;x&lt;/mark&gt; <mark>y</mark>")) == \
        "&lt;mark&gt;x&lt;/mark&gt; <mark>y</mark>"
    # control characters used internally cannot forge a highlight
    assert "<mark>" not in str(safe_snippet("\x00evil\x01"))


def test_safe_url_allows_only_http():
    assert safe_url("https://www.gov.cn/a") == "https://www.gov.cn/a"
    assert safe_url(" http://x.cn/ ") == "http://x.cn/"
    for bad in ("javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", "//evil", "", None):
        assert safe_url(bad) is None


def test_xml_text_removes_characters_xml_forbids():
    assert xml_text("a\x00b\x0bc\x1fd\ttab\n") == "abcd\ttab\n"
