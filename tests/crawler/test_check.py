"""`sources check` against the fixture site (broken entries included), and the field
counts a crawl keeps so the dashboard can flag a source whose pages lose fields."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from policy_search.cli import main
from policy_search.dashboard import field_alarms, sources_health
from policy_search.domain.store import Store

from crawler.run import crawl_sources
from crawler.sources import load_sources
from tests.crawler.conftest import make_settings
from tests.crawler.site import Page, fault_sources_toml, pick_sources, sources_toml, trs_list


def bare_source(gov_site) -> str:
    """A source whose list works but whose pages carry no date and hardly any body."""
    for number in range(4):
        gov_site.pages[f"/bare/doc{number}.html"] = Page(
            f"<html><head><title>关于第{number}批项目的通知</title></head>"
            f"<body><h1>关于第{number}批项目的通知</h1><p>见附件。</p></body></html>".encode())
    gov_site.pages["/bare/index.html"] = Page(trs_list(
        [(f"{gov_site.base}/bare/doc{n}.html", f"关于第{n}批项目的通知", "") for n in range(4)], 1, 0))
    return f"""
[[source]]
id = "bare"
name = "只有标题的页面"
level = "county"
region_code = "430121"
allowed_hosts = ["127.0.0.1"]
link_pattern = '/bare/doc\\d+\\.html'
[[source.entries]]
kind = "links"
url = "{gov_site.base}/bare/index.html"
"""




@pytest.fixture
def check_env(tmp_path, gov_site):
    text = (sources_toml(gov_site) + pick_sources(fault_sources_toml(gov_site), "jslist", "unreachable")
            + bare_source(gov_site))
    settings = make_settings(tmp_path, text, crawl_retries=0)
    return settings


def run_check(settings, *args) -> tuple[int, list[dict]]:
    env = {"POLICY_SEARCH_SOURCES_FILE": str(settings.sources_file),
           "POLICY_SEARCH_CRAWL_DELAY": "0.05", "POLICY_SEARCH_CRAWL_JITTER": "0",
           "POLICY_SEARCH_CRAWL_RETRIES": "0", "POLICY_SEARCH_CRAWL_CONNECT_TIMEOUT": "2"}
    result = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "sources", "check",
                                       *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_sources_check_reports_items_and_fields_and_flags_the_broken_ones(check_env):
    code, output = run_check(check_env, "--json")
    assert code == 1  # some sources have problems
    checks = {c["id"]: c for c in json.loads(output)}
    assert set(checks) == {s.id for s in load_sources(check_env)}

    govcn = checks["govcn-lists"]
    assert govcn["ok"] and govcn["problems"] == []
    entry = govcn["entries"][0]
    assert (entry["items"], entry["page_count"]) == (10, 5)
    assert set(entry["detail"]["fields"]) == {"title", "publish_date", "issuer", "doc_number", "body"}
    assert entry["detail"]["fields"]["doc_number"].startswith("国办")
    assert checks["jiangxi"]["ok"] and checks["jiangxi"]["entries"][0]["items"] == 25
    assert checks["govcn-api"]["entries"][0]["detail"]["fields"]["publish_date"] == "2024-03-07"
    # The county page has no 文号: reported as missing, not a problem.
    assert checks["csx"]["ok"] and checks["csx"]["entries"][0]["detail"]["missing"] == ["doc_number"]

    assert checks["jslist"]["ok"] is False
    assert "没有发现任何条目" in checks["jslist"]["problems"][0]
    unreachable = checks["unreachable"]
    assert unreachable["ok"] is False and "列表页无法获取" in unreachable["entries"][0]["error"]
    bare = checks["bare"]["entries"][0]
    assert bare["items"] == 4 and set(bare["detail"]["missing"]) == {"publish_date", "issuer",
                                                                      "doc_number", "body"}
    assert checks["bare"]["problems"][0].endswith("详情页缺少：发布日期、正文")


@pytest.mark.slow
def test_sources_check_of_one_source_in_words_is_kept_with_it(check_env):
    code, output = run_check(check_env, "--source", "hunan-wjk")
    assert code == 0, output
    assert "hunan-wjk（湖南省人民政府 文件库）：正常" in output
    assert "列表第一页 2 条，共 2 页" in output and "✓ 文号：湘科发〔2024〕5号" in output
    code, output = run_check(check_env, "--source", "jslist")
    assert code == 1 and "✗ 列表页没有发现任何条目" in output
    code, output = run_check(check_env, "--source", "nope")
    assert code == 2 and "未知的来源: nope" in output

    # The check is kept with the source, and a crawl leaves it there.
    store = Store(check_env.db_path)
    kept = store.sources.state("hunan-wjk")["state"]["check"]
    assert kept["ok"] and kept["entries"][0]["items"] == 2
    crawl_sources(store, check_env, source_ids=["hunan-wjk"])
    assert store.sources.state("hunan-wjk")["state"]["check"] == kept
    health = {h["id"]: h for h in sources_health(store, load_sources(check_env))}
    assert health["hunan-wjk"]["check"]["ok"] is True
    store.close()


@pytest.mark.slow
def test_a_crawl_counts_fields_and_the_dashboard_flags_pages_without_them(check_env):
    store = Store(check_env.db_path)
    results = {r.source_id: r for r in crawl_sources(store, check_env,
                                                      source_ids=["govcn-lists", "bare"])}
    govcn = results["govcn-lists"]
    assert govcn.extracted == 42
    assert govcn.fields["title"] == govcn.fields["publish_date"] == govcn.fields["body"] == 42
    assert results["bare"].fields == {"title": 4}
    health = {h["id"]: h for h in sources_health(store, load_sources(check_env))}
    assert health["govcn-lists"]["alarms"] == []
    assert health["bare"]["alarms"] == [
        "页面缺少字段：100% 的页面没有提取到发布日期（页面结构可能与提取规则不符，可在来源页“检查”）",
        "页面缺少字段：100% 的页面没有提取到正文（页面结构可能与提取规则不符，可在来源页“检查”）"]
    store.close()


def figures(pages: int, **fields) -> dict:
    return {"extracted": pages, "fields": fields}


def test_a_field_the_pages_usually_carry_is_flagged_when_it_goes():
    usual = [figures(20, title=20, publish_date=20, issuer=19, doc_number=18, body=20)] * 3
    assert field_alarms(figures(20, title=20, publish_date=20, issuer=20, doc_number=17,
                                body=20), usual) == []
    lost = field_alarms(figures(20, title=20, publish_date=20, issuer=2, doc_number=18, body=20),
                        usual)
    assert lost == ["页面丢失字段：有发文机关的页面从通常的 95% 降到 10%（页面结构可能已变，可在来源页“检查”）"]
    # Too few pages say nothing either way.
    assert field_alarms(figures(2, title=2), usual) == []
    # A source whose pages never had a 文号 is not flagged for it.
    assert field_alarms(figures(10, title=10, publish_date=10, body=10), []) == []
