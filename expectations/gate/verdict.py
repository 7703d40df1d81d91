"""What the submission gate decides about: the file (Context, and the parameters its suite takes)
and what it found (one Outcome per expectation, the file's Verdict), in plain JSON-able values."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Outcome:
    """One expectation's result on one file, in plain JSON-able values."""

    expectation: str
    column: str | None
    level: str               # row | file
    reason_code: str
    message: str
    field: str
    success: bool
    element_count: int | None
    unexpected_count: int | None
    rows: list[int]          # row numbers (as the clerk sees them) of unexpected rows
    observed: Any = None     # aggregate expectations: the observed value
    error: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Verdict:
    key: str
    kind: str
    outcomes: list[Outcome]
    seconds: float = 0.0

    @property
    def refusal(self) -> Outcome | None:
        return next((o for o in self.outcomes if o.level == "file" and not o.success), None)


@dataclass(frozen=True)
class Context:
    """What the file is: for messages and for the quality store."""

    kind: str
    city: str
    department_code: str
    period_month: date | None  # None: an annual export split by month
    submission_id: str
    source_file: str
    run_id: str
    today: date


def parameters(ctx: Context) -> dict[str, datetime]:
    start = datetime.combine(ctx.period_month or ctx.today.replace(day=1), datetime.min.time())
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return {"today": datetime.combine(ctx.today, datetime.min.time()), "period_start": start,
            "period_end": end}


@dataclass
class Staged:
    """A file's staged rows as the batch gate takes them (``stage_input``)."""

    key: str
    kind: str
    params: dict[str, datetime]
    frame: pd.DataFrame | None   # None: too many rows to hold; the file is validated on its own
