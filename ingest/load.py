"""Writes to the raw DuckDB: one transaction per file (raw rows, quarantine, ledger, supersede)."""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb

from ingest.errors import TransientError
from ingest.validate import Rejected

SCHEMA_SQL = (Path(__file__).parent / "schema.sql").read_text(encoding="utf-8")
LINEAGE = ("submission_id", "source_file", "sheet", "row_number", "loaded_at")
HEADER = ("city", "department_code", "period_month")


def connect(db_path: Path, attempts: int = 5) -> duckdb.DuckDBPyConnection:
    """Read-write connection; another writer holding the file is a transient fault."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(attempts):
        try:
            con = duckdb.connect(str(db_path))
            con.execute(SCHEMA_SQL)
            return con
        except duckdb.IOException as exc:
            if attempt == attempts - 1:
                raise TransientError(f"raw database is locked by another process: {exc}") from exc
            time.sleep(0.5 * 2 ** attempt)
    raise AssertionError("unreachable")


def already_loaded(con: duckdb.DuckDBPyConnection, submission_id: str) -> bool:
    return con.execute("select 1 from submissions where submission_id = ?", [submission_id]).fetchone() is not None


def _frame(columns: list[str], records: list[dict[str, Any]]):
    import pandas as pd

    def cell(v: Any) -> Any:
        return None if v is None else v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else str(v)
    return pd.DataFrame({c: [cell(r.get(c)) for r in records] for c in columns}, dtype=object)


def write_submission(con: duckdb.DuckDBPyConnection, table: str, submission: dict[str, Any],
                     records: list[dict[str, Any]], rejected: list[Rejected], ledger: dict[str, Any]) -> None:
    """All of one file or nothing. The new submission supersedes earlier ones for the same
    city, department, kind and period (their rows stay in raw, as history)."""
    con.execute("begin transaction")
    try:
        con.execute("""update submissions set superseded_by = ?, superseded_at = ?
                       where city = ? and department_code = ? and kind = ? and period_month = ?
                         and superseded_by is null""",
                    [submission["submission_id"], submission["loaded_at"], submission["city"],
                     submission["department_code"], submission["kind"], submission["period_month"]])
        _insert(con, "submissions", [submission])
        if records:
            columns = [r[1] for r in con.execute(f"pragma table_info('{table}')").fetchall()]
            frame = _frame(columns, records)
            con.register("incoming", frame)
            casts = ", ".join(f'cast("{c}" as {t}) as "{c}"' for c, t in
                              con.execute(f"select column_name, data_type from information_schema.columns "
                                          f"where table_name = '{table}' order by ordinal_position").fetchall())
            con.execute(f"insert into {table} select {casts} from incoming")
            con.unregister("incoming")
        if rejected:
            _insert(con, "quarantine", [{**asdict(r), "row_number": r.row, "submission_id": submission["submission_id"],
                                         "source_file": submission["source_file"], "sheet": submission["sheet"],
                                         "quarantined_at": submission["loaded_at"]} for r in rejected])
        _insert(con, "file_ledger", [ledger])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def write_ledger(con: duckdb.DuckDBPyConnection, ledger: dict[str, Any]) -> None:
    _insert(con, "file_ledger", [ledger])


def _insert(con: duckdb.DuckDBPyConnection, table: str, records: list[dict[str, Any]]) -> None:
    columns = [r[1] for r in con.execute(f"pragma table_info('{table}')").fetchall()]
    names = [c for c in columns if any(c in r for r in records)]
    sql = f'insert into {table} ({", ".join(names)}) values ({", ".join("?" * len(names))})'
    con.executemany(sql, [[r.get(c) for c in names] for r in records])
