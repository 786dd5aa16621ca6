import json

import pytest
from click.testing import CliRunner

from policy_search.cli import main
from tests.crawler.site import sources_toml


def run(tmp_path, gov_site, *args, sources=None):
    sources_file = tmp_path / "sources.toml"
    sources_file.write_text(sources or sources_toml(gov_site), "utf-8")
    env = {"POLICY_SEARCH_SOURCES_FILE": str(sources_file), "POLICY_SEARCH_CRAWL_DELAY": "0.05",
           "POLICY_SEARCH_CRAWL_JITTER": "0", "POLICY_SEARCH_CRAWL_TIMEOUT": "0.5",
           "POLICY_SEARCH_CRAWL_RETRIES": "0"}
    return CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), *args], env=env)


@pytest.mark.slow
def test_crawl_command_reports_per_source_figures(tmp_path, gov_site):
    result = run(tmp_path, gov_site, "crawl", "--source", "csx", "--source", "hunan-wjk",
                 "--max-pages", "5")
    assert result.exit_code == 0, result.output
    assert "各来源结果" in result.output
    assert "csx (长沙县人民政府): 完成；列表页 1，抓取 2，新增 2" in result.output
    assert "hunan-wjk" in result.output and "新增 3" in result.output
    again = run(tmp_path, gov_site, "crawl", "--source", "csx", "--quiet")
    # The list answered 304: nothing new, no detail page fetched.
    assert "csx (长沙县人民政府): 完成；列表页 1，抓取 0，新增 0" in again.output


def test_crawl_command_explains_unreachable_sources(tmp_path, gov_site):
    sources = """
[[source]]
id = "down"
name = "不可达的来源"
region_code = "430121"
allowed_hosts = ["127.0.0.1"]
[[source.entries]]
kind = "trs"
url = "http://127.0.0.1:9/index.html"
"""
    result = run(tmp_path, gov_site, "crawl", sources=sources)
    assert result.exit_code == 1
    assert "不可达的来源 (down)" in result.output and "policy-search import" in result.output
    unknown = run(tmp_path, gov_site, "crawl", "--source", "nope", sources=sources)
    assert unknown.exit_code == 2 and "未知的来源" in unknown.output


def test_extract_command_on_a_saved_fragment(tmp_path, gov_site, shared_pages):
    page = shared_pages / "govcn-2019" / "content_5338761.html"
    result = run(tmp_path, gov_site, "extract", str(page), "--url",
                 "http://www.gov.cn/zhengce/content/2018-11/09/content_5338761.htm", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["doc_number"] == "国办函〔2018〕71号" and data["written_date"] == "2018-10-27"
    assert data["body"].startswith("国务院办公厅关于印发")
