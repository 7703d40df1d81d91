"""One writer per home: the lock that ingest runs and warehouse steps take on $CAMPAIGN_HOME.

Two `python -m ingest load` runs, two DAG runs, or a DAG run and a CLI run on one home would
otherwise race for the same landing files (one archives a file the other has just listed) and
for raw.duckdb. The lock is an flock on warehouse/.lock: the kernel drops it when its holder
dies, so a killed run never leaves it behind. Who holds it (pid, what, since when) is written in
the file, so the second run can say so."""
from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from ingest.config import Paths
from ingest.errors import ConfigError, TransientError

log = logging.getLogger(__name__)
LOCK_NAME = ".lock"


class HomeBusy(TransientError):
    """Another run holds the home's lock (a retry later may get it)."""


class WarehouseUnwritable(ConfigError):
    """The warehouse folder cannot be written (read-only, no permission): no retry can help."""


def wait_seconds() -> float:
    """How long a run waits for the lock: CAMPAIGN_LOCK_WAIT seconds (default 600)."""
    return float(os.environ.get("CAMPAIGN_LOCK_WAIT", "600"))


def check_writable(folder: Path) -> None:
    """A clear, terminal error when the warehouse folder cannot be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test.{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise WarehouseUnwritable(f"cannot write in {folder}: {exc.strerror or exc} — the warehouse folder must be "
                                  "writable by the pipeline (check its permissions or mount)") from None


@contextmanager
def home_lock(paths: Paths, what: str, wait: float | None = None, shared: bool = False) -> Iterator[None]:
    """Hold the home's lock while the block runs; wait up to `wait` seconds for another holder
    (logging who it is), then raise HomeBusy naming it. shared: many holders at once (ingest
    workers writing PostgreSQL), none while an exclusive holder has it."""
    check_writable(paths.warehouse_dir)
    path = paths.warehouse_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline, told = time.monotonic() + (wait_seconds() if wait is None else wait), False
        while True:
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
            holder = _holder(fd)
            if time.monotonic() >= deadline:
                raise HomeBusy(f"another run holds {paths.home} ({holder}); try again when it has finished")
            if not told:
                log.warning("waiting for another run on %s to finish (%s)", paths.home, holder)
                told = True
            time.sleep(0.2)
        if not shared:      # shared holders leave the note alone (it names the last exclusive one)
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps({"pid": os.getpid(), "what": what,
                                      "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}).encode(), 0)
        try:
            yield
        finally:
            if not shared:
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    try:
        doc = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"pid {doc['pid']}, {doc['what']}, since {doc['since']}"
    except (OSError, ValueError, KeyError):
        return "holder unknown"
