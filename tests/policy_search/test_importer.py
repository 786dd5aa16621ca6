import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from openpyxl import Workbook

from policy_search.domain.importer import ImportFileError, import_file
from policy_search.domain.store import Store
from tests.conftest import shared_path

CN_HEADER = ["标题", "发文机关", "发文字号", "成文日期", "发布日期", "索引号", "主题分类", "正文", "链接", "层级", "地区"]


def cn_rows():
    return [
        ["长沙县支持专精特新中小企业发展若干措施", "长沙县人民政府", "长县政发［2023］5号", "2023年3月1日",
         "2023.03.05", "", "工业", "对首次认定的专精特新“小巨人”企业给予奖励。", "http://www.csx.gov.cn/1.html", "县", "长沙县"],
        ["", "长沙县人民政府", "", "2023-3-1", "", "", "", "没有标题的行", "", "县", "长沙县"],
        ["湖南省稳岗返还政策通知", "湖南省人力资源和社会保障厅", "湘人社发〔2022〕12号", "不详",
         "2022-05-06", "", "", "稳岗返还", "http://rst.hunan.gov.cn/2.html", "省级", "湖南省"],
        ["长沙市科技创新奖补办法", "长沙市科学技术局", "长科发(2021)8号", "2021-5-8", "2021年5月10日",
         "", "", "奖补", "http://kjj.changsha.gov.cn/3.html", "city", "长沙市"],
    ]


def test_jsonl_with_bad_rows_reports_line_numbers(store, tmp_path):
    path = tmp_path / "p.jsonl"
    good = {"title": "国务院关于印发个体工商户条例的通知", "url": "http://www.gov.cn/1.htm",
            "doc_number": "国发 [2022] 3号", "publish_date": "2022年1月5日", "level": "national", "region": "全国",
            "body": "第一条\n第二条"}
    lines = [json.dumps(good, ensure_ascii=False), "{not json", "",
             json.dumps({"title": "  ", "url": "http://x/2"}),
             json.dumps({"title": "日期坏了", "publish_date": "2021年2月30日"}, ensure_ascii=False),
             json.dumps([1, 2])]
    path.write_text("\n".join(lines), encoding="utf-8")
    summary = import_file(store, path)
    assert (summary.added, summary.updated, summary.unchanged) == (1, 0, 0)
    assert [r.line for r in summary.rejected] == [2, 4, 5, 6]
    reasons = [r.reason for r in summary.rejected]
    assert reasons[0].startswith("无法解析的 JSON") and reasons[1] == "缺少标题"
    assert reasons[2].startswith("发布日期") and "JSON 对象" in reasons[3]
    policy = store.policies.get(next(p.id for p in store.policies.iter_all()))
    assert policy.doc_number == "国发[2022]3号" and policy.doc_number_key == "国发20223号"
    assert policy.publish_date == "2022-01-05" and policy.region_code == "100000"


def test_csv_with_chinese_headers_in_gbk(store, tmp_path):
    path = tmp_path / "list.csv"
    with open(path, "w", encoding="gb18030", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CN_HEADER)
        writer.writerows(cn_rows())
    summary = import_file(store, path)
    assert summary.added == 2
    assert [(r.line, r.reason) for r in summary.rejected][0] == (3, "缺少标题")
    assert summary.rejected[1].line == 4 and "成文日期" in summary.rejected[1].reason
    by_title = {p.title: p for p in store.policies.iter_all()}
    county = by_title["长沙县支持专精特新中小企业发展若干措施"]
    assert (county.level, county.region_code, county.written_date, county.publish_date) == (
        "county", "430121", "2023-03-01", "2023-03-05")
    assert county.doc_number_key == "长县政发20235号"
    city = by_title["长沙市科技创新奖补办法"]
    assert (city.level, city.region_code, city.doc_number_key) == ("city", "430100", "长科发20218号")


def test_xlsx_with_chinese_headers(store, tmp_path):
    import datetime as dt

    path = tmp_path / "list.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.append(CN_HEADER)
    for row in cn_rows():
        sheet.append(row)
    sheet.append(["日期是单元格", "", "", dt.datetime(2020, 7, 1), dt.date(2020, 7, 2), "", "", "", "", "", ""])
    book.save(path)
    summary = import_file(store, path)
    assert summary.added == 3
    assert [r.line for r in summary.rejected] == [3, 4]
    cell_dates = next(p for p in store.policies.iter_all() if p.title == "日期是单元格")
    assert (cell_dates.written_date, cell_dates.publish_date) == ("2020-07-01", "2020-07-02")


def test_file_without_title_column_is_refused(store, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("名字,日期\n甲,2020-01-01\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="标题"):
        import_file(store, path)


def test_import_is_idempotent_and_updates_keep_staff_tags(store, tmp_path):
    path = tmp_path / "p.jsonl"
    records = [{"title": f"政策{i}", "url": f"http://www.gov.cn/{i}.htm", "body": f"正文{i}"} for i in range(5)]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    first = import_file(store, path)
    assert (first.added, first.updated, first.unchanged) == (5, 0, 0)
    again = import_file(store, path)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)

    target = next(p for p in store.policies.iter_all() if p.title == "政策2")
    store.tags.set_staff(target.id, "support", "资金补贴奖励", by="staff1")
    records[2]["body"] = "修订后的正文"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    changed = import_file(store, path)
    assert (changed.added, changed.updated, changed.unchanged) == (0, 1, 4)
    updated = store.policies.get(target.id)
    assert updated.body_text == "修订后的正文"
    assert [(t.value, t.origin) for t in updated.tags] == [("资金补贴奖励", "staff")]


def test_partial_record_keeps_the_fields_it_lacks(store, tmp_path):
    full = tmp_path / "full.jsonl"
    full.write_text(json.dumps({"title": "T", "url": "http://a/1", "body": "全文", "doc_number": "湘政发〔2020〕1号"},
                               ensure_ascii=False), encoding="utf-8")
    meta = tmp_path / "meta.jsonl"
    meta.write_text(json.dumps({"title": "T", "url": "http://a/1", "doc_number": None, "publish_date": "2020-01-02"},
                               ensure_ascii=False), encoding="utf-8")
    import_file(store, full)
    assert import_file(store, meta).updated == 1
    policy = next(store.policies.iter_all())
    assert (policy.body_text, policy.doc_number, policy.publish_date) == ("全文", "湘政发〔2020〕1号", "2020-01-02")


def test_duplicate_rows_in_one_file_are_rejected(store, tmp_path):
    path = tmp_path / "dup.jsonl"
    row = json.dumps({"title": "同一文件", "url": "http://a/1"}, ensure_ascii=False)
    path.write_text(row + "\n" + row.replace("同一文件", "同一文件(转载)"), encoding="utf-8")
    summary = import_file(store, path)
    assert summary.added == 1 and summary.rejected[0].line == 2 and "第 1 行" in summary.rejected[0].reason


def test_real_corpus_sample_imports(store):
    path = shared_path("corpus", "documents.jsonl")
    sample = []
    with open(path, encoding="utf-8") as f:
        for _, line in zip(range(400), f):
            sample.append(line)
    tmp = store.path.parent / "sample.jsonl"
    tmp.write_text("".join(sample), encoding="utf-8")
    summary = import_file(store, tmp)
    assert summary.added == 400 and not summary.rejected
    assert import_file(store, tmp).unchanged == 400


def run_cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "policy_search", *args],
                          capture_output=True, text=True, **kwargs)


@pytest.mark.slow
def test_full_corpus_imports_and_second_run_changes_nothing(tmp_path):
    documents = shared_path("corpus", "documents.jsonl")
    metadata = shared_path("corpus", "metadata.jsonl")
    first = run_cli("--data-dir", str(tmp_path), "import", "--quiet", "--no-enrich", str(documents), check=True)
    assert "added 4876 / updated 0 / unchanged 0 / rejected 0" in first.stdout
    second = run_cli("--data-dir", str(tmp_path), "import", "--quiet", "--no-enrich", str(documents), check=True)
    assert "added 0 / updated 0 / unchanged 4876" in second.stdout
    meta = run_cli("--data-dir", str(tmp_path), "import", "--quiet", "--no-enrich", str(metadata), check=True)
    assert "rejected 0" in meta.stdout
    assert Store(tmp_path / "policies.sqlite3").policies.count() == 4876 + 32147 - 3  # 3 urls in both


@pytest.mark.slow
def test_killed_import_leaves_store_consistent_and_rerun_completes(tmp_path):
    documents = shared_path("corpus", "documents.jsonl")
    db = tmp_path / "policies.sqlite3"
    proc = subprocess.Popen([sys.executable, "-m", "policy_search", "--data-dir", str(tmp_path),
                             "import", "--quiet", "--no-enrich", str(documents)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    count = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=5) as conn:
                    count = conn.execute("SELECT count(*) FROM policies").fetchone()[0]
            except sqlite3.OperationalError:
                count = 0
        if count >= 500:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "import finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    store = Store(db)
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    partial = store.policies.count()
    assert 0 < partial < 4876
    for policy in store.policies.iter_all():  # every stored policy is whole: its hash matches its fields
        assert policy.content_hash == policy.compute_hash()
    store.close()

    rerun = run_cli("--data-dir", str(tmp_path), "import", "--quiet", "--no-enrich", str(documents), check=True)
    assert f"added {4876 - partial} / updated 0 / unchanged {partial}" in rerun.stdout


def test_title_spilled_into_the_doc_number_field_is_dropped_on_import():
    from policy_search.domain.importer import policy_from_record
    from policy_search.domain.normalize import doc_number_key

    policy = policy_from_record({
        "title": "国务院关于保护国营矿业企业正常生产的决定",
        "doc_number": "业企业正常生产的决定国发〔1982〕103号",
        "url": "http://www.gov.cn/zhengce/content/2018-04/13/content_5282177.htm"})
    assert policy.doc_number == "国发〔1982〕103号"
    assert policy.doc_number_key == doc_number_key("国发[1982]103号")
