import json
import re

import pytest

from policy_search.domain.normalize import (
    clean_doc_number, doc_number_key, find_doc_number, normalize_level, parse_date,
)
from policy_search.domain.regions import find_region, level_of_code, parent_codes
from tests.conftest import shared_path


@pytest.mark.parametrize("raw, iso", [
    ("2021年5月8日", "2021-05-08"),
    ("2021.05.08", "2021-05-08"),
    ("2021-5-8", "2021-05-08"),
    ("2021/05/08", "2021-05-08"),
    ("２０２１年０５月０８日", "2021-05-08"),   # full-width digits
    ("20210508", "2021-05-08"),
    ("2021-05-08 10:30:00", "2021-05-08"),
    ("发布时间：2019年 2 月 14 日", "2019-02-14"),
    ("二〇一九年二月十四日", "2019-02-14"),
    ("二〇二〇年十二月三十一日", "2020-12-31"),
    ("2018-11-09", "2018-11-09"),
    ("", None),
    (None, None),
])
def test_dates_in_common_forms(raw, iso):
    assert parse_date(raw) == iso


@pytest.mark.parametrize("raw", ["不详", "2021年13月1日", "2021-02-30", "明年"])
def test_unparsable_dates_raise(raw):
    with pytest.raises(ValueError):
        parse_date(raw)


def test_doc_number_bracket_and_width_variants_share_a_key():
    variants = ["国办函〔2018〕71号", "国办函[2018]71号", "国办函【2018】71号", "国办函（2018）71号",
                "国办函(2018)71号", "国办函［２０１８］７１号", " 国办函 〔2018〕 71号 ", "国办函﹝2018﹞71号"]
    keys = {doc_number_key(v) for v in variants}
    assert keys == {"国办函201871号"}


def test_doc_number_cleaning_keeps_published_form_and_drops_stray_text():
    assert clean_doc_number(" 湘政发〔2021〕5号 ") == "湘政发〔2021〕5号"
    assert clean_doc_number("豫政 〔1981〕184号") == "豫政〔1981〕184号"
    assert clean_doc_number("国办发〔2019〕6号（此件公开发布）") == "国办发〔2019〕6号"
    assert clean_doc_number("省政府令 第5号") == "省政府令第5号"
    assert doc_number_key("省政府令 第5号") == doc_number_key("省政府令5号")
    assert clean_doc_number("   ") is None
    assert find_doc_number("根据《通知》（国办发〔2019〕6号）要求") == "国办发〔2019〕6号"


@pytest.mark.parametrize("raw, title, cleaned", [
    # the end of the title spilled into the field by an export
    ("管理秩序意见的通知国办发〔2001〕85号", "国务院办公厅转发国土资源部等部门对矿产资源开发进行整合意见的"
     "通知关于进一步治理整顿矿产资源管理秩序意见的通知", "国办发〔2001〕85号"),
    ("业企业正常生产的决定国发（1982）103号", "国务院关于保护国营矿业企业正常生产的决定", "国发（1982）103号"),
    # an issuer that happens to end the title, or a short overlap, is kept
    ("湖南省人民政府令第5号", "湖南省人民政府令", "湖南省人民政府令第5号"),
    ("通知国发〔2019〕4号", "关于印发某方案的通知", "通知国发〔2019〕4号"),
    ("湘政发〔2021〕5号", "湖南省人民政府关于印发某方案的通知", "湘政发〔2021〕5号"),
])
def test_title_spilled_into_the_doc_number_is_dropped(raw, title, cleaned):
    assert clean_doc_number(raw, title) == cleaned


def test_title_spills_of_the_real_corpus_leave_an_issuer_and_number():
    spilled = 0
    for name in ("documents.jsonl", "metadata.jsonl"):
        with open(shared_path("corpus", name), encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                if not row.get("doc_number"):
                    continue
                plain = clean_doc_number(row["doc_number"])
                cleaned = clean_doc_number(row["doc_number"], row.get("title"))
                if cleaned != plain:
                    spilled += 1
                    assert plain.endswith(cleaned) and row["title"].endswith(plain[:-len(cleaned)])
                    assert re.fullmatch(r"[\u4e00-\u9fff]{2,6}〔(19|20)\d\d〕\d+号", cleaned), cleaned
    assert spilled > 50  # the gov.cn export of old State Council documents does this


def test_doc_numbers_of_the_real_corpus_normalize():
    """Every 文号 of the shared metadata gets a key without brackets or spaces."""
    seen_spaced = 0
    with open(shared_path("corpus", "metadata.jsonl"), encoding="utf-8") as f:
        for line in f:
            raw = json.loads(line)["doc_number"]
            if not raw:
                continue
            cleaned = clean_doc_number(raw)
            key = doc_number_key(cleaned)
            assert key and not any(ch in key for ch in " 〔〕[]【】()（）"), raw
            assert key == doc_number_key(raw)
            seen_spaced += " " in raw
    assert seen_spaced > 10  # the messy real values (豫政 〔1981〕184号) were exercised


@pytest.mark.parametrize("raw, level", [
    ("national", "national"), ("国家", "national"), ("省级", "provincial"), ("Provincial", "provincial"),
    ("市", "city"), ("city", "city"), ("县", "county"), ("区县", "county"), (None, None), ("", None),
])
def test_levels_in_chinese_or_english(raw, level):
    assert normalize_level(raw) == level


def test_unknown_level_raises():
    with pytest.raises(ValueError):
        normalize_level("宇宙级")


def test_regions_to_codes_and_parents():
    assert find_region("湖南省").code == "430000"
    assert find_region("湖南").code == "430000"
    assert find_region("长沙县").code == "430121"
    assert find_region("全国").code == "100000"
    assert find_region("430100").name == "长沙市"
    assert find_region("MOHURD") is None
    assert parent_codes("430121") == ["430121", "430100", "430000", "100000"]
    assert parent_codes("430000") == ["430000", "100000"]
    assert level_of_code("430121") == "county" and level_of_code("430100") == "city"
