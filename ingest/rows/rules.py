"""Rules across the fields of one row, named in a contract's `checks` (a failing row is refused)
and `warnings` (the row loads with a caution)."""
from __future__ import annotations

from typing import Callable, Protocol

import numpy as np

from ingest.rows.messages import Rejected, reject, warn, yuan
from ingest.rows.parsed import Parsed


class Headers(Protocol):
    def header(self, name: str) -> str:
        """The header as the clerk wrote it for a contract field."""


def without(rows: Parsed, failing: list[int]) -> Parsed:
    mask = np.ones(len(rows), dtype=bool)
    mask[failing] = False
    return rows.keep(mask)


def not_before(p: Headers, rows: Parsed, c: dict) -> tuple[Parsed, list[Rejected]]:
    a, b = rows.column(c["field"]), rows.column(c["other"])
    failing = [k for k, (x, y) in enumerate(zip(a, b)) if x is not None and y is not None and x < y]
    bad = [reject(int(rows.rows[k]), "date_order", p.header(c["field"]), a[k].isoformat(),
                  other=p.header(c["other"])) for k in failing]
    return without(rows, failing), bad


def required_when(p: Headers, rows: Parsed, c: dict) -> tuple[Parsed, list[Rejected]]:
    value, when = rows.column(c["field"]), rows.column(c["when"])
    failing = [k for k, (v, w) in enumerate(zip(value, when)) if v is None and w in c["in"]]
    bad = [reject(int(rows.rows[k]), f"missing_{c['field']}", p.header(c["field"]), when[k]) for k in failing]
    return without(rows, failing), bad


def at_most_times(p: Headers, rows: Parsed, c: dict) -> tuple[Parsed, list[Rejected]]:
    a, b, times = rows.column(c["field"]), rows.column(c["other"]), c["times"]
    failing = [k for k, (x, y) in enumerate(zip(a, b)) if x is not None and y is not None and x > y * times]
    bad = [reject(int(rows.rows[k]), "ratio_out_of_range", p.header(c["field"]), yuan(a[k]),
                  other=p.header(c["other"]), allowed=f"{times:,}") for k in failing]
    return without(rows, failing), bad


def not_above(p: Headers, rows: Parsed, c: dict) -> list[Rejected]:
    a, b = rows.column(c["field"]), rows.column(c["other"])
    return [warn(int(n), "above_other", p.header(c["field"]), yuan(x), p.header(c["other"]))
            for n, x, y in zip(rows.rows.tolist(), a, b) if x is not None and y is not None and x > y]


def absent_when(p: Headers, rows: Parsed, c: dict) -> list[Rejected]:
    value, when = rows.column(c["field"]), rows.column(c["when"])
    return [warn(int(n), "unexpected_value", p.header(c["field"]), str(v), w)
            for n, v, w in zip(rows.rows.tolist(), value, when) if v is not None and w in c["in"]]


ROW_CHECKS: dict[str, Callable[[Headers, Parsed, dict], tuple[Parsed, list[Rejected]]]] = {
    "not_before": not_before, "required_when": required_when, "at_most_times": at_most_times}
ROW_WARNINGS: dict[str, Callable[[Headers, Parsed, dict], list[Rejected]]] = {
    "not_above": not_above, "absent_when": absent_when}
