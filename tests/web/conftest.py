"""Fixtures for the site: the one app set (`app`, `client`, `live_server`) over the data set
each test module's pages are served from, the browser, and the corpus data set: a store of
real corpus documents plus crafted ones, and its index.

The store and index are built once per test session (building the index is the slow
part); tests that change data build their own.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from policy_search.domain.derive import derive_all, derive_kinds
from policy_search.domain.importer import policy_from_record
from policy_search.domain.models import Attachment, Policy, Tag, policy_id_for
from policy_search.domain.review_queue import accept_suggestions
from policy_search.domain.normalize import doc_number_key
from policy_search.settings import Settings
from policy_search.domain.store import Store
from tests.conftest import built_once, serve_in_thread, shared_path

CORPUS_STEP = 120  # every 120th corpus document: ~40, national and several provinces

XSS_SCRIPT = "<script>alert('xss-title')</script>"
XSS_IMG = '<img src=x onerror="alert(\'xss-img\')">'
XSS_TITLE = f"{XSS_SCRIPT}关于支持专精特新企业的测试通知{XSS_IMG}"
XSS_BODY_HTML = (
    "<p>第一段：专精特新企业奖励<script>alert('xss-body')</script></p>"
    "<p onclick=\"alert('xss-onclick')\" style=\"position:fixed\">第二段</p>"
    "<a href=\"javascript:alert('xss-link')\">危险链接</a>"
    "<iframe src=\"https://evil.example/\"></iframe>"
    "<table><tr><td>补贴标准</td><td onmouseover=\"alert(1)\">50万元</td></tr></table>"
    "<svg onload=\"alert('xss-svg')\"></svg>"
)
XSS_BODY_TEXT = ("专精特新企业奖励 <script>alert('xss-bodytext')</script> 第一段。\n"
                 "对认定的专精特新小巨人企业给予一次性奖励 <b>50万元</b>。")
XSS_TAG = "<b onmouseover=alert('xss-tag')>标签</b>"


@dataclass
class Fixture:
    settings: Settings
    store: Store
    index: object
    corpus_ids: list[str]
    ids: dict[str, str]  # name of a crafted policy -> its id


def corpus_records(step: int = CORPUS_STEP) -> list[dict]:
    path = shared_path("corpus", "documents.jsonl")
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for number, line in enumerate(f) if number % step == 0]


def crafted_policies() -> dict[str, Policy]:
    """Policies the tests need to exist: a county policy with its interpretation, a 文号
    written two ways, and one full of script payloads."""
    original_url = "http://www.csx.gov.cn/zwgk/zcwj/202305/t20230512_001.html"
    policies = {
        "county": Policy(
            id=policy_id_for(original_url, ""), url=original_url, title="长沙县支持专精特新中小企业高质量发展的若干措施",
            level="county", region_code="430121", region_name="长沙县", issuer="长沙县人民政府办公室",
            doc_number="长县政办发〔2023〕12号", publish_date="2023-05-12", written_date="2023-05-08",
            validity="有效",
            body_text="为支持专精特新中小企业发展，制定以下措施。\n一、对新认定的国家级专精特新“小巨人”企业奖励50万元。\n二、研发费用加计扣除政策应享尽享。",
            body_html="<p>为支持专精特新中小企业发展，制定以下措施。</p><p>一、对新认定的国家级专精特新“小巨人”企业奖励50万元。</p>"
                      "<table><tr><th>项目</th><th>标准</th></tr><tr><td>小巨人</td><td>50万元</td></tr></table>",
            attachments=[Attachment(name="申报表.docx", url="http://www.csx.gov.cn/att/sbb.docx",
                                    media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                                    text="专精特新企业申报表\n企业名称 统一社会信用代码"),
                         Attachment(name="扫描件.pdf", url="javascript:alert('xss-attachment')",
                                    media_type="application/pdf", no_text_layer=True)],
        ),
        "interpretation": Policy(
            id=policy_id_for("http://www.csx.gov.cn/zwgk/zcjd/202305/t20230515_002.html", ""),
            url="http://www.csx.gov.cn/zwgk/zcjd/202305/t20230515_002.html",
            title="《长沙县支持专精特新中小企业高质量发展的若干措施》政策解读",
            level="county", region_code="430121", region_name="长沙县", issuer="长沙县工业和信息化局",
            publish_date="2023-05-15", validity="有效", source_kind="政策解读", interprets=original_url,
            body_text="一、出台背景\n为贯彻落实专精特新中小企业培育工作部署。",
        ),
        "docno_a": Policy(
            id=policy_id_for("http://www.hunan.gov.cn/zcfg/t1.html", ""), url="http://www.hunan.gov.cn/zcfg/t1.html",
            title="湖南省人民政府关于进一步降低企业成本的通知", level="provincial", region_code="430000",
            region_name="湖南省", issuer="湖南省人民政府", doc_number="湘政发〔2021〕5号",
            publish_date="2021-03-01", validity="有效", body_text="降低企业用地成本、融资成本和税费负担。",
        ),
        "docno_b": Policy(
            id=policy_id_for("http://www.changsha.gov.cn/zcfg/t2.html", ""), url="http://www.changsha.gov.cn/zcfg/t2.html",
            title="湖南省人民政府关于进一步降低企业成本的通知（转发）", level="city", region_code="430100",
            region_name="长沙市", issuer="长沙市人民政府", doc_number="湘政发[2021]5号",
            publish_date="2021-03-05", validity="失效", body_text="转发：降低企业用地成本、融资成本和税费负担。",
        ),
        "xss": Policy(
            id=policy_id_for("http://xss.example.gov.cn/t3.html", ""), url="javascript:alert('xss-url')",
            title=XSS_TITLE, level="provincial", region_code="430000", region_name="湖南省",
            issuer="<i>测试</i>机关", doc_number="湘测〔2022〕1号", publish_date="2022-06-01",
            validity="有效", body_text=XSS_BODY_TEXT, body_html=XSS_BODY_HTML,
        ),
    }
    for policy in policies.values():
        policy.doc_number_key = doc_number_key(policy.doc_number)
    return policies


CRAFTED_TAGS = {
    "county": [("enterprise", "专精特新"), ("enterprise", "中小企业"), ("support", "资金补贴奖励"),
               ("industry", "制造业")],
    "interpretation": [("enterprise", "专精特新"), ("support", "资金补贴奖励")],
    "docno_a": [("support", "降本减负"), ("support", "用地用房")],
    "docno_b": [("support", "降本减负")],
    "xss": [("enterprise", "专精特新"), ("support", XSS_TAG)],
}


def fill_store(store: Store) -> tuple[list[str], dict[str, str]]:
    corpus_ids = []
    for record in corpus_records():
        policy = policy_from_record(record)
        store.policies.upsert(policy)
        corpus_ids.append(policy.id)
    # A few corpus documents get tags so that tag facets have counts beyond the crafted ones.
    for number, policy_id in enumerate(corpus_ids[:12]):
        store.tags.replace_auto(policy_id, [Tag("support", "税费减免" if number % 2 else "资金补贴奖励")])
    ids = {}
    for name, policy in crafted_policies().items():
        store.policies.upsert(policy)
        ids[name] = policy.id
        store.tags.replace_auto(policy.id, [Tag(f, v, confidence=0.8) for f, v in CRAFTED_TAGS[name]])
    derive_kinds(store)  # what each document is, as enrich would after an import
    # A staff decision on the county policy, which is then reviewed (its other suggestions
    # accepted: a policy is reviewed only when no suggestion is left open).
    store.tags.set_staff(ids["county"], "enterprise", "专精特新", by="tester")
    accept_suggestions(store, ids["county"], "tester", mark_reviewed=True)
    return corpus_ids, ids


FIXTURE_IDS = "fixture_ids.json"


def build_fixture(data_dir: Path) -> None:
    """The corpus data set's store and index in data_dir, and the ids the tests look up."""
    from index.build import rebuild

    settings = Settings(data_dir=data_dir, secret_key="test")
    with Store(settings.db_path) as store:
        corpus_ids, ids = fill_store(store)
        rebuild(store, settings.index_path)
    (data_dir / FIXTURE_IDS).write_text(json.dumps({"corpus_ids": corpus_ids, "ids": ids}))


def open_fixture(data_dir: Path) -> Fixture:
    from index.search import SearchIndex

    settings = Settings(data_dir=data_dir, secret_key="test")
    known = json.loads((data_dir / FIXTURE_IDS).read_text())
    return Fixture(settings, Store(settings.db_path), SearchIndex(settings.index_path),
                   known["corpus_ids"], known["ids"])


@pytest.fixture(scope="session")
def corpus_site(tmp_path_factory) -> Fixture:
    return open_fixture(built_once(tmp_path_factory, "site", build_fixture))


# The data set whose pages each test module is served (`app`, `client`, `live_server`);
# a module not named here is served the corpus data set.
SERVED_FROM = {
    **dict.fromkeys(["test_api_match.py", "test_browser_match.py", "test_filters.py",
                     "test_home.py", "test_ics.py", "test_match.py", "test_policy_card.py",
                     "test_result_deadlines.py", "test_staff_card.py"], "card_site"),
    **dict.fromkeys(["test_browser_embed.py", "test_digest.py", "test_embed.py",
                     "test_export.py", "test_facet_pages.py"], "channel_site"),
    **dict.fromkeys(["test_access.py", "test_admin.py", "test_admin_import_check.py",
                     "test_audit_and_time.py", "test_browser_review.py", "test_kind_review.py",
                     "test_login.py", "test_login_http.py", "test_review.py",
                     "test_search_sync.py", "test_sessions.py", "test_source_form.py"],
                    "tagged_site"),
    **dict.fromkeys(["test_browser_subscribe.py", "test_subscriptions.py"], "notify_site"),
}


def served_data(request):
    return request.getfixturevalue(SERVED_FROM.get(request.path.name, "corpus_site"))


@pytest.fixture
def app(request):
    """The site over the module's data set; made once per data set, so a session's data
    set serves all its tests from one app (a test's own data set gets its own)."""
    from web import create_app

    data = served_data(request)
    made = vars(data).get("_app")
    if made is None:
        made = data._app = create_app(data.settings, store=data.store, index=data.index,
                                      testing=True)
    return made


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_server(app):
    """The site on waitress in a thread on 127.0.0.1, for browser tests."""
    with serve_in_thread(app) as url:
        yield url


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("chromium is missing: install it with `apt-get install chromium` "
                    "(make browser-deps)")
    return path


def site_of(data_dir: Path, policies: list[Policy], tags: dict[str, list[Tag]] | None = None):
    """(settings, store, app) of a site over these policies, derived and indexed as an import
    leaves them."""
    from index.build import rebuild
    from index.search import SearchIndex
    from web import create_app

    settings = Settings(data_dir=data_dir, secret_key="test")
    store = Store(settings.db_path)
    for policy in policies:
        store.policies.upsert(policy)
        if tags and policy.id in tags:
            store.tags.replace_auto(policy.id, tags[policy.id])
    derive_kinds(store)
    derive_all(store)
    rebuild(store, settings.index_path, procs=1)
    app = create_app(settings, store=store, index=SearchIndex(settings.index_path), testing=True)
    return settings, store, app


def found_ids(client, query: str) -> set[str]:
    """The ids /api/search finds for a query string (up to 50)."""
    return {h["id"] for h in client.get(f"/api/search?{query}&size=50").get_json()["hits"]}


# How long a browser assertion waits for the page to get there (playwright's default is
# 5 s): on a loaded machine a form post can take longer to answer; a page that is already
# right returns at once, so only failures take this long.
BROWSER_WAIT_MS = 20_000


@pytest.fixture(autouse=True)
def patient_browser_assertions(request):
    if request.node.get_closest_marker("browser"):
        from playwright.sync_api import expect

        expect.set_options(timeout=BROWSER_WAIT_MS)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    target = os.environ.get("WEB_SCREENSHOTS")
    path = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def page(browser):
    context = browser.new_context(java_script_enabled=False, viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    # A request cut short by the next navigation (ERR_ABORTED) is not a failure of the site.
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}")
            if "ERR_ABORTED" not in (r.failure or "") else None)
    page.problems = problems
    yield page
    context.close()
