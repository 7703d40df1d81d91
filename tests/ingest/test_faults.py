"""Retries only for transient faults: what ingest.faults.is_transient lets a task retry."""
from __future__ import annotations

import duckdb
import pytest

from ingest.errors import ConfigError, FileRefused, TransientError
from ingest.faults import is_transient
from ingest.raw.load import connect
from ingest.slices import BadParam
from warehouse.duck import BuildFailed


def _wrapped(outer: Exception, cause: Exception) -> Exception:
    outer.__cause__ = cause
    return outer


@pytest.mark.parametrize("exc, transient", [
    (TransientError("raw database is locked by another process"), True),
    (ConnectionRefusedError(111, "Connection refused"), True),
    (TimeoutError("timed out"), True),
    (BuildFailed("dbt build failed: Runtime Error IO Error: Could not set lock on file raw.duckdb"), True),
    (RuntimeError("psycopg2.OperationalError: server closed the connection unexpectedly"), True),
    (_wrapped(RuntimeError("step failed"), ConnectionResetError("reset")), True),
    (FileRefused("no_rows", "文件有表头但没有数据行"), False),
    (ConfigError("CAMPAIGN_HASH_KEY is not set"), False),
    (BadParam("城市“北京市”不在登记名册中", field="city", value="北京市"), False),
    (BuildFailed("dbt build failed: Failure in test not_null_fct_investment_city"), False),
    (KeyError("code"), False),
    (ValueError("bad value"), False),
])
def test_only_transient_faults_are_retried(exc, transient):
    assert is_transient(exc) is transient


def test_a_real_duckdb_lock_is_transient(tmp_path):
    """Another process holding the raw file read-write: ingest's connect gives up with TransientError."""
    import subprocess
    import sys
    import time

    db = tmp_path / "raw.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
                               "print('held', flush=True); time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        with pytest.raises(TransientError) as err:
            connect(db, attempts=2)
        assert is_transient(err.value) and time.monotonic() - start < 10
        with pytest.raises(duckdb.IOException) as raw:
            duckdb.connect(str(db))
        assert is_transient(raw.value)
    finally:
        holder.kill()
        holder.wait()
