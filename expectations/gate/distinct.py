"""The submission gate over a file's distinct values instead of its rows, where that decides the
same: when every expectation of the kind's suite judges one text column's values one by one,
with no row condition (the volunteer suite), a row's outcome depends only on its cell, so each
distinct value is validated once and its outcome given to every row holding it.

A city-year volunteer export has 2.7 M rows but about 233 thousand distinct ID keys and masked
phones and a handful of teams and activities: GX's pandas engine judges regexes cell by cell in
Python, so this is several times less work, and the frame it validates is that much smaller.
Counts are the rows' own: element_count is the file's row count, unexpected_count and the row
numbers those of the rows holding an unexpected value.
"""
from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from . import run
from .verdict import Outcome, Verdict

ROW = "row_number"


def columns(kind: str, con: Any, table: str) -> list[str] | None:
    """The suite's columns when every expectation qualifies (row-wise, one text column, no row
    condition), else None."""
    if set(run.parts(kind)) != {run.ROWS}:
        return None
    names = []
    for e in run.validation(kind).suite.expectations:
        column = getattr(e, "column", None)
        if not column or getattr(e, "row_condition", None):
            return None
        names.append(column)
    types = dict(con.execute(f"select name, type from pragma_table_info('{table}')").fetchall())
    if any(types.get(c) != "VARCHAR" for c in names):
        return None
    return list(dict.fromkeys(names))


def validate(kind: str, con: Any, table: str, names: list[str], params: dict[str, datetime], key: str) -> Verdict:
    """The verdict of the staged rows, from one GX run over the columns' distinct values."""
    import pandas as pd

    started = time.perf_counter()
    values = {c: [v for (v,) in con.execute(f'select distinct "{c}" from {table} where "{c}" is not null')
                  .fetchall()] for c in names}
    height = max([len(v) for v in values.values()] + [1])
    frame = pd.DataFrame({**{c: pd.Series(v + [None] * (height - len(v)), dtype=object) for c, v in values.items()},
                          ROW: range(height)})
    rows_in = con.execute(f"select count(*) from {table}").fetchone()[0]
    outcomes = [_outcome(r, con, table, frame, rows_in) for r in run.run_suite(kind, frame, params)]
    return Verdict(key, kind, outcomes, time.perf_counter() - started)


def _outcome(r: Any, con: Any, table: str, frame: Any, rows_in: int) -> Outcome:
    base = run.outcome(r, [])
    if base.error:
        return base
    base.element_count = rows_in
    if r.success:
        base.unexpected_count = 0
        return base
    column = r.expectation_config.kwargs["column"]
    bad = [frame.at[int(i[ROW]), column] for i in (r.result or {}).get("unexpected_index_list") or []]
    base.rows = [n for (n,) in con.execute(f'select {ROW} from {table} where list_contains(?, "{column}") '
                                           f"order by {ROW}", [bad]).fetchall()]
    base.unexpected_count = len(base.rows)
    return base
