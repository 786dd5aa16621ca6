"""The staff review queue (/staff): policies waiting for review, the review page with the
tagger's suggestions and their evidence, bulk actions, the policy's history.

Every save carries the edit version the page was rendered with; when someone saved the
policy in between, nothing is written and the page says who changed what (no silent
overwrite). The store's change log takes every save to the index within seconds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from policy_search.domain.card import CARD_FIELDS, CardItem
from policy_search.domain.derive import refresh_deadline
from policy_search.domain.models import DOC_KINDS, LEVEL_NAMES, LEVELS, VALIDITIES, Policy
from policy_search.domain.review_queue import (ANY_FACET, LOW_CONFIDENCE, QueueFilter,
                                        accept_suggestions, mark_reviewed,
                                        mark_reviewed_if_settled, neighbours_in_queue,
                                        next_in_queue, queue_counts, queue_page)
from policy_search.domain.store import EditConflict
from policy_search.domain.tagging import Evidence, load_evidence
from policy_search.domain.taxonomy import current_taxonomy
from web.app import load_policy, services
from web.auth import require_role
from web.history import entry_view
from web.sources import source_name, source_names

bp = Blueprint("staff", __name__, url_prefix="/staff")
require_role(bp, "staff")

PAGE_SIZE = 50
MAX_BULK = 200
MAX_SUMMARY_CHARS = 2000
MAX_CARD_ITEMS = 20
MAX_CARD_ITEM_CHARS = 500
# Card fields with a box of their own; 惠及对象 is edited as the summary above them.
CARD_FORM_FIELDS = [key for key in CARD_FIELDS if key != "beneficiaries"]
CHOICE_NAMES = {"keep": "不变", "accept": "接受", "reject": "否决", "undo": "撤销决定"}
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
        low_facet=low if low in facets or low == ANY_FACET else "",
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
        low_confidence=LOW_CONFIDENCE, any_facet=ANY_FACET, source_name=source_namer(),
    )


def source_namer():
    """source id -> the name pages show (web.sources.source_name over every known source)."""
    names = source_names(services().settings, services().store)
    return lambda source_id: source_name(source_id, names)


@bp.post("/bulk")
def bulk():
    """Accept the suggestions of one facet (or all) and/or mark reviewed, for the ticked
    rows. A policy is marked reviewed only when none of its suggestions is left open; the
    others stay in the queue and the message names what is left of each."""
    store = services().store
    ids = list(dict.fromkeys(request.form.getlist("ids")))[:MAX_BULK]
    op = request.form.get("op", "")
    facet = request.form.get("facet", "")
    query = request.form.get("q", "")
    labels = current_taxonomy(store).labels()
    if facet and facet not in labels:
        abort(400)
    if op not in ("accept", "accept_review", "review") or not ids:
        flash("请先勾选政策并选择批量操作。", "error")
        return redirect(queue_url(query))
    accepted, reviewed, unsettled, conflicts, missing = 0, 0, [], 0, 0
    for policy_id in ids:
        version = parse_version(request.form.get(f"v-{policy_id}"))
        try:
            if op == "review":
                outcome = mark_reviewed(store, policy_id, current_user.username,
                                        expected_version=version)
            else:
                outcome = accept_suggestions(store, policy_id, current_user.username,
                                             facet=facet or None, expected_version=version,
                                             mark_reviewed=op == "accept_review")
        except EditConflict:
            conflicts += 1
            continue
        except KeyError:
            missing += 1
            continue
        accepted += len(outcome.accepted)
        reviewed += outcome.reviewed
        if op != "accept" and not outcome.reviewed:
            unsettled.append((policy_id, outcome.remaining))
    scope = f"（{labels[facet]}）" if facet and op != "review" else ""
    done = []
    if op != "review":
        done.append(f"接受建议标签 {accepted} 个")
    if op != "accept":
        done.append(f"标记已审核 {reviewed} 条")
    what = {"accept": "接受建议标签", "accept_review": "接受建议标签并标记已审核",
            "review": "标记已审核"}[op]
    flash(f"批量{what}{scope}：{'，'.join(done)}。", "info")
    if unsettled:
        flash(unsettled_message(store, unsettled, labels), "error")
    if conflicts:
        flash(f"{conflicts} 条政策在您打开列表后已被他人修改，未作改动，请刷新后重试。", "error")
    if missing:
        flash(f"{missing} 条政策已不存在。", "error")
    return redirect(queue_url(query))


MAX_UNSETTLED_NAMED = 10


def unsettled_message(store, unsettled: list[tuple[str, list[tuple[str, str]]]],
                      labels: dict[str, str]) -> str:
    """'N 条仍有未处理的建议，未标记已审核，留在队列中：《title》（行业 2 条）…'"""
    named = []
    for policy_id, remaining in unsettled[:MAX_UNSETTLED_NAMED]:
        policy = store.policies.get(policy_id)
        title = short_title(policy.title, 30) if policy else policy_id
        facets: dict[str, int] = {}
        for facet, _value in remaining:
            facets[facet] = facets.get(facet, 0) + 1
        named.append(f"《{title}》（" + "、".join(f"{labels.get(f, f)} {n} 条"
                                               for f, n in facets.items()) + "）")
    more = f"等 {len(unsettled)} 条" if len(unsettled) > MAX_UNSETTLED_NAMED else ""
    return (f"{len(unsettled)} 条政策还有未处理的建议，未标记已审核，仍在队列中："
            + "；".join(named) + more + "。请逐条审核，或选“全部分类”再执行“接受建议标签并标记已审核”。")


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

    @property
    def choices(self) -> list[str]:
        """The form's options for this tag: leave it, or change its decision."""
        return ["keep"] + [c for c, skip in (("accept", "accepted"), ("reject", "rejected"),
                                              ("undo", "proposed")) if self.decision != skip]


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
        # Not class "evidence": site.css makes that a block line (the 依据 notes of public pages).
        out.append(Markup('<mark class="ev-mark" title="{}">{}</mark>').format(
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
    staff = store.edits.fields(policy_id).get("beneficiaries")
    if staff is not None:
        return staff, True
    try:
        items = store.cards.get(policy_id).get("beneficiaries")
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
    card = store.cards.get(policy_id)
    staff = store.cards.field_origins(policy_id)
    return [CardFieldForm(key, CARD_FIELDS[key], "\n".join(card.values(key)), key in staff,
                          card.get(key)) for key in CARD_FORM_FIELDS]


def render_review(policy: Policy, *, query: str = "", status: int = 200, conflict=None,
                  submitted=None):
    """The review page. After a conflict, `submitted` is the form the editor sent: it is
    filled in again over the latest state, so the editor can check and re-apply it."""
    store = services().store
    views = tag_views(policy)
    state = store.edits.state(policy.id) or {}
    summary, summary_by_staff = beneficiaries_of(policy.id)
    previous, following = neighbours_in_queue(store, queue_filter(_query_args(query)), policy.id)
    first_open = next((t.key for v in views.values() for t in v.tags if t.decision == "proposed"), None)
    cards = card_form_fields(policy.id)
    form = FormValues.of(policy, views, summary, cards, submitted)
    return render_template(
        "staff/review.html", policy=policy, views=views, state=state, query=query,
        title_marked=highlight(policy.title, evidence_spans(views, "title")),
        body=body_paragraphs(policy.body_text, evidence_spans(views, "body")),
        evidence_sentence=evidence_sentence, validities=VALIDITIES, doc_kinds=DOC_KINDS,
        summary_by_staff=summary_by_staff, next_id=following, previous_id=previous,
        first_open=first_open, conflict=conflict and conflict_view(conflict, policy, views, submitted),
        decision_names=DECISION_NAMES, max_summary=MAX_SUMMARY_CHARS, card_fields=cards,
        auto_kind=store.kinds.auto(policy.id), form=form, choice_names=CHOICE_NAMES,
        source_name=source_namer(),
    ), status


@dataclass
class FormValues:
    """What the review form shows in each field: the stored state, or after a conflict
    what the editor had sent."""
    choices: dict[str, str]      # tag key -> keep | accept | reject | undo
    validity: str
    doc_kind: str                # "auto" or a kind
    huiqi: str                   # "auto", 是, 否
    cards: dict[str, str]
    summary: str
    add_facet: str = ""
    add_value: str = ""

    @classmethod
    def of(cls, policy: Policy, views: dict[str, FacetView], summary: str,
           cards: list[CardFieldForm], submitted=None) -> FormValues:
        sent = submitted or {}
        accept_all = sent.get("op") == "accept_all"
        choices = {}
        for view in views.values():
            for tag in view.tags:
                wanted = sent.get(tag.key, "keep")
                if accept_all and tag.decision == "proposed" and wanted == "keep":
                    wanted = "accept"
                choices[tag.key] = wanted if wanted in tag.choices else "keep"
        kind = policy.doc_kind if policy.kind_by == "staff" else "auto"
        huiqi = ("是" if policy.huiqi else "否") if policy.huiqi_by == "staff" else "auto"
        return cls(
            choices=choices, validity=sent.get("validity", policy.validity),
            doc_kind=sent.get("doc_kind", kind), huiqi=sent.get("huiqi", huiqi),
            cards={f.key: sent.get(f"card-{f.key}", f.text) for f in cards},
            summary=sent.get("beneficiaries", summary),
            add_facet=sent.get("add_facet", ""), add_value=sent.get("add_value", ""))


@dataclass
class ConflictView:
    expected: int
    current: int
    changes: list           # web.history.Entry: what the other editor did
    yours: list[str]        # what saving the kept form would change now
    problem: str = ""


def conflict_view(conflict: EditConflict, policy: Policy, views, submitted) -> ConflictView:
    labels = current_taxonomy(services().store).labels()
    changes = [entry_view(row, labels, {}) for row in conflict.changes]
    yours, problem = [], ""
    if submitted is not None:
        try:
            plan = plan_changes(policy, views, submitted,
                                accept_all=submitted.get("op") == "accept_all")
            yours = describe_plan(plan, labels)
        except ValueError as exc:
            problem = str(exc)
    return ConflictView(conflict.expected, conflict.current, changes, yours, problem)


def describe_plan(plan: dict, labels: dict[str, str]) -> list[str]:
    words = {"accept": "接受", "reject": "否决", "remove": "撤销决定"}
    lines = [f"{words[kind]} {labels.get(facet, facet)}：{value}" for kind, facet, value in plan["tags"]]
    lines += [f"{FIELD_LABELS.get(name, name)} → {value or '自动判定'}" for name, value in plan["fields"]]
    lines += [f"{CARD_FIELDS.get(name, name)}：{'恢复系统提取' if items is None else '修改'}"
              for name, items in plan["card"]]
    return lines


FIELD_LABELS = {"validity": "有效性", "doc_kind": "文件类型", "huiqi": "惠企政策",
                "beneficiaries": "惠及对象摘要"}


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
        return render_review(policy, query=query, status=400, submitted=form)
    finish = op == "save_next"
    remaining: list[tuple[str, str]] = []
    try:
        with store.edits.begin(policy.id, current_user.username, expected_version=version) as edit:
            apply_plan(store, edit, plan)
            if finish:
                remaining = mark_reviewed_if_settled(store, edit)
    except EditConflict as exc:
        flash(str(exc), "error")
        return render_review(store.policies.get(policy.id), query=query, status=409, conflict=exc,
                             submitted=form)
    changed = len(plan["tags"]) + len(plan["fields"]) + len(plan["card"])
    title = short_title(policy.title)
    saved = f"《{title}》：已保存 {changed} 处改动" if changed else f"《{title}》：没有改动"
    if finish and not remaining:
        flash(f"{saved}，已标记为已审核。", "info")
        following = next_in_queue(store, queue_filter(_query_args(query)), policy.id)
        if following:
            return redirect(url_for("staff.review", policy_id=following, q=query or None))
        flash("队列中已没有待审核的政策。", "info")
        return redirect(queue_url(query))
    if finish:
        labels = current_taxonomy(store).labels()
        open_ones = "、".join(f"{labels.get(f, f)}：{v}" for f, v in remaining)
        flash(f"{saved}；还有 {len(remaining)} 条建议未处理（{open_ones}），未标记已审核。"
              "请接受或否决每一条建议后再标记。", "error")
    else:
        flash(f"{saved}。", "info")
    return redirect(url_for("staff.review", policy_id=policy.id, q=query or None))


def apply_plan(store, edit, plan: dict) -> None:
    """Write a review form's changes inside one staff edit."""
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
            store.cards.remove_staff_field(edit.policy_id, name, edit.by)
        else:
            store.cards.set_staff_field(edit.policy_id, name, items, edit.by)
    if any(name == "deadline" for name, _items in plan["card"]):
        refresh_deadline(store, edit.policy_id)  # the window and its status follow the field


def short_title(title: str, limit: int = 40) -> str:
    return title if len(title) <= limit else title[:limit - 1] + "…"


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
    for name, current, by_staff, allowed, label in (
            ("doc_kind", policy.doc_kind, policy.kind_by == "staff", DOC_KINDS, "文件类型"),
            ("huiqi", "是" if policy.huiqi else "否", policy.huiqi_by == "staff", ("是", "否"),
             "惠企政策")):
        wanted = form.get(name, current if by_staff else "auto")
        if wanted == "auto":
            if by_staff:
                changes.append((name, None))
        elif wanted not in allowed:
            raise ValueError(f"{label}的取值无效。")
        elif not by_staff or wanted != current:
            changes.append((name, wanted))
    return changes


def plan_card(policy_id: str, form) -> list[tuple[str, list[CardItem] | None]]:
    """Card fields the form changes: (field, items), or (field, None) to undo staff's version.

    A box holds one item per line; an emptied box says "the document has none". Lines
    kept as they were keep their evidence sentence.
    """
    store = services().store
    card = store.cards.get(policy_id)
    staff = store.cards.field_origins(policy_id)
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
    store = services().store
    labels = current_taxonomy(store).labels()
    entries = [entry_view(row, labels, {}) for row in reversed(store.tags.audit_log(policy.id))]
    return render_template("staff/history.html", policy=policy, entries=entries,
                           query=request.args.get("q", ""))


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
