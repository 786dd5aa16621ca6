"""Admin: a policy file uploaded on /admin/jobs is checked at once and imported by a job
(progress and result like any job's); the 检查 button on /admin/sources; source alarms on
the dashboard."""
from __future__ import annotations

import io
import json
import re

import pytest

from policy_search import jobs
from policy_search.app.job_kinds import register_real_kinds
from policy_search.domain.review_queue import admin_actions
from tests.crawler.site import fault_sources_toml, pick_sources, sources_toml, xlsx_bytes
from tests.web.staff_site import csrf_token, logged_in

ROWS = [
    {"title": "关于进一步支持小微企业融资担保的通知", "url": "http://www.csx.gov.cn/zwgk/202401/t20240105_1.html",
     "publish_date": "2024年1月5日", "level": "县", "region": "长沙县",
     "body": "一、支持对象\n本县注册的小微企业。\n二、支持标准\n对小微企业融资担保费用给予补贴。"},
    {"title": "长沙县促进专精特新中小企业发展的若干措施", "publish_date": "2024-02-01",
     "level": "county", "region": "长沙县", "body": "支持专精特新中小企业发展。"},
]


def upload(client, name: str, data: bytes, token: str | None = None, **extra):
    token = csrf_token(client, "/admin/jobs") if token is None else token
    form = {"file": (io.BytesIO(data), name)}
    if token:
        form["csrf_token"] = token
    return client.post("/admin/import", data=form, content_type="multipart/form-data", **extra)


def jsonl(rows) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def run_queued(tagged_site) -> None:
    register_real_kinds()
    jobs.Worker(tagged_site.store, settings=tagged_site.settings, poll_interval=0.01).run(once=True)


def uploads(tagged_site) -> list:
    folder = tagged_site.settings.data_dir / "uploads"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_an_uploaded_file_is_imported_by_a_job(app, tagged_site):
    admin = logged_in(app, "boss")
    assert "上传并导入" in admin.get("/admin/jobs").get_data(as_text=True)
    before = tagged_site.store.policies.count()
    response = upload(admin, "县政策清单.jsonl", jsonl(ROWS + [{"url": "http://x/没有标题"}]))
    assert response.status_code == 303 and "/admin/jobs/" in response.headers["Location"]
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    job = jobs.job_dict(tagged_site.store, job_id)
    assert (job["kind"], job["state"], job["args"]["name"]) == ("import", "queued", "县政策清单.jsonl")
    assert len(uploads(tagged_site)) == 1

    run_queued(tagged_site)
    job = jobs.job_dict(tagged_site.store, job_id, log_lines=1000)
    assert job["state"] == "succeeded", job
    assert (job["result"]["added"], job["result"]["rejected"]) == (2, 1)
    assert any("第 3 行已跳过：缺少标题" in line for line in job["log"])
    assert tagged_site.store.policies.count() == before + 2
    imported = [p for p in tagged_site.store.policies.iter_all() if p.source_id == "import"]
    assert {p.title for p in imported} == {r["title"] for r in ROWS}
    assert any("小微企业" in p.active_tags().get("enterprise", []) for p in imported)  # enriched
    assert uploads(tagged_site) == []  # the upload is removed once imported
    page = admin.get(f"/admin/jobs/{job_id}").get_data(as_text=True)
    assert "导入文件（县政策清单.jsonl）" in page and "新增：2" in page and "拒绝：1" in page
    # a rejected row makes it 部分失败, with the counts, on the job page and in the list
    assert job["outcome"] == "partial" and job["state_label"] == "部分失败"
    assert '<span class="badge job-state warn">部分失败</span>' in page
    assert "新增 2，更新 0，未变 0，拒绝 1" in page and "已完成" not in page
    listed = admin.get("/admin/jobs").get_data(as_text=True)
    assert "部分失败" in listed and "新增 2，更新 0，未变 0，拒绝 1" in listed
    assert admin.get(f"/admin/jobs/{job_id}.json").get_json()["percent"] == 100.0
    assert ("job_start", f"job:{job_id}", "boss") in [
        (a["action"], a["value"], a["by_user"]) for a in admin_actions(tagged_site.store)]


def test_xlsx_and_csv_with_chinese_headers(app, tagged_site):
    admin = logged_in(app, "boss")
    header = ["标题", "发文机关", "发布日期", "正文"]
    rows = [[r["title"], "长沙县人民政府", r["publish_date"], r["body"]] for r in ROWS]
    upload(admin, "清单.xlsx", xlsx_bytes([header, *rows]))
    csv_text = "\n".join(",".join(row) for row in [header, ["一项 GBK 编码的政策", "长沙县", "2024-03-01",
                                                           "正文"]])
    upload(admin, "清单.csv", csv_text.encode("gb18030"))
    run_queued(tagged_site)
    done = [j for j in jobs.list_jobs(tagged_site.store) if j["kind"] == "import"]
    assert [j["state"] for j in done] == ["succeeded", "succeeded"]
    assert [j["result"]["added"] for j in reversed(done)] == [2, 1]


@pytest.mark.parametrize("name, data, message", [
    ("政策.pdf", b"%PDF-1.4", "不支持的文件类型：政策.pdf"),
    ("空.jsonl", b"", "文件是空的"),
    ("表.csv", "编号,日期\n一,二\n".encode(), "表头中没有标题列"),
    ("坏.jsonl", b"not json at all\n", "第一行无法读取"),
    ("英文.jsonl", jsonl([{"标题": "中文字段名"}]), "第一条记录没有 title 字段"),
    ("坏.xlsx", b"PK\x03\x04 broken", "不是有效的 XLSX 文件"),
])
def test_a_file_that_cannot_be_imported_is_refused_at_once(app, tagged_site, name, data, message):
    admin = logged_in(app, "boss")
    response = upload(admin, name, data)
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/jobs")
    assert message in admin.get("/admin/jobs").get_data(as_text=True)
    assert [j for j in jobs.list_jobs(tagged_site.store) if j["kind"] == "import"] == []
    assert uploads(tagged_site) == []


def test_no_file_chosen(app, tagged_site):
    admin = logged_in(app, "boss")
    token = csrf_token(admin, "/admin/jobs")
    response = admin.post("/admin/import", data={"csrf_token": token},
                          content_type="multipart/form-data")
    assert response.status_code == 303
    assert "请选择要导入的文件" in admin.get("/admin/jobs").get_data(as_text=True)


def test_the_size_limit_is_a_setting_and_a_clear_message(site_factory):
    from web import create_app

    small = site_factory(import_max_bytes=2000)
    app = create_app(small.settings, store=small.store, testing=True)
    admin = logged_in(app, "boss")
    # Over the limit by a little: read, measured, refused.
    response = upload(admin, "大.jsonl", jsonl(ROWS) * 20)
    assert response.status_code == 303
    assert "无法导入 大.jsonl：文件超过 2.0 KB 的上限" in admin.get("/admin/jobs").get_data(as_text=True)
    # Over it by far: refused before the body is read.
    response = upload(admin, "很大.jsonl", jsonl(ROWS) * 200)
    assert response.status_code == 303
    assert "文件超过 2.0 KB 的上限（设置 import_max_bytes），未导入。" in admin.get(
        "/admin/jobs").get_data(as_text=True)
    assert jobs.list_jobs(small.store) == [] and uploads(small) == []
    # Elsewhere the site's own small limit still holds.
    token = csrf_token(admin, "/admin/jobs")
    big_form = admin.post("/admin/jobs/start", data={"csrf_token": token, "kind": "reindex",
                                                     "pad": "x" * 1_100_000})
    assert big_form.status_code == 413


def test_upload_needs_an_admin_and_a_csrf_token(app, tagged_site):
    anonymous = app.test_client()
    assert upload(anonymous, "a.jsonl", jsonl(ROWS), token="").status_code in (302, 400)
    staff = logged_in(app, "staffer")
    assert upload(staff, "a.jsonl", jsonl(ROWS), token=csrf_token(staff, "/staff/")).status_code == 403
    admin = logged_in(app, "boss")
    assert upload(admin, "a.jsonl", jsonl(ROWS), token="").status_code == 400
    assert upload(admin, "a.jsonl", jsonl(ROWS), token="forged").status_code == 400
    assert jobs.list_jobs(tagged_site.store) == [] and uploads(tagged_site) == []


# --- the 检查 button and the dashboard --------------------------------------------------------

@pytest.fixture
def checked_app(site_factory, gov_site, tmp_path):
    from web import create_app

    text = sources_toml(gov_site) + pick_sources(fault_sources_toml(gov_site), "jslist")
    path = tmp_path / "sources.toml"
    path.write_text(text, "utf-8")
    tagged_site = site_factory(sources_file=path, crawl_delay=0.05, crawl_jitter=0, crawl_retries=0)
    return create_app(tagged_site.settings, store=tagged_site.store, testing=True), tagged_site


def test_the_check_button_shows_items_and_fields(checked_app):
    app, tagged_site = checked_app
    admin = logged_in(app, "boss")
    token = csrf_token(admin, "/admin/sources")
    response = admin.post("/admin/sources/hunan-wjk/check", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith("#source-hunan-wjk")
    page = admin.get("/admin/sources").get_data(as_text=True)
    assert "来源 hunan-wjk 检查通过" in page
    row = page[page.index('id="source-hunan-wjk"'):]
    row = row[:row.index("</tr>")]
    assert "列表第一页 2 条，共 2 页" in row and re.search(r"✓标题.*✓发布日期.*✓发文机关.*✓文号.*✓正文", row)
    assert tagged_site.store.sources.state("hunan-wjk")["state"]["check"]["ok"] is True

    admin.post("/admin/sources/jslist/check", data={"csrf_token": token})
    page = admin.get("/admin/sources").get_data(as_text=True)
    assert "来源 jslist 有问题" in page and "列表页没有发现任何条目" in page
    assert [a["value"] for a in admin_actions(tagged_site.store) if a["action"] == "source_check"] == [
        "source:jslist", "source:hunan-wjk"]
    assert admin.post("/admin/sources/nope/check", data={"csrf_token": token}).status_code == 404


def test_the_check_button_needs_an_admin_and_a_token(checked_app):
    app, tagged_site = checked_app
    admin = logged_in(app, "boss")
    assert admin.post("/admin/sources/hunan-wjk/check", data={}).status_code == 400
    staff = logged_in(app, "staffer")
    assert staff.post("/admin/sources/hunan-wjk/check",
                      data={"csrf_token": csrf_token(staff, "/staff/")}).status_code == 403
    assert "check" not in tagged_site.store.sources.state("hunan-wjk")["state"]


def test_the_dashboard_lists_source_alarms(checked_app):
    app, tagged_site = checked_app
    tagged_site.store.sources.save_state("jslist", last_status="empty",
                                 last_error="列表页没有发现任何条目（页面可能由 JavaScript 生成，或地址/结构已变）")
    tagged_site.store.sources.save_state("csx", last_status="ok", state={"last_figures": {
        "extracted": 10, "fields": {"title": 10, "issuer": 10}}})
    page = logged_in(app, "boss").get("/admin/").get_data(as_text=True)
    alarms = page[page.index('id="source-alarms"'):]
    alarms = alarms[:alarms.index("</section>")]
    assert "JavaScript 列表" in alarms and "上次抓取没有发现任何条目" in alarms
    assert "长沙县人民政府" in alarms and "没有提取到发布日期" in alarms and "没有提取到正文" in alarms
    assert "湖南省人民政府 文件库" not in alarms


def test_the_dashboard_points_to_the_import_when_the_first_crawl_failed(app, tagged_site):
    admin = logged_in(app, "boss")
    assert "上传政策清单" not in admin.get("/admin/").get_data(as_text=True)
    job_id = jobs.enqueue(tagged_site.store, "crawl", {"first_run": True}, "首次运行")
    jobs.claim_next(tagged_site.store, ["crawl"])
    jobs._finish(tagged_site.store, job_id, jobs.SUCCEEDED, result={"sources": [
        {"source_id": "a", "name": "甲", "status": "failed", "error": "连接被拒绝"}]})
    # The test site's policies came from no source: a store of snapshot copies only.
    tagged_site.store.conn.execute("UPDATE policies SET source_id = 'snapshot'")
    tagged_site.store.conn.commit()
    page = admin.get("/admin/").get_data(as_text=True)
    assert "首次抓取没有成功" in page and "/admin/jobs#import" in page
