"""Rules across the fields of one row, named in a contract's `checks` (a failing row is refused)
and `warnings` (the row loads with a caution), as SQL over a file's staged rows (typed: dates,
amounts in yuan); Python only words the rows they flag."""
from __future__ import annotations

from typing import Any, Callable, Protocol

from ingest.rows.messages import Rejected, reject, warn, yuan


class Headers(Protocol):
    def header(self, name: str) -> str:
        """The header as the clerk wrote it for a contract field."""


class Stage(Protocol):
    def take(self, sql: str, params: list | None = None) -> list[tuple]:
        """Rows matched by `sql` over `{stage}` (first column: row_number), removed from it."""

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        """Rows of `sql` over `{stage}`."""


def _in(values: list[str]) -> str:
    return ", ".join("?" for _ in values)


def not_before(s: Stage, p: Headers, c: dict) -> list[Rejected]:
    a, b = c["field"], c["other"]
    hits = s.take(f'select row_number, "{a}" from {{stage}} where "{a}" < "{b}" order by row_number')
    return [reject(n, "date_order", p.header(a), day.isoformat(), other=p.header(b)) for n, day in hits]


def required_when(s: Stage, p: Headers, c: dict) -> list[Rejected]:
    a, when = c["field"], c["when"]
    hits = s.take(f'select row_number, "{when}" from {{stage}} where "{a}" is null and "{when}" in ({_in(c["in"])}) '
                  "order by row_number", list(c["in"]))
    return [reject(n, f"missing_{a}", p.header(a), w) for n, w in hits]


def at_most_times(s: Stage, p: Headers, c: dict) -> list[Rejected]:
    a, b, times = c["field"], c["other"], c["times"]
    hits = s.take(f'select row_number, "{a}" from {{stage}} where "{a}" > "{b}" * ? order by row_number', [times])
    return [reject(n, "ratio_out_of_range", p.header(a), yuan(x), other=p.header(b), allowed=f"{times:,}")
            for n, x in hits]


def not_above(s: Stage, p: Headers, c: dict) -> list[Rejected]:
    a, b = c["field"], c["other"]
    hits = s.query(f'select row_number, "{a}" from {{stage}} where "{a}" > "{b}" order by row_number')
    return [warn(n, "above_other", p.header(a), yuan(x), p.header(b)) for n, x in hits]


def absent_when(s: Stage, p: Headers, c: dict) -> list[Rejected]:
    a, when = c["field"], c["when"]
    hits = s.query(f'select row_number, "{a}", "{when}" from {{stage}} where "{a}" is not null '
                   f'and "{when}" in ({_in(c["in"])}) order by row_number', list(c["in"]))
    return [warn(n, "unexpected_value", p.header(a), str(v), w) for n, v, w in hits]


ROW_CHECKS: dict[str, Callable[[Stage, Headers, dict], list[Rejected]]] = {
    "not_before": not_before, "required_when": required_when, "at_most_times": at_most_times}
ROW_WARNINGS: dict[str, Callable[[Stage, Headers, dict], list[Rejected]]] = {
    "not_above": not_above, "absent_when": absent_when}


def across_fields(stage: Stage, headers: Headers, contract: Any) -> tuple[list[Rejected], list[Rejected]]:
    """(refused, warned) rows of the staged file: each check in the contract's order over the rows
    no earlier rule refused, then the warnings over the rows left."""
    refused = [r for c in contract.checks if c["rule"] in ROW_CHECKS for r in ROW_CHECKS[c["rule"]](stage, headers, c)]
    warned = [w for c in contract.warnings if c["rule"] in ROW_WARNINGS for w in ROW_WARNINGS[c["rule"]](stage, headers, c)]
    return refused, warned
