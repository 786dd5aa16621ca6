import json
import sys

import pytest
from click.testing import CliRunner

from policy_search.cli import COMMANDS, main
from policy_search.settings import load_settings
from tests.conftest import run_together

REQUIRED_COMMANDS = {"import", "stats"}


def test_every_command_has_help():
    runner = CliRunner()
    assert REQUIRED_COMMANDS <= set(COMMANDS)
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output
        sub = runner.invoke(main, [name, "--help"])
        assert sub.exit_code == 0, (name, sub.output)
        assert "Usage:" in sub.output


def test_import_and_stats_use_the_data_dir(tmp_path):
    source = tmp_path / "p.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"title": "长沙县惠企政策", "url": "http://www.csx.gov.cn/1.html", "level": "县", "region": "长沙县"},
        {"title": "国务院文件", "url": "http://www.gov.cn/1.htm", "level": "national", "region": "全国"},
        {"url": "http://bad/1"},
    ]), encoding="utf-8")
    data_dir = tmp_path / "dd"
    runner = CliRunner()
    result = runner.invoke(main, ["--data-dir", str(data_dir), "import", "--quiet", str(source)])
    assert result.exit_code == 0, result.output
    assert "added 2 / updated 0 / unchanged 0 / rejected 1" in result.output
    assert ":3: 已跳过: 缺少标题" in result.output
    assert (data_dir / "policies.sqlite3").exists()

    stats = runner.invoke(main, ["--data-dir", str(data_dir), "stats", "--json"])
    data = json.loads(stats.output)
    assert data["total"] == 2
    assert data["level"] == {"county": 1, "national": 1}
    assert data["review_state"] == {"new": 2}
    text = runner.invoke(main, ["--data-dir", str(data_dir), "stats"]).output
    assert "长沙县" in text and "county 县" in text


def test_import_of_missing_format_fails_clearly(tmp_path):
    bad = tmp_path / "list.doc"
    bad.write_text("x")
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "import", str(bad)])
    assert result.exit_code == 1 and "--format" in result.output


def test_settings_precedence(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('port = 9001\ncrawl_delay = 3.0\nhost = "0.0.0.0"\n')
    env = {"POLICY_SEARCH_PORT": "9002", "POLICY_SEARCH_CRAWL_DELAY": "2.5"}
    assert load_settings(environ={}).port == 8000
    assert load_settings(config=config, environ={}).port == 9001
    s = load_settings(config=config, environ=env, crawl_delay=None)
    assert (s.port, s.crawl_delay, s.host) == (9002, 2.5, "0.0.0.0")
    assert load_settings(config=config, environ=env, port=9003).port == 9003


def test_config_in_data_dir_is_read_and_bad_values_refused(tmp_path):
    (tmp_path / "config.toml").write_text("crawl_retries = 7\n")
    assert load_settings(environ={}, data_dir=tmp_path).crawl_retries == 7
    assert load_settings(environ={}, data_dir=tmp_path).index_path == tmp_path / "index"
    with pytest.raises(ValueError, match="port"):
        load_settings(environ={"POLICY_SEARCH_PORT": "eighty"})
    (tmp_path / "config.toml").write_text("colour = 'blue'\n")
    with pytest.raises(ValueError, match="unknown"):
        load_settings(environ={}, data_dir=tmp_path)


def test_secret_key_is_generated_once_and_kept(tmp_path):
    s = load_settings(environ={}, data_dir=tmp_path)
    key = s.ensure_secret_key()
    assert len(key) == 64 and load_settings(environ={}, data_dir=tmp_path).ensure_secret_key() == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_workers_starting_together_share_one_secret_key(tmp_path):
    """serve --workers forks workers that each ask for the key at the same moment."""
    import threading

    barrier = threading.Barrier(8)
    keys, errors = [], []

    def ask(_n):
        settings = load_settings(environ={}, data_dir=tmp_path)
        barrier.wait()
        try:
            keys.append(settings.ensure_secret_key())
        except Exception as exc:  # noqa: BLE001 - any failure is the bug
            errors.append(exc)

    for _ in range(5):
        (tmp_path / "secret_key").unlink(missing_ok=True)
        keys.clear()
        run_together(ask, 8)
        assert errors == [] and len(keys) == 8 and len(set(keys)) == 1
        assert len(keys[0]) == 64
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]  # no temp files left


def test_readme_lists_every_setting_and_opens_with_two_commands():
    from pathlib import Path

    from policy_search.settings import describe

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    for name, _, _ in describe():
        assert f"`{name}`" in readme, f"setting {name} missing from README"
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0].strip().splitlines()
    assert [line.split()[0:2] for line in first_block] == [["make", "run"], ["make", "test"]]


def test_import_tags_and_cards_what_it_added(tmp_path):
    from policy_search.domain.store import Store

    source = tmp_path / "p.jsonl"
    source.write_text(json.dumps({
        "title": "关于进一步支持小微企业融资担保的通知", "url": "http://www.csx.gov.cn/9.html",
        "body": "一、支持对象\n本县注册的小微企业。\n二、支持标准\n对小微企业融资担保费用给予补贴，最高奖励50万元。"
                "\n三、申报时间\n2023年10月1日至10月31日。\n四、联系方式\n咨询电话：0731-12345678",
        "publish_date": "2023-09-20", "level": "county", "region": "长沙县",
    }, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "import", "--quiet", str(source)])
    assert result.exit_code == 0, result.output
    assert "自动标注 1 条" in result.output
    store = Store(tmp_path / "policies.sqlite3")
    policy = next(store.policies.iter_all())
    assert "小微企业" in policy.active_tags().get("enterprise", [])
    assert policy.deadline is not None


def test_progress_lines_are_throttled_and_end_with_each_steps_total(capsys, monkeypatch):
    from policy_search.cli import progress

    clock = [100.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    with progress.CountProgress("重建索引") as line:
        for done in range(5):  # a report every 0.5 s: one in two is shown
            clock[0] += 0.5
            line(done * 100, 400, "分词与写入")
        clock[0] += 0.1
        line(400, 400, "合并索引")
    assert capsys.readouterr().err.splitlines() == [
        "分词与写入: 0/400 (0%)",
        "分词与写入: 200/400 (50%, 133 篇/秒)",  # 1.5 s since the command started
        "分词与写入: 400/400 (100%, 160 篇/秒)",
        "合并索引: 400/400 (100%)",  # no rate before a step has run a second
    ]


def test_progress_redraws_one_line_on_a_terminal(capsys, monkeypatch):
    from policy_search.cli.progress import CountProgress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with CountProgress("卡片提取", interval=0) as line:
        for done in range(1, 4):
            line(done, 3)
    err = capsys.readouterr().err
    assert err.count("\r") == 3 and err.count("\n") == 1 and err.endswith("\n")
    assert err.split("\r")[-1].startswith("卡片提取: 3/3 (100%)")


def test_long_commands_report_progress_unless_quiet(tmp_path):
    source = tmp_path / "p.jsonl"
    source.write_text(json.dumps({
        "title": "关于支持小微企业发展的通知", "url": "http://www.csx.gov.cn/8.html",
        "body": "对小微企业给予补贴。", "level": "county", "region": "长沙县",
    }, ensure_ascii=False), encoding="utf-8")
    runner = CliRunner()
    imported = runner.invoke(main, ["--data-dir", str(tmp_path), "import", str(source)])
    assert imported.exit_code == 0, imported.output
    assert "自动标注: 1/1 (100%)" in imported.stderr and "政策卡片: 1/1 (100%)" in imported.stderr
    for command in (["tag", "auto", "--all"], ["card", "extract", "--all"], ["index", "rebuild"]):
        shown = runner.invoke(main, ["--data-dir", str(tmp_path), *command])
        quiet = runner.invoke(main, ["--data-dir", str(tmp_path), *command, "--quiet"])
        assert shown.exit_code == 0 and quiet.exit_code == 0, (shown.output, quiet.output)
        assert "/1 (100%)" in shown.stderr, command
        assert "/1 (100%)" not in quiet.stderr, command
