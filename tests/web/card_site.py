"""A small store of crafted policies (cards, deadlines relative to today, an expired and a
repealed policy, script payloads in evidence), derived and indexed once per session."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from policy_search.domain.derive import derive_all, derive_kinds
from policy_search.domain.models import Policy, Tag
from policy_search.settings import Settings
from policy_search.domain.store import Store
from web.cards import today

XSS = "<script>alert('xss-card')</script>"


def cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def policies(day: dt.date) -> list[tuple[Policy, dict[str, list[str]]]]:
    """(policy, tags): deadlines are written relative to `day` so statuses are known."""
    soon, later = day + dt.timedelta(days=10), day + dt.timedelta(days=40)
    started = day - dt.timedelta(days=5)
    past_start, past_end = day - dt.timedelta(days=60), day - dt.timedelta(days=30)
    rows = [
        ("county-fund", "长沙县中小企业发展专项资金（第一批, 试点; 制造业）申报通知", "430121",
         "长沙县工业和信息化局", "county",
         {"industry": ["制造业"], "enterprise": ["中小企业"], "support": ["资金补贴奖励"]},
         "一、支持对象\n在长沙县注册的制造业中小企业。\n二、申报条件\n（一）注册成立满2年以上；\n"
         "（二）上年度营业收入不低于500万元。\n三、支持标准\n给予一次性奖励20万元。\n"
         f"四、申报时间\n{cn(started)}至{cn(soon)}。\n"
         "五、联系方式\n受理地址：长沙县星沙街道政务服务中心3楼。联系电话：0731-84011234。\n"),
        ("county-later", "长沙县企业技术改造补助申报通知", "430121", "长沙县发展和改革局", "county",
         {"industry": ["制造业"], "support": ["资金补贴奖励"]},
         "一、支持标准\n按设备投资额的10%给予补助，最高100万元。\n"
         f"二、申报时间\n{cn(day + dt.timedelta(days=20))}至{cn(later)}。\n"),
        ("province-hitech", "湖南省高新技术企业研发奖补办法", "430000", "湖南省科学技术厅",
         "provincial",
         {"industry": ["不限行业"], "enterprise": ["高新技术企业"], "support": ["科技创新"]},
         "一、申报条件\n申报企业须为有效期内的高新技术企业。\n二、支持标准\n按研发投入的10%给予奖补，最高100万元。\n"
         "三、申报时间\n每年3月31日前。\n"),
        ("national-loan", "小微企业融资支持措施", "100000", "国务院办公厅", "national",
         {"industry": ["不限行业"], "enterprise": ["小微企业"], "support": ["融资信贷"]},
         "对小微企业贷款给予贴息，贴息比例50%。本措施自2020年1月1日起施行，有效期2年。"),
        ("other-county", "浏阳市招商引资奖励办法", "430181", "浏阳市人民政府", "county",
         {"industry": ["制造业"], "support": ["资金补贴奖励"]}, "给予奖励100万元。"),
        ("startup", "长沙市初创企业创业补贴", "430100", "长沙市人力资源和社会保障局", "city",
         {"enterprise": ["初创企业"], "support": ["资金补贴奖励"]},
         "一、申报条件\n企业成立不满3年。\n二、支持标准\n给予一次性创业补贴1万元。\n"),
        ("closed-call", "长沙县2023年度商务发展资金申报通知", "430121", "长沙县商务局", "county",
         {"support": ["市场开拓"]},
         f"一、申报时间\n{cn(past_start)}至{cn(past_end)}。\n二、支持标准\n给予展会补贴5万元。\n"),
        ("old-measure", "长沙县促进制造业发展若干政策", "430121", "长沙县人民政府", "county",
         {"industry": ["制造业"], "support": ["资金补贴奖励"]},
         "对制造业企业给予奖励。"),
        ("new-measure", "长沙县促进制造业高质量发展若干政策", "430121", "长沙县人民政府", "county",
         {"industry": ["制造业"], "support": ["资金补贴奖励"]},
         "对制造业企业给予奖励，最高50万元。本政策自2021年1月1日起施行，"
         "《长沙县促进制造业发展若干政策》同时废止。"),
        # duties with yearly dates, as laws and regulations state them: no application window
        ("duty-rules", "长沙县商事调解促进规定", "430121", "长沙县人民代表大会常务委员会", "county",
         {"support": ["法律服务"]},
         "第二十七条 商事调解组织应当于每年三月三十一日前向县司法行政部门报送上一年度工作报告。\n"
         "第二十八条 市场主体应当于每年1月1日至6月30日，通过国家企业信用信息公示系统报送上一年度年度报告。\n"
         "第二十九条 居民个人应当在取得所得的次年三月一日至六月三十日内申报纳税。\n"
         "第三十条 债权人应当自接到通知之日起三十日内，向清算组申报债权。\n"),
        ("xss-card", "长沙县测试通知", "430121", "长沙县测试局", "county",
         {"support": ["资金补贴奖励"]},
         f"一、申报条件\n申报企业须具备{XSS}条件，成立满1年以上。\n二、支持标准\n给予奖励10万元。\n"
         "三、申报材料\n营业执照复印件。\n"),
    ]
    dates = {"old-measure": "2018-03-01", "new-measure": "2020-12-20", "national-loan": "2019-12-20"}
    out = []
    for pid, title, code, issuer, level, tags, body in rows:
        policy = Policy(id=pid, title=title, url=f"http://www.example.gov.cn/{pid}.html",
                        region_code=code, issuer=issuer, level=level, body_text=body,
                        publish_date=dates.get(pid, (day - dt.timedelta(days=7)).isoformat()),
                        validity="有效")
        out.append((policy, tags))
    return out


@dataclass
class Site:
    settings: Settings
    store: Store
    index: object
    today: dt.date


def fill_store(settings: Settings) -> Store:
    from policy_search.domain.regions import region_name

    store = Store(settings.db_path)
    for policy, tags in policies(today()):
        policy.region_name = region_name(policy.region_code)
        store.policies.upsert(policy)
        store.tags.replace_auto(policy.id, [Tag(f, v, confidence=0.9)
                                            for f, values in tags.items() for v in values])
    derive_kinds(store)
    derive_all(store)
    return store


def build_site(data_dir: Path) -> Site:
    from index.build import rebuild
    from index.search import SearchIndex

    settings = Settings(data_dir=data_dir, secret_key="test")
    store = fill_store(settings)
    rebuild(store, settings.index_path, procs=1)
    return Site(settings, store, SearchIndex(settings.index_path), today())


@pytest.fixture(scope="session")
def card_site(tmp_path_factory) -> Site:
    return build_site(tmp_path_factory.mktemp("match"))
