"""An audit of an incremental build limited to what changed, where that still judges the new
data exactly as the whole audit would.

Only the two suites over the volunteer fact's rows cost time at scale (millions of rows read
into pandas and validated one by one); every other suite reads small tables or aggregates in SQL
and always sees everything. Those two see, after an incremental build:

- fct_volunteer_hours: the rows built after the audited build (built_at later than its newest),
  with every row sharing a record_id with one of them (so that uniqueness is judged against the
  whole table);
- fct_volunteer_hours_daily: the sums of the volunteer-days those rows fall on, over all of the
  day's rows (a day is judged on its whole sum).

That is the whole audit's verdict on the new rows. The rows left are the audited build's,
unchanged (an incremental fact keeps its rows; a superseded submission's rows are only
deleted, which no expectation of these suites can turn from passing to failing), so they were
judged already, by the same suites with the same parameters: the scope applies only when the
audit key (the audit's own source files and its parameters: registry departments and cities,
calendar) equals the key of the audit that passed on that build. Otherwise, and on a first or
full build (every row is new then), the suites see every row.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

FACT = "marts.fct_volunteer_hours"
# suite -> the temporary view it reads instead of the fact when the audit is scoped
VIEWS = {"fct_volunteer_hours": "audit_new_records", "fct_volunteer_hours_daily": "audit_new_days"}
_SOURCES = Path(__file__).parent


@dataclass(frozen=True)
class Scope:
    """What the audit that passed on the build these rows grew from knew: its key, and the newest
    built_at of the fact it saw."""

    audit_key: str
    built_until: datetime

    def to_json(self) -> dict[str, str]:
        return {"audit_key": self.audit_key, "built_until": self.built_until.isoformat()}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Scope:
        return cls(str(doc["audit_key"]), datetime.fromisoformat(doc["built_until"]))


def audit_key(params: dict[str, Any]) -> str:
    """sha256 over the audit's source files (suites, queries, runner) and its parameters."""
    digest = hashlib.sha256()
    for path in sorted([*_SOURCES.glob("*.py"), *_SOURCES.glob("sql/*.sql")]):
        digest.update(f"|{path.relative_to(_SOURCES).as_posix()}|".encode() + path.read_bytes())
    digest.update(json.dumps(params, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def built_until(con: Any) -> datetime | None:
    """The newest built_at of the fact (None without rows or without the table)."""
    import duckdb

    try:
        return con.execute(f"select max(built_at) from {FACT}").fetchall()[0][0]
    except duckdb.Error:
        return None


def since(scope: Scope | None, key: str) -> datetime | None:
    """The built_at after which rows are new, when the scope applies to an audit with `key`."""
    return scope.built_until if scope is not None and scope.audit_key == key else None


def create_views(con: Any, after: datetime) -> int:
    """The temporary views of VIEWS on `con`, for rows built after `after`; the number of new rows."""
    stamp = f"timestamp '{after.isoformat(sep=' ')}'"
    con.execute(f"""create or replace temp view audit_new_records as
                    select * from {FACT} where record_id in (select record_id from {FACT} where built_at > {stamp})""")
    con.execute(f"""create or replace temp view audit_new_days as
                    select fct.* from {FACT} as fct
                    semi join (select distinct volunteer_key, service_date from {FACT} where built_at > {stamp}) as day
                    on fct.volunteer_key is not distinct from day.volunteer_key
                    and fct.service_date is not distinct from day.service_date""")
    return con.execute(f"select count(*) from {FACT} where built_at > {stamp}").fetchall()[0][0]


def scoped(suite: str, sql: str) -> str:
    """The suite's query reading its view instead of the fact (unchanged for other suites)."""
    view = VIEWS.get(suite)
    return sql.replace(FACT, view) if view else sql


def beside(db: Path) -> Path:
    """Where the scope of the audit that passed on a build file is kept: beside it."""
    return db.with_name(db.stem + ".audited_scope.json")


def read(path: Path) -> Scope | None:
    """The scope kept at `path` by a passing audit (None when there is none or it is unreadable:
    the next audit then sees every row)."""
    try:
        return Scope.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def keep(path: Path, scope: Scope | None) -> None:
    """Write `scope` to `path` whole (tmp + rename); remove the file when there is no scope."""
    if scope is None:
        path.unlink(missing_ok=True)
        return
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(scope.to_json()), encoding="utf-8")
    tmp.replace(path)


def move(source: Path, dest: Path) -> None:
    """The scope at `source` becomes the one at `dest` (none when `source` has none). Keeping an
    older scope is always safe: every row built since it counts as new."""
    if source.exists():
        source.replace(dest)
    else:
        dest.unlink(missing_ok=True)
