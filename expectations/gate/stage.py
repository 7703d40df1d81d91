"""The submission gate on a file's staged rows: a table of typed rows (a column per contract field,
plus row_number) on the caller's DuckDB connection. The caller (ingest) hands over the connection
and the table's name; nothing here knows how the rows got there.

Cost. Importing GX takes seconds per process; one GX run costs about a quarter of a second
whatever the file's size, which dominates small files. So a batch stages all its files first,
takes each one's rows (``stage_input``), validates them together (``expectations.gate.batch``)
and caches each verdict (``expectations.gate.cache``); the file's gate (``check_stage``) then
finds it there. Without a cached verdict the file is validated on its own, so correctness never
depends on the batch step.
"""
from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from . import distinct, run
from .cache import digest, forget, load_verdict
from .decision import Decision, decide
from .verdict import Context, Staged, Verdict, parameters

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

CHUNK_ROWS = 200_000         # stage rows per DataFrame when a suite can be validated in chunks
COLLECT_MAX_ROWS = 50_000    # larger files are validated on their own (fixed costs matter less)


def stage_rows(table: str) -> str:
    """The staged rows, row_number last (the column order a frame of them has)."""
    return f"select * exclude (row_number), row_number from {table}"


def stage_input(con: Any, table: str, ctx: Context, rows: int) -> Staged:
    """A staged file as the batch gate takes it: its verdict key and, unless it is large, its
    typed rows. rows: how many rows the table holds."""
    params = parameters(ctx)
    frame = next(stage_frames(con, table, True)) if rows <= COLLECT_MAX_ROWS else None
    return Staged(stage_key(ctx.kind, con, table, params), ctx.kind, params, frame)


def check_stage(con: Any, table: str, ctx: Context, header: Callable[[str], str],
                cache_dir: Path) -> Decision:
    """The gate on the staged rows: the cached verdict for exactly these rows, else a fresh
    validation, and what it means for the file. Its outcomes go to the quality store on a
    separate cursor, so they are kept whether the file then loads or not (rewritten, not
    duplicated, if the same content comes again)."""
    from .. import store

    params = parameters(ctx)
    key = stage_key(ctx.kind, con, table, params)
    verdict = load_verdict(cache_dir, key)
    if verdict is None:
        verdict = validate_stage(ctx.kind, con, table, params, key)
    else:
        logger.debug("submission gate: verdict for %s found in the batch cache", ctx.source_file)
    decision = decide(verdict, ctx, header, lambda rows: con.execute(
        f"{stage_rows(table)} where list_contains(?, row_number) order by row_number", [rows]).df())
    forget(cache_dir, decision.verdict.key)
    with con.cursor() as side:  # its own transaction: kept even if the file is refused
        store.record_submission(side, ctx.submission_id, decision.records)
    return decision


def validate_stage(kind: str, con: Any, table: str, params: dict[str, datetime], key: str) -> Verdict:
    """The staged rows' verdict: over their distinct values where that decides the same
    (``expectations.gate.distinct``), else chunk by chunk (row-wise suites) or whole."""
    if (names := distinct.columns(kind, con, table)) is not None:
        return distinct.validate(kind, con, table, names, params, key)
    return run.validate_chunks(kind, stage_frames(con, table, not run.chunkable(kind)), params, key)


def stage_key(kind: str, con: Any, table: str, params: dict[str, datetime]) -> str:
    """cache.verdict_key for the staged rows, computed in DuckDB without fetching them: the
    suites' source, kind, parameters, column types, and order-independent sums of the rows'
    hashes (row numbers are unique, so no two rows cancel out)."""
    rows = stage_rows(table)
    types = con.execute(f"describe {rows}").fetchall()
    columns = ", ".join(f'"{name}"' for name, *_ in types)
    count, xor, total = con.execute(f"select count(*), bit_xor(h), sum(h::hugeint) from "
                                    f"(select hash({columns}) as h from ({rows}))").fetchone()
    return digest(kind, params, [(t[0], t[1]) for t in types], count, str(xor), str(total)).hexdigest()


def stage_frames(con: Any, table: str, whole: bool) -> Iterator[pd.DataFrame]:
    """The staged rows in row order: one frame, or consecutive frames of about CHUNK_ROWS rows
    (always at least one, possibly empty, so that an empty stage is still validated)."""
    cursor = con.execute(f"{stage_rows(table)} order by row_number")
    if whole:
        yield cursor.df()
        return
    vectors = max(1, CHUNK_ROWS // 2048)
    df = cursor.fetch_df_chunk(vectors)
    yield df
    while len(df):
        df = cursor.fetch_df_chunk(vectors)
        if len(df):
            yield df
