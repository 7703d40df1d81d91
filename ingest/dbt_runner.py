"""One `dbt <command>` in its own process, its output in our log, for either warehouse target.

A separate process releases every DuckDB handle when it ends, and it dies with us (a killed run
leaves no dbt writing a candidate or holding raw.duckdb)."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from ingest.config import REPO_ROOT
from ingest.errors import IngestError

log = logging.getLogger(__name__)
DBT_DIR = REPO_ROOT / "dbt_project"
FAILURE_PREFIXES = ("Failure in", "Database Error", "Compilation Error", "Runtime Error")
DETAIL_LINES = 3  # lines kept after a failure heading (the error text itself)
# Newest loaded_at of stg_volunteer before an incremental build (see macros/new_rows_only.sql).
VOLUNTEER_ROWS_SINCE = "CAMPAIGN_VOLUNTEER_ROWS_SINCE"


class BuildFailed(IngestError):
    """dbt build failed: models or tests; the published warehouse is unchanged."""


def run_dbt(target: str, env: dict[str, str], target_path: Path, log_path: Path, *, command: str = "build",
            full_refresh: bool = False, select: list[str] | None = None, label: str = "dbt build") -> None:
    """`dbt <command>` (build, parse) on `target` with `env` added to ours; raises BuildFailed
    naming what failed."""
    env = {**os.environ, **env, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_USE_COLORS": "false"}
    args = [str(Path(sys.executable).with_name("dbt")), command, "--project-dir", str(DBT_DIR),
            "--profiles-dir", str(DBT_DIR), "--target", target,
            "--target-path", str(target_path), "--log-path", str(log_path)]
    if full_refresh:
        args.append("--full-refresh")
    if select:
        args += ["--select", *select]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=die_with_parent())
    failures: list[str] = []
    detail = 0
    for line in proc.stdout or []:
        log.info("dbt | %s", line.rstrip())
        text = line.strip()[9:].strip() if line[:2].isdigit() else line.strip()  # drop the hh:mm:ss stamp
        if text.startswith(FAILURE_PREFIXES):
            failures.append(text)
            detail = DETAIL_LINES
        elif detail and text:
            failures[-1] += " " + text
            detail -= 1
        else:
            detail = 0
    if proc.wait() != 0:
        raise BuildFailed(f"{label} failed: " + ("; ".join(failures) or f"exit code {proc.returncode}"))


def die_with_parent() -> Any:
    """Linux: the child gets SIGKILL when this process dies (kill -9 included). Only from the
    main thread (the signal is tied to the thread that forks)."""
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    import ctypes
    import signal

    prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    parent = os.getpid()

    def set_pdeathsig() -> None:
        prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)
    return set_pdeathsig
