"""`policy-search run` as a real subprocess on loopback: start it, read its output, ask
its pages, stop it."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.web.test_serve import processes_with  # noqa: F401  (used by the service tests)

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 10.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def wait_for(condition, timeout: float, what: str, process=None, interval: float = 0.3):
    """condition() until it returns something true; fails (with the output) at timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"run exited ({process.returncode}) while waiting for {what}:\n"
                                 + process.output_text())
        try:
            value = condition()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"gave up waiting for {what} after {timeout} s"
                         + (":\n" + process.output_text() if process is not None else ""))


class Service:
    """`policy-search --data-dir DATA run --port P` with the given settings (environment)."""

    def __init__(self, data_dir: Path, settings: dict[str, str], workers: int = 1):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONUNBUFFERED": "1"}
        env.update({f"POLICY_SEARCH_{k.upper()}": str(v) for k, v in settings.items()})
        self.argv = [sys.executable, "-m", "policy_search", "--data-dir", str(data_dir), "run",
                     "--port", str(self.port), "--workers", str(workers)]
        self.process = subprocess.Popen(self.argv, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.process.output_text = self.output_text

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    def output_text(self) -> str:
        return "".join(self.lines)

    def poll(self):
        return self.process.poll()

    @property
    def returncode(self):
        return self.process.returncode

    def page(self, path: str = "/") -> str:
        status, body = get(self.base + path)
        assert status == 200, (path, status, body[:500])
        return body

    def api(self, path: str) -> dict:
        status, body = get(self.base + path)
        assert status == 200, (path, status, body[:500])
        return json.loads(body)

    def healthy(self) -> bool:
        status, _body = get(self.base + "/healthz")
        return status == 200

    def said(self, text: str) -> bool:
        return text in self.output_text()

    def stop(self, timeout: float = 150) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
