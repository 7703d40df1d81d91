"""Crash safety with real processes and kill -9: a run killed during ingest, build, audit or
publish leaves the published warehouse whole (unchanged, or the complete new one once the
rename happened), leaves no process behind, and the next run converges to the marts of a
clean run on the same submissions."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, query
from tests.marts import VOLATILE
from tests.e2e.test_wap_pipeline import demo_landing, env, ingest, warehouse

pytestmark = pytest.mark.slow

CITY = "毕节市"
# Runs the ingest or warehouse CLI with one function wrapped so that the process stops at a
# chosen point (and says so in a marker file): the test then kills it there with SIGKILL.
DRIVER = r"""
import os, sys, time
point, marker, *argv = sys.argv[1:]

def pause():
    open(marker, "w").close()
    time.sleep(600)

if point == "ingest-in-transaction":    # the 2nd file's rows staged, its transaction not committed
    import ingest.raw.load as load
    finish, seen = load.FileLoad.finish, []
    def stop_second(*a, **k):
        seen.append(1)
        if len(seen) == 2:
            pause()
        return finish(*a, **k)
    load.FileLoad.finish = stop_second
    from ingest.cli import main
    sys.exit(main(argv))

if point == "ingest-after-commit":      # the 3rd file committed, not yet moved to the archive
    import ingest.files.intake as intake
    move, seen = intake.move, []
    def stop_third(*a, **k):
        seen.append(1)
        if len(seen) == 3:
            pause()
        return move(*a, **k)
    intake.move = stop_third
    from ingest.cli import main
    sys.exit(main(argv))

import warehouse.duck as warehouse
if point == "audit":                    # results recorded, quality mart not yet refreshed
    latest = warehouse._write_latest
    def stop_in_audit(*a, **k):
        pause()
    warehouse._write_latest = stop_in_audit
elif point == "publish-before-rename":
    rename = os.replace
    def stop_before(src, dst, *a, **k):
        if str(dst).endswith(os.path.join("warehouse", "campaign.duckdb")):
            pause()
        return rename(src, dst, *a, **k)
    os.replace = stop_before
elif point == "publish-after-rename":   # renamed, directory not yet synced
    fsync = warehouse._fsync
    def stop_after(path):
        if path.is_dir():
            pause()
        return fsync(path)
    warehouse._fsync = stop_after
sys.exit(warehouse.main(argv))
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def kill_at(point: str, args: list[str], tmp: Path, timeout: float = 600) -> None:
    """Run the CLI (ingest or warehouse args) until it reaches `point`, then kill -9 its group."""
    marker = tmp / f"{point}.reached"
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, point, str(marker), *args], cwd=REPO, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + timeout
    while not marker.exists():
        assert proc.poll() is None, f"the run ended before {point}"
        assert time.time() < deadline, f"{point} not reached"
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def assert_whole_files(raw: Path, expected: int) -> None:
    """Only whole files are visible: every submission has its ledger entry and all its rows, and
    no raw row belongs to anything else."""
    assert query(raw, """select count(*) from submissions s join file_ledger l
                         on l.submission_id = s.submission_id and l.status = 'accepted'""") == [(expected,)]
    for table in ("raw_investment", "raw_volunteer", "raw_issue"):
        assert query(raw, f"""select count(*) from {table} r
                              where r.submission_id not in (select submission_id from submissions)""") == [(0,)]
    assert query(raw, """select count(*) from submissions s where rows_loaded <> (
        select count(*) from (select submission_id from raw_investment union all select submission_id from raw_volunteer
                              union all select submission_id from raw_issue) r
        where r.submission_id = s.submission_id)""") == [(0,)]


def dbt_writing(candidate: Path) -> list[int]:
    """Processes (dbt) whose environment names this candidate file."""
    needle = f"CAMPAIGN_DBT_DUCKDB_PATH={candidate}".encode()
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and needle in (proc / "environ").read_bytes().split(b"\0"):
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def kill_during_build(home: Path, tmp: Path) -> None:
    """kill -9 of the warehouse process only (not its group) while dbt writes the candidate:
    its dbt child must die with it."""
    log = tmp / "build.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "warehouse.duck", "--home", str(home), "--run-id", "k-build"],
                                cwd=REPO, env=env(), stdout=out, stderr=subprocess.STDOUT)
    deadline = time.time() + 600
    while "START sql table model marts." not in log.read_text(encoding="utf-8", errors="replace"):
        assert proc.poll() is None and time.time() < deadline, log.read_text()[-2000:]
        time.sleep(0.05)
    candidate = home / "warehouse" / "candidate" / "campaign.duckdb"
    assert dbt_writing(candidate)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 30
    while dbt_writing(candidate):
        assert time.time() < deadline, "dbt outlived the killed run"
        time.sleep(0.1)


def comparable(db: Path) -> dict:
    """Row count and digest of every mart but the quality log (a log of runs: a crashed run adds its
    own rows), leaving out columns that record when a file was loaded rather than what it says."""
    import duckdb

    out = {}
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
            " and table_name <> 'mart_data_quality'").fetchall()]
        for t in tables:
            cols = [c for (c,) in con.execute("select column_name from information_schema.columns where table_schema"
                                              " = 'marts' and table_name = ? order by ordinal_position", [t]).fetchall()
                    if c not in VOLATILE and not c.endswith("_received_at")]
            out[t] = con.execute(f"""select count(*), coalesce(md5(string_agg(r, '|' order by r)), '') from (
                select cast(row({", ".join(f'"{c}"' for c in cols)}) as varchar) as r from marts."{t}")""").fetchone()
    return out


def gate_results(db: Path) -> list[tuple]:
    return sorted(query(db, """select suite, expectation, column_name, submission_id, element_count,
                                      unexpected_count, success, action from marts.mart_data_quality
                               where gate = 'submission'"""))


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    """The published warehouse of a clean run on the same submissions."""
    home = tmp_path_factory.mktemp("clean") / "home"
    demo_landing(home, {CITY})
    ingest(home, "ingest")
    assert warehouse(home, "clean").returncode == 0
    return home / "warehouse" / "campaign.duckdb"


def test_kill_9_at_every_step_then_rerun_converges_to_a_clean_run(clean, tmp_path):
    home = tmp_path / "home"
    demo_landing(home, {CITY})
    published = home / "warehouse" / "campaign.duckdb"

    # ingest: killed inside a file's transaction, then after a commit but before the archive move
    raw = home / "warehouse" / "raw.duckdb"
    kill_at("ingest-in-transaction", ["--home", str(home), "load", "--run-id", "killed-1"], tmp_path)
    assert_whole_files(raw, expected=1)
    kill_at("ingest-after-commit", ["--home", str(home), "load", "--run-id", "killed-2"], tmp_path)
    assert_whole_files(raw, expected=4)
    ingest(home, "rerun")
    assert not any(p.is_file() for p in (home / "landing").rglob("*"))

    # build: dbt killed with the run, nothing published
    kill_during_build(home, tmp_path)
    assert not published.exists()

    # publish, after the rename: the new file is complete
    kill_at("publish-after-rename", ["--home", str(home), "--run-id", "k-after"], tmp_path)
    assert comparable(published) == comparable(clean)

    # audit, and publish before the rename: the published file stays exactly as it was
    first = sha256(published)
    for point in ("audit", "publish-before-rename"):
        kill_at(point, ["--home", str(home), "--run-id", f"k-{point}"], tmp_path)
        assert sha256(published) == first, point

    assert warehouse(home, "final").returncode == 0
    assert comparable(published) == comparable(clean)
    assert gate_results(published) == gate_results(clean)
    assert not list((home / "warehouse").rglob("*.wal")) and not list((home / "warehouse").rglob("*.tmp"))
