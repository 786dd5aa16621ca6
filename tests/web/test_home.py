"""The front of the site: the home page for entrepreneurs (shortcuts with counts, the open
calls soonest first, the newest 惠企 policies and calls, 热门搜索 from the query log), the
header on every page, result cards that answer at a glance, and sorts that say what is
shown."""
from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest

from policy_search.domain.deadlines import china_today

from tests.web.card_site import build_site


def section(page: str, key: str) -> str:
    start = page.index(f'class="home-block home-list list-{key}"')
    return page[start:page.index("</section>", start)]


def listed_ids(block: str) -> list[str]:
    return re.findall(r'<h3 class="hit-title"><a href="/policy/([\w-]+)"', block)


def hit_block(page: str, policy_id: str) -> str:
    block = page.split(f'href="/policy/{policy_id}"', 1)[1]
    return re.split(r'<li class="hit', block, maxsplit=1)[0]


def hrefs(block: str, css: str | None = None) -> list[tuple[str, str]]:
    pattern = (rf'<a class="{css}" href="([^"]*)"[^>]*>(.*?)</a>' if css
               else r'<a href="([^"]*)"[^>]*>(.*?)</a>')
    return [(html_lib.unescape(h), re.sub(r"<[^>]+>", "", t)) for h, t in re.findall(pattern, block, re.S)]


def params(href: str) -> dict:
    return parse_qs(urlsplit(href).query)


def test_the_home_page_is_a_front_not_a_list(client):
    page = client.get("/").get_data(as_text=True)
    # the search box, big, and no results list, facets, sort or timing
    assert '<form class="search-form hero-search" action="/" method="get" role="search">' in page
    assert 'name="q"' in page
    for absent in ('class="facets"', 'class="sort"', "毫秒", 'class="results-count"'):
        assert absent not in page
    # the whole list is one link away, newest first; its count is of the policies not
    # repealed or expired (those whose validity nobody stated among them: not "现行有效")
    assert 'href="/?sort=newest"' in page
    assert "未废止、未失效的 <strong>" in page and "现行有效" not in page


def test_shortcuts_carry_the_index_counts_of_huiqi_policies(client):
    """A shortcut leads to the 惠企 policies of its value: a work report or a law that only
    mentions 资金补贴 is no way in for an entrepreneur looking for one."""
    page = client.get("/").get_data(as_text=True)
    facets = client.get("/api/facets?huiqi=是").get_json()["facets"]
    everything = client.get("/api/facets").get_json()["facets"]
    assert any(f["count"] for f in everything["huiqi"] if f["value"] == "否")  # some to leave out
    for key, css in (("support", "by-support"), ("enterprise", "by-enterprise"), ("industry", "by-industry")):
        start = page.index(f'class="home-block {css}"')
        block = page[start:page.index("</section>", start)]
        shown = {}
        for href, text in hrefs(block):
            value, count = re.fullmatch(r"(.+?)(\d+) 条", text.strip()).groups()
            assert params(href) == {key: [value], "huiqi": ["是"]}
            shown[value] = int(count)
        expected = {f["value"]: f["count"] for f in facets[key] if f["count"]}
        expected.pop("不限行业", None)   # no use as a shortcut
        assert shown == expected, key
        counts = list(shown.values())
        assert counts == sorted(counts, reverse=True)


def test_the_open_calls_come_soonest_deadline_first(client, card_site):
    page = client.get("/").get_data(as_text=True)
    block = section(page, "open")
    ids = listed_ids(block)
    assert ids[0] == "county-fund"
    listing = client.get("/?deadline=申报中&deadline=即将截止&sort=deadline").get_data(as_text=True)
    assert ids == re.findall(r'<h2 class="hit-title"><a href="/policy/([\w-]+)"', listing)[:len(ids)]
    assert "county-later" not in ids and "closed-call" not in ids   # not open today
    statuses = re.findall(r'title="申报状态">(.+?)</span>', block)
    assert statuses and set(statuses) <= {"申报中", "即将截止"}
    end = (card_site.today + dt.timedelta(days=10)).isoformat()
    assert f"截止 {end} · 还剩 10 天" in hit_block(block, "county-fund")
    more = hrefs(block)[-1]
    assert params(more[0]) == {"deadline": ["申报中", "即将截止"], "sort": ["deadline"]}


def test_the_newest_huiqi_policies_and_calls(client, card_site):
    page = client.get("/").get_data(as_text=True)
    policies = {p.id: p for p in card_site.store.policies.iter_all()}
    huiqi = listed_ids(section(page, "huiqi"))
    assert huiqi and all(policies[i].huiqi for i in huiqi)
    assert "duty-rules" not in huiqi                                 # a law giving nothing
    assert not {"old-measure", "national-loan"} & set(huiqi)        # out of force
    # a call whose window has closed offers nothing any more, 惠企 though it is
    assert policies["closed-call"].huiqi and "closed-call" not in huiqi
    huiqi_in_force = client.get("/api/facets").get_json()["facets"]["huiqi"]
    count = {f["value"]: f["count"] for f in huiqi_in_force}["是"]
    assert f'最新惠企政策 <span class="muted small">{count} 条</span>' in page
    dates = [policies[i].publish_date for i in huiqi]
    assert dates == sorted(dates, reverse=True)
    assert params(hrefs(section(page, "huiqi"))[-1][0]) == {"huiqi": ["是"], "sort": ["newest"]}
    # each policy once, in the first list that has it: the calls still open are all above
    listed = listed_ids(page)
    assert len(listed) == len(set(listed))
    assert 'list-calls' not in page
    assert {"county-fund", "county-later", "xss-card"} <= set(listed)
    assert "closed-call" not in listed


def test_the_newest_calls_leave_out_closed_ones(card_site, tmp_path):
    """A site with more calls than the lists above show (a store of its own)."""
    from index.build import rebuild
    from index.search import SearchIndex
    from policy_search.domain.derive import derive_all, derive_kinds
    from policy_search.domain.models import Policy
    from policy_search.settings import Settings
    from policy_search.domain.store import Store
    from web import create_app

    settings = Settings(data_dir=tmp_path, secret_key="t")
    store = Store(settings.db_path)
    day = card_site.today
    for number in range(24):
        closes_in = -30 if number % 3 == 0 else 30 + number
        start, end = day - dt.timedelta(days=60), day + dt.timedelta(days=closes_in)
        store.policies.upsert(Policy(
            id=f"call-{number}", title=f"长沙县第{number + 1}批中小企业发展专项资金申报通知",
            url=f"http://www.example.gov.cn/call-{number}.html", region_code="430121",
            region_name="长沙县", level="county", validity="有效",
            publish_date=(day - dt.timedelta(days=number)).isoformat(),
            body_text="一、支持对象\n在长沙县注册的中小企业。\n二、支持标准\n"
                      f"给予一次性奖励{number + 5}万元。\n三、申报时间\n"
                      f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日。\n"))
    # The newest call of all invites nominations for a publicity campaign: a call, but
    # nothing an enterprise can obtain (not 惠企), so not on the entrepreneurs' front.
    store.policies.upsert(Policy(
        id="campaign-call", title="关于开展“美丽中国，我是行动者”先进典型宣传推选活动的通知",
        url="http://www.example.gov.cn/campaign.html", region_code="430121",
        region_name="长沙县", level="county", validity="有效", publish_date=day.isoformat(),
        body_text="为广泛宣传先进典型，决定开展推选活动。\n一、推选对象\n在生态环境保护工作中表现突出的个人。\n"
                  "二、推选程序\n各单位于本年度内推荐人选并报送推荐材料。\n"))
    derive_kinds(store)
    derive_all(store)
    rebuild(store, settings.index_path, procs=1)
    app = create_app(settings, store=store, index=SearchIndex(settings.index_path),
                     testing=True)
    page = app.test_client().get("/").get_data(as_text=True)
    calls = listed_ids(section(page, "calls"))
    closed = {f"call-{n}" for n in range(24) if n % 3 == 0}
    assert calls and not closed & set(calls)
    assert all(store.policies.get(i).doc_kind == "申报通知" and store.policies.get(i).huiqi
               for i in calls)
    assert store.policies.get("campaign-call").doc_kind == "申报通知"
    assert not store.policies.get("campaign-call").huiqi
    assert "campaign-call" not in listed_ids(page)
    assert "未截止的 16 条" in section(page, "calls")
    assert params(hrefs(section(page, "calls"))[-1][0]) == {
        "kind": ["申报通知"], "huiqi": ["是"], "sort": ["newest"]}
    store.close()


def test_a_list_without_words_says_it_is_newest_first(client):
    for url in ("/?sort=newest", "/?support=资金补贴奖励", "/?deadline=即将截止"):
        page = client.get(url).get_data(as_text=True)
        assert '<strong class="sort-current" aria-current="true">最新发布</strong>' in page, url
        assert ">相关度<" not in page, url                # no relevance without words
    page = client.get("/?q=补贴").get_data(as_text=True)
    assert '<strong class="sort-current" aria-current="true">相关度</strong>' in page
    assert "毫秒" not in page


PAGES = ["/", "/?q=补贴", "/?sort=newest", "/?support=资金补贴奖励", "/policy/county-fund",
         "/match", "/match?region=430121&industry=制造业", "/policy/nope"]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_offers_the_calculator_and_subscribing_in_its_header(client, url):
    page = client.get(url).get_data(as_text=True)
    header = page[page.index('<header class="site-header">'):page.index("</header>")]
    assert ("/match", "政策计算器") in hrefs(header, "nav-match")
    (subscribe, label), = hrefs(header, "nav-subscribe")
    assert label == "订阅"
    target = urljoin("http://localhost" + url, subscribe)
    path = urlsplit(target)._replace(scheme="", netloc="").geturl()
    landing = client.get(path).get_data(as_text=True)
    fragment = urlsplit(target).fragment
    if fragment:   # a section of a page: it offers the feed of that search
        start = landing.index(f'id="{fragment}"')
        assert 'class="feed-link"' in landing[start:start + 1500]
    else:          # the subscriptions' own form
        assert "<form" in landing and "订阅" in landing


def test_result_cards_answer_at_a_glance(client, card_site):
    page = client.get("/?validity=all&size=50").get_data(as_text=True)
    fund = hit_block(page, "county-fund")
    glance = re.search(r'<p class="hit-glance">(.*?)</p>', fund, re.S).group(1)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", glance)).strip()
    end = (card_site.today + dt.timedelta(days=10)).isoformat()
    assert text == f"申报通知 惠企 即将截止 截止 {end} · 还剩 10 天 有效性：有效 县级 · 长沙县"
    assert '<p class="hit-support"><span class="label">支持标准</span>给予一次性奖励20万元</p>' in fund
    # no card line when the card has no 支持标准; a law shows its kind, no 惠企 mark
    duty = hit_block(page, "duty-rules")
    assert "hit-support" not in duty and ">法律法规</span>" in duty and ">惠企</span>" not in duty
    # out of force, with its label
    assert "有效性：废止" in hit_block(page, "old-measure")
    national = hit_block(page, "national-loan")
    assert "国家级" in national and "全国" not in re.search(r'<p class="hit-glance">(.*?)</p>', national, re.S).group(1)
    # the same glance on the 政策计算器's results
    match = client.get("/match?region=430121&industry=制造业&need=资金").get_data(as_text=True)
    fund = hit_block(match, "county-fund")
    assert "有效性：有效" in fund and "县级 · 长沙县" in fund and "给予一次性奖励20万元" in fund
    assert f"截止 {end} · 还剩 10 天" in fund


def test_a_validity_nobody_stated_is_labelled_not_bare():
    from web.cards import glance

    g = glance(kind="其他", huiqi=True, validity="未知", level="city", region="长沙市",
               deadline=None, support="（一）对新认定的国家级专精特新“小巨人”企业给予一次性奖励"
               "50万元，对省级专精特新中小企业给予一次性奖励20万元，对市级给予10万元")
    assert (g.kind, g.validity, g.place) == ("", "有效性：未注明", "市级 · 长沙市")
    assert g.support.startswith("对新认定") and g.support.endswith("…") and len(g.support) == 60


def test_a_document_that_gives_enterprises_nothing_shows_no_support_line():
    """A work report's figures ("落实…补贴资金34.38亿元") or aid to persons read as 支持标准
    would offer a firm what it cannot claim."""
    from web.cards import glance

    g = glance(kind="工作报告与规划", huiqi=False, validity="有效", level="provincial", region="新疆维吾尔自治区",
               deadline=None, support="落实消费品以旧换新补贴资金34.38亿元、带动消费261.6亿元")
    assert g.support == ""


# --- 热门搜索: counted from the site's own searches ---------------------------------

@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A site of its own: these tests write to the query log."""
    from web import create_app

    card_site = build_site(tmp_path_factory.mktemp("front"))
    app = create_app(card_site.settings, store=card_site.store, index=card_site.index, testing=True)
    yield card_site, app
    card_site.store.close()


def popular_on_home(client) -> list[str]:
    page = client.get("/").get_data(as_text=True)
    if 'class="popular"' not in page:
        return []
    block = page[page.index('class="popular"'):]
    block = block[:block.index("</div>")]
    return [text for href, text in hrefs(block, "chip")]


def test_popular_searches_come_from_searches_that_found_something(fresh):
    card_site, app = fresh
    client = app.test_client()
    from web.querylog import query_tally

    with app.app_context():
        tally = query_tally()
    for _ in range(2):
        client.get("/?q=补贴")
    client.get("/?q=补贴&page=2")                   # paging on is no new search
    refined = {"Referer": "http://localhost/?q=%E8%A1%A5%E8%B4%B4"}
    client.get("/?q=补贴&level=county", headers=refined)   # nor a filter chosen on its results
    client.get("/?q=补贴&sort=newest", headers=refined)    # nor another order
    client.get("/api/search?q=补贴")                 # programs are not the site's searchers
    for _ in range(5):
        client.get("/?q=量子引力火星殖民")              # found nothing
        client.get("/?q=13812345678 补贴")           # could say who asked
    tally.flush()
    assert popular_on_home(client) == []             # 2 < popular_min_count (3)
    # typed anew, from another search's results, with filters and other spacing: counts
    client.get("/?q= 补贴 &support=资金补贴奖励",
               headers={"Referer": "http://localhost/?q=%E7%A8%B3%E5%B2%97"})
    tally.flush()
    assert popular_on_home(client) == ["补贴"]
    href = re.search(r'<a class="chip" href="([^"]+)">补贴</a>', client.get("/").get_data(as_text=True))[1]
    assert params(html_lib.unescape(href)) == {"q": ["补贴"]}
    today = china_today().isoformat()
    assert card_site.store.queries.popular(today, 1, 10) == [("补贴", 3)]


def test_nothing_about_the_searcher_is_stored(fresh):
    card_site, app = fresh
    client = app.test_client()
    from web.querylog import query_tally

    agent, address = "PrivacyProbe/7.3 (unique-agent-string)", "203.0.113.77"
    for _ in range(3):
        client.get("/?q=创业补贴", headers={"User-Agent": agent, "X-Forwarded-For": address},
                   environ_base={"REMOTE_ADDR": address})
    with app.app_context():
        query_tally().flush()
    card_site.store.conn.execute("PRAGMA wal_checkpoint(FULL)")
    data = b"".join(Path(str(card_site.settings.db_path) + suffix).read_bytes()
                    for suffix in ("", "-wal") if Path(str(card_site.settings.db_path) + suffix).exists())
    assert "创业补贴".encode() in data
    assert agent.encode() not in data and address.encode() not in data
    assert b"PrivacyProbe" not in data
