"""A status marker before or after a title (已废止, [有效] …) is taken off and gives the validity
the record does not state — on import, on crawl and over a store (`metadata tidy`)."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from policy_search.cli import main
from policy_search.domain.importer import policy_from_record
from policy_search.domain.metadata import strip_status_marker, tidy_metadata
from policy_search.domain.models import Policy
from policy_search.domain.store import Store


@pytest.mark.parametrize("title,clean,status", [
    # the corpus's own titles
    ("（已废止）关于金融机构对境外资产负债及损益申报业务有关事项的通知",
     "关于金融机构对境外资产负债及损益申报业务有关事项的通知", "废止"),
    ("[有效]浙江省人民政府关于印发浙江省盐业体制改革实施方案的通知",
     "浙江省人民政府关于印发浙江省盐业体制改革实施方案的通知", "有效"),
    # every bracket style, either end
    ("【失效】关于做好2019年中小企业发展专项资金申报工作的通知",
     "关于做好2019年中小企业发展专项资金申报工作的通知", "失效"),
    ("湖南省人民政府关于进一步降低企业成本的通知（已失效）", "湖南省人民政府关于进一步降低企业成本的通知", "失效"),
    ("长沙市促进中小企业发展若干措施 (部分失效)", "长沙市促进中小企业发展若干措施", "部分失效"),
    ("〔废止〕国务院关于某项工作的通知", "国务院关于某项工作的通知", "废止"),
    ("［现行有效］中华人民共和国中小企业促进法", "中华人民共和国中小企业促进法", "有效"),
])
def test_a_status_marker_leaves_the_title_and_gives_the_validity(title, clean, status):
    assert strip_status_marker(title) == (clean, status)
    policy = tidy_metadata(Policy(id="p", title=title))
    assert (policy.title, policy.validity) == (clean, status)


@pytest.mark.parametrize("title", [
    "关于废止《湖南省企业技术中心认定管理办法》的通知",     # 废止 is what it does, not its status
    "国务院关于宣布失效一批国务院文件的决定",
    "关于公布现行有效规章目录的通知",
    "国家税务总局关于公布全文失效废止、部分条款失效废止的税收规范性文件目录的公告",
    "关于进一步加强行政规范性文件管理的通知（2021年修订）",
    "（有效）",                                                # nothing but a marker: kept
])
def test_a_title_that_only_speaks_of_validity_is_kept(title):
    assert strip_status_marker(title) == (title, None)
    assert tidy_metadata(Policy(id="p", title=title)).validity == "未知"


def test_a_stated_validity_wins_over_the_marker():
    policy = tidy_metadata(Policy(id="p", title="[有效]某市关于扶持小微企业的通知", validity="废止"))
    assert (policy.title, policy.validity) == ("某市关于扶持小微企业的通知", "废止")


def test_import_takes_the_marker_off_and_keeps_the_id():
    record = {"title": "（已废止）关于金融机构对境外资产负债及损益申报业务有关事项的通知",
              "issuer": "国家外汇管理局", "level": "国家", "url": "https://www.gov.cn/a.htm"}
    policy = policy_from_record(record)
    assert policy.title.startswith("关于金融机构") and policy.validity == "废止"
    assert policy.id == policy_from_record(record).id


def test_metadata_tidy_takes_the_marker_off_stored_titles(tmp_path):
    store = Store(tmp_path / "policies.sqlite3")
    store.policies.upsert(Policy(id="marked", title="[有效]浙江省人民政府关于印发浙江省盐业体制改革实施方案的通知",
                                 level="provincial", region_code="330000", region_name="浙江省"))
    seq = store.policies.last_change()
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "metadata", "tidy", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "整理 1 篇" in result.output and "标题 1" in result.output and "有效性 1" in result.output
    stored = store.policies.get("marked")
    assert (stored.title, stored.validity) == ("浙江省人民政府关于印发浙江省盐业体制改革实施方案的通知", "有效")
    assert store.policies.changes_since(seq)[1] == ["marked"]
