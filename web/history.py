"""The audit log as people read it: Chinese action names, values as text, the policy by
its title, Beijing time (the policy's history tab, the admin's 操作日志, the conflict note).

Entries come from the store's tag_audit table: staff decisions and crawl updates carry a
policy id; admin actions carry none (policy_search.domain.review_queue.record_admin_action).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from policy_search.domain.card import CARD_FIELDS
from policy_search.domain.local_time import beijing_time

# Actions on a policy.
POLICY_ACTIONS = {
    "accept": "接受标签", "reject": "否决标签", "remove": "撤销标签决定", "review": "审核状态",
    "set_field": "修改字段", "remove_field": "撤销字段校正", "set_card": "修改政策卡片",
    "remove_card": "撤销卡片修改", "update": "原文已修改", "rereview": "退回复审",
}
# Actions of admins (and logins), recorded without a policy.
ADMIN_ACTIONS = {
    "job_start": "发起任务", "job_cancel": "取消任务", "source_check": "检查来源",
    "source_enable": "启用来源", "source_disable": "停用来源", "source_add": "添加来源",
    "source_edit": "修改来源", "source_try": "试用来源规则", "user_add": "添加用户", "user_enable": "启用用户",
    "user_disable": "停用用户", "user_role": "修改角色", "user_password": "重设密码",
    "taxonomy_value": "添加或修订标签值", "login": "登录", "logout": "退出登录",
}
ACTION_NAMES = {**POLICY_ACTIONS, **ADMIN_ACTIONS}
# Fields a crawl reports changed (policy_search.domain.store.policies.HISTORY_FIELDS and attachments).
CHANGED_FIELD_NAMES = {
    "title": "标题", "doc_number": "文号", "issuer": "发文机关", "written_date": "成文日期",
    "publish_date": "发布日期", "effective_date": "施行日期", "expiry_date": "失效日期",
    "validity": "有效性", "body_text": "正文", "attachments": "附件",
}
MACHINE_USERS = {"crawler": "抓取程序", "system": "系统", "migration": "系统升级"}
NOTICED_NAMES = {"recheck": "定期复查近期文件时发现", "list": "抓取列表时发现"}
FIELD_NAMES = {**CARD_FIELDS, "validity": "有效性", "doc_kind": "文件类型", "huiqi": "惠企政策",
               "beneficiaries": "惠及对象"}
# Keys of an admin action's detail, as the log names them.
DETAIL_NAMES = {
    "kind": "类型", "source": "来源", "file": "文件", "state": "状态", "ok": "结果",
    "problems": "问题", "role": "角色", "old": "原值", "new": "新值", "ip": "地址",
    "version": "版本", "synonyms": "同义词", "keywords": "关键词", "negative": "排除短语",
    "name": "名称", "region_code": "区划代码", "level": "层级", "link_pattern": "条目链接正则",
    "since": "起始日期", "max_pages": "列表页数", "items": "条目数",
}
VALUE_NAMES = {"crawl": "抓取", "reindex": "重建索引", "import": "导入文件",
               "snapshot": "载入离线快照", "staff": "审核员", "admin": "管理员",
               "cancelled": "已取消", "running": "运行中", "queued": "排队中"}
TARGET_KINDS = {"job": "任务", "source": "来源", "user": "用户", "taxonomy": "标签值"}


def value_text(value) -> str:
    """A stored value as text: lists joined, nothing as （空）, booleans as 是/否."""
    if value is None or value == "" or value == []:
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "；".join(value_text(v) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{DETAIL_NAMES.get(k, k)}："
                        + (("正常" if v else "有问题") if k == "ok" else value_text(v))
                        for k, v in value.items())
    return VALUE_NAMES.get(value, str(value)) if isinstance(value, str) else str(value)


def _detail(row: dict):
    try:
        return json.loads(row.get("detail") or "{}")
    except ValueError:
        return row.get("detail") or ""


def describe_policy_entry(row: dict, labels: dict[str, str]) -> str:
    """What a policy's audit entry did, in words."""
    action = row["action"]
    if action in ("accept", "reject", "remove"):
        origin = {"proposed": "（系统建议）", "added": "（人工添加）"}.get(row.get("detail"), "")
        return f"{labels.get(row['facet'], row['facet'])}：{row['value']}{origin}"
    if action == "review":
        return {"reviewed": "标记为已审核", "new": "退回待审核"}.get(row["value"], row["value"])
    if action == "update":
        return describe_update(row.get("detail") or "")
    if action == "rereview":
        return row.get("detail") or "内容有实质变化"
    if action in ("set_field", "set_card", "remove_card", "remove_field"):
        name = FIELD_NAMES.get(row["value"], row["value"])
        detail = _detail(row)
        if isinstance(detail, dict) and "new" in detail:
            return f"{name}：{value_text(detail.get('old'))} → {value_text(detail.get('new'))}"
        return name
    return f"{row['facet']} {row['value']}".strip()


def describe_update(detail: str) -> str:
    """A crawl's record of an edited document: which fields changed and how it was found."""
    try:
        data = json.loads(detail or "{}")
    except ValueError:
        data = {}
    fields = "、".join(CHANGED_FIELD_NAMES.get(f, f) for f in data.get("fields") or []) or "内容"
    text = f"变更：{fields}"
    if data.get("similarity") is not None:
        text += f"（正文相似度 {data['similarity']:.0%}）"
    if data.get("old_title"):
        text += f"；原标题：{data['old_title']}"
    noticed = NOTICED_NAMES.get(data.get("noticed"))
    return f"{text}；{noticed}" if noticed else text


def describe_admin_entry(row: dict) -> tuple[str, str]:
    """(the target as text, the detail as text) of an admin action."""
    kind, _, name = (row.get("value") or "").partition(":")
    target = f"{TARGET_KINDS[kind]} {name}" if kind in TARGET_KINDS else row.get("value") or ""
    if kind == "job":
        target = f"任务 #{name}"
    detail = _detail(row)
    if row["action"] == "source_check" and isinstance(detail, dict):
        problems = "；".join(detail.get("problems") or [])
        return target, "正常" if detail.get("ok") else f"有问题：{problems or '见来源页'}"
    if row["action"] in ("source_add", "source_edit") and isinstance(detail, dict):
        entry = (detail.get("entries") or [{}])[0]
        shown = {k: detail.get(k) for k in ("name", "region_code", "level", "link_pattern")
                 if detail.get(k)}
        return target, value_text(shown) + (f"，列表页：{entry.get('url')}" if entry.get("url") else "")
    if isinstance(detail, dict):
        return target, value_text(detail) if detail else ""
    return target, str(detail)


def user_name(by: str | None) -> str:
    return MACHINE_USERS.get(by or "", by or "")


@dataclass
class Entry:
    """One audit row as a page shows it."""
    id: int
    at: str            # Beijing time
    at_iso: str
    by: str
    by_user: str       # as stored (for the 操作人 filter)
    action: str
    action_name: str
    policy_id: str
    policy_title: str
    target: str
    what: str


def entry_view(row: dict, labels: dict[str, str], titles: dict[str, str]) -> Entry:
    policy_id = row.get("policy_id") or ""
    if policy_id:
        target, what = "", describe_policy_entry(row, labels)
    else:
        target, what = describe_admin_entry(row)
    return Entry(id=row.get("id", 0), at=beijing_time(row.get("at")), at_iso=row.get("at") or "",
                 by=user_name(row.get("by_user")), by_user=row.get("by_user") or "",
                 action=row["action"], action_name=ACTION_NAMES.get(row["action"], row["action"]),
                 policy_id=policy_id, policy_title=titles.get(policy_id, ""), target=target,
                 what=what)
