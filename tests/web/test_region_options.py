"""Where a zone policy applies, as search and /match see it, and the regions /match offers:
every region the store has policies for — issued there or applying there — and the divisions
above it."""
from __future__ import annotations

import re

import pytest

from policy_search.domain.models import Policy
from policy_search.domain.regions import find_region
from tests.web.conftest import found_ids, site_of

# (id, title, region where it was issued, level, body): real titles of the shared corpus
ROWS = [
    ("hainan", "中华人民共和国海南自由贸易港法", "100000", "national",
     "第一条 为了建设高水平的中国特色海南自由贸易港，制定本法。对鼓励类产业企业减按百分之十五征收企业所得税。"),
    ("national", "关于进一步支持小微企业发展的若干措施", "100000", "national", "对小微企业给予贷款贴息。"),
    ("qingdao", "青岛市促进中小企业发展条例", "370200", "city", "对中小企业给予资金补贴。"),
    ("qianwan", "山东省青岛前湾保税港区条例", "370000", "provincial", "对区内企业给予资金补贴。"),
    ("pudong", "上海市促进浦东新区商事调解规定", "310000", "provincial", "本规定适用于浦东新区。"),
    ("shantou", "汕头经济特区科技创新条例", "440000", "provincial", "对科技型企业给予奖励。"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return site_of(tmp_path_factory.mktemp("region-options"), [Policy(
        id=pid, title=title, url=f"http://www.example.gov.cn/{pid}.html", region_code=code,
        region_name=find_region(code).name, level=level, body_text=body, validity="有效",
        publish_date="2024-05-01") for pid, title, code, level, body in ROWS])


ids = found_ids


def test_a_national_law_for_one_place_is_not_found_elsewhere(site):
    client = site[2].test_client()
    body = client.get("/api/search?q=海南自由贸易港法&region=长沙县").get_json()
    assert "hainan" not in {h["id"] for h in body["hits"]}
    hit = next(h for h in client.get("/api/search?q=海南自由贸易港法").get_json()["hits"]
               if h["id"] == "hainan")
    assert hit["applies_in"] == ["海南省"]
    assert "hainan" in ids(client, "region=海口市")
    assert "national" in ids(client, "region=长沙县")


def test_a_zone_regulation_applies_in_the_zones_city(site):
    client = site[2].test_client()
    assert {"shantou"} & ids(client, "region=汕头市") and not {"shantou"} & ids(client, "region=广州市")
    assert "qianwan" in ids(client, "region=青岛市") and "qianwan" not in ids(client, "region=济南市")


def options(html: str) -> dict[str, str]:
    select = re.search(r'<select id="m-region".*?</select>', html, re.S).group(0)
    return {label.strip("\u3000"): code
            for code, label in re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', select)}


def test_match_offers_every_region_with_policies_and_its_parents(site):
    client = site[2].test_client()
    offered = options(client.get("/match").get_data(as_text=True))
    # issued there (青岛市 is no region of the deployment's table), applying there by the
    # title (浦东新区, 汕头市), and the divisions above them
    for name in ("青岛市", "山东省", "浦东新区", "上海市", "汕头市", "广东省", "海南省", "长沙县", "全国"):
        assert name in offered, name
    names = list(offered)
    assert names.index("山东省") < names.index("青岛市") < names.index("河南省")
    assert names.index("上海市") < names.index("浦东新区") < names.index("江苏省")
    response = client.get("/api/match?region=青岛市&need=资金")
    assert response.status_code == 200 and response.get_json()["profile"]["region"] == "370200"
    page = client.get(f"/match?region={offered['青岛市']}").get_data(as_text=True)
    assert re.search(r'<option value="370200" selected>', page)


def test_without_an_index_match_offers_the_regions_policies_were_issued_in(site):
    from tests.web.staff_site import NoIndex
    from web import create_app

    settings, store, _ = site
    app = create_app(settings, store=store, index=NoIndex(), testing=True)
    offered = options(app.test_client().get("/match").get_data(as_text=True))
    assert "青岛市" in offered and "山东省" in offered and "长沙县" in offered


def test_the_index_knows_where_its_policies_were_issued_and_apply(site):
    # /match reads the regions from the index while it is usable, the store only without it
    from index.search import SearchIndex

    settings, store, _ = site
    index = SearchIndex(settings.index_path)
    try:
        codes = set(index.region_codes())
    finally:
        index.close()
    assert set(store.policies.region_codes()) <= codes     # issued in (山东省 for 前湾)
    assert {"460000", "370200", "440500", "310115"} <= codes   # applies in: 海南, 青岛, 汕头, 浦东
