"""The policy page, error pages, headers, health check and robots — Flask test client."""
import re

import pytest

from web.security import CSP


def text(response) -> str:
    return response.get_data(as_text=True)


def test_policy_page_shows_metadata_body_tags_attachments_and_source(client, corpus_site):
    response = client.get(f"/policy/{corpus_site.ids['county']}")
    assert response.status_code == 200
    page = text(response)
    for expected in ("长沙县支持专精特新中小企业高质量发展的若干措施", "长沙县人民政府办公室",
                     "长县政办发〔2023〕12号", "2023-05-12", "2023-05-08", "长沙县", "有效",
                     "惠企措施", "县"):
        assert expected in page
    # body HTML with its table
    assert "<table>" in page and "<td>小巨人</td>" in page
    # attachments: link, and the extracted text readable; a javascript: link is not made a link
    assert 'href="http://www.csx.gov.cn/att/sbb.docx"' in page
    assert "专精特新企业申报表" in page
    assert "扫描件.pdf" in page and "无文字层" in page
    assert "javascript:" not in page
    # the original link
    assert 'href="http://www.csx.gov.cn/zwgk/zcwj/202305/t20230512_001.html"' in page
    assert "查看原文" in page
    # the policy was reviewed: its tags are not marked as suggestions
    assert "专精特新" in page and "（建议）" not in page


def test_unreviewed_auto_tags_are_marked_as_suggestions(client, corpus_site):
    page = text(client.get(f"/policy/{corpus_site.ids['docno_a']}"))
    assert "降本减负" in page
    assert "（建议）" in page and "尚待工作人员审核" in page


def test_interpretation_and_original_link_each_other(client, corpus_site):
    original = text(client.get(f"/policy/{corpus_site.ids['county']}"))
    interpretation = text(client.get(f"/policy/{corpus_site.ids['interpretation']}"))
    assert "政策解读" in original
    assert f'href="/policy/{corpus_site.ids["interpretation"]}"' in original
    assert "本文解读的政策" in interpretation
    assert f'href="/policy/{corpus_site.ids["county"]}"' in interpretation


def test_same_doc_number_in_other_brackets_is_related(client, corpus_site):
    page = text(client.get(f"/policy/{corpus_site.ids['docno_a']}"))
    assert "同一文号的文件" in page
    assert f'href="/policy/{corpus_site.ids["docno_b"]}"' in page


def test_policies_sharing_tags_are_related(client, corpus_site):
    page = text(client.get(f"/policy/{corpus_site.ids['xss']}"))
    section = page.split("相关政策", 1)[1]
    assert f'href="/policy/{corpus_site.ids["county"]}"' in section


def test_plain_text_body_is_shown_as_paragraphs(client, corpus_site):
    corpus_id = corpus_site.corpus_ids[0]
    policy = corpus_site.store.policies.get(corpus_id)
    page = text(client.get(f"/policy/{corpus_id}"))
    first_line = next(line.strip() for line in policy.body_text.splitlines() if line.strip())
    assert f"<p>{first_line}</p>" in page or first_line in page
    assert page.count("<p>") >= 3


def test_policy_page_has_print_styles(client):
    css = text(client.get("/static/site.css"))
    assert "@media print" in css
    print_block = css.split("@media print", 1)[1]
    assert ".site-header" in print_block and "display: none" in print_block


@pytest.mark.parametrize("path", ["/policy/doesnotexist", "/policy/" + "a" * 200, "/nowhere",
                                  "/policy/"])
def test_unknown_pages_give_a_chinese_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    page = text(response)
    assert "页面不存在" in page and "返回首页" in page
    assert response.headers["Content-Type"].startswith("text/html")


def test_wrong_method_gives_405(client, corpus_site):
    response = client.post(f"/policy/{corpus_site.ids['county']}")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "不支持的请求方法" in text(response)


def test_oversized_request_gives_413(client):
    response = client.post("/", data=b"x" * (2 * 1024 * 1024),
                           headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 413
    assert "请求内容过大" in text(response)
    response = client.post("/api/search", data=b"x" * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert response.get_json()["status"] == 413


def test_an_unexpected_error_gives_a_chinese_500(corpus_site):
    from web import create_app

    app = create_app(corpus_site.settings, store=corpus_site.store, index=corpus_site.index, testing=True)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    page = text(response)
    assert "服务器出错了" in page and "secret detail" not in page


@pytest.mark.parametrize("path", ["/", "/policy/doesnotexist", "/api/search", "/feed", "/healthz"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    assert response.headers["Content-Security-Policy"] == CSP
    assert "script-src 'none'" in CSP and "frame-ancestors 'none'" in CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"]


def test_pages_carry_no_script_and_no_inline_style(client, corpus_site):
    for path in ("/", "/?q=专精特新", f"/policy/{corpus_site.ids['county']}", f"/policy/{corpus_site.ids['xss']}",
                 "/nowhere"):
        page = text(client.get(path))
        assert "<script" not in page.lower()
        assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", page, re.I), path
        assert " style=" not in page and "<style" not in page


def test_healthz_ok_with_store_and_index(client, corpus_site):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["store"] and body["index"]
    assert body["policies"] == corpus_site.store.policies.count()
    assert body["indexed"] == corpus_site.store.policies.count()


def test_healthz_503_without_an_index(tmp_path, corpus_site):
    from index.search import SearchIndex
    from policy_search.settings import Settings
    from policy_search.domain.store import Store
    from web import create_app

    settings = Settings(data_dir=tmp_path, secret_key="t")
    store = Store(settings.db_path)
    app = create_app(settings, store=store, index=SearchIndex(settings.index_path),
                     testing=True)
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["index"] is False and response.get_json()["store"] is True
    # the search page and API say the index is unavailable instead of failing
    assert client.get("/").status_code == 503
    assert "检索服务暂不可用" in text(client.get("/"))
    assert client.get("/api/search?q=x").status_code == 503
    assert client.get("/api/search?q=x").get_json()["status"] == 503
    # bad parameters are still reported as such
    assert client.get("/api/search?page=0").status_code == 400


def test_healthz_503_when_the_store_fails(corpus_site):
    from web import create_app

    class BrokenStore:
        def count_policies(self):
            raise OSError("disk gone")

    app = create_app(corpus_site.settings, store=BrokenStore(), index=corpus_site.index, testing=True)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["store"] is False


def test_robots_txt(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and "Disallow: /api/" in text(response)


def test_blueprints_can_be_added_to_the_factory(corpus_site):
    """Staff/admin parts plug in through the registry: a module with `bp` and `setup`."""
    import sys
    import types

    from flask import Blueprint

    from web import create_app

    module = types.ModuleType("tests_web_extra_bp")
    module.bp = Blueprint("extra", __name__, url_prefix="/staff")
    module.bp.add_url_rule("/ping", "ping", lambda: "pong")
    module.setup = lambda app: app.config.__setitem__("EXTRA_SET_UP", True)
    sys.modules["tests_web_extra_bp"] = module
    try:
        from web.app import BLUEPRINTS

        app = create_app(corpus_site.settings, store=corpus_site.store, index=corpus_site.index, testing=True,
                         blueprints=[*BLUEPRINTS, "tests_web_extra_bp:bp"])
        assert app.test_client().get("/staff/ping").get_data(as_text=True) == "pong"
        assert app.config["EXTRA_SET_UP"] is True
    finally:
        del sys.modules["tests_web_extra_bp"]


def test_a_template_is_compiled_once_per_process_however_many_apps(corpus_site, monkeypatch):
    from jinja2 import Environment

    from web import create_app

    compiled = []
    compile_source = Environment._compile
    monkeypatch.setattr(Environment, "_compile", lambda env, source, filename: (
        compiled.append(filename), compile_source(env, source, filename))[1])
    pages = []
    for _ in range(2):
        app = create_app(corpus_site.settings, store=corpus_site.store, index=corpus_site.index,
                         testing=True)
        pages.append(text(app.test_client().get(f"/policy/{corpus_site.ids['county']}")))
        compiled.append("--- next app")
    assert pages[0] == pages[1] and "长县政办发〔2023〕12号" in pages[0]
    assert compiled[-1] == compiled[-2] == "--- next app"  # the second app compiled nothing
