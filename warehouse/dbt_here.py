"""dbt in this process (dbtRunner), for warehouse.dbt.run_dbt.

- One dbt at a time per process (dbt's flags, adapters and event manager are process-wide).
- The environment dbt reads (profiles, env_var()) is set for the call and restored after it.
- Its events go to our log as the subprocess's lines do ("dbt | ..."); only its errors are printed too (--quiet).
- The parsed project is kept and handed to the next build of the same target while the project
  files (warehouse.dbt.project_fingerprint) and the settings it was parsed under are the same: a
  build then neither parses nor reads the saved parse. Settings read only at run time (the
  volunteer rows' start of an incremental build) are not part of that key.
- A build may be told which kinds of submission changed: it then runs only the nodes they and
  every build's inputs reach (warehouse.dbt_select), chosen on the parsed project.
- When dbt is done, dbt-duckdb's database (kept open between runs) is closed: no handle on the
  candidate or raw.duckdb outlives the call.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Collection
from pathlib import Path
from typing import Any

log = logging.getLogger("warehouse.dbt")   # dbt's lines, whichever way it runs
_ONE_AT_A_TIME = threading.Lock()
_PARSED: dict[tuple, Any] = {}       # (target, fingerprint, settings) -> Manifest
_FAILED = {"error", "fail", "runtime error"}
_PARSE_OPTIONS = {"--project-dir", "--profiles-dir", "--target", "--target-path", "--log-path"}


def run_here(args: list[str], env: dict[str, str], parse_key: tuple, lines: Any,
             kinds: Collection[str] | None = None) -> tuple[bool, list[str]]:
    """`dbt <args>` in this process; (succeeded, failures). parse_key: what the parsed project
    depends on (target, project files, settings); `lines` collects failures from dbt's messages
    (warehouse.dbt.FailureLines). `kinds`: a build of only the nodes those kinds of submission
    and every build's inputs reach (warehouse.dbt_select), chosen on the parsed project."""
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
                parsed = dbtRunner(callbacks=[on_event]).invoke(
                    ["parse", *_parse_options(args), "--no-write-json", "--quiet"])
                if parsed.success and parsed.result is not None:
                    manifest = _PARSED[parse_key] = parsed.result
            if kinds is not None and manifest is not None:
                args = [*args, *_selected(manifest, kinds)]
                if "--select" in args:
                    _keep_compiled(manifest, Path(args[args.index("--target-path") + 1]) / "manifest.json")
            result = dbtRunner(manifest=manifest, callbacks=[on_event]).invoke([*args, "--quiet"])
        finally:
            _close_duckdb()
    failures = lines.failures or _failures_of(result)
    if not result.success and result.exception is not None:
        failures.append(f"{type(result.exception).__name__}: {str(result.exception).splitlines()[0]}")
    return bool(result.success), failures


def _parse_options(args: list[str]) -> list[str]:
    """The options of a build's arguments that `dbt parse` takes too (it refuses --full-refresh,
    --select, --exclude-resource-type, ...); a refused parse would leave the build to parse
    the project again itself. (The parse writes no manifest.json: the build writes its own, and
    until then the last build's stays, compiled SQL and all.)"""
    out = []
    for option, value in zip(args[1:], args[2:]):
        if option in _PARSE_OPTIONS:
            out += [option, value]
    return out


def _selected(manifest: Any, kinds: Collection[str]) -> list[str]:
    """dbt's arguments selecting what a build of `kinds` runs (none: every node)."""
    from warehouse.dbt_select import selection

    chosen = selection(manifest, kinds)
    if not chosen:
        log.info("dbt build: every node (kinds changed: %s)", ", ".join(sorted(kinds)) or "none")
        return []
    log.info("dbt build: %d nodes, those of every build and of the kinds changed: %s", len(chosen),
             ", ".join(sorted(kinds)) or "none")
    return ["--select", *chosen, "--indirect-selection", "empty"]


def _keep_compiled(manifest: Any, previous: Path) -> None:
    """The SQL the previous build compiled for the nodes this one leaves out, when their files are
    the same: dbt writes the manifest it builds with (dbt docs read it), and would otherwise write
    it without their compiled SQL. A node this build runs is compiled again by dbt."""
    import json

    try:
        before = json.loads(previous.read_text(encoding="utf-8"))["nodes"]
    except (OSError, ValueError, KeyError):
        return
    for uid, node in manifest.nodes.items():
        old = before.get(uid) or {}
        if (not getattr(node, "compiled", True) and old.get("compiled_code") is not None
                and old.get("checksum") == {"name": node.checksum.name, "checksum": node.checksum.checksum}):
            node.compiled, node.compiled_code = True, old["compiled_code"]


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
