"""Validity clauses → dates and status; repeal links between real documents in a store."""
import datetime as dt

import pytest

from policy_search.domain.derive import derive_all
from policy_search.domain.models import Policy
from policy_search.domain.validity import (EXPIRED, REPEALED, UNKNOWN, VALID, PolicyRef, RepealRef,
                                    derive_validity, link_repeals, validity_on)
from tests.policy_search.corpus import all_documents, real_policy


@pytest.mark.parametrize("text,publish,written,effective,expiry", [
    ("本办法自2020年1月1日起施行。", None, None, "2020-01-01", None),
    ("本通知自印发之日起施行，有效期3年。", "2021-06-10", "2021-06-01", "2021-06-01", "2024-05-31"),
    ("本措施自发布之日起实施，有效期至2022年12月31日。", "2020-02-12", None, "2020-02-12",
     "2022-12-31"),
    ("本办法自2019年3月1日起施行，有效期五年。", None, None, "2019-03-01", "2024-02-29"),
    ("本细则执行期限为2021年1月1日至2023年12月31日。", None, None, "2021-01-01", "2023-12-31"),
    ("以上政策执行至2025年12月31日。", None, None, None, "2025-12-31"),
    # the term of something else is not the policy's
    ("机动车驾驶证的有效期为6年，本条例另有规定的除外。", None, None, None, None),
    ("往来港澳通行证有效期五年，可以延期二次。本办法自发布之日起施行。", "1986-12-03", None,
     "1986-12-03", None),
    ("申报单位应在证书有效期内。", None, None, None, None),
])
def test_effective_and_expiry_dates(text, publish, written, effective, expiry):
    info = derive_validity(text, publish, written)
    assert (info.effective_date, info.expiry_date) == (effective, expiry)


def test_repeal_clause_names_title_and_doc_number():
    info = derive_validity("本解释公布施行后，《最高人民法院关于审理环境侵权责任纠纷案件适用法律若干问题的解释》"
                           "（法释〔2015〕12号）同时废止。")
    assert [(r.title, r.doc_number) for r in info.repeals] == [
        ("最高人民法院关于审理环境侵权责任纠纷案件适用法律若干问题的解释", "法释〔2015〕12号")]


def test_talk_about_repealing_names_nothing():
    assert derive_validity("对不符合规定的规章，应当予以废止。").repeals == []


def test_link_by_doc_number_in_any_bracket_style_and_by_issued_title():
    old = PolicyRef("a", "关于印发《某省中小企业扶持办法》的通知", "某政发[2015]3号", "2015-01-01")
    other = PolicyRef("b", "某省中小企业扶持办法", None, "2014-01-01")
    later = PolicyRef("c", "某省中小企业扶持办法（修订）", None, "2030-01-01")
    repealer = PolicyRef("new", "关于印发新办法的通知", None, "2020-01-01")
    by_number = link_repeals(repealer, [RepealRef(doc_number="某政发〔2015〕3号", evidence="e")],
                             [old, other, later])
    assert by_number == [("a", "e")]
    by_title = link_repeals(repealer, [RepealRef(title="某省中小企业扶持办法", evidence="e")],
                            [old, other, later, repealer])
    assert sorted(i for i, _ in by_title) == ["a", "b"]  # never the later one, never itself


@pytest.mark.parametrize("kwargs,expected", [
    (dict(effective_date="2020-01-01", expiry_date=None), VALID),
    (dict(effective_date="2020-01-01", expiry_date="2022-12-31"), EXPIRED),
    (dict(effective_date=None, expiry_date="2030-12-31"), VALID),
    (dict(effective_date=None, expiry_date=None), UNKNOWN),
    (dict(effective_date=None, expiry_date=None, stated="有效"), VALID),
    (dict(effective_date=None, expiry_date="2022-01-01", stated="有效"), EXPIRED),
    (dict(effective_date="2020-01-01", expiry_date=None, repealed_by="x"), REPEALED),
])
def test_validity_on_a_day(kwargs, expected):
    assert validity_on(dt.date(2024, 6, 1), **kwargs) == expected


def _key(title):
    return next(k for k, d in all_documents().items() if d["title"] == title)


def test_real_law_repealed_by_later_law_in_store(store):
    old = real_policy(_key("中华人民共和国契税暂行条例"))
    new = real_policy(_key("中华人民共和国契税法"))
    unrelated = real_policy(_key("中华人民共和国增值税暂行条例"))
    for policy in (old, new, unrelated):
        store.policies.upsert(policy)
    hashes = store.policies.content_hashes()
    summary = derive_all(store)
    assert summary.repeal_links == 1
    loaded = store.policies.get(old.id)
    assert loaded.validity == REPEALED and loaded.repealed_by == new.id
    assert store.cards.repealing(new.id) == [old.id]
    fresh = store.policies.get(new.id)
    assert fresh.validity == VALID and fresh.effective_date == "2021-09-01"
    assert store.policies.get(unrelated.id).validity != REPEALED
    # derived data is kept beside the policy: content hashes do not move
    assert store.policies.content_hashes() == hashes
    assert store.policies.upsert(real_policy(_key("中华人民共和国契税法"))) == "unchanged"


def test_staff_validity_wins_over_derived(store):
    policy = Policy(id="p1", title="某办法", body_text="本办法自2020年1月1日起施行，有效期2年。",
                    publish_date="2019-12-01")
    store.policies.upsert(policy)
    derive_all(store)
    assert store.policies.get("p1").validity == EXPIRED
    assert store.policies.get("p1").expiry_date == "2021-12-31"
    store.edits.set_field("p1", "validity", "有效", "alice")
    assert store.policies.get("p1").validity == VALID
