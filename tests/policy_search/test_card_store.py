"""Cards in the store: staff items win per field and survive re-extraction; the CLI."""
import json

from click.testing import CliRunner

from policy_search.domain.card import CardItem
from policy_search.cli import main
from policy_search.domain.derive import RULES_STAMP, derive_all, refresh_deadline
from policy_search.domain.models import Policy

BODY = ("一、支持对象\n本市中小企业。\n二、支持标准\n给予一次性奖励50万元。\n"
        "三、申报时间\n2023年10月1日至10月31日。\n四、联系方式\n联系电话：0731-84011234。\n")


def add(store, pid="p1", body=BODY):
    store.policies.upsert(Policy(id=pid, title="申报通知", body_text=body, publish_date="2023-09-20"))


def test_staff_field_wins_and_survives_reextraction(store):
    add(store)
    derive_all(store)
    assert store.cards.get("p1").values("support") == ["给予一次性奖励50万元"]
    store.cards.set_staff_field("p1", "support", [CardItem("最高奖励50万元", "原文…")], "alice")
    store.cards.set_staff_field("p1", "phone", [], "alice")  # staff: no phone on this card
    derive_all(store, everything=True)
    card = store.cards.get("p1")
    assert [(i.value, i.origin, i.by) for i in card.get("support")] == [("最高奖励50万元", "staff", "alice")]
    assert card.values("phone") == []
    assert card.values("beneficiaries") == ["本市中小企业"]
    assert store.cards.field_origins("p1") == {"support": "staff", "phone": "staff"}
    actions = [(a["facet"], a["value"], a["action"]) for a in store.tags.audit_log("p1")]
    assert ("card", "support", "set_card") in actions
    store.cards.remove_staff_field("p1", "support", "alice")
    assert store.cards.get("p1").values("support") == ["给予一次性奖励50万元"]


def test_staff_beneficiaries_summary_counts_as_card_field(store):
    add(store)
    derive_all(store)
    store.edits.set_field("p1", "beneficiaries", "长沙县中小微企业", "bob")
    assert store.cards.get("p1").values("beneficiaries") == ["长沙县中小微企业"]


def test_staff_deadline_correction_moves_the_window(store):
    add(store)
    derive_all(store)
    assert store.policies.get("p1").deadline.end == "2023-10-31"
    store.cards.set_staff_field("p1", "deadline", ["2023年11月15日前"], "alice")
    refresh_deadline(store, "p1")
    assert store.policies.get("p1").deadline.end == "2023-11-15"


def test_only_changed_policies_are_reextracted_and_the_index_is_told(store):
    add(store, "p1")
    add(store, "p2", "无申报内容。")
    assert sorted(store.cards.needing_extraction(RULES_STAMP)) == ["p1", "p2"]
    seq = store.policies.last_change()
    assert derive_all(store).policies == 2
    assert store.cards.needing_extraction(RULES_STAMP) == []
    assert set(store.policies.changes_since(seq)[1]) == {"p1", "p2"}
    assert derive_all(store).policies == 0
    store.policies.upsert(Policy(id="p2", title="申报通知", body_text="请于2023年12月1日前申报。",
                                 publish_date="2023-09-20"))
    assert store.cards.needing_extraction(RULES_STAMP) == ["p2"]
    derive_all(store)
    assert store.policies.get("p2").deadline.end == "2023-12-01"
    # a deadline crossing "today" is found by the daily refresh
    assert "p2" in store.cards.ids_with_dates_between("2023-11-30", "2023-12-01")
    assert "p2" not in store.cards.ids_with_dates_between("2023-12-02", "2023-12-05")


def test_cli_extract_and_show(tmp_path):
    from policy_search.domain.store import Store

    with Store(tmp_path / "data" / "policies.sqlite3") as store:
        add(store)
    runner = CliRunner()
    env = {"POLICY_SEARCH_DATA_DIR": str(tmp_path / "data")}
    result = runner.invoke(main, ["card", "extract", "--quiet"], env=env)
    assert result.exit_code == 0, result.output
    assert "处理 1 篇" in result.output
    result = runner.invoke(main, ["card", "show", "p1", "--today", "2023-10-20"], env=env)
    assert result.exit_code == 0, result.output
    assert "支持标准:\n  · 给予一次性奖励50万元" in result.output
    assert "申报状态: 即将截止 (2023-10-01 至 2023-10-31, 剩余 11 天)" in result.output
    result = runner.invoke(main, ["card", "show", "p1", "--json", "--today", "2023-11-01"], env=env)
    data = json.loads(result.output)
    assert data["deadline"]["status"] == "已截止" and data["card"]["phone"][0]["value"] == "0731-84011234"
    result = runner.invoke(main, ["card", "refresh", "--since", "2000-01-01"], env=env)
    assert result.exit_code == 0 and "1 篇" in result.output


def test_policies_derived_under_older_rules_are_derived_again(store, monkeypatch):
    import policy_search.domain.derive as derive

    add(store, "p1")
    derive_all(store)
    assert derive_all(store).policies == 0
    seq = store.policies.last_change()
    monkeypatch.setattr(derive, "RULES_STAMP", "#rules999")
    assert store.cards.needing_extraction("#rules999") == ["p1"]
    assert derive_all(store).policies == 1  # with the same result: nothing for the index
    assert store.policies.changes_since(seq)[1] == []
    assert derive_all(store).policies == 0


def test_first_items_of_a_page_come_in_one_read_with_staff_winning(store):
    for pid in ("p1", "p2", "p3"):
        add(store, pid)
    add(store, "bare", body="本办法自发布之日起施行。")
    derive_all(store)
    store.cards.set_staff_field("p2", "support", [CardItem("最高奖励80万元"), CardItem("另奖10万元")], "alice")
    store.cards.set_staff_field("p3", "support", [], "alice")   # staff: nothing to show
    found = store.cards.first_items(["p1", "p2", "p3", "bare", "missing"], "support")
    assert found == {"p1": "给予一次性奖励50万元", "p2": "最高奖励80万元"}
    assert store.cards.first_items([], "support") == {}


def test_a_call_without_a_window_growing_stale_is_found_by_the_daily_refresh(store):
    # a call published 2022-09-20 with no window: closed from 2023-09-21 (deadlines.STALE_CALL_DAYS)
    store.policies.upsert(Policy(id="call", title="关于组织申报2022年专精特新中小企业的通知",
                                 body_text="请各地组织企业申报。", publish_date="2022-09-20"))
    derive_all(store)
    assert store.policies.get("call").deadline.kind == "unknown"
    assert "call" in store.cards.ids_with_dates_between("2023-09-20", "2023-09-21")
    assert "call" not in store.cards.ids_with_dates_between("2023-09-21", "2023-09-25")


def test_an_undated_call_without_a_window_is_looked_at_again_when_the_year_turns(store):
    store.policies.upsert(Policy(id="undated", title="关于开展2022年绿色低碳系列典型征集活动的通知",
                                 body_text="请各单位组织推荐。"))
    derive_all(store)
    assert "undated" in store.cards.ids_with_dates_between("2023-12-31", "2024-01-01")
    assert "undated" not in store.cards.ids_with_dates_between("2024-01-01", "2024-01-02")


def test_a_standing_window_is_looked_at_every_day(store):
    # 长期有效 only while the policy can be taken to stand (deadlines.STANDING_YEARS): the
    # day it turns 未知 is not a date of its own, so the daily refresh logs it every day
    store.policies.upsert(Policy(id="standing", title="长沙县企业技术改造补助办法",
                                 body_text="本办法常年受理申报。对企业技术改造项目给予补助。",
                                 publish_date="2019-05-01"))
    derive_all(store)
    assert store.policies.get("standing").deadline.kind == "long_term"
    assert "standing" in store.cards.ids_with_dates_between("2024-04-30", "2024-05-01")
    assert "standing" in store.cards.ids_with_dates_between("2024-05-01", "2024-05-02")
