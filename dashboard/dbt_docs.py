"""dbt docs for the published warehouse: `dbt docs generate --static` -> site/dbt_docs/index.html.

On DuckDB, dbt opens its warehouse file read-write, so it runs on a scratch copy of the published
file (BI readers keep theirs open; the published file is never written). The raw file is attached
read-only as in every build. On PostgreSQL the catalog queries read the target database directly.

On DuckDB the project is normally not parsed and compiled again: the last `dbt build`
($CAMPAIGN_HOME/dbt/target/manifest.json, newer than every file of the project) already holds
the parsed project with every node's compiled SQL, so a child process (`python -m
dashboard.dbt_docs`) hands that manifest to dbt and only the catalog is read from the copy —
a few seconds instead of a full parse and compile. Without such a manifest, or if that fails,
it is a plain `dbt docs generate`.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ingest.config import REPO_ROOT, Paths, paths as campaign_paths
from warehouse import target as warehouse_target

log = logging.getLogger(__name__)
DBT_DIR = REPO_ROOT / "dbt_project"
PROJECT_FILES = ("dbt_project.yml", "models", "macros", "seeds", "tests")  # what a parse reads


def build_dbt_docs(home: str | Path | None = None, target: str | None = None) -> Path:
    """Generate the self-contained dbt docs page; returns site/dbt_docs/index.html."""
    from dashboard.offline import offline_dbt_docs
    from dashboard.site import copy_into, site_dir
    from dashboard.source import DashboardError, known_target

    paths = campaign_paths(home)
    target = known_target(target)
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_USE_COLORS": "false",
           "CAMPAIGN_SCHEMA_SUFFIX": ""}  # the published schemas, never a write-audit-publish candidate
    with tempfile.TemporaryDirectory(prefix="dbt-docs-", dir=paths.home) as scratch:
        work = Path(scratch)
        built = None
        try:
            target_env, copied = warehouse_target.dbt_env(paths, target, work)
        except FileNotFoundError:
            raise DashboardError(f"no published warehouse at {paths.published_db}") from None
        env.update(target_env)
        built = built_manifest(paths) if copied else None
        common = ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--target", target,
                  "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
        proc = None
        if built is not None:
            (work / "target").mkdir()
            shutil.copyfile(built, work / "target" / "manifest.json")  # what --static inlines
            proc = _run([sys.executable, "-m", "dashboard.dbt_docs", str(built), *common], env)
            if proc.returncode != 0:
                log.warning("dbt docs from the built manifest failed (exit %s); generating them in full",
                            proc.returncode)
        if proc is None or proc.returncode != 0:
            proc = _run([str(Path(sys.executable).with_name("dbt")), "docs", "generate", "--static", *common], env)
        if proc.returncode != 0:
            raise DashboardError(f"dbt docs generate failed (exit {proc.returncode}): "
                                 + " | ".join(proc.stdout.splitlines()[-5:]))
        page = work / "target" / "static_index.html"
        page.write_text(offline_dbt_docs(page), encoding="utf-8")  # no tracker, nothing loaded from outside
        return copy_into(page, site_dir(paths) / "dbt_docs" / "index.html")


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout.splitlines():
        log.info("dbt docs | %s", line)
    return proc


def built_manifest(paths: Paths) -> Path | None:
    """The manifest of the last DuckDB `dbt build` (warehouse.duck.dbt_build), if it is newer
    than every file of the project: the same project, parsed and compiled."""
    manifest = paths.home / "dbt" / "target" / "manifest.json"
    try:
        built_at = manifest.stat().st_mtime
    except OSError:
        return None
    for name in PROJECT_FILES:
        top = DBT_DIR / name
        files = [top] if top.is_file() else [p for p in top.rglob("*") if p.is_file()]
        if any(p.stat().st_mtime >= built_at for p in files):
            return None
    return manifest


def _generate_from(manifest: str, dbt_args: list[str]) -> int:
    """Child process: `dbt docs generate --static --no-compile` on a manifest dbt already built
    (no parse, no compile; the catalog is read from the database)."""
    from dbt.cli.main import dbtRunner
    from dbt.contracts.graph.manifest import Manifest, WritableManifest

    loaded = Manifest.from_writable_manifest(WritableManifest.read_and_check_versions(manifest))
    result = dbtRunner(manifest=loaded).invoke(["docs", "generate", "--static", "--no-compile", *dbt_args])
    if result.exception is not None:
        print(f"dbt docs generate: {result.exception}", flush=True)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(_generate_from(sys.argv[1], sys.argv[2:]))
