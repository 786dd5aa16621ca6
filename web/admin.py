"""The admin pages (/admin, role admin): dashboard, jobs with live progress, sources with
health and alarms, users, taxonomy values, the audit log of admin actions.

Jobs are only enqueued here; a worker process (`policy-search worker`, or the one
`policy-search run` starts) runs them, so a restart of the site neither kills nor loses
a job — an uploaded policy file too is imported by a job. Every state-changing action is
written to the audit log with who and when.
"""
from __future__ import annotations

import logging
import re
import secrets
from pathlib import Path

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template,
                   request, url_for)
from flask_login import current_user

from index.api import index_status as index_status_of
from policy_search import jobs
from policy_search.domain.accounts import ROLES, AccountError, change_password, create_user, set_active, set_role
from policy_search.dashboard import (dashboard_figures, human_bytes, set_source_enabled,
                                     sources_health)
from policy_search.first_run import startup_status
from policy_search.domain.importer import ImportFileError, check_file, detect_format
from policy_search.domain.models import CHECKED_FIELDS, LEVEL_NAMES
from policy_search.domain.regions import all_regions, region_path, search_regions
from policy_search.domain.local_time import beijing_day_end, beijing_day_start
from policy_search.domain.review_queue import record_admin_action
from policy_search.domain.taxonomy import current_taxonomy, save_value
from policy_search.domain.url_safety import UnsafeURL, check_redirects, resolve_host
from web.app import MULTIPART_OVERHEAD, services
from web.auth import ROLE_NAMES, require_role
from web.history import ACTION_NAMES, entry_view, user_name
from web.sources import (CRAWL_STATUS_NAMES, DEFINITION_KEY, FAMILIES, SourceError, all_sources,
                      build_definition, check_one_source, definition_urls, source_name,
                      source_names, stored_definitions, try_source)
from web.security import body_limit

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")
require_role(bp, "admin")

PROBE_TIMEOUT = 10.0


def audit(action: str, target: str, detail=None) -> None:
    record_admin_action(services().store, action, target, current_user.username, detail)


# --- dashboard ------------------------------------------------------------------------

@bp.get("/")
def dashboard():
    svc = services()
    figures = dashboard_figures(svc.store, svc.settings.data_dir)
    health = sources_health(svc.store, all_sources(svc.settings, svc.store)[0])
    startup = startup_status(svc.store, lambda: [])
    return render_template("admin/dashboard.html", figures=figures, index=index_status(),
                           sync_error=getattr(svc.sync, "last_error", None),
                           source_alarms=[h for h in health if h["alarms"]],
                           startup_failed=startup.phase == "failed")


def index_status() -> dict:
    svc = services()
    try:
        return index_status_of(svc.settings.index_path, svc.store).to_dict()
    except Exception as exc:  # the dashboard must show even a broken index
        return {"usable": False, "message": f"{type(exc).__name__}: {exc}", "generation": None}


# --- jobs -----------------------------------------------------------------------------

# How a job ended, as a badge's class (jobs.OUTCOMES).
OUTCOME_CLASSES = {jobs.SUCCEEDED: "ok", jobs.PARTIAL: "warn", jobs.FAILED: "bad"}


def outcome_class(job: dict) -> str:
    return OUTCOME_CLASSES.get(job.get("outcome") or "", "")


def job_page_helpers() -> dict:
    svc = services()
    names = source_names(svc.settings, svc.store)
    return {"outcome_class": outcome_class, "crawl_status_names": CRAWL_STATUS_NAMES,
            "source_name": lambda source_id: source_name(source_id, names)}


@bp.get("/jobs")
def jobs_page():
    svc = services()
    sources, problems = all_sources(svc.settings, svc.store)
    return render_template(
        "admin/jobs.html", jobs=jobs.list_jobs(svc.store, limit=50),
        workers=jobs.live_workers(svc.store), sources=sources, problems=problems,
        import_limit=human_bytes(svc.settings.import_max_bytes), **job_page_helpers(),
    )


@bp.get("/jobs.json")
def jobs_json():
    store = services().store
    workers = jobs.live_workers(store)
    return jsonify({"jobs": jobs.list_jobs(store, limit=50), "workers": len(workers),
                    "worker_running": bool(workers)})


# The result of an import or snapshot job, as the job page names it.
RESULT_LABELS = {"file": "文件", "date": "快照日期", "description": "说明", "added": "新增",
                 "updated": "更新", "unchanged": "未变", "rejected": "拒绝", "index": "索引",
                 "generation": "索引版本", "documents": "文档数", "analyzed": "分词",
                 "from_cache": "缓存", "caught_up": "追加变更", "seconds": "用时（秒）",
                 "removed": "删除的旧索引版本"}


@bp.get("/jobs/<int:job_id>")
def job_page(job_id: int):
    job = jobs.job_dict(services().store, job_id)
    if job is None:
        abort(404)
    return render_template("admin/job.html", job=job, result_labels=RESULT_LABELS,
                           **job_page_helpers())


@bp.get("/jobs/<int:job_id>.json")
def job_json(job_id: int):
    job = jobs.job_dict(services().store, job_id)
    if job is None:
        return jsonify({"error": "没有这个任务", "status": 404}), 404
    return jsonify(job)


@bp.post("/jobs/start")
def start_job():
    svc = services()
    kind = request.form.get("kind", "")
    args: dict = {}
    if kind == "crawl":
        source = request.form.get("source", "").strip()
        if source:
            known = {s.id for s in all_sources(svc.settings, svc.store)[0]}
            if source not in known:
                flash(f"未知的来源：{source}", "error")
                return redirect(url_for("admin.jobs_page"))
            args["source"] = source
    elif kind != "reindex":
        abort(400)
    try:
        job_id = jobs.enqueue(svc.store, kind, args, current_user.username)
    except jobs.JobRefused as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.jobs_page")), 303
    audit("job_start", f"job:{job_id}", {"kind": kind, **args})
    message = f"已加入队列：任务 #{job_id}（{jobs.kind_label(kind)}）。"
    if not jobs.live_workers(svc.store):
        message += "注意：当前没有运行中的工作进程，请在服务器上运行 `policy-search worker`。"
    flash(message, "info")
    return redirect(url_for("admin.job_page", job_id=job_id)), 303


# --- import an uploaded file -------------------------------------------------------

UPLOAD_DIR = "uploads"
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")


def upload_limit() -> int:
    return services().settings.import_max_bytes + MULTIPART_OVERHEAD


@bp.post("/import")
@body_limit(upload_limit)
def import_upload():
    """Save an uploaded policy list and queue its import (the importer of `import`)."""
    svc = services()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return import_refused("请选择要导入的文件（JSON Lines、CSV 或 XLSX）。")
    name = Path(upload.filename.replace("\\", "/")).name[:200] or "upload"
    try:
        detect_format(Path(name))
    except ImportFileError:
        return import_refused(f"不支持的文件类型：{name}。请上传 .jsonl、.csv 或 .xlsx 文件"
                              "（JSON Lines 也可以是 .jsonl.gz / .jsonl.xz）。")
    suffixes = "".join(x for x in (s.lower() for s in Path(name).suffixes[-2:]) if _SUFFIX.match(x))
    folder = Path(svc.settings.data_dir) / UPLOAD_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(8)}{suffixes}"
    upload.save(path)
    try:
        if path.stat().st_size > svc.settings.import_max_bytes:
            raise ImportFileError(f"文件超过 {human_bytes(svc.settings.import_max_bytes)} 的上限")
        fmt = check_file(path)
    except ImportFileError as exc:
        path.unlink(missing_ok=True)
        return import_refused(f"无法导入 {name}：{exc}")
    try:
        job_id = jobs.enqueue(svc.store, "import", {"path": str(path), "name": name, "format": fmt},
                              current_user.username)
    except jobs.JobRefused as exc:
        path.unlink(missing_ok=True)
        return import_refused(str(exc))
    audit("job_start", f"job:{job_id}", {"kind": "import", "file": name})
    message = f"已加入队列：任务 #{job_id}（导入 {name}）。"
    if not jobs.live_workers(svc.store):
        message += "注意：当前没有运行中的工作进程，请在服务器上运行 `policy-search worker`。"
    flash(message, "info")
    return redirect(url_for("admin.job_page", job_id=job_id)), 303


def import_refused(message: str):
    flash(message, "error")
    return redirect(url_for("admin.jobs_page")), 303


@bp.errorhandler(413)
def too_large(error):
    if request.endpoint == "admin.import_upload":
        limit = services().settings.import_max_bytes
        return import_refused(f"文件超过 {human_bytes(limit)} 的上限（设置 import_max_bytes），未导入。")
    from web.security import error_response

    return error_response(413)


@bp.post("/jobs/<int:job_id>/cancel")
def cancel_job(job_id: int):
    try:
        state = jobs.cancel(services().store, job_id, current_user.username)
    except jobs.JobRefused as exc:
        flash(str(exc), "error")
    else:
        audit("job_cancel", f"job:{job_id}", {"state": state})
        flash(f"已请求取消任务 #{job_id}（{jobs.STATE_NAMES.get(state, state)}）。", "info")
    return redirect(request.form.get("back") == "list" and url_for("admin.jobs_page")
                    or url_for("admin.job_page", job_id=job_id)), 303


# --- sources ----------------------------------------------------------------------------

@bp.get("/sources")
def sources():
    svc = services()
    configured, problems = all_sources(svc.settings, svc.store)
    added = {d["id"] for d in stored_definitions(svc.store)}
    return render_template("admin/sources.html", health=sources_health(svc.store, configured),
                           problems=problems, added=added, check_fields=CHECKED_FIELDS)


@bp.post("/sources/<source_id>/check")
def source_check(source_id: str):
    """Fetch the source's first list pages and one detail page now; the result is kept."""
    svc = services()
    source = next((s for s in all_sources(svc.settings, svc.store)[0] if s.id == source_id), None)
    if source is None:
        abort(404)
    result = check_one_source(svc.settings, svc.store, source)
    audit("source_check", f"source:{source_id}", {"ok": result.ok, "problems": result.problems})
    if result.ok:
        flash(f"来源 {source_id} 检查通过（用时 {result.seconds:.1f} 秒）。", "info")
    else:
        flash(f"来源 {source_id} 有问题：" + "；".join(result.problems), "error")
    return redirect(url_for("admin.sources") + f"#source-{source_id}"), 303


@bp.post("/sources/<source_id>/enabled")
def source_enabled(source_id: str):
    svc = services()
    known = {s.id for s in all_sources(svc.settings, svc.store)[0]}
    if source_id not in known:
        abort(404)
    enabled = request.form.get("enabled") == "1"
    set_source_enabled(svc.store, source_id, enabled)
    audit("source_enable" if enabled else "source_disable", f"source:{source_id}")
    flash(f"来源 {source_id} 已{'启用' if enabled else '停用'}。", "info")
    return redirect(url_for("admin.sources")), 303


SOURCE_FIELDS = ("id", "name", "family", "url", "page_url", "region", "level", "link_pattern")


@bp.route("/sources/edit", methods=["GET", "POST"])
def source_form():
    """Add a source of a known CMS family, or edit one an admin added; 试用 fetches its
    list page with the link pattern and shows the items it would find, saving nothing."""
    svc = services()
    stored = {d["id"]: d for d in stored_definitions(svc.store)}
    editing = request.args.get("id", "")
    if editing and editing not in stored:
        abort(404)
    values = form_values(stored.get(editing)) if editing else {}
    status, trial = 200, None
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in SOURCE_FIELDS}
        values["region"] = values["region"] or request.form.get("region_code", "")
        trying = request.form.get("op") == "try"
        try:
            definition = build_definition(values)
            configured_ids = {s.id for s in all_sources(svc.settings, svc.store)[0]}
            if definition["id"] in configured_ids and definition["id"] not in stored:
                raise SourceError("该编号已被配置文件中的来源使用")
            if not editing and definition["id"] in stored:
                raise SourceError("该编号已存在；要修改请从来源列表点“编辑”")
            if editing and definition["id"] != editing:
                raise SourceError("编辑时不能修改来源编号")
            if not loopback_sources():
                for url in definition_urls(definition):
                    check_source_url(url)
        except (SourceError, UnsafeURL) as exc:
            flash(f"{'未试用' if trying else '未保存'}：{exc}", "error")
            status = 400
        else:
            if trying:
                trial = try_source(svc.settings, definition, public_only=not loopback_sources())
                audit("source_try", f"source:{definition['id']}",
                      {"link_pattern": definition.get("link_pattern"), "ok": trial.ok,
                       "items": sum(e.items for e in trial.entries)})
            else:
                svc.store.sources.save_state(definition["id"], state={DEFINITION_KEY: definition})
                audit("source_edit" if editing else "source_add", f"source:{definition['id']}",
                      definition)
                flash(f"来源 {definition['id']} 已保存。", "info")
                return redirect(url_for("admin.sources")), 303
    return render_template("admin/source_form.html", values=values, editing=editing,
                           families=FAMILIES, levels=LEVEL_NAMES, trial=trial,
                           regions=[region_path(r.code) for r in all_regions()],
                           check_fields=CHECKED_FIELDS), status


def loopback_sources() -> bool:
    """Tests only (app config): let a source on 127.0.0.1 be tried, to reach a fixture site."""
    return bool(current_app.config.get("LOOPBACK_SOURCES_FOR_TESTS"))


@bp.get("/regions.json")
def regions_json():
    """The region field's list: divisions whose name or code matches q, as paths."""
    query = request.args.get("q", "")[:20]
    return jsonify({"q": query, "items": [
        {"code": r.code, "name": r.name, "path": region_path(r.code)}
        for r in search_regions(query, limit=30)]})


def form_values(definition: dict) -> dict:
    entry = (definition.get("entries") or [{}])[0]
    return {"id": definition["id"], "name": definition.get("name", ""),
            "family": entry.get("kind", ""), "url": entry.get("url", ""),
            "page_url": entry.get("page_url", ""),
            "region": region_path(definition.get("region_code", "")),
            "level": definition.get("level", ""), "link_pattern": definition.get("link_pattern", "")}


def check_source_url(url: str) -> str:
    """The URL is public and so is every redirect it leads to (each hop checked first)."""
    resolve = current_app.config.get("URL_RESOLVER") or resolve_host
    fetch = current_app.config.get("URL_FETCH") or probe
    return check_redirects(url, fetch, resolve)


def probe(url: str) -> tuple[int, str | None]:
    """One request without following redirects: (status, Location)."""
    import requests

    try:
        with requests.get(url, allow_redirects=False, stream=True, timeout=PROBE_TIMEOUT,
                          headers={"User-Agent": "PolicySearchBot/0.1 (source check)"}) as response:
            return response.status_code, response.headers.get("Location")
    except requests.RequestException as exc:
        raise UnsafeURL(f"无法访问该网址：{type(exc).__name__}") from None


# --- users ------------------------------------------------------------------------------

@bp.get("/users")
def users():
    return render_template("admin/users.html", users=services().store.accounts.list(),
                           roles=ROLES, role_names=ROLE_NAMES)


def active_admins() -> list[str]:
    return [u.username for u in services().store.accounts.list() if u.role == "admin" and u.active]


def is_last_admin(username: str) -> bool:
    return active_admins() == [username]


@bp.post("/users/add")
def add_user():
    username = request.form.get("username", "").strip()
    role = request.form.get("role", "staff")
    try:
        if request.form.get("password", "") != request.form.get("password2", ""):
            raise AccountError("两次输入的密码不一致")
        create_user(services().store, username, request.form.get("password", ""), role)
    except AccountError as exc:
        flash(f"未添加：{exc}", "error")
        return redirect(url_for("admin.users")), 303
    audit("user_add", f"user:{username}", {"role": role})
    flash(f"已添加用户 {username}（{ROLE_NAMES.get(role, role)}）。", "info")
    return redirect(url_for("admin.users")), 303


def target_user(username: str):
    user = services().store.accounts.get(username)
    if user is None:
        abort(404)
    return user


@bp.post("/users/<username>/active")
def user_active(username: str):
    user = target_user(username)
    active = request.form.get("active") == "1"
    if not active and user.role == "admin" and is_last_admin(username):
        flash("不能停用最后一个管理员账号。", "error")
        return redirect(url_for("admin.users")), 303
    set_active(services().store, username, active)
    audit("user_enable" if active else "user_disable", f"user:{username}")
    flash(f"用户 {username} 已{'启用' if active else '停用'}。", "info")
    return redirect(url_for("admin.users")), 303


@bp.post("/users/<username>/role")
def user_role(username: str):
    user = target_user(username)
    role = request.form.get("role", "")
    if role not in ROLES:
        abort(400)
    if user.role == "admin" and role != "admin" and is_last_admin(username):
        flash("不能取消最后一个管理员的管理员角色。", "error")
        return redirect(url_for("admin.users")), 303
    set_role(services().store, username, role)
    audit("user_role", f"user:{username}", {"old": user.role, "new": role})
    flash(f"用户 {username} 的角色已改为{ROLE_NAMES[role]}。", "info")
    return redirect(url_for("admin.users")), 303


@bp.post("/users/<username>/password")
def user_password(username: str):
    target_user(username)
    try:
        if request.form.get("password", "") != request.form.get("password2", ""):
            raise AccountError("两次输入的密码不一致")
        change_password(services().store, username, request.form.get("password", ""))
    except AccountError as exc:
        flash(f"密码未修改：{exc}", "error")
        return redirect(url_for("admin.users")), 303
    audit("user_password", f"user:{username}")
    flash(f"已重设用户 {username} 的密码；其已登录的会话随之失效。", "info")
    return redirect(url_for("admin.users")), 303


# --- taxonomy ---------------------------------------------------------------------------

@bp.get("/taxonomy")
def taxonomy():
    store = services().store
    return render_template("admin/taxonomy.html", taxonomy=current_taxonomy(store),
                           history=store.taxonomy.history()[-50:][::-1])


@bp.post("/taxonomy/add")
def taxonomy_add():
    store = services().store
    facet = request.form.get("facet", "")
    value = request.form.get("value", "").strip()
    synonyms = split_terms(request.form.get("synonyms", ""))
    keywords = {k: 3.0 for k in split_terms(request.form.get("keywords", ""))}
    negative = split_terms(request.form.get("negative", ""))
    try:
        version = save_value(store, facet, value, current_user.username, synonyms=synonyms,
                             keywords=keywords or None, negative=negative,
                             note=request.form.get("note", "")[:200])
    except ValueError as exc:
        flash(f"未保存：{exc}", "error")
        return redirect(url_for("admin.taxonomy")), 303
    audit("taxonomy_value", f"taxonomy:{facet}:{value}",
          {"version": version, "synonyms": synonyms, "keywords": list(keywords), "negative": negative})
    flash(f"已保存标签值“{value}”（第 {version} 版）。", "info")
    return redirect(url_for("admin.taxonomy")), 303


def split_terms(text: str) -> list[str]:
    import re

    return [t.strip() for t in re.split(r"[,，、;；\n]", text or "") if t.strip()][:50]


# --- audit log ----------------------------------------------------------------------------

AUDIT_PAGE_SIZE = 100


@bp.get("/audit", endpoint="audit")
def audit_page():
    """Every audited change, policies' and admins', newest first: who, what, when (Beijing
    time), filtered by person, action and date."""
    store = services().store
    people, actions = store.tags.audit_choices()
    by = request.args.get("by", "") if request.args.get("by") in people else ""
    action = request.args.get("action", "") if request.args.get("action") in actions else ""
    day_from, day_to = request.args.get("from", ""), request.args.get("to", "")
    since, until = beijing_day_start(day_from), beijing_day_end(day_to)
    try:
        page = max(1, min(int(request.args.get("page", "1")), 10_000))
    except ValueError:
        page = 1
    total, rows = store.tags.search_audit(by=by, action=action, since=since, until=until,
                                          limit=AUDIT_PAGE_SIZE, offset=(page - 1) * AUDIT_PAGE_SIZE)
    titles = store.policies.titles([r["policy_id"] for r in rows])
    labels = current_taxonomy(store).labels()
    query = {k: v for k, v in (("by", by), ("action", action), ("from", day_from if since else ""),
                               ("to", day_to if until else "")) if v}
    return render_template(
        "admin/audit.html", entries=[entry_view(r, labels, titles) for r in rows], total=total,
        page=page, last_page=max(1, -(-total // AUDIT_PAGE_SIZE)), query=query,
        people=[(p, user_name(p)) for p in people],
        actions=sorted(((a, ACTION_NAMES.get(a, a)) for a in actions), key=lambda x: x[1]),
        by=by, action=action, day_from=query.get("from", ""), day_to=query.get("to", ""))


# The portal widget adds its snippet page (/admin/embed) to this blueprint.
from web import embed  # noqa: E402,F401
