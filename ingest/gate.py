"""Where ingest hands a file's staged rows to the GX submission gate (expectations.gate), which
knows nothing of ingest: it gets a DuckDB connection, the stage table's name and what the file
is (its Context), and returns its decision. Here the decision takes effect: quarantined rows
leave the stage, a refusal refuses the file.

Optional: CAMPAIGN_SUBMISSION_GATE=off skips it. expectations is imported only when a file is
gated, never with this module: GX takes seconds to import.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ingest import config
from ingest.errors import FileRefused
from ingest.raw.load import STAGE, FileLoad
from ingest.raw.receipt import Receipt
from ingest.rows.messages import Rejected

if TYPE_CHECKING:
    from expectations.gate.verdict import Context, Staged


def enabled() -> bool:
    """The GX submission gate runs unless CAMPAIGN_SUBMISSION_GATE is off."""
    return os.environ.get("CAMPAIGN_SUBMISSION_GATE", "on").strip().lower() not in {"off", "0", "false", "no"}


def cache_dir(paths: config.Paths) -> Path:
    """Where a batch leaves each file's verdict for the file's own gate."""
    return paths.home / "quality" / "submission_gate"


def context(receipt: Receipt, today: dt.date) -> Context:
    """What the file is, as the gate words its messages and stores its outcomes."""
    from expectations.gate.verdict import Context

    return Context(kind=receipt.kind, city=receipt.city, department_code=receipt.department_code,
                   period_month=receipt.period_month, submission_id=receipt.submission_id,
                   source_file=receipt.source_file, run_id=receipt.run_id, today=today)


def check(writer: FileLoad, header: Callable[[str], str], receipt: Receipt, today: dt.date,
          paths: config.Paths) -> list[Rejected]:
    """The gate on one file's staged rows, inside the file's transaction, after ingest's own
    rules: removes the rows it quarantines from the stage and returns them, raises FileRefused
    on a file-level failure."""
    from expectations.gate.stage import check_stage

    decision = check_stage(writer.con, STAGE, context(receipt, today), header, cache_dir(paths))
    if decision.refusal:
        raise FileRefused(*decision.refusal, file=receipt.source_file)
    if decision.quarantined:
        writer.take_rows([q[0] for q in decision.quarantined])
    return [Rejected(*q) for q in decision.quarantined]


def stage_input(writer: FileLoad, receipt: Receipt, today: dt.date) -> Staged:
    """A staged file as the batch gate takes it (ingest.batch): its verdict key and, unless it
    is large, its typed rows."""
    from expectations.gate.stage import stage_input as staged

    return staged(writer.con, STAGE, context(receipt, today), writer.staged)


def cache_verdicts(home: str | Path | None, staged: list[Any]) -> int:
    """Validate staged files together; cache each verdict for the file's gate."""
    from expectations.gate.batch import cache_verdicts as validate_together

    return validate_together(cache_dir(config.paths(home)), staged)
