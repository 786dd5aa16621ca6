"""Attachments: download once, extract text in a limited child process, flag scans."""
from __future__ import annotations

import hashlib
import json
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass

from policy_search.domain.models import Attachment

# Media whose text is read (the bytes decide the format); archives and images are kept
# as links only.
TEXT_EXTENSIONS = (".pdf", ".docx", ".xlsx", ".ofd", ".txt", ".csv", ".doc", ".xls", ".wps", ".et")
COVER_NOTE_CHARS = 400


@dataclass
class ExtractionLimits:
    seconds: float = 60.0
    memory_bytes: int = 1_000_000_000


@dataclass
class TextResult:
    text: str = ""
    no_text_layer: bool = False
    kind: str = ""
    error: str = ""


def _limit(memory_bytes: int, seconds: float):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        cpu = int(seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    return apply


def extract_text(data: bytes, limits: ExtractionLimits | None = None) -> TextResult:
    """Text of an attachment (formats: crawler.attachment_worker), parsed in a child
    process under limits; `error` says why there is none."""
    limits = limits or ExtractionLimits()
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "crawler.attachment_worker"], input=data,
            capture_output=True, timeout=limits.seconds,
            preexec_fn=_limit(limits.memory_bytes, limits.seconds),
        )
    except subprocess.TimeoutExpired:
        return TextResult(error=f"timeout: 超过 {limits.seconds:.0f} 秒")
    if completed.returncode != 0:
        detail = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = detail[-1] if detail else f"exit {completed.returncode}"
        if "MemoryError" in reason:
            return TextResult(error=f"memory: 超过 {limits.memory_bytes // 1_000_000} MB 内存限制")
        if completed.returncode == -signal.SIGXCPU:
            return TextResult(error=f"timeout: 超过 {limits.seconds:.0f} 秒 CPU 时间")
        return TextResult(error=f"worker: {reason[:200]}")
    try:
        result = json.loads(completed.stdout.decode("utf-8"))
    except ValueError:
        return TextResult(error="worker: 无法读取输出")
    return TextResult(**{k: result.get(k, v) for k, v in TextResult().__dict__.items()})


def wants_text(attachment: Attachment) -> bool:
    return attachment.url.lower().split("?")[0].endswith(TEXT_EXTENSIONS)


def known_attachment(store, url: str) -> Attachment | None:
    """An attachment already read for any policy: each URL is downloaded once (one that
    gave no text for a reason is tried again when its page is fetched again)."""
    return store.policies.known_attachment(url)


def fill_attachment(attachment: Attachment, data: bytes, limits: ExtractionLimits | None = None
                    ) -> str:
    """Hash and text into the attachment; returns an error reason or ''."""
    attachment.sha256 = hashlib.sha256(data).hexdigest()
    result = extract_text(data, limits)
    attachment.text = result.text
    attachment.no_text_layer = result.no_text_layer
    attachment.text_error = result.error
    return result.error


def merge_cover_note(body_text: str, attachments: list[Attachment]) -> str:
    """A short cover note (印发…的通知) gets its attachments' text so the policy is searchable."""
    if len(body_text) >= COVER_NOTE_CHARS:
        return body_text
    parts = [body_text] if body_text else []
    for attachment in attachments:
        if attachment.text.strip():
            parts.append(f"附件：{attachment.name}\n{attachment.text.strip()}")
    return "\n\n".join(parts)
