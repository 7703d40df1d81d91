"""Ingest's raw store on PostgreSQL (CAMPAIGN_TARGET=postgres): each file goes straight into
schema `raw`, in one transaction (its rows, quarantine, warnings, submission(s) with what they
supersede, ledger entry, submission-gate outcomes), so any number of workers load at once.

A file is still read, checked and staged on a private in-memory DuckDB (``con``): the row rules
and the submission gate are the DuckDB target's own. Settling it (``settling`` then ``finish``)
takes a transaction-scoped advisory lock on its city and kind, the scope of every rule that
looks at what is loaded: the duplicate check (same bytes, city, department, kind) is repeated
under it, supersession updates under it, and the history rules (ingest.raw.history) run on a
snapshot, copied into the DuckDB, of the city's current submissions of the kind taken under it.
Two files of one city and kind thus settle one after the other, as on one writer; all others in
parallel. The primary keys (ledger receipt, submission id) are the backstop.

Whoever chooses the target (warehouse.target) hands the DSN in: ingest knows no setting of it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ingest.errors import Duplicate
from ingest.raw.load import SCHEMA_SQL, STAGE, FileLoad, ingest_memory

SCHEMA = "raw"
ROWS = {"quarantine": ("refused", "quarantined_at"), "row_warnings": ("warned", "warned_at")}


# What each file's settling looks up (the duplicate check, its group's submissions).
INDEXES = """
create index if not exists file_ledger_content on file_ledger (content_sha256);
create index if not exists submissions_group on submissions (city, kind, department_code, period_month);
"""


def _schema_sql() -> str:
    from expectations.store import DDL
    return SCHEMA_SQL + ";\n" + DDL + ";\n" + INDEXES


def version() -> str:
    """What schema `raw` carries in its comment once ingest has set it up for direct writes."""
    return "ingest writes here directly, schema " + hashlib.sha256(_schema_sql().encode()).hexdigest()[:12]


def ensure(pg: Any) -> None:
    """Schema `raw` with ingest's tables and the quality store (commits); a no-op once done."""
    with pg.cursor() as cur:
        cur.execute("select obj_description(to_regnamespace(%s), 'pg_namespace')", [SCHEMA])
        if (cur.fetchone() or [None])[0] == version():
            pg.rollback()
            return
        cur.execute("select pg_advisory_xact_lock(hashtext('campaign raw schema'))")   # one creator at a time
        cur.execute(f"create schema if not exists {SCHEMA}")
        cur.execute(f"set local search_path to {SCHEMA}")
        cur.execute(_schema_sql())
        cur.execute(f"comment on schema {SCHEMA} is %s", [version()])
    pg.commit()


def directly_written(pg: Any) -> bool:
    """True when ingest writes schema `raw` itself (no carry-over from a raw.duckdb may replace it)."""
    with pg.cursor() as cur:
        cur.execute("select obj_description(to_regnamespace(%s), 'pg_namespace')", [SCHEMA])
        note = (cur.fetchone() or [None])[0] or ""
    pg.rollback()
    return note.startswith("ingest writes here directly")


class PostgresRaw:
    """One worker's raw store: a PostgreSQL connection for what is kept, an in-memory DuckDB
    (``con``) for staging. The same methods as ingest.raw.load.DuckRaw."""

    def __init__(self, dsn: str) -> None:
        import duckdb
        import psycopg2

        self.tmp = tempfile.TemporaryDirectory(prefix="campaign-pgraw-")
        self.con = duckdb.connect(config={"memory_limit": ingest_memory(),
                                          "temp_directory": str(Path(self.tmp.name) / "spill")})
        self.con.execute(SCHEMA_SQL)
        self.pg = psycopg2.connect(dsn, application_name="campaign-ingest")
        ensure(self.pg)
        self._columns: dict[str, list[str]] = {}

    def close(self) -> None:
        self.pg.close()
        self.con.close()
        self.tmp.cleanup()

    def already_loaded(self, sha256: str, city: str | None, department_code: str | None,
                       kind: str | None) -> str | None:
        try:
            return self._loaded(sha256, city, department_code, kind)
        finally:
            self.pg.rollback()

    def _loaded(self, sha256: str, city: str | None, department_code: str | None, kind: str | None) -> str | None:
        with self.pg.cursor() as cur:
            cur.execute(f"""select submission_id from {SCHEMA}.file_ledger where content_sha256 = %s
                            and status = 'accepted' and city = %s and department_code = %s and kind = %s limit 1""",
                        [sha256, city, department_code, kind])
            row = cur.fetchone()
        return row[0] if row else None

    def write_ledger(self, ledger: dict[str, Any]) -> None:
        """A file that was not accepted: its ledger entry (and gate outcomes), committed."""
        try:
            with self.pg.cursor() as cur:
                self._insert(cur, "file_ledger", ledger)
                self._carry_quality(cur)
            self.pg.commit()
        except BaseException:
            self.pg.rollback()
            raise

    @contextmanager
    def settling(self, writer: FileLoad, city: str, department_code: str, kind: str, sha256: str,
                 period_month: Any) -> Iterator[dt.datetime]:
        """The file's transaction, under the lock of its city and kind: raises Duplicate when these
        bytes loaded meanwhile; fills the DuckDB's raw tables with what the history rules compare
        with. Yields the file's load time: later than any of its department and kind so far, so
        that the newest loaded_at of a month is the submission that superseded the others (what
        the marts take as current), whichever worker received its file first. Commits when the
        block (which ends with ``finish``) returns, else rolls back."""
        try:
            with self.pg.cursor() as cur:
                cur.execute("select pg_advisory_xact_lock(hashtext(%s))", [f"raw|{city}|{kind}"])
                cur.execute(f"""select max(loaded_at) from {SCHEMA}.submissions
                                where city = %s and department_code = %s and kind = %s""", [city, department_code, kind])
                latest = cur.fetchone()[0]
            if earlier := self._loaded(sha256, city, department_code, kind):
                raise Duplicate(earlier)
            if period_month is not None and writer.contract.warnings:
                self._snapshot(writer, city, kind)
            now = dt.datetime.now()
            yield max(now, latest + dt.timedelta(milliseconds=1)) if latest else now
            self.pg.commit()
        except BaseException:
            self.pg.rollback()
            raise

    def _snapshot(self, writer: FileLoad, city: str, kind: str) -> None:
        """The city's current submissions of the kind, and their rows holding a key the stage holds."""
        con, table = self.con, writer.table
        for t in ("submissions", table):
            con.execute(f"delete from {t}")
        current = f"""select submission_id from {SCHEMA}.submissions
                      where city = %s and kind = %s and superseded_by is null"""
        self._pull("submissions", f"select {{cols}} from {SCHEMA}.submissions where submission_id in ({current})",
                   [city, kind])
        keys = sorted({rule["key"] for rule in writer.contract.warnings if "key" in rule})
        if not keys:
            return
        values = [[v for (v,) in con.execute(f'select distinct cast("{k}" as varchar) from {STAGE}').fetchall()]
                  for k in keys]
        where = " or ".join(f'"{k}"::text = any(%s)' for k in keys)
        self._pull(table, f"""select {{cols}} from {SCHEMA}.{table} where city = %s
                              and submission_id in ({current}) and ({where})""", [city, city, kind, *values])

    def _pull(self, table: str, sql: str, params: list[Any]) -> None:
        """Rows of PostgreSQL into the DuckDB table of the same name, through CSV."""
        cols = ", ".join(f'"{c}"' for c in self.columns(table))
        path = Path(self.tmp.name) / f"{table}.csv"
        with self.pg.cursor() as cur, path.open("wb") as f:
            query = cur.mogrify(sql.replace("{cols}", cols), params).decode()
            cur.copy_expert(f"copy ({query}) to stdout with (format csv)", f)
        if path.stat().st_size:
            self.con.execute(f"""copy {table} ({cols}) from '{path}' (format csv, header false, delim ',', quote '"',
                                 escape '"', allow_quoted_nulls false)""")

    def finish(self, writer: FileLoad, header: dict[str, Any], submissions: list[dict[str, Any]],
               split_field: str | None, ledger: dict[str, Any]) -> None:
        """Supersede and insert, inside the transaction ``settling`` opened (the same writes as
        FileLoad.finish on DuckDB); the stage is dropped."""
        with self.pg.cursor() as cur:
            for sub in submissions:
                cur.execute(f"""update {SCHEMA}.submissions set superseded_by = %s, superseded_at = %s
                                where city = %s and department_code = %s and kind = %s and period_month = %s
                                  and superseded_by is null returning submission_id""",
                            [sub["submission_id"], sub["loaded_at"], sub["city"], sub["department_code"],
                             sub["kind"], sub["period_month"]])
                writer.superseded += [r[0] for r in cur.fetchall()]
                self._insert(cur, "submissions", sub)
            self._push(cur, writer.table, writer.rows_sql(header, split_field))
            owner = [submissions[0]["submission_id"], header["source_file"], header["sheet"], header["loaded_at"]]
            for target, (stage, stamp) in ROWS.items():
                if writer.noted[stage]:
                    self._push(cur, target, (f"""select ? as submission_id, ? as source_file, ? as sheet,
                                                 cast(? as timestamp) as {stamp}, row_number, field, value,
                                                 reason_code, message from {stage}""", owner))
            self._insert(cur, "file_ledger", ledger)
            self._carry_quality(cur)
        writer.abort()          # nothing open on the DuckDB: drops the stage

    def _push(self, cur: Any, table: str, select: tuple[str, list[Any]]) -> None:
        """The rows of a DuckDB query (named as the table's columns) into the PostgreSQL table."""
        sql, params = select
        self.con.execute(f"create or replace temp table outgoing as {sql}", params)
        names = [c for (c,) in self.con.execute("select column_name from (describe outgoing)").fetchall()]
        cols = ", ".join(f'"{c}"' for c in names)
        path = Path(self.tmp.name) / "outgoing.csv"
        self.con.execute(f"copy (select {cols} from outgoing) to '{path}' (format csv, header false)")
        self.con.execute("drop table outgoing")
        with path.open("rb") as f:
            cur.copy_expert(f"copy {SCHEMA}.{table} ({cols}) from stdin with (format csv)", f)

    def _carry_quality(self, cur: Any) -> None:
        """The submission gate's outcomes, kept on the DuckDB by the gate, into raw.quality_results
        (replacing earlier ones of the same content, as the store does)."""
        found = self.con.execute("select count(*) from information_schema.tables where table_name = 'quality_results'"
                                 ).fetchone()[0]
        if not found or not self.con.execute("select count(*) from quality_results").fetchone()[0]:
            return
        sids = [s for (s,) in self.con.execute("select distinct submission_id from quality_results").fetchall()]
        cur.execute(f"""delete from {SCHEMA}.quality_results where gate = 'submission'
                        and submission_id = any(%s)""", [[s for s in sids if s is not None]])
        self._push(cur, "quality_results", ("select * from quality_results", []))
        self.con.execute("delete from quality_results")

    def columns(self, table: str) -> list[str]:
        if table not in self._columns:
            self._columns[table] = [c for (c,) in self.con.execute(
                "select column_name from information_schema.columns where table_name = ? order by ordinal_position",
                [table]).fetchall()]
        return self._columns[table]

    def _insert(self, cur: Any, table: str, record: dict[str, Any]) -> None:
        names = [c for c in self.columns(table) if c in record]
        cur.execute(f"insert into {SCHEMA}.{table} ({', '.join(names)}) values ({', '.join(['%s'] * len(names))})",
                    [record[c] for c in names])
