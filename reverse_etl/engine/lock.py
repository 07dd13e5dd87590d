"""One run per sync at a time: an exclusive advisory lock file per sync beside the warehouse.

Why a file lock and not a `running` row: a row cannot tell a live run from one killed with
SIGKILL, so the old rule (mark every `running` row `interrupted`) also hit live runs. The
kernel drops a `flock` when its process dies, so holding the lock proves that any `running`
row of the sync belongs to a dead run. The lock is independent of DuckDB's own file lock
(the engine keeps leasing the warehouse connection only while it writes).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from pathlib import Path


class SyncAlreadyRunning(RuntimeError):
    """Another run of this sync holds its lock; the message says which and since when."""


def lock_path(warehouse: Path, sync_name: str) -> Path:
    return warehouse.parent / f".{warehouse.name}.locks" / f"{sync_name}.lock"


class SyncLock:
    """`with SyncLock(path, name, wait=0)`: exclusive, waits up to `wait` seconds."""

    def __init__(self, path: Path, sync_name: str, wait: float = 0.0, run_id: str = "") -> None:
        self.path = path
        self.sync_name = sync_name
        self.wait = wait
        self.run_id = run_id
        self._fd: int | None = None
        self._stop = threading.Event()

    def __enter__(self) -> SyncLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait
        delay = 0.05
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(self.path)
                    os.close(fd)
                    raise SyncAlreadyRunning(
                        f"sync {self.sync_name} is already running ({holder}); waited "
                        f"{self.wait:.0f}s. This run did nothing; run again once it finished "
                        "(or pass --wait-for-lock SECONDS)"
                    ) from None
                # an event wait, not a sleep loop on a flag: the lock gives no notification
                self._stop.wait(min(delay, max(deadline - time.monotonic(), 0.0)))
                delay = min(delay * 2, 1.0)
        os.ftruncate(fd, 0)
        os.write(
            fd,
            json.dumps(
                {
                    "pid": os.getpid(),
                    "run_id": self.run_id,
                    "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                }
            ).encode(),
        )
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read_holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return "holder unknown"
    run = info.get("run_id") or "?"
    return f"run {run}, pid {info.get('pid', '?')}, since {info.get('since', '?')}"
