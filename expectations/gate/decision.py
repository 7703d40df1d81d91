"""What a verdict means for a file: its refusal, each quarantined row with the reason (in Chinese)
of the first expectation it failed, and one quality-store row per expectation."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..store import ExpectationRecord
from .cache import verdict_for
from .verdict import Context, Outcome, Verdict, parameters

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

GATE = "submission"
SAMPLE_ROWS = 20             # row numbers kept per failed expectation in the quality store


def records(verdict: Verdict, ctx: Context, checked_at: datetime) -> list[ExpectationRecord]:
    """One quality-store row per expectation."""
    refused = verdict.refusal is not None
    out = []
    for o in verdict.outcomes:
        action = "none" if o.success else ("refused" if refused or o.level == "file" else "quarantined")
        sample = None if o.success else json.dumps(
            {"rows": o.rows[:SAMPLE_ROWS]} if o.rows else {"observed": o.observed}, ensure_ascii=False, default=str)
        out.append(ExpectationRecord(
            gate=GATE, suite=f"submission_{verdict.kind}", expectation=o.expectation, column=o.column,
            success=o.success, unexpected_count=o.unexpected_count, element_count=o.element_count,
            run_id=ctx.run_id, checked_at=checked_at, sample=sample, error=o.error, city=ctx.city,
            department_code=ctx.department_code, kind=ctx.kind, period_month=ctx.period_month,
            submission_id=ctx.submission_id, source_file=ctx.source_file, action=action,
            reason_code=None if o.success else o.reason_code))
    return out


def message(o: Outcome, header: str, ctx: Context, value: Any = None) -> str:
    observed = o.observed
    if isinstance(observed, float):
        observed = f"{observed:,.2f}"
    return o.message.format(field=header, value="" if value is None else value, observed=observed,
                            period=ctx.period_month.strftime("%Y年%m月") if ctx.period_month else "",
                            **o.extra)


def shown(value: Any) -> str:
    """A quarantined value as the receipt shows it (dates as dates, amounts without float noise)."""
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


@dataclass
class Decision:
    """What the gate decided for one file."""

    verdict: Verdict
    records: list[ExpectationRecord]             # one quality-store row per expectation
    refusal: tuple[str, str] | None              # (reason_code, message) when the file is refused
    quarantined: list[tuple[int, str, str, str, str]]  # (row, header, value, reason_code, message)


def check(df: pd.DataFrame, ctx: Context, header: Callable[[str], str | None] | None = None,
          cache_dir: Path | None = None) -> Decision:
    """The gate on one file's typed rows (a column per contract field, plus row_number), held as
    one frame. header(field) -> the header as the clerk wrote it."""
    verdict = verdict_for(ctx.kind, df, parameters(ctx), cache_dir)
    return decide(verdict, ctx, header, df)


def decide(verdict: Verdict, ctx: Context, header: Callable[[str], str | None] | None,
           rows_of: pd.DataFrame | Callable[[list[int]], pd.DataFrame]) -> Decision:
    """What a verdict means for the file: its refusal, and each quarantined row with the reason
    of the first expectation it failed. rows_of: the file's typed rows, or a function giving
    the rows with the given row numbers (the values a receipt shows)."""
    def shown_header(name: str) -> str:
        return (header(name) if header else None) or name

    checked_at = datetime.now(timezone.utc)
    refusal = None
    if (failed := verdict.refusal) is not None:
        refusal = (failed.reason_code, message(failed, shown_header(failed.field), ctx))
    flagged = sorted({row for o in verdict.outcomes if not o.success and o.level == "row" for row in o.rows})
    df = rows_of(flagged) if callable(rows_of) else rows_of
    by_row = df.set_index("row_number")
    quarantined: dict[int, tuple[int, str, str, str, str]] = {}
    for o in verdict.outcomes:
        if o.success or o.level != "row":
            continue
        for row in o.rows:
            if row not in quarantined:
                value = shown(_value(by_row, row, o.field))
                quarantined[row] = (row, shown_header(o.field), value, o.reason_code,
                                    message(o, shown_header(o.field), ctx, value))
    logger.info("submission gate %s %s: %d expectations, %d failed, %d rows quarantined%s (%.2fs)",
                ctx.kind, ctx.source_file, len(verdict.outcomes), sum(not o.success for o in verdict.outcomes),
                len(quarantined), f", file refused ({refusal[0]})" if refusal else "", verdict.seconds)
    return Decision(verdict, records(verdict, ctx, checked_at), refusal, sorted(quarantined.values()))


def _value(by_row: pd.DataFrame, row: int, column: str) -> Any:
    if column not in by_row.columns or row not in by_row.index:
        return None
    value = by_row.at[row, column]
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    return None if value != value else value  # NaN/NaT -> None
