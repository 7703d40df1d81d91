"""`python -m ingest pending`: what `make run` asks before it starts Airflow. Work means a settled
file in landing or raw submissions the published warehouse was not built from."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ingest import config
from ingest.raw import state
from tests.conftest import REPO, TEST_HASH_KEY
from tests.corpus import files as F


def _pending(home: Path, settle: str = "0") -> subprocess.CompletedProcess:
    env = {**os.environ, "CAMPAIGN_HASH_KEY": TEST_HASH_KEY, "CAMPAIGN_SETTLE_SECONDS": settle}
    return subprocess.run([sys.executable, "-m", "ingest", "--home", str(home), "pending"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def test_pending_tells_work_from_nothing_new(tmp_path):
    assert _pending(tmp_path).returncode == 3                                   # a fresh, empty home
    rel = "射洪市/市文明办/volunteer/2022年5月.csv"
    F.put(tmp_path / "landing", rel, F.csv_bytes([F.VOL_HEADER, ["王小明", F.person_id(1), "13812345678", "青年队",
                                                                "文明交通劝导", "文明交通", "2022/5/3", 2]]))
    young = _pending(tmp_path, settle="600")
    assert young.returncode == 3 and "1 file(s) in landing/ changed in the last 600 s" in young.stdout
    ready = _pending(tmp_path)
    assert ready.returncode == 0 and "1 file(s) waiting in landing/" in ready.stdout
    subprocess.run([sys.executable, "-m", "ingest", "--home", str(tmp_path), "load"], cwd=REPO, check=True,
                   env={**os.environ, "CAMPAIGN_HASH_KEY": TEST_HASH_KEY, "CAMPAIGN_SETTLE_SECONDS": "0"},
                   capture_output=True, timeout=300)
    loaded = _pending(tmp_path)                                                 # loaded, never published
    assert loaded.returncode == 0 and "raw holds submissions not yet published" in loaded.stdout
    paths = config.paths(tmp_path)
    state.mark_built(paths, state.fingerprint(paths.raw_db))                    # as a build and publish do
    state.mark_published(paths)
    done = _pending(tmp_path)
    assert done.returncode == 3 and "nothing new" in done.stdout
