"""Submissions held back by the mart audit (table held_submissions of raw.duckdb).

A submission ingest accepted can still break a rule of the built marts that no single file can
see (one volunteer's day over 24 h across two departments' files). The warehouse run then holds
that submission back instead of the whole publish (warehouse.holdback): it is recorded here, the
next build leaves it out, and its department gets a follow-up receipt. A hold lasts until the
department resubmits for the same slot (the new submission supersedes the held one and is judged
on its own) or an operator releases it (`python -m flows release <submission_id>`)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterable

import duckdb

from ingest.raw.receipt import write_held_receipt

COLUMNS = ("submission_id", "run_id", "held_at", "source_file", "city", "department_code", "kind",
           "period_month", "expectations", "reason", "reason_zh")


def current(con: duckdb.DuckDBPyConnection, submission_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Of these ids, the submissions that are current in raw (latest of their slot, not held):
    the only ones a hold can take out of the marts. id -> its submissions row."""
    ids = sorted(set(submission_ids))
    if not ids:
        return {}
    rows = con.execute("""select submission_id, source_file, city, department_code, kind, period_month
                          from submissions where list_contains(?, submission_id) and superseded_by is null
                            and submission_id not in (select submission_id from held_submissions)""", [ids]).fetchall()
    return {r[0]: dict(zip(("submission_id", "source_file", "city", "department_code", "kind", "period_month"), r))
            for r in rows}


def hold(con: duckdb.DuckDBPyConnection, run_id: str, found: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Record holds: `found` maps a submission id to its culprits' docs (expectations.audit.blame).
    Ids that are not current submissions are skipped. Returns the held rows."""
    subs = current(con, found)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    rows = []
    for sid, sub in subs.items():
        docs = found[sid]
        rows.append({**sub, "run_id": run_id, "held_at": now,
                     "expectations": "; ".join(f"{d['suite']}: {d['expectation']}({d['column'] or ''})" for d in docs),
                     "reason": "; ".join(d["reason"] for d in docs),
                     "reason_zh": ";".join(d["reason_zh"] for d in docs)})
    if rows:
        con.executemany(f"insert into held_submissions ({', '.join(COLUMNS)}) values ({', '.join('?' * len(COLUMNS))})",
                        [[r[c] for c in COLUMNS] for r in rows])
    return rows


def release_run(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    """Undo the holds of a run whose publish did not happen after all (they are judged again)."""
    return len(con.execute("delete from held_submissions where run_id = ? returning submission_id", [run_id]).fetchall())


def release(con: duckdb.DuckDBPyConnection, submission_id: str) -> bool:
    """An operator's release: the submission counts again from the next build (if still current)."""
    return bool(con.execute("delete from held_submissions where submission_id = ? returning 1",
                            [submission_id]).fetchall())


def in_force(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> list[dict[str, Any]]:
    """Holds whose submission is still the latest of its slot (a resubmission ends a hold's
    effect), optionally of one run only."""
    sql = f"""select {', '.join('h.' + c for c in COLUMNS)} from held_submissions h
              join submissions s on s.submission_id = h.submission_id
              where s.superseded_by is null {'and h.run_id = ?' if run_id else ''}
              order by h.source_file, h.submission_id"""
    return [dict(zip(COLUMNS, r)) for r in con.execute(sql, [run_id] if run_id else []).fetchall()]


def write_receipts(receipts_dir: Path, rows: list[dict[str, Any]]) -> list[Path]:
    """A follow-up receipt beside each held submission's first receipt."""
    return [write_held_receipt(receipts_dir, row) for row in rows]
