"""One `dbt <command>`, its output in our log, for either warehouse target: in this process
(dbtRunner; the default) or in a process of its own (CAMPAIGN_DBT_IN_PROCESS=0).

In this process, a build costs no interpreter start, no import of dbt and its adapters and no
reading of the saved parse when the same project was parsed here before (a long-lived worker,
`python -m warehouse.duck`, the bench): the parsed project is kept for the next build while
the project files and dbt's settings it was parsed under are unchanged. One dbt runs at a time
per process. When it ends, every DuckDB handle it opened is closed (dbt-duckdb keeps its
database open between runs otherwise), so that readers and writers in other processes can
open the candidate, raw.duckdb and the published file. A process of its own releases every
handle when it ends, and dies with us (a killed run leaves no dbt writing a candidate or
holding raw.duckdb).

Unit tests check the project's SQL on fixed inputs, never the warehouse's data: an incremental
build leaves them out when they already passed on this target for the very same project files and
dbt, adapter and driver versions (UNIT_TESTS_PASSED in the target path holds that fingerprint).
A full refresh, a first build and any change to the project run them."""
from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Collection
from pathlib import Path
from typing import Any

from ingest.config import REPO_ROOT
from ingest.errors import IngestError

log = logging.getLogger(__name__)
DBT_DIR = REPO_ROOT / "dbt_project"
FAILURE_PREFIXES = ("Failure in", "Database Error", "Compilation Error", "Runtime Error")
DETAIL_LINES = 3  # lines kept after a failure heading (the error text itself)
UNIT_TESTS_PASSED = "unit_tests_passed"
# Newest loaded_at of stg_volunteers before an incremental build (see macros/new_rows_only.sql).
VOLUNTEER_ROWS_SINCE = "CAMPAIGN_VOLUNTEER_ROWS_SINCE"
IN_PROCESS = "CAMPAIGN_DBT_IN_PROCESS"
# Whatever the project's SQL means depends on: its files, dbt, the adapters and their drivers.
_FINGERPRINT_PACKAGES = ("dbt-core", "dbt-duckdb", "dbt-postgres", "duckdb", "psycopg2-binary", "psycopg2")
_NOT_PROJECT = {"target", "logs", "dbt_packages"}


class BuildFailed(IngestError):
    """dbt build failed: models or tests; the published warehouse is unchanged."""


def run_dbt(target: str, env: dict[str, str], target_path: Path, log_path: Path, *, command: str = "build",
            full_refresh: bool = False, select: list[str] | None = None, label: str = "dbt build",
            kinds: Collection[str] | None = None) -> None:
    """`dbt <command>` (build, parse) on `target` with `env` added to ours; raises BuildFailed
    naming what failed. A whole-project incremental build leaves out the unit tests when they
    passed on this target for this very project (see the module's docstring); then, given the
    `kinds` of submission that changed since the build it starts from, it runs only the nodes
    they and every build's inputs reach (warehouse.dbt_select; dbt in this process only, else
    every node). The caller vouches that every other node's relation is that build's."""
    env = {**env, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_USE_COLORS": "false"}
    args = [command, "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--target", target,
            "--target-path", str(target_path), "--log-path", str(log_path)]
    if full_refresh:
        args.append("--full-refresh")
    if select:
        args += ["--select", *select]
    fingerprint = project_fingerprint(target) if command == "build" and not select else None
    passed = target_path / UNIT_TESTS_PASSED
    unit_tests_known = (fingerprint is not None and not full_refresh and passed.is_file()
                        and passed.read_text(encoding="utf-8") == fingerprint)
    if unit_tests_known:
        args += ["--exclude-resource-type", "unit_test"]
        log.info("%s: unit tests left out, they passed on %s for this project", label, target)
    if in_process():
        from warehouse.dbt_here import run_here
        parse_key = (target, fingerprint or project_fingerprint(target),   # what the parse depends on
                     tuple(sorted((k, v) for k, v in env.items() if k != VOLUNTEER_ROWS_SINCE)))
        ok, failures = run_here(args, env, parse_key, FailureLines(), kinds if unit_tests_known else None)
    else:
        ok, failures = _run_process(args, env)
    if not ok:
        passed.unlink(missing_ok=True)
        raise BuildFailed(f"{label} failed: " + ("; ".join(failures) or "see the dbt log"))
    if fingerprint is not None and not unit_tests_known:
        passed.write_text(fingerprint, encoding="utf-8")


def in_process() -> bool:
    """Whether dbt runs in this process (CAMPAIGN_DBT_IN_PROCESS, default 1) or in one of its own."""
    return os.environ.get(IN_PROCESS, "1").strip() != "0"


class FailureLines:
    """The failures dbt reports, from its output lines: each heading with the lines after it."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self._detail = 0

    def feed(self, text: str) -> None:
        text = text.strip()
        if text.startswith(FAILURE_PREFIXES):
            self.failures.append(text)
            self._detail = DETAIL_LINES
        elif self._detail and text:
            self.failures[-1] += " " + text
            self._detail -= 1
        else:
            self._detail = 0


def _run_process(args: list[str], env: dict[str, str]) -> tuple[bool, list[str]]:
    """dbt in a process of its own that dies with us; (succeeded, failures)."""
    proc = subprocess.Popen([str(Path(sys.executable).with_name("dbt")), *args], env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=die_with_parent())
    lines = FailureLines()
    for line in proc.stdout or []:
        log.info("dbt | %s", line.rstrip())
        lines.feed(line.strip()[9:] if line[:2].isdigit() else line)  # drop the hh:mm:ss stamp
    code = proc.wait()
    return code == 0, lines.failures or ([] if code == 0 else [f"exit code {code}"])


def project_fingerprint(target: str) -> str:
    """sha256 over the dbt project's files (not its target, logs, packages or dotfiles), the target name and
    the versions of dbt, the adapters and the database drivers."""
    digest = hashlib.sha256(target.encode())
    for package in _FINGERPRINT_PACKAGES:
        try:
            digest.update(f"|{package}={importlib.metadata.version(package)}".encode())
        except importlib.metadata.PackageNotFoundError:
            continue
    for path in sorted(DBT_DIR.rglob("*")):
        rel = path.relative_to(DBT_DIR)
        if path.is_file() and rel.parts[0] not in _NOT_PROJECT and not any(p.startswith(".") for p in rel.parts):
            digest.update(f"|{rel.as_posix()}|".encode() + path.read_bytes())
    return digest.hexdigest()


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
