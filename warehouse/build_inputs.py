"""What a DuckDB build file was built from, recorded in the file itself (table main.build_inputs),
so that the next build, which starts as a byte copy of it, can tell which kinds of submission
changed since and run only the nodes they reach (warehouse.dbt_select).

The record: the dbt project's fingerprint (warehouse.dbt.project_fingerprint: its files, dbt and
the adapters) and, per kind, a digest of raw's submissions of that kind (ids, what superseded
them) and of which of them the mart audit holds back. Raw's rows of a kind arrive only with
their submission, so an unchanged digest means unchanged inputs of the kind's branch. It is
taken before dbt reads raw and written into the candidate only after a build that ran every
node those inputs reach; a build of hand-picked nodes removes it. No record (a first build,
an older file), another project, or a full refresh: every node runs. Inside the file, the
record moves with it (publish renames the candidate into the build file) and a crash leaves
the file and its record together.

Also here: where the candidate's staged volunteer rows end (what an incremental build's tests
of stg_volunteers start from)."""
from __future__ import annotations

from pathlib import Path

from warehouse.dbt import project_fingerprint

TABLE = "main.build_inputs"
PROJECT = "project"
_KINDS = """select lower(trim(s.kind)), md5(string_agg(s.submission_id || ':' || coalesce(s.superseded_by, '')
                || {held}, ',' order by s.submission_id))
            from submissions as s {join} group by 1"""


def current(raw_db: Path, target: str) -> dict[str, str]:
    """{'project': the project's fingerprint on `target`, <kind>: digest of its submissions and
    holds} of raw now."""
    import duckdb

    found = {PROJECT: project_fingerprint(target)}
    if not raw_db.exists():
        return found
    with duckdb.connect(str(raw_db), read_only=True) as con:
        tables = {t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()}
        if "submissions" not in tables:
            return found
        held = "held_submissions" in tables
        sql = _KINDS.format(held="case when h.submission_id is null then '' else ':held' end" if held else "''",
                            join="left join held_submissions as h on h.submission_id = s.submission_id" if held else "")
        found.update((kind, digest) for kind, digest in con.execute(sql).fetchall() if kind)
    return found


def changed_kinds(candidate: Path, now: dict[str, str]) -> set[str] | None:
    """The kinds whose inputs differ from those the candidate was built from; None when that
    cannot be told (no candidate, no record, another project): then everything is to be built."""
    import duckdb

    if not candidate.exists():
        return None
    with duckdb.connect(str(candidate), read_only=True) as con:
        schema, table = TABLE.split(".")
        if not con.execute("select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                           [schema, table]).fetchone()[0]:
            return None
        before = dict(con.execute(f"select input, digest from {TABLE}").fetchall())
    if before.get(PROJECT) != now.get(PROJECT):
        return None
    return {k for k in (set(before) | set(now)) - {PROJECT} if before.get(k) != now.get(k)}


def record(candidate: Path, now: dict[str, str] | None) -> None:
    """Write what the candidate was just built from (None: remove the record)."""
    import duckdb

    with duckdb.connect(str(candidate)) as con:
        con.execute("begin transaction")
        con.execute(f"drop table if exists {TABLE}")
        if now is not None:
            con.execute(f"create table {TABLE} (input varchar primary key, digest varchar not null)")
            con.executemany(f"insert into {TABLE} values (?, ?)", sorted(now.items()))
        con.execute("commit")


def staged_volunteer_rows_since(candidate: Path) -> str | None:
    """The newest loaded_at in the candidate's staging.stg_volunteers before the build (None when
    it has no such table or rows): the rows a build adds were loaded at or after it."""
    import duckdb

    if not candidate.exists():
        return None
    with duckdb.connect(str(candidate), read_only=True) as con:
        found = con.execute("select count(*) from information_schema.tables "
                            "where table_schema = 'staging' and table_name = 'stg_volunteers'").fetchone()[0]
        newest = con.execute("select max(loaded_at) from staging.stg_volunteers").fetchone()[0] if found else None
    return newest.isoformat(sep=" ") if newest else None
