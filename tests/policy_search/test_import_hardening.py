"""Hostile and broken import files: every bad record gets its own message (line, reason),
the good records before and after it are imported, and nothing reads unbounded input."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from openpyxl import Workbook

from policy_search.domain import importer
from policy_search.domain.importer import ImportFileError, import_file

GOOD = [{"title": f"长沙县支持中小企业发展措施第{n}号", "url": f"http://www.csx.gov.cn/{n}.html",
         "body": f"第{n}条 对企业给予奖励。"} for n in range(1, 5)]


def jsonl(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def titles(store) -> set[str]:
    return {p.title for p in store.policies.iter_all()}


def reasons(summary) -> dict[int, str]:
    return {r.line: r.reason for r in summary.rejected}


def test_deeply_nested_lines_are_rejected_and_the_rest_imported(store, tmp_path):
    path = tmp_path / "nested.jsonl"
    deep_array = "[" * 200_000 + "]" * 200_000
    deep_object = '{"a":' * 200_000 + "1" + "}" * 200_000
    path.write_text(jsonl([json.dumps(GOOD[0], ensure_ascii=False), deep_array,
                           json.dumps(GOOD[1], ensure_ascii=False), deep_object,
                           json.dumps(GOOD[2], ensure_ascii=False)]), "utf-8")
    summary = import_file(store, path)
    assert summary.added == 3
    assert titles(store) == {g["title"] for g in GOOD[:3]}
    assert set(reasons(summary)) == {2, 4}
    assert all("嵌套" in reason for reason in reasons(summary).values())


def test_lone_surrogate_is_rejected_with_its_field(store, tmp_path):
    path = tmp_path / "surrogate.jsonl"
    bad_title = '{"title": "坏字符\\ud800标题", "url": "http://www.csx.gov.cn/s.html"}'
    bad_body = '{"title": "正文有坏字符", "body": "前\\udfff后"}'
    path.write_text(jsonl([json.dumps(GOOD[0], ensure_ascii=False), bad_title, bad_body,
                           json.dumps(GOOD[1], ensure_ascii=False)]), "utf-8")
    summary = import_file(store, path)
    assert summary.added == 2 and titles(store) == {GOOD[0]["title"], GOOD[1]["title"]}
    found = reasons(summary)
    assert set(found) == {2, 3}
    assert "标题" in found[2] and "无效字符" in found[2]
    assert "正文" in found[3] and "无效字符" in found[3]


@pytest.mark.parametrize("value, kind", [
    (12345, "数字"), ({"zh": "标题"}, "对象"), (["标题"], "列表"), (True, "true/false"),
])
def test_title_must_be_text(store, tmp_path, value, kind):
    path = tmp_path / "types.jsonl"
    path.write_text(jsonl([json.dumps(GOOD[0], ensure_ascii=False),
                           json.dumps({"title": value, "url": "http://www.csx.gov.cn/t.html"}),
                           json.dumps(GOOD[1], ensure_ascii=False)]), "utf-8")
    summary = import_file(store, path)
    assert summary.added == 2
    assert reasons(summary) == {2: f"标题应为文本，而不是{kind}"}


def test_other_fields_refuse_objects_and_lists_but_take_numbers(store, tmp_path):
    path = tmp_path / "fields.jsonl"
    path.write_text(jsonl([
        json.dumps({"title": "发文机关是对象", "issuer": {"name": "x"}}, ensure_ascii=False),
        json.dumps({"title": "正文是列表", "body": ["a", "b"]}, ensure_ascii=False),
        json.dumps({"title": "索引号是数字", "index_number": 114300, "publish_date": 20210508},
                   ensure_ascii=False),
    ]), "utf-8")
    summary = import_file(store, path)
    assert reasons(summary) == {1: "发文机关应为文本，而不是对象", 2: "正文应为文本，而不是列表"}
    [policy] = list(store.policies.iter_all())
    assert policy.index_number == "114300" and policy.publish_date == "2021-05-08"


def test_nul_and_control_characters_are_removed(store, tmp_path):
    path = tmp_path / "nul.jsonl"
    path.write_text(jsonl([json.dumps({"title": "含\u0000空字符\u0007的标题", "issuer": "长沙县\u0000政府",
                                       "body": "第一段\u0000\n第二段\u001b。\t完"},
                                      ensure_ascii=False)]), "utf-8")
    summary = import_file(store, path)
    assert summary.added == 1 and not summary.rejected
    [policy] = list(store.policies.iter_all())
    # (the colloquial 县政府 is stored as the organ's name, policy_search.domain.issuers)
    assert policy.title == "含空字符的标题" and policy.issuer == "长沙县人民政府"
    assert "\x00" not in policy.body_text and "\x1b" not in policy.body_text
    assert "第一段" in policy.body_text and "第二段" in policy.body_text


@pytest.mark.parametrize("url, scheme", [
    ("javascript:alert(1)", "javascript"), ("data:text/html,<script>alert(1)</script>", "data"),
    ("file:///etc/passwd", "file"), ("ftp://www.csx.gov.cn/a.html", "ftp"),
])
def test_url_must_be_http(store, tmp_path, url, scheme):
    path = tmp_path / "urls.jsonl"
    path.write_text(jsonl([json.dumps({"title": "坏链接的政策", "url": url}, ensure_ascii=False),
                           json.dumps(GOOD[0], ensure_ascii=False)]), "utf-8")
    summary = import_file(store, path)
    assert summary.added == 1 and titles(store) == {GOOD[0]["title"]}
    assert reasons(summary) == {1: f"链接: 只允许 http 或 https 网址（收到的是 {scheme}）"}
    assert all(p.url.startswith("http://") for p in store.policies.iter_all())


def test_url_placeholders_mean_no_link_and_bare_hosts_get_http(store, tmp_path):
    path = tmp_path / "links.jsonl"
    path.write_text(jsonl([json.dumps({"title": "没有链接的政策", "url": "无"}, ensure_ascii=False),
                           json.dumps({"title": "省略协议的链接", "url": "www.csx.gov.cn/zwgk/1.html"},
                                      ensure_ascii=False)]), "utf-8")
    summary = import_file(store, path)
    assert summary.added == 2 and not summary.rejected
    urls = {p.title: p.url for p in store.policies.iter_all()}
    assert urls == {"没有链接的政策": None, "省略协议的链接": "http://www.csx.gov.cn/zwgk/1.html"}


def test_overlong_jsonl_line_is_skipped_without_reading_it_whole(store, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "MAX_LINE_BYTES", 10_000)
    path = tmp_path / "long.jsonl"
    long_line = json.dumps({"title": "很长的一行", "body": "字" * 50_000}, ensure_ascii=False)
    path.write_text(jsonl([json.dumps(GOOD[0], ensure_ascii=False), long_line,
                           json.dumps(GOOD[1], ensure_ascii=False)]), "utf-8")
    summary = import_file(store, path)
    assert summary.added == 2
    assert list(reasons(summary)) == [2] and "10000 字节" in reasons(summary)[2]


def test_long_csv_field_is_kept_and_rows_after_an_oversized_field_are_imported(store, tmp_path,
                                                                              monkeypatch):
    long_body = "长" * 200_000  # over the csv module's default 131,072
    path = tmp_path / "long.csv"
    rows = ["title,body,url"]
    rows.append(f"很长的正文,{long_body},http://www.csx.gov.cn/long.html")
    rows += [f"{g['title']},{g['body']},{g['url']}" for g in GOOD[:2]]
    path.write_text("\n".join(rows) + "\n", "utf-8")
    summary = import_file(store, path)
    assert summary.added == 3 and not summary.rejected
    [long] = [p for p in store.policies.iter_all() if p.title == "很长的正文"]
    assert len(long.body_text) == 200_000

    monkeypatch.setattr(importer, "MAX_FIELD_CHARS", 1000)
    path = tmp_path / "huge.csv"
    rows = ["标题,正文,链接", f"{GOOD[2]['title']},{GOOD[2]['body']},{GOOD[2]['url']}",
            f"字段过长,{'x' * 5000},http://www.csx.gov.cn/x.html",
            f"{GOOD[3]['title']},{GOOD[3]['body']},{GOOD[3]['url']}"]
    path.write_text("\n".join(rows) + "\n", "utf-8")
    summary = import_file(store, path)
    assert summary.added == 2  # the rows before and after the oversized one
    assert {GOOD[2]["title"], GOOD[3]["title"]} <= titles(store)
    assert list(reasons(summary)) == [3] and "1000" in reasons(summary)[3]


def xlsx_file(path, rows, *, rewrite=None):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["标题", "正文", "链接"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    if rewrite is None:
        path.write_bytes(buffer.getvalue())
        return path
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, rewrite(info.filename, data))
        for name, data in getattr(rewrite, "extra", {}).items():
            target.writestr(name, data)
    return path


def good_rows(items):
    return [[g["title"], g["body"], g["url"]] for g in items]


@pytest.mark.parametrize("dtd", [
    b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    b'<!DOCTYPE worksheet SYSTEM "file:///etc/passwd">',
])
def test_xlsx_with_a_dtd_is_refused_with_a_message(store, tmp_path, dtd):
    def add_dtd(name, data):
        if name.endswith("sheet1.xml"):
            head, _, rest = data.partition(b"?>")
            return head + b"?>" + dtd + rest
        return data

    path = xlsx_file(tmp_path / "dtd.xlsx", good_rows(GOOD[:2]), rewrite=add_dtd)
    with pytest.raises(ImportFileError, match="DTD"):
        import_file(store, path)
    assert titles(store) == set()


def test_xlsx_whose_sheet_inflates_far_is_refused_before_parsing(store, tmp_path, monkeypatch):
    def pad(name, data):
        if name.endswith("sheet1.xml"):  # 20 MB of whitespace: 1,000:1 compressed
            return data.replace(b"<sheetData>", b"<sheetData>" + b" " * 20_000_000, 1)
        return data

    path = xlsx_file(tmp_path / "bomb.xlsx", good_rows(GOOD[:1]), rewrite=pad)
    assert path.stat().st_size < 200_000

    def no_parsing(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr("openpyxl.load_workbook", no_parsing)
    with pytest.raises(ImportFileError, match="压缩比"):
        import_file(store, path)

    monkeypatch.setattr(importer, "MAX_XLSX_EXPANDED", 1_000_000)
    monkeypatch.setattr(importer, "MAX_XLSX_RATIO", 10_000)
    with pytest.raises(ImportFileError, match="解压后"):
        import_file(store, path)


def test_xlsx_broken_mid_sheet_keeps_the_rows_before(store, tmp_path):
    def cut(name, data):
        if name.endswith("sheet1.xml"):
            marker = data.index(b'<row r="4"')
            return data[:marker] + b"<row r=\"4\"><c r=\"A4\" t=\"inlineStr\"><is><t>broken"
        return data

    path = xlsx_file(tmp_path / "cut.xlsx", good_rows(GOOD), rewrite=cut)
    summary = import_file(store, path)
    assert titles(store) == {GOOD[0]["title"], GOOD[1]["title"]}
    [(line, reason)] = reasons(summary).items()
    assert line >= 4 and "XLSX" in reason and "Traceback" not in reason


def test_xlsx_title_cell_must_be_text(store, tmp_path):
    path = xlsx_file(tmp_path / "numbers.xlsx",
                     [[12345, "数字标题", "http://www.csx.gov.cn/n.html"], *good_rows(GOOD[:1])])
    summary = import_file(store, path)
    assert summary.added == 1 and reasons(summary) == {2: "标题应为文本，而不是数字"}


def test_cli_reports_each_bad_line_and_no_traceback(tmp_path):
    from click.testing import CliRunner

    from policy_search.cli import main as cli

    path = tmp_path / "mixed.jsonl"
    path.write_text(jsonl([json.dumps(GOOD[0], ensure_ascii=False), "[" * 200_000,
                           '{"title": "\\ud800"}', json.dumps({"title": 1}),
                           json.dumps(GOOD[1], ensure_ascii=False)]), "utf-8")
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "import", str(path),
                                      "--quiet", "--no-enrich"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    for line in (2, 3, 4):
        assert f"mixed.jsonl:{line}: 已跳过" in result.output
    assert "新增 2" in result.output
