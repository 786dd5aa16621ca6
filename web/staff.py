"""The staff review queue (/staff): policies waiting for review, the review page with the
tagger's suggestions and their evidence, bulk actions, the policy's history.

Every save carries the edit version the page was rendered with; when someone saved the
policy in between, nothing is written and the page says who changed what (no silent
overwrite). The store's change log takes every save to the index within seconds.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from policy_search.card import CARD_FIELDS, CardItem
from policy_search.derive import refresh_deadline
from policy_search.models import DOC_KINDS, LEVEL_NAMES, LEVELS, VALIDITIES, Policy
from policy_search.review_queue import (LOW_CONFIDENCE, QueueFilter, open_suggestions,
                                        next_in_queue, queue_counts, queue_page)
from policy_search.store import EditConflict
from policy_search.tagging import Evidence, load_evidence
from policy_search.taxonomy import current_taxonomy
from web.app import load_policy, services
from web.auth import require_role

bp = Blueprint("staff", __name__, url_prefix="/staff")
require_role(bp, "staff")

PAGE_SIZE = 50
MAX_BULK = 200
MAX_SUMMARY_CHARS = 2000
MAX_CARD_ITEMS = 20
MAX_CARD_ITEM_CHARS = 500
# Card fields with a box of their own; 惠及对象 is edited as the summary above them.
CARD_FORM_FIELDS = [key for key in CARD_FIELDS if key != "beneficiaries"]
ACTION_NAMES = {
    "accept": "接受标签", "reject": "否决标签", "remove": "撤销标签决定", "review": "审核状态",
    "set_field": "修改字段", "set_card": "修改政策卡片", "remove_card": "撤销卡片修改",
    "update": "原文已修改", "rereview": "退回复审", "remove_field": "撤销字段校正",
}
# Fields a crawl reports changed (policy_search.store.HISTORY_FIELDS and attachments).
CHANGED_FIELD_NAMES = {
    "title": "标题", "doc_number": "文号", "issuer": "发文机关", "written_date": "成文日期",
    "publish_date": "发布日期", "effective_date": "施行日期", "expiry_date": "失效日期",
    "validity": "有效性", "body_text": "正文", "attachments": "附件",
}
MACHINE_USERS = {"crawler": "抓取程序", "system": "系统"}
NOTICED_NAMES = {"recheck": "定期复查近期文件时发现", "list": "抓取列表时发现"}
FIELD_NAMES = {**CARD_FIELDS, "validity": "有效性", "doc_kind": "文件类型", "huiqi": "惠企政策",
               "beneficiaries": "惠及对象"}
DECISION_NAMES = {"proposed": "建议", "accepted": "已接受", "rejected": "已否决"}


# --- the queue ----------------------------------------------------------------------

def queue_filter(args) -> QueueFilter:
    facets = current_taxonomy(services().store).facets
    low = args.get("low", "")
    return QueueFilter(
        state="reviewed" if args.get("state") == "reviewed" else "new",
        source=args.get("source", "")[:100],
        level=args.get("level", "") if args.get("level") in LEVELS else "",
        date_from=valid_date(args.get("from", "")),
        date_to=valid_date(args.get("to", "")),
        low_facet=low if low in facets else "",
        rereview=args.get("rereview") == "1",
    )


def valid_date(text: str) -> str:
    text = (text or "").strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.replace("-", "").isdigit():
        return text
    return ""


def filter_args(filt: QueueFilter) -> dict[str, str]:
    """The query-string form of a filter (the inverse of queue_filter)."""
    pairs = {"state": "reviewed" if filt.state == "reviewed" else "", "source": filt.source,
             "level": filt.level, "from": filt.date_from, "to": filt.date_to,
             "low": filt.low_facet, "rereview": "1" if filt.rereview else ""}
    return {k: v for k, v in pairs.items() if v}


def queue_url(query: str = "") -> str:
    return url_for("staff.queue") + (f"?{query}" if query else "")


@bp.get("/")
def queue():
    store = services().store
    filt = queue_filter(request.args)
    try:
        page = max(1, min(int(request.args.get("page", "1")), 10_000))
    except ValueError:
        page = 1
    total, items = queue_page(store, filt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    taxonomy = current_taxonomy(store)
    query = urlencode(filter_args(filt))
    return render_template(
        "staff/queue.html", filt=filt, items=items, total=total, page=page,
        last_page=max(1, -(-total // PAGE_SIZE)), counts=queue_counts(store),
        facets=taxonomy.labels(), levels=LEVEL_NAMES, query=query,
        low_confidence=LOW_CONFIDENCE,
    )


@bp.post("/bulk")
def bulk():
    """Accept the suggestions of one facet (or all) or mark reviewed, for the ticked rows."""
    store = services().store
    ids = list(dict.fromkeys(request.form.getlist("ids")))[:MAX_BULK]
    op = request.form.get("op", "")
    facet = request.form.get("facet", "")
    query = request.form.get("q", "")
    if facet and facet not in current_taxonomy(store).facets:
        abort(400)
    if op not in ("accept", "accept_review", "review") or not ids:
        flash("请先勾选政策并选择批量操作。", "error")
        return redirect(queue_url(query))
    done, conflicts, missing = 0, [], 0
    for policy_id in ids:
        version = parse_version(request.form.get(f"v-{policy_id}"))
        try:
            with store.staff_edit(policy_id, current_user.username, expected_version=version) as edit:
                if op in ("accept", "accept_review"):
                    for tag_facet, value in open_suggestions(store, policy_id, facet or None):
                        edit.set_tag(tag_facet, value)
                if op in ("review", "accept_review"):
                    edit.set_review_state("reviewed")
            done += 1
        except EditConflict:
            conflicts.append(policy_id)
        except KeyError:
            missing += 1
    what = {"accept": "接受建议标签", "accept_review": "接受建议标签并标记已审核",
            "review": "标记已审核"}[op]
    scope = f"（{current_taxonomy(store).labels()[facet]}）" if facet and op != "review" else ""
    flash(f"批量{what}{scope}：完成 {done} 条。", "info")
    if conflicts:
        flash(f"{len(conflicts)} 条政策在您打开列表后已被他人修改，未作改动，请刷新后重试。", "error")
    if missing:
        flash(f"{missing} 条政策已不存在。", "error")
    return redirect(queue_url(query))


def parse_version(raw: str | None) -> int | None:
    try:
        return int(raw) if raw not in (None, "") else None
    except ValueError:
        abort(400)


# --- the review page ----------------------------------------------------------------

@dataclass
class TagView:
    facet: str
    value: str
    origin: str
    confidence: float
    rejected: bool
    evidence: list[Evidence]
    by: str = ""

    @property
    def decision(self) -> str:
        if self.origin == "staff":
            return "rejected" if self.rejected else "accepted"
        return "proposed"

    @property
    def key(self) -> str:
        return f"d:{self.facet}:{self.value}"


@dataclass
class FacetView:
    key: str
    label: str
    tags: list[TagView] = field(default_factory=list)
    values: list[str] = field(default_factory=list)


def tag_views(policy: Policy) -> dict[str, FacetView]:
    taxonomy = current_taxonomy(services().store)
    views = {key: FacetView(key, f.label, values=[v.value for v in f.active_values()])
             for key, f in taxonomy.facets.items()}
    for tag in sorted(policy.tags, key=lambda t: (-t.confidence, t.value)):
        view = views.setdefault(tag.facet, FacetView(tag.facet, tag.facet))
        view.tags.append(TagView(tag.facet, tag.value, tag.origin, tag.confidence, tag.rejected,
                                 load_evidence(tag.evidence), tag.by))
    return views


def highlight(text: str, spans: list[tuple[int, int, str]]) -> Markup:
    """text escaped, with <mark> around the evidence spans (overlaps merged)."""
    merged: list[list] = []
    for start, end, label in sorted(s for s in spans if 0 <= s[0] < s[1] <= len(text)):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            if label not in merged[-1][2]:
                merged[-1][2].append(label)
        else:
            merged.append([start, end, [label]])
    out, position = [], 0
    for start, end, labels in merged:
        out.append(escape(text[position:start]))
        out.append(Markup('<mark class="evidence" title="{}">{}</mark>').format(
            "、".join(labels), text[start:end]))
        position = end
    out.append(escape(text[position:]))
    return Markup("").join(out)


def evidence_spans(views: dict[str, FacetView], field_name: str) -> list[tuple[int, int, str]]:
    spans = []
    for view in views.values():
        for tag in view.tags:
            if tag.rejected:
                continue
            for ev in tag.evidence:
                if ev.field == field_name and ev.match_end > ev.match_start:
                    spans.append((ev.match_start, ev.match_end, f"{view.label}：{tag.value}"))
    return spans


def evidence_sentence(ev: Evidence) -> Markup:
    """The sentence with its trigger marked (spans are relative to the field's text)."""
    start, end = ev.match_start - ev.start, ev.match_end - ev.start
    if 0 <= start < end <= len(ev.text):
        return highlight(ev.text, [(start, end, ev.match)])
    return escape(ev.text)


def body_paragraphs(text: str, spans) -> list[Markup]:
    marked = highlight(text or "", spans)
    return [Markup(p) for p in str(marked).split("\n") if p.strip()]


def beneficiaries_of(policy_id: str) -> tuple[str, bool]:
    """(the 惠及对象 summary shown in the form, whether staff wrote it)."""
    store = services().store
    staff = store.staff_fields(policy_id).get("beneficiaries")
    if staff is not None:
        return staff, True
    try:
        items = store.get_card(policy_id).get("beneficiaries")
    except Exception:  # a store without cards: nothing to prefill
        items = []
    return "；".join(i.value for i in items), False


@dataclass
class CardFieldForm:
    key: str
    label: str
    text: str                 # one item per line, as the form shows it
    by_staff: bool
    items: list[CardItem]     # with their evidence sentences


def card_form_fields(policy_id: str) -> list[CardFieldForm]:
    store = services().store
    card = store.get_card(policy_id)
    staff = store.card_field_origins(policy_id)
    return [CardFieldForm(key, CARD_FIELDS[key], "\n".join(card.values(key)), key in staff,
                          card.get(key)) for key in CARD_FORM_FIELDS]


def render_review(policy: Policy, *, query: str = "", status: int = 200, conflict=None):
    store = services().store
    views = tag_views(policy)
    state = store.edit_state(policy.id) or {}
    summary, summary_by_staff = beneficiaries_of(policy.id)
    filt = queue_filter(_query_args(query))
    following = next_in_queue(store, filt, policy.id)
    first_open = next((t.key for v in views.values() for t in v.tags if t.decision == "proposed"), None)
    return render_template(
        "staff/review.html", policy=policy, views=views, state=state, query=query,
        title_marked=highlight(policy.title, evidence_spans(views, "title")),
        body=body_paragraphs(policy.body_text, evidence_spans(views, "body")),
        evidence_sentence=evidence_sentence, validities=VALIDITIES, doc_kinds=DOC_KINDS,
        summary=summary, summary_by_staff=summary_by_staff, next_id=following,
        first_open=first_open, conflict=conflict, decision_names=DECISION_NAMES,
        max_summary=MAX_SUMMARY_CHARS, card_fields=card_form_fields(policy.id),
        auto_kind=store.auto_kind(policy.id),
    ), status


def _query_args(query: str):
    from werkzeug.datastructures import MultiDict
    from urllib.parse import parse_qsl

    return MultiDict(parse_qsl(query or ""))


@bp.get("/policy/<policy_id>")
def review(policy_id: str):
    return render_review(load_policy(policy_id), query=request.args.get("q", ""))


@bp.post("/policy/<policy_id>")
def save(policy_id: str):
    store = services().store
    policy = load_policy(policy_id)
    form = request.form
    query = form.get("q", "")
    op = form.get("op", "save")
    version = parse_version(form.get("version"))
    if version is None:
        abort(400)
    views = tag_views(policy)
    try:
        plan = plan_changes(policy, views, form, accept_all=op == "accept_all")
    except ValueError as exc:
        flash(str(exc), "error")
        return render_review(policy, query=query, status=400)
    mark_reviewed = op == "save_next"
    try:
        with store.staff_edit(policy.id, current_user.username, expected_version=version) as edit:
            for kind, facet, value in plan["tags"]:
                if kind == "remove":
                    edit.remove_tag(facet, value)
                else:
                    edit.set_tag(facet, value, rejected=kind == "reject")
            for name, value in plan["fields"]:
                if value is None:
                    edit.remove_field(name)  # back to the derived value
                else:
                    edit.set_field(name, value)
            for name, items in plan["card"]:
                if items is None:
                    store.remove_staff_card_field(policy.id, name, current_user.username)
                else:
                    store.set_staff_card_field(policy.id, name, items, current_user.username)
            if any(name == "deadline" for name, _items in plan["card"]):
                refresh_deadline(store, policy.id)  # the window and its status follow the field
            if mark_reviewed:
                edit.set_review_state("reviewed")
    except EditConflict as exc:
        flash(str(exc), "error")
        return render_review(store.get_policy(policy.id), query=query, status=409, conflict=exc)
    changed = len(plan["tags"]) + len(plan["fields"]) + len(plan["card"])
    if mark_reviewed:
        flash(f"已保存 {changed} 处改动并标记为已审核。", "info")
        following = next_in_queue(store, queue_filter(_query_args(query)), policy.id)
        if following:
            return redirect(url_for("staff.review", policy_id=following, q=query or None))
        flash("队列中已没有待审核的政策。", "info")
        return redirect(queue_url(query))
    flash(f"已保存 {changed} 处改动。" if changed else "没有改动。", "info")
    return redirect(url_for("staff.review", policy_id=policy.id, q=query or None))


def plan_changes(policy: Policy, views: dict[str, FacetView], form, *, accept_all: bool) -> dict:
    """What the submitted form changes, compared with the policy as stored."""
    taxonomy = current_taxonomy(services().store)
    tags: list[tuple[str, str, str]] = []
    for view in views.values():
        for tag in view.tags:
            wanted = form.get(tag.key, "keep")
            if accept_all and tag.decision == "proposed" and wanted == "keep":
                wanted = "accept"
            if wanted == "accept" and tag.decision != "accepted":
                tags.append(("accept", tag.facet, tag.value))
            elif wanted == "reject" and tag.decision != "rejected":
                tags.append(("reject", tag.facet, tag.value))
            elif wanted == "undo" and tag.decision != "proposed":
                tags.append(("remove", tag.facet, tag.value))
    present = {(t.facet, t.value) for v in views.values() for t in v.tags
               if t.decision == "accepted"}
    for facet, value in zip(form.getlist("add_facet"), form.getlist("add_value")):
        value = value.strip()
        if not value:
            continue
        if facet not in taxonomy.facets:
            raise ValueError("请选择标签所属的分类。")
        known = taxonomy.facets[facet].get(value)
        if known is None:
            # Picked from the list of every facet's values: take the facet it belongs to.
            owners = [k for k, f in taxonomy.facets.items() if (v := f.get(value)) and v.active]
            if len(owners) == 1:
                facet, known = owners[0], taxonomy.facets[owners[0]].get(value)
        if known is None or not known.active:
            raise ValueError(f"“{value}”不是“{taxonomy.facets[facet].label}”中的标签值；"
                             "新的标签值请由管理员在“分类体系”页添加。")
        if (facet, value) not in present and ("accept", facet, value) not in tags:
            tags = [t for t in tags if (t[1], t[2]) != (facet, value)]
            tags.append(("accept", facet, value))
    fields: list[tuple[str, str]] = []
    validity = form.get("validity", policy.validity)
    if validity not in VALIDITIES:
        raise ValueError("有效性的取值无效。")
    if validity != policy.validity:
        fields.append(("validity", validity))
    fields += kind_changes(policy, form)
    if "beneficiaries" in form:
        summary = " ".join(form.get("beneficiaries", "").split())
        if len(summary) > MAX_SUMMARY_CHARS:
            raise ValueError(f"惠及对象摘要最多 {MAX_SUMMARY_CHARS} 个字。")
        current, _by_staff = beneficiaries_of(policy.id)
        if summary != " ".join(current.split()):
            fields.append(("beneficiaries", summary))
    return {"tags": tags, "fields": fields, "card": plan_card(policy.id, form)}


def kind_changes(policy: Policy, form) -> list[tuple[str, str | None]]:
    """文件类型 and 惠企政策: "auto" keeps (or goes back to) the derived value; a value is a
    staff correction that re-derivation keeps."""
    changes: list[tuple[str, str | None]] = []
    for field, current, by_staff, allowed, label in (
            ("doc_kind", policy.doc_kind, policy.kind_by == "staff", DOC_KINDS, "文件类型"),
            ("huiqi", "是" if policy.huiqi else "否", policy.huiqi_by == "staff", ("是", "否"),
             "惠企政策")):
        wanted = form.get(field, current if by_staff else "auto")
        if wanted == "auto":
            if by_staff:
                changes.append((field, None))
        elif wanted not in allowed:
            raise ValueError(f"{label}的取值无效。")
        elif not by_staff or wanted != current:
            changes.append((field, wanted))
    return changes


def plan_card(policy_id: str, form) -> list[tuple[str, list[CardItem] | None]]:
    """Card fields the form changes: (field, items), or (field, None) to undo staff's version.

    A box holds one item per line; an emptied box says "the document has none". Lines
    kept as they were keep their evidence sentence.
    """
    store = services().store
    card = store.get_card(policy_id)
    staff = store.card_field_origins(policy_id)
    changes: list[tuple[str, list[CardItem] | None]] = []
    for key in CARD_FORM_FIELDS:
        if form.get(f"card-reset-{key}") and key in staff:
            changes.append((key, None))
            continue
        if f"card-{key}" not in form:
            continue
        lines = [" ".join(line.split()) for line in form.get(f"card-{key}", "").splitlines()]
        lines = list(dict.fromkeys(line for line in lines if line))
        if len(lines) > MAX_CARD_ITEMS or any(len(line) > MAX_CARD_ITEM_CHARS for line in lines):
            raise ValueError(f"“{CARD_FIELDS[key]}”最多 {MAX_CARD_ITEMS} 行，"
                             f"每行最多 {MAX_CARD_ITEM_CHARS} 个字。")
        current = card.get(key)
        if lines == [" ".join(i.value.split()) for i in current]:
            continue
        evidence = {" ".join(i.value.split()): i.evidence for i in current}
        changes.append((key, [CardItem(value=line, evidence=evidence.get(line, ""), origin="staff")
                              for line in lines]))
    return changes


@bp.get("/policy/<policy_id>/history")
def history(policy_id: str):
    policy = load_policy(policy_id)
    entries = []
    for row in reversed(services().store.audit_log(policy.id)):
        entries.append({**row, "action_name": ACTION_NAMES.get(row["action"], row["action"]),
                        "what": describe_entry(row),
                        "by_user": MACHINE_USERS.get(row["by_user"], row["by_user"])})
    return render_template("staff/history.html", policy=policy, entries=entries,
                           query=request.args.get("q", ""))


def describe_entry(row: dict) -> str:
    labels = current_taxonomy(services().store).labels()
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
        try:
            detail = json.loads(row.get("detail") or "{}")
        except ValueError:
            detail = {}
        if isinstance(detail, dict) and "new" in detail:
            return f"{name}：{detail.get('old') or '（空）'} → {detail.get('new') or '（空）'}"
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


@bp.get("/taxonomy.json")
def taxonomy_json():
    """Autocomplete for the add-tag field: values (or synonyms) containing q."""
    taxonomy = current_taxonomy(services().store)
    facet = request.args.get("facet") or None
    if facet and facet not in taxonomy.facets:
        facet = None
    q = request.args.get("q", "")[:40]
    labels = taxonomy.labels()
    items = [{"facet": f, "facet_label": labels[f], "value": v}
             for f, v in taxonomy.complete(q, facet=facet, limit=30)]
    return jsonify({"q": q, "facet": facet, "items": items})


# The channels out (公众号 digest, 政策汇编) add their pages to this blueprint.
from web import channels  # noqa: E402,F401
