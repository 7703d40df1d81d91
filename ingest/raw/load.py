"""Writes to the raw DuckDB: one transaction per file. Parsed rows are staged chunk by chunk in
a temporary table; rules across rows and across submissions run there in SQL; then raw rows,
quarantine, warnings, the submission(s) with what they supersede, and the ledger entry are
written together — all of one file or nothing."""
from __future__ import annotations

import datetime as dt
import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from ingest.contracts import Contract
from ingest.errors import TransientError
from ingest.rows.messages import Rejected
from ingest.rows.parsed import Parsed, stage_text

SCHEMA_SQL = (Path(__file__).parent / "schema.sql").read_text(encoding="utf-8")
LINEAGE = ("submission_id", "source_file", "sheet", "row_number", "loaded_at")
HEADER = ("city", "department_code", "period_month")
STAGE = "incoming"
NOTES = ("refused", "warned")
# The stage's memory before it spills to disk: with the reader's own DuckDB and the row rules'
# working set, the 2.7 M-row export then ingests in under 1 GB (docs/performance.md).
INGEST_MEMORY = "384MB"


def ingest_memory() -> str:
    return os.environ.get("CAMPAIGN_INGEST_MEMORY", INGEST_MEMORY)


def connect(db_path: Path, attempts: int = 5) -> duckdb.DuckDBPyConnection:
    """Read-write connection; another writer holding the file is a transient fault, any other
    failure to open it is not. Memory is
    capped so that a large file's staging table spills to disk instead of growing the process."""
    from ingest.faults import is_transient
    from ingest.lock import check_writable

    check_writable(db_path.parent)      # a read-only folder is a clear, terminal error, not "locked"
    for attempt in range(attempts):
        try:
            con = duckdb.connect(str(db_path), config={
                "memory_limit": ingest_memory(),
                "temp_directory": str(db_path.parent / "ingest.tmp")})
            con.execute(SCHEMA_SQL)
            return con
        except duckdb.IOException as exc:
            if not is_transient(exc):
                raise
            if attempt == attempts - 1:
                raise TransientError(f"raw database is locked by another process: {exc}") from exc
            time.sleep(0.5 * 2 ** attempt)
    raise AssertionError("unreachable")


def already_loaded(con: duckdb.DuckDBPyConnection, sha256: str, city: str | None, department_code: str | None,
                   kind: str | None) -> str | None:
    """The submission id under which these exact bytes were accepted before from the same city,
    department and kind, if any (the same bytes from another department are its own submission)."""
    row = con.execute("""select submission_id from file_ledger where content_sha256 = ? and status = 'accepted'
                           and city = ? and department_code = ? and kind = ? limit 1""",
                      [sha256, city, department_code, kind]).fetchone()
    return row[0] if row else None


def submission_id(sha256: str, city: str, department_code: str, kind: str) -> str:
    """16 hex characters naming a submission: its bytes, and who sent them as what."""
    import hashlib
    return hashlib.sha256(f"{sha256}|{city}|{department_code}|{kind}".encode("utf-8")).hexdigest()[:16]


def _frame(columns: list[str], records: list[dict[str, Any]]):
    import pandas as pd
    return pd.DataFrame({c: [stage_text(r.get(c)) for r in records] for c in columns}, dtype=object)


class FileLoad:
    """One file's load. `add` stages parsed rows in temporary tables private to this connection
    (outside any transaction, so a large file spills to disk instead of filling memory);
    `reject_*` apply rules across rows; `finish` writes everything in one transaction;
    `abort` drops the stage and leaves the database as it was."""

    def __init__(self, con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
        self.con, self.contract, self.table = con, contract, contract.table
        types = con.execute(f"select name, type from pragma_table_info('{self.table}') order by cid").fetchall()
        self.types = {c: t for c, t in types if c not in LINEAGE + HEADER}
        self.columns = list(self.types)
        cols = ", ".join(f'"{c}" {t}' for c, t in self.types.items())
        con.execute(f"create or replace temp table {STAGE} ({cols}, row_number integer)")
        for name in NOTES:
            con.execute(f"""create or replace temp table {name} (row_number integer, field varchar, value varchar,
                            reason_code varchar, message varchar)""")
        self.staged = 0
        self.noted = {name: 0 for name in NOTES}
        self.superseded: list[str] = []     # earlier submissions this file replaces (set by finish)

    def park(self, tag: str) -> None:
        """Set this file's temporary tables aside (renamed) while other files of the batch stage."""
        for name in (STAGE, *NOTES):
            self.con.execute(f"alter table {name} rename to {name}_{tag}")

    def unpark(self, tag: str) -> None:
        for name in (STAGE, *NOTES):
            self.con.execute(f"alter table {name}_{tag} rename to {name}")

    def note(self, table: str, rows: list[Rejected]) -> None:
        """Keep refused rows (`refused`) or warnings (`warned`) of this file until it is settled."""
        if rows:
            con = self.con
            con.register("notes_frame", _frame(["row", "field", "value", "reason_code", "message"],
                                               [r.doc() for r in rows]))
            con.execute(f"insert into {table} select cast(row as integer), field, value, reason_code, message "
                        "from notes_frame")
            con.unregister("notes_frame")
            self.noted[table] += len(rows)

    def add(self, rows: Parsed) -> None:
        """Stage a chunk's valid rows: Arrow text columns (each distinct value once, an index per
        row), cast to the table's types in SQL."""
        if not len(rows):
            return
        import pyarrow as pa
        frame = pa.table({**{c: rows.arrow(c) for c in self.columns}, "row_number": pa.array(rows.rows)})
        casts = ", ".join(f'cast("{c}" as {t})' for c, t in self.types.items())
        self.con.register("chunk_frame", frame)
        self.con.execute(f"insert into {STAGE} select {casts}, cast(row_number as integer) from chunk_frame")
        self.con.unregister("chunk_frame")
        self.staged += len(rows)

    def _take(self, sql: str, params: list | None = None) -> list[tuple]:
        """Rows matched by `sql` (first column: row_number), removed from the stage."""
        hits = self.con.execute(sql, params or []).fetchall()
        if hits:
            self.con.execute(f"create or replace temp table dropped as select * from ({sql})", params or [])
            self.con.execute(f"delete from {STAGE} where row_number in (select row_number from dropped)")
            self.staged -= len(hits)
        return hits

    def take(self, sql: str, params: list | None = None) -> list[tuple]:
        """Rows matched by `sql` over `{stage}` (first column: row_number), removed from the stage."""
        return self._take(sql.replace("{stage}", STAGE), params)

    def take_rows(self, rows: list[int]) -> list[tuple]:
        """The rows with these row numbers, removed from the stage."""
        return self._take(f"select row_number from {STAGE} where list_contains(?, row_number) order by row_number",
                          [rows])

    def reject_duplicates(self, fields: list[str]) -> list[tuple[int, str]]:
        key = " || '/' || ".join(f'cast("{f}" as varchar)' for f in fields)
        return self._take(f"""select row_number, key from (
            select row_number, {key} as key, row_number() over (partition by {key} order by row_number) as seen
            from {STAGE}) where seen > 1 order by row_number""")

    def reject_daily_total(self, key: str, date: str, hours: str, limit: Decimal) -> list[tuple[int, Decimal]]:
        return self._take(f"""select row_number, total from (
            select row_number, sum("{hours}") over (partition by "{key}", "{date}") as total from {STAGE})
            where total > ? order by row_number""", [limit])

    def reject_outside(self, field: str, first: dt.date, last: dt.date) -> list[tuple[int, dt.date]]:
        return self._take(f"""select row_number, "{field}" from {STAGE}
            where "{field}" < ? or "{field}" > ? order by row_number""", [first, last])

    def month_counts(self, fields: tuple[str, ...]) -> Counter[tuple[int, int]]:
        counts: Counter[tuple[int, int]] = Counter()
        for f in fields:
            if f in self.types:
                for y, m, n in self.con.execute(f"""select year("{f}"), month("{f}"), count(*) from {STAGE}
                                                    where "{f}" is not null group by all""").fetchall():
                    counts[(y, m)] += n
        return counts

    def months_of(self, field: str) -> list[tuple[dt.date, int]]:
        return self.con.execute(f"""select cast(date_trunc('month', "{field}") as date) as m, count(*) from {STAGE}
                                    group by m order by m""").fetchall()

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        return self.con.execute(sql.replace("{stage}", STAGE), params or []).fetchall()

    def finish(self, header: dict[str, Any], submissions: list[dict[str, Any]], split_field: str | None,
               ledger: dict[str, Any]) -> None:
        """Supersede, insert, commit. `split_field` set: an annual export whose rows go to the part
        (submission `<id>-YYYYMM`) of their month; otherwise every row goes to `header`'s. Refused
        rows and warnings go to the first submission written."""
        con = self.con
        try:
            con.execute("begin transaction")
            for sub in submissions:
                self.superseded += [r[0] for r in con.execute(
                    """select submission_id from submissions where city = ? and department_code = ? and kind = ?
                       and period_month = ? and superseded_by is null""",
                    [sub["city"], sub["department_code"], sub["kind"], sub["period_month"]]).fetchall()]
                con.execute("""update submissions set superseded_by = ?, superseded_at = ?
                               where city = ? and department_code = ? and kind = ? and period_month = ?
                                 and superseded_by is null""",
                            [sub["submission_id"], sub["loaded_at"], sub["city"], sub["department_code"],
                             sub["kind"], sub["period_month"]])
                _insert(con, "submissions", [sub])
            select, params = self.rows_sql(header, split_field)
            con.execute(f"insert into {self.table} ({', '.join(self.row_columns)}) {select}", params)
            owner = [submissions[0]["submission_id"], header["source_file"], header["sheet"], header["loaded_at"]]
            for target, stamp in (("quarantine", "quarantined_at"), ("row_warnings", "warned_at")):
                if not self.noted["refused" if target == "quarantine" else "warned"]:
                    continue
                con.execute(f"""insert into {target} (submission_id, source_file, sheet, {stamp}, row_number, field,
                                                      value, reason_code, message)
                                select ?, ?, ?, cast(? as timestamp), row_number, field, value, reason_code, message
                                from {"refused" if target == "quarantine" else "warned"} order by row_number""", owner)
            _insert(con, "file_ledger", [ledger])
            self._drop()
            con.execute("commit")
        except BaseException:
            self.abort()
            raise

    @property
    def row_columns(self) -> list[str]:
        return ["submission_id", "source_file", "sheet", "loaded_at", "city", "department_code", "period_month",
                "row_number", *self.columns]

    def rows_sql(self, header: dict[str, Any], split_field: str | None) -> tuple[str, list[Any]]:
        """The stage as the raw table's rows (a query and its parameters), named as its columns.
        `split_field` set: each row goes to the part (`<id>-YYYYMM`) of its month."""
        if split_field:
            sub_sql = f"""? || '-' || strftime("{split_field}", '%Y%m')"""
            period_sql = f"""cast(date_trunc('month', "{split_field}") as date)"""
        else:
            sub_sql, period_sql = "?", "cast(? as date)"
        params = [header["submission_id"], header["source_file"], header["sheet"], header["loaded_at"],
                  header["city"], header["department_code"]] + ([] if split_field else [header["period_month"]])
        data = ", ".join(f'"{c}"' for c in self.columns)
        return (f"""select {sub_sql} as submission_id, ? as source_file, ? as sheet, cast(? as timestamp) as loaded_at,
                   ? as city, ? as department_code, {period_sql} as period_month, row_number, {data} from {STAGE}""",
                params)

    def abort(self) -> None:
        try:
            self.con.execute("rollback")
        except duckdb.Error:
            pass               # no transaction open: only the stage to drop
        self._drop()

    def _drop(self) -> None:
        for name in (STAGE, *NOTES, "dropped"):
            self.con.execute(f"drop table if exists {name}")


class DuckRaw:
    """raw.duckdb as ingest's raw store: the connection that stages a file also keeps it (one
    writer at a time). ingest.raw.postgres.PostgresRaw has the same methods."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def close(self) -> None:
        self.con.close()

    def already_loaded(self, sha256: str, city: str | None, department_code: str | None,
                       kind: str | None) -> str | None:
        return already_loaded(self.con, sha256, city, department_code, kind)

    def write_ledger(self, ledger: dict[str, Any]) -> None:
        write_ledger(self.con, ledger)

    @contextmanager
    def settling(self, writer: FileLoad, *_: Any) -> Iterator[None]:
        yield None      # the only writer: nothing to lock, nothing loaded meanwhile; loaded as received

    def finish(self, writer: FileLoad, header: dict[str, Any], submissions: list[dict[str, Any]],
               split_field: str | None, ledger: dict[str, Any]) -> None:
        writer.finish(header, submissions, split_field, ledger)


def store(con: Any) -> Any:
    """The raw store behind `con`: itself when it is one, else raw.duckdb on that connection."""
    return con if hasattr(con, "settling") else DuckRaw(con)


def write_ledger(con: duckdb.DuckDBPyConnection, ledger: dict[str, Any]) -> None:
    _insert(con, "file_ledger", [ledger])


_COLUMNS: dict[str, list[str]] = {}   # table -> its columns (schema.sql fixes them for the process)


def _insert(con: duckdb.DuckDBPyConnection, table: str, records: list[dict[str, Any]]) -> None:
    if table not in _COLUMNS:
        _COLUMNS[table] = [r[1] for r in con.execute(f"pragma table_info('{table}')").fetchall()]
    columns = _COLUMNS[table]
    names = [c for c in columns if any(c in r for r in records)]
    sql = f'insert into {table} ({", ".join(names)}) values ({", ".join("?" * len(names))})'
    con.executemany(sql, [[r.get(c) for c in names] for r in records])
