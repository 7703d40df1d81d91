"""dbt in this process (dbtRunner), for warehouse.dbt.run_dbt.

- One dbt at a time per process (dbt's flags, adapters and event manager are process-wide).
- The environment dbt reads (profiles, env_var()) is set for the call and restored after it.
- Its events go to our log as the subprocess's lines do ("dbt | ..."); only its errors are printed too (--quiet).
- The parsed project is kept and handed to the next build of the same target while the project
  files (warehouse.dbt.project_fingerprint) and the settings it was parsed under are the same: a
  build then neither parses nor reads the saved parse. Settings read only at run time (the
  volunteer rows' start of an incremental build) are not part of that key.
- When dbt is done, dbt-duckdb's database (kept open between runs) is closed: no handle on the
  candidate or raw.duckdb outlives the call.
"""
from __future__ import annotations

import logging
import os
import threading
from typing import Any

log = logging.getLogger("warehouse.dbt")   # dbt's lines, whichever way it runs
_ONE_AT_A_TIME = threading.Lock()
_PARSED: dict[tuple, Any] = {}       # (target, fingerprint, settings) -> Manifest
_FAILED = {"error", "fail", "runtime error"}


def run_here(args: list[str], env: dict[str, str], parse_key: tuple, lines: Any) -> tuple[bool, list[str]]:
    """`dbt <args>` in this process; (succeeded, failures). parse_key: what the parsed project
    depends on (target, project files, settings); `lines` collects failures from dbt's messages
    (warehouse.dbt.FailureLines)."""
    from dbt.cli.main import dbtRunner

    def on_event(event: Any) -> None:
        if event.info.level in ("info", "warn", "error") and event.info.msg:
            for line in str(event.info.msg).splitlines():
                log.info("dbt | %s", line.rstrip())
                lines.feed(line)

    command = args[0]
    with _ONE_AT_A_TIME, _environment(env):
        try:
            manifest = _PARSED.get(parse_key) if command == "build" else None
            if command == "build" and manifest is None:
                parsed = dbtRunner(callbacks=[on_event]).invoke(["parse", *args[1:], "--quiet"])
                if parsed.success and parsed.result is not None:
                    manifest = _PARSED[parse_key] = parsed.result
            result = dbtRunner(manifest=manifest, callbacks=[on_event]).invoke([*args, "--quiet"])
        finally:
            _close_duckdb()
    failures = lines.failures or _failures_of(result)
    if not result.success and result.exception is not None:
        failures.append(f"{type(result.exception).__name__}: {str(result.exception).splitlines()[0]}")
    return bool(result.success), failures


def _failures_of(result: Any) -> list[str]:
    """Failed nodes of a run's results, when dbt's events named none."""
    out = []
    for node_result in getattr(result.result, "results", None) or []:
        status = str(getattr(node_result.status, "value", node_result.status))
        if status in _FAILED:
            node = node_result.node
            out.append(f"Failure in {node.resource_type} {node.name}: {(node_result.message or '').strip()}")
    return out


class _environment:
    """os.environ with `env` added for the block, then as it was."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        self.saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)

    def __exit__(self, *_: Any) -> None:
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _close_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open between runs (a no-op on PostgreSQL)."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    env = DuckDBConnectionManager._ENV
    if env is not None:
        try:
            env.close()
        finally:
            DuckDBConnectionManager._ENV = None
