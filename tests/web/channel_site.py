"""The channels out (widget, digest, 汇编) and the facet-value pages: the 政策计算器's crafted
store (cards and deadlines relative to today, tagged) plus imported records with 主题分类, a
link that is no government site, and values that would break a spreadsheet or a page;
indexed once per session, with an admin and a staff account."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from policy_search.domain.accounts import create_user
from policy_search.domain.importer import policy_from_record
from policy_search.domain.models import Tag
from policy_search.settings import Settings
from tests.web.card_site import Site as MatchSite
from tests.web.card_site import fill_store

BASE_URL = "https://zcss.example.gov.cn"
PORTAL = "https://portal.example.gov.cn"
PASSWORDS = {"boss": "admin-password-1", "staffer": "staff-password-1"}
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
PROXY_URL = ("https://s.fjlib.net:6443/interlibSSO/goto/385/+c-s-9odnokd9bnl9bm/pd/gzbg/"
             "detail.html?id=c93c6c18e18d4ec6b1dd2f30581f15e8")


def extra_records(day: dt.date) -> list[dict]:
    """Imported the way a county office imports: raw 主题分类 with backslashes, a proxy link,
    a title that starts like a spreadsheet formula, script in a title."""
    recent = (day - dt.timedelta(days=2)).isoformat()
    return [
        {"title": "长沙县银行业金融机构支持小微企业贷款贴息办法", "url": "http://www.csx.gov.cn/zcwj/bank.html",
         "issuer": "长沙县财政局", "topic": "财政、金融、审计\\银行", "publish_date": recent,
         "doc_number": "长财发〔2026〕12号",
         "level": "county", "region": "长沙县",
         "body": "一、支持标准\n对银行向小微企业发放的贷款给予50%贴息。"},
        {"title": "长沙县小微企业税费减免指引", "url": "http://www.csx.gov.cn/zcwj/tax.html",
         "issuer": "长沙县税务局", "topic": "财政、金融、审计\\税务", "publish_date": recent,
         "level": "county", "region": "长沙县", "body": "小微企业可享受增值税减免。"},
        {"title": "长沙县科技创新券管理办法", "url": "http://www.csx.gov.cn/zcwj/tech.html",
         "issuer": "长沙县科学技术局", "topic": "科技、教育\\科技", "publish_date": recent,
         "level": "county", "region": "长沙县", "body": "科技型中小企业可申领创新券，最高5万元。"},
        {"title": "2026年上海市政府工作报告（转载）", "url": PROXY_URL, "issuer": "上海市人民政府",
         "publish_date": recent, "level": "provincial", "region": "上海市",
         "body": "过去一年，全市经济运行总体平稳。"},
        {"title": "=HYPERLINK(\"http://evil.example/\",\"点此\")长沙县公式测试通知",
         "url": "http://www.csx.gov.cn/zcwj/formula.html", "issuer": "长沙县测试局",
         "publish_date": recent, "level": "county", "region": "长沙县",
         "body": "一、支持标准\n+给予奖励1万元。"},
        {"title": "长沙县<script>alert('digest')</script>测试公告", "url": "http://www.csx.gov.cn/zcwj/xss.html",
         "issuer": "长沙县测试局", "publish_date": recent, "level": "county", "region": "长沙县",
         "body": "给予<img src=x onerror=alert(1)>奖励2万元。"},
    ]


EXTRA_TAGS = {"bank": ["融资信贷"], "tax": ["税费减免"], "tech": ["科技创新"],
              "formula": ["资金补贴奖励"], "xss": ["资金补贴奖励"]}


@dataclass
class Site(MatchSite):
    ids: dict[str, str] = field(default_factory=dict)  # an extra record's short name -> its id


def build_site(data_dir: Path) -> Site:
    from index.build import rebuild
    from index.search import SearchIndex
    from policy_search.domain.derive import derive_all, derive_kinds
    from web.cards import today

    settings = Settings(data_dir=data_dir, secret_key="test", session_cookie_secure=0,
                        public_base_url=BASE_URL, embed_origins=f"{PORTAL} not-an-origin")
    # the same for the commands run on the data directory
    (data_dir / "config.toml").write_text(f'public_base_url = "{BASE_URL}"\n', encoding="utf-8")
    store = fill_store(settings)
    day = today()
    ids = {}
    for record in extra_records(day):
        policy = policy_from_record(record)
        store.policies.upsert(policy)
        name = record["url"].rsplit("/", 1)[-1].split(".")[0] if "csx" in record["url"] else "proxy"
        ids[name] = policy.id
        store.tags.replace_auto(policy.id, [Tag("support", v, confidence=0.9)
                                            for v in EXTRA_TAGS.get(name, [])])
    derive_all(store)
    derive_kinds(store)  # as enrich does after an import
    create_user(store, "boss", PASSWORDS["boss"], "admin")
    create_user(store, "staffer", PASSWORDS["staffer"], "staff")
    rebuild(store, settings.index_path, procs=1)
    return Site(settings, store, SearchIndex(settings.index_path), day, ids)


@pytest.fixture(scope="session")
def channel_site(tmp_path_factory) -> Site:
    return build_site(tmp_path_factory.mktemp("channels"))


def logged_in(app, username: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = TOKEN.search(page).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORDS[username],
                                           "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


@pytest.fixture
def staff(app):
    return logged_in(app, "staffer")


@pytest.fixture
def admin(app):
    return logged_in(app, "boss")
