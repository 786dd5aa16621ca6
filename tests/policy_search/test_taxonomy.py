"""The taxonomy file, staff-added values (versioned) and query-expansion synonym groups."""
from __future__ import annotations

import pytest

from policy_search.domain.models import Policy
from policy_search.domain.tagging import propose
from policy_search.domain.taxonomy import (
    current_taxonomy, load_shipped, load_taxonomy, save_value, synonym_groups,
)

INDUSTRY_CODES = list("ABCDEFGHIJKLMNOPQRST")
SUPPORT = ["资金补贴奖励", "税费减免", "融资信贷", "人才支持", "科技创新", "用地用房", "市场开拓",
           "稳岗就业", "降本减负", "数字化转型", "绿色低碳", "政务服务便利", "法律服务"]
ENTERPRISE = ["小微企业", "中小企业", "个体工商户", "民营企业", "高新技术企业", "科技型中小企业",
              "专精特新", "外贸企业", "初创企业", "规模以上企业", "农业经营主体"]


def test_shipped_taxonomy_has_the_designed_facets_and_values():
    taxonomy = load_shipped()
    assert taxonomy.labels() == {"industry": "行业", "support": "支持方式", "enterprise": "企业类型"}
    industry = taxonomy.facet("industry")
    assert [v.code for v in industry.values if v.code] == INDUSTRY_CODES
    assert industry.get("不限行业").fallback
    assert industry.get("制造业").code == "C"
    assert [v.value for v in taxonomy.facet("support").values] == SUPPORT
    assert [v.value for v in taxonomy.facet("enterprise").values] == ENTERPRISE
    for facet in taxonomy.facets.values():
        for value in facet.values:
            assert value.keywords, value.value


def test_synonym_groups_hold_equivalent_terms():
    groups = synonym_groups()
    by_head = {g[0]: g for g in groups}
    assert "专业化、精细化、特色化、新颖化" in by_head["专精特新"]
    assert {"小型微利企业", "小型微型企业"} <= set(by_head["小微企业"])
    assert all(len(g) == len(set(g)) >= 2 for g in groups)


def test_a_file_adds_facets_without_code(tmp_path):
    path = tmp_path / "taxonomy.toml"
    path.write_text(
        '[facets.scene]\nlabel = "场景"\nthreshold = 3.0\n'
        '[[facets.scene.values]]\nvalue = "疫情纾困"\nsynonyms = ["纾困解难"]\n'
        'keywords = { "疫情" = 2, "re:纾困.{0,4}措施" = 3 }\n', encoding="utf-8")
    taxonomy = load_shipped(path)
    policy = Policy(id="x", title="关于应对疫情的纾困帮扶措施", body_text="受疫情影响的企业。")
    assert [(p.facet, p.value) for p in propose(policy, taxonomy)] == [("scene", "疫情纾困")]


def test_bad_taxonomy_data_is_refused(tmp_path):
    path = tmp_path / "taxonomy.toml"
    path.write_text('[facets.x]\nlabel = "X"\n[[facets.x.values]]\nvalue = "甲"\n'
                    'keywords = { "re:([" = 2 }\n', encoding="utf-8")
    with pytest.raises(ValueError, match="regular expression"):
        load_shipped(path)


def test_staff_values_are_versioned_and_merged_over_the_file(store):
    assert save_value(store, "industry", "低空经济", "admin1", synonyms=["无人机产业"],
                      keywords={"低空": 2.5, "无人机": 3}) == 1
    taxonomy = load_taxonomy(store)
    added = taxonomy.get("industry", "低空经济")
    assert (added.origin, added.version, added.synonyms) == ("store", 1, ["无人机产业"])
    assert ["低空经济", "无人机产业"] in synonym_groups(store)

    # a revision is a new version; the history keeps both, who and when
    assert save_value(store, "industry", "低空经济", "admin2", synonyms=["低空产业"],
                      keywords={"低空": 3}, note="改同义词") == 2
    history = store.taxonomy.history("industry", "低空经济")
    assert [(h["version"], h["by_user"], h["data"]["synonyms"]) for h in history] == [
        (1, "admin1", ["无人机产业"]), (2, "admin2", ["低空产业"])]
    assert all(h["at"] for h in history)
    assert current_taxonomy(store).get("industry", "低空经济").synonyms == ["低空产业"]

    # the merged value is used by the tagger
    policy = Policy(id="x", title="关于促进低空经济发展的若干措施", body_text="支持低空产业。")
    assert "低空经济" in {p.value for p in propose(policy, load_taxonomy(store))}

    # a shipped value can be revised by staff too; retiring hides it from tagging and expansion
    save_value(store, "enterprise", "专精特新", "admin1", synonyms=["小巨人企业"])
    assert load_taxonomy(store).get("enterprise", "专精特新").synonyms == ["小巨人企业"]
    save_value(store, "industry", "低空经济", "admin1", active=False)
    taxonomy = load_taxonomy(store)
    assert "低空经济" not in [v.value for v in taxonomy.facet("industry").active_values()]
    assert all(g[0] != "低空经济" for g in taxonomy.synonym_groups())
    assert len(store.taxonomy.history("industry", "低空经济")) == 3


def test_staff_values_are_validated(store):
    with pytest.raises(ValueError, match="unknown facet"):
        save_value(store, "nope", "x", "admin1")
    with pytest.raises(ValueError):
        save_value(store, "industry", " 空格 ", "admin1")
    with pytest.raises(ValueError):
        save_value(store, "industry", "甲", "admin1", keywords={"甲": 99})
    assert store.taxonomy.history() == []


def test_complete_finds_values_and_synonyms():
    taxonomy = load_shipped()
    assert ("enterprise", "小微企业") in taxonomy.complete("小型微利")
    assert taxonomy.complete("制造", facet="industry")[0] == ("industry", "制造业")
    assert taxonomy.complete("C", facet="industry") == [("industry", "制造业")]
