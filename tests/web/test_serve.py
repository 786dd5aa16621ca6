"""`policy-search serve` end to end, and live updates from the store into search."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from policy_search.cli import main
from policy_search.domain.models import Policy, Tag
from tests.web.conftest import corpus_records

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 5.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_serve_help_names_the_defaults():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output and "127.0.0.1" in result.output


@pytest.mark.slow
def test_serve_runs_the_site_on_imported_data(tmp_path):
    """import → serve (which builds the missing index) → the site answers on 127.0.0.1."""
    data = tmp_path / "data"
    records = corpus_records(step=400)
    source = tmp_path / "some.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                      encoding="utf-8")
    cli = [sys.executable, "-c", "from policy_search.cli import main; main()",
           "--data-dir", str(data)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    imported = subprocess.run([*cli, "import", str(source)], capture_output=True, text=True,
                              env=env, cwd=ROOT, timeout=120)
    assert imported.returncode == 0, imported.stderr
    port = free_port()
    server = subprocess.Popen([*cli, "serve", "--port", str(port), "--workers", "2"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, body = get(base + "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        assert status == 200, server.stdout.read() if server.poll() is not None else status
        health = json.loads(body)
        assert health["policies"] == health["indexed"] == len(records)
        assert health["pid"] != server.pid  # answered by a forked worker
        status, page = get(base + "/")
        assert status == 200 and "最新政策".encode() in page
        status, api = get(base + "/api/search?q=%E9%80%9A%E7%9F%A5")  # 通知
        assert status == 200 and json.loads(api)["total"] >= 1
        # a store change made by another process reaches search through the sync thread
        from policy_search.domain.store import Store

        with Store(data / "policies.sqlite3") as store:
            store.policies.upsert(Policy(id="live1", title="独角兽企业培育行动方案",
                                         body_text="培育独角兽企业。"))
        deadline = time.monotonic() + 10
        total = 0
        while time.monotonic() < deadline and not total:
            total = json.loads(get(base + "/api/search?q=%E7%8B%AC%E8%A7%92%E5%85%BD")[1])["total"]
            time.sleep(0.2)
        assert total == 1
    finally:
        server.terminate()
        assert server.wait(timeout=20) == 0
    # the workers went with the parent
    assert processes_with(f"serve\0--port\0{port}") == []


def processes_with(text: str) -> list[int]:
    """Pids whose command line contains text (arguments joined by NUL, as in /proc)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_text(errors="replace"):
                found.append(int(cmdline.parent.name))
        except OSError:
            pass
    return found


def test_store_changes_reach_search_within_seconds(tmp_path):
    """With the sync thread (as `serve` starts it), a new policy is searchable in ~2 s."""
    from index.build import rebuild
    from index.search import SearchIndex
    from policy_search.settings import Settings
    from policy_search.domain.store import Store
    from web import create_app

    settings = Settings(data_dir=tmp_path, secret_key="t")
    store = Store(settings.db_path)
    store.policies.upsert(Policy(id="p1", title="关于稳岗返还的通知", body_text="稳岗返还。",
                                 publish_date="2020-01-01"))
    rebuild(store, settings.index_path)
    app = create_app(settings, store=store, index=SearchIndex(settings.index_path),
                     start_sync=True, testing=True)
    sync = app.extensions["policy_search"].sync
    client = app.test_client()
    try:
        assert client.get("/api/search?q=独角兽企业培育").get_json()["total"] == 0
        store.policies.upsert(Policy(id="p2", title="独角兽企业培育行动方案", body_text="培育独角兽企业。",
                                     publish_date="2021-01-01"))
        store.tags.replace_auto("p2", [Tag("enterprise", "初创企业")])
        # The sync thread may catch the policy before its tags (two store writes): poll
        # until both the word and the tag find it.
        started = time.monotonic()
        by_word = by_tag = []
        while time.monotonic() - started < 8:
            by_word = [h["id"] for h in client.get("/api/search?q=独角兽企业培育").get_json()["hits"]]
            by_tag = [h["id"] for h in client.get("/api/search?enterprise=初创企业").get_json()["hits"]]
            if by_word and by_tag:
                break
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        assert by_word == ["p2"]
        assert by_tag == ["p2"]
        assert elapsed < 4.0, f"took {elapsed:.1f}s"  # ~2 s expected; slack for a busy CI
    finally:
        sync.stop()
