"""The offline install of `make bundle`, as INSTALL.md tells it: the bundle's wheelhouse installed
into a fresh venv with every package index disabled, then `make run` on the demo submissions,
from the bundle's copy of the project."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow
NOWHERE = "http://127.0.0.1:9/simple"          # an index that never answers
KEEP = ("PATH", "HOME", "LANG", "TMPDIR")        # no PIP_*, AIRFLOW*, CAMPAIGN* of the caller


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "campaign"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CAMPAIGN"))}
    proc = subprocess.run([str(REPO / "scripts" / "bundle.sh")], env={**env, "BUNDLE_DIR": str(out), "BUNDLE_IMAGES": "0"},
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def _offline_env(**extra: str) -> dict[str, str]:
    env = {k: os.environ[k] for k in KEEP if k in os.environ}
    return {**env, "PIP_NO_INDEX": "1", "PIP_INDEX_URL": NOWHERE, "PIP_EXTRA_INDEX_URL": "", "PIP_FIND_LINKS": "",
            "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1", **extra}


def test_bundle_holds_the_project_the_wheelhouse_and_the_instructions(bundle):
    assert {p.name for p in bundle.iterdir()} == {"INSTALL.md", "project", "wheelhouse", "npm-cache", "SHA256SUMS"}
    install = (bundle / "INSTALL.md").read_text(encoding="utf-8")
    assert "pip install --no-index --find-links ../wheelhouse -r requirements.lock" in install
    assert 'make run NPM_ARGS="--offline --cache ../npm-cache"' in install
    assert "docker load -i images/campaign-images.tar" in install and "@VERSION@" not in install and "@PLATFORM@" not in install
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    assert sorted(str(p.relative_to(bundle / "project")) for p in (bundle / "project").rglob("*") if p.is_file()) \
        == sorted(tracked)
    pins = [line.split("==")[0].lower().replace("-", "_").replace(".", "_")
            for lock in ("requirements.lock", "requirements-celery.lock")
            for line in (REPO / lock).read_text().splitlines() if "==" in line and not line.startswith("#")]
    wheels = {w.name.split("-")[0].lower().replace(".", "_") for w in (bundle / "wheelhouse").glob("*.whl")}
    assert set(pins) <= wheels, set(pins) - wheels
    subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=bundle, check=True)


def test_installs_with_no_index_and_runs_the_demo_pipeline(bundle, tmp_path):
    project = bundle / "project"
    env = _offline_env()
    subprocess.run([sys.executable, "-m", "venv", ".venv"], cwd=project, check=True, env=env)
    pip = subprocess.run([".venv/bin/pip", "install", "--no-index", "--find-links", "../wheelhouse", "-r", "requirements.lock"],
                         cwd=project, env=env, capture_output=True, text=True, timeout=1800)
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    home = tmp_path / "home"
    run = subprocess.run(["make", "run", f"NPM_ARGS=--offline --cache {bundle / 'npm-cache'}"], cwd=project,
                         env={**env, "CAMPAIGN_HOME": str(home)},      # npm --offline: the cache or nothing
                         capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "writing the demo submissions" in run.stdout and "Published warehouse:" in run.stdout
    assert (home / "warehouse" / "campaign.duckdb").is_file() and (home / "site" / "index.html").is_file()
