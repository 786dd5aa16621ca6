"""Facet values people can read, on the real corpus: issuers are names (no codes, no cut
names, no databases, no bare places), a document sits at the level and in the region that
issued it, 主题分类 is a path; and which link counts as the original."""
from __future__ import annotations

import json
import re

import pytest

from policy_search.domain.importer import policy_from_record
from policy_search.domain.issuers import clean_issuer, is_place, is_republisher
from policy_search.domain.links import is_official_url, original_url
from policy_search.domain.metadata import tidy_metadata
from policy_search.domain.models import Policy
from policy_search.domain.regions import division_chain, find_region, level_of_code
from policy_search.domain.subjects import subject_label, subject_path, subject_prefixes
from tests.conftest import shared_path

pytestmark = pytest.mark.slow  # the whole corpus and a metadata sample are read and imported once (~20 s)

METADATA_STEP = 7  # every 7th metadata record: ~4,600 more issuers derived from titles


@pytest.fixture(scope="module")
def corpus() -> list[tuple[dict, Policy]]:
    """(raw record, imported policy) for every document and a sample of the metadata."""
    pairs = []
    for name, step in (("documents.jsonl", 1), ("metadata.jsonl", METADATA_STEP)):
        with open(shared_path("corpus", name), encoding="utf-8") as f:
            for number, line in enumerate(f):
                if number % step == 0:
                    record = json.loads(line)
                    pairs.append((record, policy_from_record(record)))
    return pairs


def issuer_names(policy: Policy) -> list[str]:
    return [n for n in (policy.issuer or "").split("、") if n]


def test_issuers_are_names_a_person_uses(corpus):
    from policy_search.domain.issuers import _agencies

    full_names = set(_agencies()[0])
    seen = set()
    for record, policy in corpus:
        for name in issuer_names(policy):
            seen.add(name)
            assert not name.isascii(), (record["title"], name)               # MOHURD, NHC
            assert not is_republisher(name), (record["title"], name)       # …数据库
            assert not is_place(name), (record["title"], name)              # 上海, 江西
            cut_of = [f for f in full_names if f.startswith(name) and f != name]
            assert not cut_of or name in full_names, (record["title"], name, cut_of)  # 全国人民代表
            assert not re.search(r"人民政$|人民代表$|委员$|办公$", name), name
    assert len(seen) > 120  # titles name many more agencies than the raw column (74 values)


def test_known_bad_values_of_the_corpus(corpus):
    by_raw = {}
    for record, policy in corpus:
        by_raw.setdefault((record.get("issuer"), record.get("region")), []).append((record, policy))
    [(_, npc)] = by_raw[("全国人民代表", "全国")]
    assert npc.issuer == "全国人民代表大会常务委员会"  # the title says 全国人大常委会
    [(_, speech)] = by_raw[("习近平重要讲话数据库", "全国")]
    assert speech.issuer is None
    [(_, mohurd)] = by_raw[("江西", "MOHURD")]
    assert (mohurd.issuer, mohurd.level, mohurd.region_name) == ("住房和城乡建设部", "national", "全国")
    [(_, nhc)] = by_raw[("成都", "NHC")]
    assert nhc.issuer == "国家卫生健康委员会" and nhc.region_code == "100000"
    shanghai = {p.issuer for _, p in by_raw[("上海", "上海市")]}
    assert "上海市民政局" in shanghai and "上海" not in shanghai
    for (raw, _), pairs in by_raw.items():
        if raw in ("发展改革委", "外汇管理局", "卫生健康委", "市场监督管理总局", "人力资源社会保障部"):
            assert all(p.issuer.startswith(("国家", "人力资源和")) for _, p in pairs), raw


def test_regions_are_divisions(corpus):
    for record, policy in corpus:
        if policy.region_name:
            region = find_region(policy.region_name)
            assert region is not None and region.code == policy.region_code, record["title"]
            assert policy.level == level_of_code(policy.region_code), record["title"]


def test_a_citys_document_is_at_city_level(corpus):
    """City regulations filed under their province (菏泽, 威海 … as 省 · 山东省) are the city's."""
    checked = 0
    for record, policy in corpus:
        chain = division_chain(record["title"])
        recorded = find_region(record.get("region"))
        if not chain or recorded is None or chain[0].code == recorded.code:
            continue
        if record.get("level") == "provincial" and level_of_code(chain[0].code) == "city" \
                and chain[0].code.startswith(recorded.code[:2]):
            assert (policy.level, policy.region_name) == ("city", chain[0].name), record["title"]
            checked += 1
    assert checked > 500
    heze = [p for r, p in corpus if r["title"].startswith(("菏泽市", "威海市"))]
    assert heze and all(p.level == "city" and p.region_name in ("菏泽市", "威海市") for p in heze)


@pytest.mark.parametrize("title, region, issuer, expected", [
    # a title opening with an agency: issued by the last division named
    ("北京市密云区人民政府关于印发补偿暂行规定的通知", "北京市", "北京", ("county", "密云区", "北京市密云区人民政府")),
    # one opening with a place: issued by the first (the rest says where it applies)
    ("上海市浦东新区城市管理领域非现场执法规定", "上海市", None, ("provincial", "上海市", None)),
    ("鹤壁市浚县古城保护条例", "河南省", None, ("city", "鹤壁市", None)),
    ("景宁畲族自治县城市管理条例", "浙江省", None, ("county", "景宁畲族自治县", None)),
    # never broader than the record, never outside it
    ("湖南省人民政府关于印发方案的通知", "长沙县", None, ("county", "长沙县", "湖南省人民政府")),
    ("福建省人民政府广东省人民政府关于闽粤经济合作区发展规划的批复", "广东省", None,
     ("provincial", "广东省", "福建省人民政府、广东省人民政府")),
    # a place in the issuer column says where
    ("乌兰察布东路街道高院社区开展垃圾分类宣传", "内蒙古自治区", "乌兰察布", ("city", "乌兰察布市", None)),
    # an agency named by its level on that level's site
    ("市水务局关于对泵站更新改造工程水土保持方案报告书的批复", "天津市", "天津", ("provincial", "天津市", "天津市水务局")),
])
def test_level_region_and_issuer_from_issuer_and_title(title, region, issuer, expected):
    policy = policy_from_record({"title": title, "region": region, "issuer": issuer})
    assert (policy.level, policy.region_name, policy.issuer) == expected


def test_tidying_twice_changes_nothing(corpus):
    import copy

    for _, policy in corpus[::13]:
        again = tidy_metadata(copy.deepcopy(policy))
        assert (again.issuer, again.level, again.region_code, again.region_name, again.subject) == \
               (policy.issuer, policy.level, policy.region_code, policy.region_name, policy.subject)


@pytest.mark.parametrize("value, title, national, expected", [
    ("湖南省人民政", "", False, "湖南省人民政府"),
    ("全国人民代表", "关于某某的决定", True, "全国人民代表大会"),
    ("湖南省人民代表大会", "", False, "湖南省人民代表大会"),   # whole: not made longer
    ("国家发展", "", True, "国家发展"),                          # two organs begin so: left alone
    ("发展改革委", "", False, "发展改革委"),                      # a province's own, not the NDRC
    ("MOF、SAMR", "", False, "财政部、国家市场监督管理总局"),
    ("中国政府网", "", True, None),
    ("省政府办公厅", "江西省人民政府办公厅关于做好有关工作的通知", False, "江西省人民政府办公厅"),
])
def test_clean_issuer(value, title, national, expected):
    assert clean_issuer(value, title, national=national, place="江西省" if "江西" in title else None) == expected


def test_a_long_issuer_survives_import_and_indexing_whole():
    from index.schema import keyword_fields

    policy = policy_from_record({"title": "关于某项工作的通知", "level": "national",
                                 "issuer": "全国人民代表大会常务委员会办公厅、国务院办公厅"})
    assert keyword_fields(policy)["issuer"] == ["全国人民代表大会常务委员会办公厅", "国务院办公厅"]


def test_subjects_are_paths():
    assert subject_path("财政、金融、审计\\银行") == ("财政、金融、审计", "银行")
    assert subject_label(" 财政、金融、审计 / 银行 ") == "财政、金融、审计 › 银行"
    assert subject_label("综合政务＼政务公开") == "综合政务 › 政务公开"
    assert subject_label("市场监管、安全生产监管") == "市场监管、安全生产监管"
    assert subject_label("") is None and subject_label(None) is None
    assert subject_prefixes("财政、金融、审计\\银行") == ["财政、金融、审计", "财政、金融、审计 › 银行"]
    assert subject_label(subject_label("审计\\银行")) == "审计 › 银行"


def test_the_corpus_subjects_are_stored_as_paths(corpus):
    subjects = {p.subject for _, p in corpus if p.subject}
    assert subjects and not any("\\" in s for s in subjects)
    assert "财政、金融、审计 › 银行" in subjects


@pytest.mark.parametrize("url, official", [
    ("http://www.gov.cn/zhengce/content/2019-01/01/content_1.htm", True),
    ("https://www.hunan.gov.cn/a.html", True),
    ("http://xxgk.csx.gov.cn:8080/a.html", True),
    ("https://GOV.CN/a", True),
    ("https://s.fjlib.net:6443/interlibSSO/goto/385/+c-s-9odnokd9bnl9bm/pd/gzbg/detail.html?id=1", False),
    ("https://zh.wikisource.org/wiki/中华人民共和国宪法", False),
    ("https://www.waizi.org.cn/law/78048.html", False),
    ("http://jhsjk.people.cn/article/31437371", False),
    ("https://evilgov.cn/a", False),
    ("https://www.gov.cn.evil.example/a", False),
    ("javascript:alert(1)//www.gov.cn", False),
    ("ftp://www.gov.cn/a", False),
    (None, False),
    ("http://127.0.0.2:8123/detail/1.html", True),     # a crawl source's host (below)
    ("http://news.county.example/a.html", True),      # a subdomain of one
])
def test_the_original_is_on_a_government_site(url, official):
    hosts = ["127.0.0.2", "county.example"]
    assert is_official_url(url, hosts) is official
    assert original_url(url, hosts) == (url.strip() if official else None)


def test_corpus_links_that_are_not_originals(corpus):
    offered = [p.url for _, p in corpus if p.url and is_official_url(p.url)]
    refused = {re.sub(r"^https?://([^/]+).*", r"\1", p.url) for _, p in corpus
               if p.url and not is_official_url(p.url)}
    assert len(offered) > 4000
    assert "s.fjlib.net:6443" in refused and "zh.wikisource.org" in refused
    assert not any(host.endswith(".gov.cn") for host in refused)


def test_metadata_tidy_cleans_a_store_filled_before_the_rules(tmp_path):
    """A store filled by an older version keeps raw values until `metadata tidy` runs; the
    changes go through the change log, so the index follows."""
    from click.testing import CliRunner

    from policy_search.cli import main
    from policy_search.domain.store import Store

    store = Store(tmp_path / "policies.sqlite3")
    raw = [
        Policy(id="mohurd", title="江西省省长吴新雄指出 扎实推进城乡一体化发展试点工作",
               issuer="江西", level="provincial", region_name="MOHURD"),
        Policy(id="heze", title="菏泽市非物质文化遗产条例", level="provincial",
               region_code="370000", region_name="山东省", subject="文化\\非物质文化遗产"),
        Policy(id="clean", title="国务院关于某项工作的通知", issuer="国务院", level="national",
               region_code="100000", region_name="全国"),
    ]
    for policy in raw:
        store.policies.upsert(policy)
    seq = store.policies.last_change()
    runner = CliRunner()
    args = ["--data-dir", str(tmp_path), "metadata", "tidy", "--quiet"]
    result = runner.invoke(main, [*args, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "整理 2 篇" in result.output and store.policies.last_change() == seq
    assert store.policies.get("heze").level == "provincial"
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "整理 2 篇" in result.output and "发文地区 2" in result.output
    mohurd, heze = store.policies.get("mohurd"), store.policies.get("heze")
    assert (mohurd.issuer, mohurd.level, mohurd.region_name) == ("住房和城乡建设部", "national", "全国")
    assert (heze.level, heze.region_code, heze.region_name) == ("city", "371700", "菏泽市")
    assert heze.subject == "文化 › 非物质文化遗产"
    assert sorted(store.policies.changes_since(seq)[1]) == ["heze", "mohurd"]
    result = runner.invoke(main, args)
    assert "整理 0 篇" in result.output
