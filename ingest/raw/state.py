"""What the published warehouse was built from, so that "nothing new" means nothing since the last
publish, not merely an empty landing.

A build notes a fingerprint of raw's submissions (which exist, which superseded which, which the
mart audit holds back: a released hold is something new) in
warehouse/built_raw.json; a publish renames it to warehouse/published_raw.json. A run whose
landing is empty and whose raw fingerprint equals the published one has nothing to do; a rerun
after a crash between ingest and publish finds the fingerprints different and builds."""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from ingest.config import Paths

BUILT, PUBLISHED = "built_raw.json", "published_raw.json"
_SQL = """select count(*), md5(coalesce(string_agg(submission_id || ':' || coalesce(superseded_by, ''), ','
                                                    order by submission_id), '') || {held})
          from {schema}submissions"""
_HELD = ("coalesce((select '|held:' || string_agg(submission_id, ',' order by submission_id)"
         " from {schema}held_submissions), '')")


def fingerprint(raw_db: Path) -> str:
    """The submissions in raw (ids and what superseded them) as one digest; 'empty' without raw.
    Raises duckdb.IOException while another process writes raw."""
    import duckdb

    if not raw_db.exists():
        return "empty"
    with duckdb.connect(str(raw_db), read_only=True) as con:
        return fingerprint_with(lambda sql: con.execute(sql).fetchone())


def fingerprint_with(one: Callable[[str], tuple], schema: str = "") -> str:
    """fingerprint on any SQL database: `one` runs a query and returns its first row; `schema`
    ('raw.' on PostgreSQL) prefixes the table."""
    in_schema = f"'{schema.rstrip('.')}'" if schema else "table_schema"
    has_submissions, has_held = one(f"""select count(*) filter (where table_name = 'submissions'),
                                           count(*) filter (where table_name = 'held_submissions')
                                    from information_schema.tables where table_schema = {in_schema}""")
    if not has_submissions:
        return "empty"
    held = _HELD.format(schema=schema) if has_held else "''"
    count, digest = one(_SQL.format(schema=schema, held=held))
    return "empty" if not count else f"{count}:{digest}"


def mark_built(paths: Paths, state: str) -> None:
    """Note the raw fingerprint a build started from (taken before dbt read raw)."""
    _write(paths.warehouse_dir / BUILT, state)


def mark_published(paths: Paths) -> None:
    """The build just published: its fingerprint becomes the published one."""
    built = paths.warehouse_dir / BUILT
    if built.exists():
        os.replace(built, paths.warehouse_dir / PUBLISHED)


def published(paths: Paths) -> str | None:
    try:
        return json.loads((paths.warehouse_dir / PUBLISHED).read_text(encoding="utf-8"))["raw"]
    except (OSError, ValueError, KeyError):
        return None


def unpublished(paths: Paths, now: Callable[[], str] | None = None) -> bool:
    """True when raw holds submissions (or supersessions) the published warehouse was not built
    from; also when that cannot be told (raw busy, no record of a publish). `now`: the raw
    fingerprint of the target (default raw.duckdb's)."""
    try:
        state = now() if now else fingerprint(paths.raw_db)
    except Exception:          # raw locked by a writer, or unreadable: assume there is work
        return True
    if state == "empty" and not paths.published_db.exists():
        return False
    return state != published(paths)


def _write(path: Path, state: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"raw": state}), encoding="utf-8")
    os.replace(tmp, path)
