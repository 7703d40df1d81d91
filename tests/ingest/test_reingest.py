"""A new personal-data key, with history carried over by re-ingesting the archive (ingest.reingest):
every volunteer_key changes to the new key's hash of the same ID number, one to one, and every
submission, supersede, refusal and row comes back as it was; the old home is only read."""
from __future__ import annotations

import csv
import hashlib
import hmac
import subprocess
import sys

import pytest

from tests.conftest import REPO, TEST_HASH_KEY, query
from tests.pg_warehouse import ingest_all, write_volunteer_csv

NEW_KEY = "a-new-key-after-rotation-0123456789abcdef"
ROWS = """select submission_id, row_number, city, masked_name, masked_phone, service_date, hours, volunteer_key
          from raw_volunteer order by submission_id, row_number"""
HISTORY = """select l.source_file, l.status, l.reason_code, l.submission_id, s.superseded_by
             from file_ledger l left join submissions s using (submission_id) order by l.received_at"""


def _ids(path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [row["身份证号"] for row in csv.DictReader(f)]


def _key(key: str, id_number: str) -> str:
    return hmac.new(key.encode(), id_number.upper().encode(), hashlib.sha256).hexdigest()


@pytest.fixture()
def old_home(tmp_path):
    """Three volunteer files: one, its resubmission (superseding it), and a file refused whole."""
    home = tmp_path / "old"
    ids = []
    for seed, rows in ((3, 6), (4, 4)):
        path = write_volunteer_csv(home / "landing", "格尔木市", "市文明办", 5, rows=rows, seed=seed)
        ids += _ids(path)
        ingest_all(home)
    bad = home / "landing" / "格尔木市" / "市文明办" / "volunteer" / "空表.csv"
    bad.write_text("志愿者姓名,身份证号\n", encoding="utf-8")
    ingest_all(home)
    return home, ids


def test_reingest_carries_history_over_to_a_new_key(old_home, tmp_path, monkeypatch):
    from ingest.reingest import reingest

    home, ids = old_home
    db = home / "warehouse" / "raw.duckdb"
    before, history = query(db, ROWS), query(db, HISTORY)
    assert [h[1] for h in history] == ["accepted", "accepted", "refused"] and history[0][4] == history[1][3]

    monkeypatch.setenv("CAMPAIGN_HASH_KEY", NEW_KEY)
    receipts = reingest(home, tmp_path / "new")
    assert [r.status for r in receipts] == ["accepted", "accepted", "refused"]
    new_db = tmp_path / "new" / "warehouse" / "raw.duckdb"
    after = query(new_db, ROWS)
    assert query(new_db, HISTORY) == history            # same submissions, supersedes and refusals
    assert [r[:-1] for r in after] == [r[:-1] for r in before]
    old_to_new = {o[-1]: n[-1] for o, n in zip(before, after)}
    assert len(set(old_to_new.values())) == len(old_to_new) == len(set(ids))   # one to one
    assert old_to_new == {_key(TEST_HASH_KEY, i): _key(NEW_KEY, i) for i in ids}
    assert query(db, ROWS) == before                     # the old home is only read


def test_reingest_refuses_a_home_in_use_or_a_short_key(old_home, tmp_path, monkeypatch):
    from ingest.errors import ConfigError
    from ingest.reingest import ReingestRefused, reingest

    home, _ = old_home
    with pytest.raises(ReingestRefused, match="already holds a raw database"):
        reingest(home, home)
    monkeypatch.setenv("CAMPAIGN_HASH_KEY", "short")
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        reingest(home, tmp_path / "new")
    assert not (tmp_path / "new" / "landing").exists()


def test_reingest_cli(old_home, tmp_path):
    home, _ = old_home
    env = {"PATH": "/usr/bin:/bin", "CAMPAIGN_HASH_KEY": NEW_KEY}
    proc = subprocess.run([sys.executable, "-m", "ingest.reingest", "--from", str(home), "--to", str(tmp_path / "n")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "re-ingested 3 files" in proc.stdout and "2 accepted, 1 refused" in proc.stdout
