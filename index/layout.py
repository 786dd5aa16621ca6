"""The index directory: generations, the pointer to the live one, and the locks.

    INDEX_PATH/
      CURRENT                 {"generation": "g000007-s2a1", ...}  (replaced atomically)
      g000007-s2a1/           a Whoosh index; SYNC holds the last applied store change,
                              READERS the shared locks of the searchers using it
      g000006-s2a1/           the previous generation, removed once no searcher holds it
      tokens.sqlite3          analyzed text per content hash (token cache)
      writer.lock, rebuild.lock

A crash at any point leaves CURRENT naming a complete generation: a new one is
only named after it was built, verified and fsynced.

Searchers open a generation's segment files on demand (not all at once), so a generation
may only be removed when no searcher in any process uses it: each searcher holds a shared
flock on the generation's READERS file for as long as it searches it; a generation other
than the live one is removed (by the rebuild after its switch, or by the last searcher to
move on) only when an exclusive flock on that file succeeds.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from index.schema import SCHEMA_VERSION

POINTER = "CURRENT"
SYNC_FILE = "SYNC"
DONE_FILE = "COMPLETE"
READERS_FILE = "READERS"
_GEN = re.compile(r"^g(\d{6})-(\S+)$")


class RebuildRunning(RuntimeError):
    """Another rebuild holds the rebuild lock."""


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_json(path: Path) -> dict | None:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def read_pointer(index_path: Path) -> dict | None:
    """The live generation's record, or None when there is no usable index."""
    data = read_json(Path(index_path) / POINTER)
    if not data or not isinstance(data.get("generation"), str):
        return None
    if not (Path(index_path) / data["generation"]).is_dir():
        return None
    return data


def current_generation(index_path: Path) -> Path | None:
    """The live generation's directory if it has this code's schema version."""
    pointer = read_pointer(index_path)
    if pointer is None or pointer.get("schema") != SCHEMA_VERSION:
        return None
    return Path(index_path) / pointer["generation"]


def switch_to(index_path: Path, generation: Path, **info) -> None:
    write_json_atomic(Path(index_path) / POINTER, {
        "generation": generation.name, "schema": SCHEMA_VERSION,
        "switched_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **info,
    })


def generations(index_path: Path) -> list[Path]:
    path = Path(index_path)
    if not path.is_dir():
        return []
    found = [p for p in path.iterdir() if p.is_dir() and _GEN.match(p.name)]
    return sorted(found, key=lambda p: int(_GEN.match(p.name).group(1)))


def new_generation(index_path: Path) -> Path:
    existing = generations(index_path)
    number = int(_GEN.match(existing[-1].name).group(1)) + 1 if existing else 1
    pointer = read_pointer(index_path)
    if pointer and _GEN.match(pointer["generation"]):
        number = max(number, int(_GEN.match(pointer["generation"]).group(1)) + 1)
    path = Path(index_path) / f"g{number:06d}-{SCHEMA_VERSION}"
    path.mkdir(parents=True)
    return path


def mark_complete(generation: Path) -> None:
    write_json_atomic(generation / DONE_FILE, {"at": time.time()})


def is_complete(generation: Path) -> bool:
    return (generation / DONE_FILE).exists()


def sync_seq(generation: Path) -> int:
    data = read_json(generation / SYNC_FILE) or {}
    return int(data.get("seq", 0))


def write_sync_seq(generation: Path, seq: int) -> None:
    write_json_atomic(generation / SYNC_FILE, {"seq": seq, "at": time.time()})


def generation_number(generation: Path | str) -> int:
    found = _GEN.match(Path(generation).name)
    return int(found.group(1)) if found else -1


def remove_unused_generations(index_path: Path, *, rebuilding: bool = False) -> list[str]:
    """Remove every generation no searcher holds, except the live one.

    A generation newer than the live one is a build in progress, left alone unless the
    caller holds the rebuild lock (`rebuilding`): then an incomplete one is a crashed
    build. Safe to call from any process at any time.
    """
    pointer = read_pointer(index_path)
    if pointer is None:
        return []  # nothing is known to be live: remove nothing
    live = generation_number(pointer["generation"])
    removed = []
    for gen in generations(index_path):
        number = generation_number(gen)
        if number == live or (number > live and not (rebuilding and not is_complete(gen))):
            continue
        if _remove_if_unheld(gen):
            removed.append(gen.name)
    return removed


def _remove_if_unheld(generation: Path) -> bool:
    try:
        fd = os.open(generation / READERS_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return False  # gone already (another process removed it)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # a searcher still uses it
        # Unmarked first: a searcher arriving now sees an incomplete generation and backs off.
        (generation / DONE_FILE).unlink(missing_ok=True)
        shutil.rmtree(generation, ignore_errors=True)
        return not generation.exists()
    finally:
        os.close(fd)


def hold_generation(generation: Path) -> int | None:
    """A shared lock on a complete generation for a searcher (release_generation ends
    it); None when the generation is gone or being removed: read CURRENT again."""
    path = Path(generation) / READERS_FILE
    if not is_complete(Path(generation)):
        return None
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return None
    _HELD_LOCK_FDS.add(fd)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        release_generation(fd)  # being removed right now
        return None
    if not is_complete(Path(generation)):
        release_generation(fd)  # removed between our checks
        return None
    return fd


def release_generation(fd: int | None) -> None:
    if fd is None:
        return
    _HELD_LOCK_FDS.discard(fd)
    try:
        os.close(fd)  # closing releases the lock
    except OSError:
        pass


# Descriptors of the locks this process holds. A forked child (Whoosh's segment
# writers fork) would otherwise share them and keep the lock alive after its parent
# was killed, so the next rebuild would be refused until the orphan finished.
_HELD_LOCK_FDS: set[int] = set()


def _drop_inherited_locks() -> None:
    for fd in list(_HELD_LOCK_FDS):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD_LOCK_FDS.clear()


os.register_at_fork(after_in_child=_drop_inherited_locks)


@contextmanager
def file_lock(path: Path, *, blocking: bool = True, timeout: float | None = None):
    """An exclusive flock: across processes and threads (one open file per holder).

    The kernel drops it when the holder dies, so kill -9 never leaves a stale lock;
    forked children do not inherit it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    _HELD_LOCK_FDS.add(fd)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if not blocking or (deadline is not None and time.monotonic() > deadline):
                    raise TimeoutError(str(path)) from None
                time.sleep(0.02)
        yield
    finally:
        _HELD_LOCK_FDS.discard(fd)
        os.close(fd)  # closing releases the lock


def writer_lock(index_path: Path, timeout: float | None = None):
    return file_lock(Path(index_path) / "writer.lock", timeout=timeout)


@contextmanager
def rebuild_lock(index_path: Path):
    lock = file_lock(Path(index_path) / "rebuild.lock", blocking=False)
    try:
        lock.__enter__()
    except TimeoutError:
        raise RebuildRunning("另一个索引重建正在进行") from None
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


def directory_size(path: Path) -> int:
    """Bytes on disk under path; a file linked several times (a segment a rebuild took
    over from the previous generation) counts once."""
    total, seen = 0, set()
    for root, _, files in os.walk(path):
        for name in files:
            try:
                info = os.stat(os.path.join(root, name))
            except OSError:
                continue
            if info.st_nlink > 1:
                if (info.st_dev, info.st_ino) in seen:
                    continue
                seen.add((info.st_dev, info.st_ino))
            total += info.st_size
    return total
