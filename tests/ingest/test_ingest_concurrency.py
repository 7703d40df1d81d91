"""Concurrency and faults on one home: two runs never refuse each other's files, the second waits
for the home's lock or says who holds it; a read-only warehouse folder is a clear terminal error;
a multi-GB file is refused by its size before a byte of it is hashed."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from ingest import config
from ingest.demo import generate
from ingest.lock import home_lock
from ingest.pipeline import ingest_file
from tests.conftest import REPO, TEST_HASH_KEY, query
from tests.corpus import TODAY, files as F

ENV = {**os.environ, "CAMPAIGN_HASH_KEY": TEST_HASH_KEY, "CAMPAIGN_SETTLE_SECONDS": "0",
       "CAMPAIGN_SUBMISSION_GATE": "off"}   # the gate is not what these tests are about: faster
# One DAG run's load_batch tasks, in a process of its own (as a deployment runs them).
LOAD_BATCHES = """
import json, sys
from flows.ingest_steps import load_batch
home, run_id, batches = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
done = []
for batch in batches:
    done += load_batch(batch, home, run_id, lambda results: None)
print(json.dumps(done, ensure_ascii=False))
"""


def _ledger(home: Path) -> dict[str, tuple[str, str | None]]:
    rows = query(home / "warehouse" / "raw.duckdb", "select source_file, status, reason_code from file_ledger")
    assert len(rows) == len({r[0] for r in rows}), "one ledger row per file"
    return {f: (s, r) for f, s, r in rows}


@pytest.fixture
def demo_home(tmp_path) -> tuple[Path, dict]:
    manifest = generate(tmp_path / "landing")
    return tmp_path, manifest


def _expected(manifest: dict) -> dict[str, tuple[str, str | None]]:
    return {f["path"]: (f["status"], f["reason"]) for f in manifest["files"]}


def test_two_dag_runs_listing_the_same_files_load_each_once(demo_home):
    """Both runs listed every file before either loaded one (as two DAG runs' discover tasks do):
    each file is loaded by exactly one of them, the other skips it, none is refused as missing."""
    from flows.ingest_steps import discover
    home, manifest = demo_home
    batches = json.dumps(discover(home, {}), ensure_ascii=False)
    procs = [subprocess.Popen([sys.executable, "-c", LOAD_BATCHES, str(home), f"run-{n}", batches], cwd=REPO,
                              env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in (1, 2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outs]
    results = [json.loads(out.splitlines()[-1]) for out, _ in outs]
    assert _ledger(home) == _expected(manifest)
    assert "missing_file" not in {r["reason"] for done in results for r in done}
    for first, second in zip(*results):       # the same file in both runs: done by one, gone for the other
        assert sorted([first["status"] == "gone", second["status"] == "gone"]) == [False, True], (first, second)
    assert not [p for p in (home / "landing").rglob("*") if p.is_file()]


def test_two_cli_loads_on_one_home(demo_home):
    home, manifest = demo_home
    cmd = [sys.executable, "-m", "ingest", "--home", str(home), "load", "--json"]
    procs = [subprocess.Popen(cmd, cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outs]
    receipts = [json.loads(line) for out, _ in outs for line in out.splitlines() if line.startswith("{")]
    assert sorted(r["source_file"] for r in receipts) == sorted(_expected(manifest))
    assert _ledger(home) == _expected(manifest)


def test_a_run_that_cannot_get_the_lock_says_who_holds_it(demo_home):
    home, manifest = demo_home
    with home_lock(config.paths(home), "an operator's warehouse build"):
        proc = subprocess.run([sys.executable, "-m", "ingest", "--home", str(home), "load"], cwd=REPO,
                              env={**ENV, "CAMPAIGN_LOCK_WAIT": "1"}, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert f"another run holds {home}" in proc.stderr and "an operator's warehouse build" in proc.stderr
    assert f"pid {os.getpid()}" in proc.stderr
    assert len([p for p in (home / "landing").rglob("*") if p.is_file()]) == len(manifest["files"])
    assert not (home / "warehouse" / "raw.duckdb").exists()


def test_a_read_only_warehouse_folder_is_a_clear_terminal_error():
    """Run as an unprivileged user (root writes anywhere): exit 2 at once, naming the folder; no
    'locked' retries, nothing moved out of landing."""
    home = Path(tempfile.mkdtemp(prefix="campaign-ro-"))
    try:
        rel = "射洪市/市文明办/volunteer/2022年5月.csv"
        F.put(home / "landing", rel, F.csv_bytes([F.VOL_HEADER, ["王小明", F.person_id(1), "13812345678", "青年队",
                                                                "文明交通劝导", "文明交通", "2022/5/3", 2]]))
        (home / "warehouse").mkdir()
        for p in [home, *home.rglob("*")]:
            p.chmod(0o777 if p.is_dir() else 0o666)
        (home / "warehouse").chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        cmd = [sys.executable, "-m", "ingest", "--home", str(home), "load"]
        if os.geteuid() == 0:
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
        proc = subprocess.run(cmd, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert f"cannot write in {home / 'warehouse'}" in proc.stderr and "Permission denied" in proc.stderr
        assert "lock" not in proc.stderr.lower()
        assert (home / "landing" / rel).exists()
    finally:
        (home / "warehouse").chmod(0o755)
        shutil.rmtree(home)


def test_a_multi_gigabyte_file_is_refused_by_its_size_before_it_is_hashed(tmp_path):
    rel = "射洪市/市文明办/volunteer/2022年5月.csv"
    path = tmp_path / "landing" / rel
    path.parent.mkdir(parents=True)
    with open(path, "wb") as f:
        f.truncate(3 * 2**30)                     # 3 GB, sparse: no disk used, nothing to read
    r = ingest_file(rel, tmp_path, today=TODAY)
    assert (r.status, r.reason_code) == ("refused", "file_too_large")
    assert r.content_sha256 == ""                 # never hashed
    assert query(tmp_path / "warehouse" / "raw.duckdb", "select status, reason_code, content_sha256 from file_ledger"
                 ) == [("refused", "file_too_large", "")]
    assert (tmp_path / r.archived_path).stat().st_size == 3 * 2**30 and not path.exists()
    assert not list((tmp_path / "warehouse" / "reading").rglob("*.csv"))   # no copy was made
