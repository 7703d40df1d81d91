"""Submissions held back by the mart audit (table held_submissions of raw: raw.duckdb, or schema
raw of PostgreSQL).

A submission ingest accepted can still break a rule of the built marts that no single file can
see (one volunteer's day over 24 h across two departments' files). The warehouse run then holds
that submission back instead of the whole publish (warehouse.holdback): it is recorded here, the
next build leaves it out, and its department gets a follow-up receipt. A hold lasts until the
department resubmits for the same slot (the new submission supersedes the held one and is judged
on its own) or an operator releases it (`python -m flows release <submission_id>`).

Each function takes `run(sql, args) -> rows`, SQL with %s placeholders that both databases read
(the caller chooses the database and commits: warehouse.target.raw_writes, or duckdb_writes)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable

from ingest.raw.receipt import write_held_receipt

Run = Callable[[str, list[Any]], list[tuple]]


@contextmanager
def duckdb_writes(raw_db: Path) -> Iterator[Run]:
    """`run` on raw.duckdb (DuckDB commits each statement)."""
    from ingest.raw import load

    con = load.connect(raw_db)
    try:
        yield lambda sql, args: con.execute(sql.replace("%s", "?"), args).fetchall()
    finally:
        con.close()


COLUMNS = ("submission_id", "run_id", "held_at", "source_file", "city", "department_code", "kind",
           "period_month", "expectations", "reason", "reason_zh")


def current(run: Run, submission_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Of these ids, the submissions that are current in raw (latest of their slot, not held):
    the only ones a hold can take out of the marts. id -> its submissions row."""
    ids = sorted(set(submission_ids))
    if not ids:
        return {}
    rows = run(f"""select submission_id, source_file, city, department_code, kind, period_month
                   from submissions where submission_id in ({', '.join(['%s'] * len(ids))})
                     and superseded_by is null
                     and submission_id not in (select submission_id from held_submissions)""", ids)
    return {r[0]: dict(zip(("submission_id", "source_file", "city", "department_code", "kind", "period_month"), r))
            for r in rows}


def hold(run: Run, run_id: str, found: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Record holds: `found` maps a submission id to its culprits' docs (expectations.audit.blame).
    Ids that are not current submissions are skipped. Returns the held rows."""
    subs = current(run, found)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    rows = []
    for sid, sub in subs.items():
        docs = found[sid]
        rows.append({**sub, "run_id": run_id, "held_at": now,
                     "expectations": "; ".join(f"{d['suite']}: {d['expectation']}({d['column'] or ''})" for d in docs),
                     "reason": "; ".join(d["reason"] for d in docs),
                     "reason_zh": ";".join(d["reason_zh"] for d in docs)})
    for r in rows:
        run(f"insert into held_submissions ({', '.join(COLUMNS)}) values ({', '.join(['%s'] * len(COLUMNS))})",
            [r[c] for c in COLUMNS])
    return rows


def release_run(run: Run, run_id: str) -> int:
    """Undo the holds of a run whose publish did not happen after all (they are judged again)."""
    return len(run("delete from held_submissions where run_id = %s returning submission_id", [run_id]))


def release(run: Run, submission_id: str) -> bool:
    """An operator's release: the submission counts again from the next build (if still current)."""
    return bool(run("delete from held_submissions where submission_id = %s returning 1", [submission_id]))


def in_force(run: Run, run_id: str | None = None) -> list[dict[str, Any]]:
    """Holds whose submission is still the latest of its slot (a resubmission ends a hold's
    effect), optionally of one run only."""
    sql = f"""select {', '.join('h.' + c for c in COLUMNS)} from held_submissions h
              join submissions s on s.submission_id = h.submission_id
              where s.superseded_by is null {'and h.run_id = %s' if run_id else ''}
              order by h.source_file, h.submission_id"""
    return [dict(zip(COLUMNS, r)) for r in run(sql, [run_id] if run_id else [])]


def write_receipts(receipts_dir: Path, rows: list[dict[str, Any]]) -> list[Path]:
    """A follow-up receipt beside each held submission's first receipt."""
    return [write_held_receipt(receipts_dir, row) for row in rows]
