"""The submission gate for a batch of files at once: a few GX runs per kind instead of one per
file (see ``expectations.gate.stage``, "Cost").

``cache_verdicts`` takes the staged files of a batch (``stage.stage_input``), validates the
files of one kind together and caches each file's verdict for its gate. What a file gets is
exactly what validating it alone gives:
- row-wise expectations run once over the files' rows side by side, a ``_file`` column telling
  them apart; each file takes its own unexpected rows, counts and success; those that compare
  with the file's reporting month run once per month;
- aggregate expectations (a median) run on each file alone.
A GX result that cannot be split (an exception, no row list) sends the group back to
file-by-file validation.
"""
from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import cache, run
from .run import AGGREGATES, PERIOD, ROWS
from .verdict import Outcome, Staged, Verdict

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)
FILE_COLUMN = "_file"


def cache_verdicts(cache_dir: Path, staged: list[Staged]) -> int:
    """Validate the staged files together; cache each verdict for the file's gate. Returns the
    number of verdicts cached."""
    cache.prune_cache(cache_dir)
    verdicts = validate_staged(staged)
    for verdict in verdicts:
        cache.save_verdict(cache_dir, verdict)
    logger.info("submission gate: %d verdicts cached for %d file(s) validated together", len(verdicts), len(staged))
    return len(verdicts)


def validate_staged(staged: list[Staged]) -> list[Verdict]:
    """Verdicts of the collected files, validated together by kind and column types (files
    collected without rows are left to their own load)."""
    groups: dict[Any, dict[str, Staged]] = defaultdict(dict)
    for s in staged:
        if s.frame is not None:
            signature = tuple((c, str(t)) for c, t in s.frame.dtypes.items())
            groups[(s.kind, signature)][s.key] = s  # same rows and parameters: one verdict
    verdicts: list[Verdict] = []
    for (kind, _), members in groups.items():
        files = list(members.values())
        verdicts += validate_files(kind, [s.frame for s in files], [s.params for s in files], [s.key for s in files])
    return verdicts


def validate_files(kind: str, frames: list[pd.DataFrame], params: list[dict[str, datetime]],
                   keys: list[str]) -> list[Verdict]:
    """Each frame's verdict, as ``run.validate`` gives it for that frame alone: the row-wise
    expectations in one GX run over all frames, those against the reporting month in one run per
    month, the aggregates per frame."""
    import time

    if len(frames) == 1:
        return [run.validate(kind, frames[0], params[0], keys[0])]
    started = time.perf_counter()
    suite_parts = run.parts(kind)
    shared: dict[str, list[list[Outcome]]] = {}
    if ROWS in suite_parts:
        if (rows := _row_wise(kind, frames, params[0], ROWS)) is None:
            return _one_by_one(kind, frames, params, keys)
        shared[ROWS] = rows
    if PERIOD in suite_parts:
        shared[PERIOD] = [[] for _ in frames]
        by_month: dict[Any, list[int]] = defaultdict(list)
        for i, p in enumerate(params):
            by_month[tuple(sorted(p.items()))].append(i)
        for members in by_month.values():
            if (period := _row_wise(kind, [frames[i] for i in members], params[members[0]], PERIOD)) is None:
                return _one_by_one(kind, frames, params, keys)
            for i, outcomes in zip(members, period):
                shared[PERIOD][i] = outcomes
    seconds = (time.perf_counter() - started) / len(frames)
    verdicts = []
    for i, (frame, key) in enumerate(zip(frames, keys)):
        t = time.perf_counter()
        taken = {part: iter(outcomes[i]) for part, outcomes in shared.items()}
        if AGGREGATES in suite_parts:
            taken[AGGREGATES] = iter([run.outcome(r) for r in run.run_suite(kind, frame, params[i], AGGREGATES)])
        outcomes = [next(taken[part]) for part in suite_parts]
        verdicts.append(Verdict(key, kind, outcomes, seconds + time.perf_counter() - t))
    return verdicts


def _one_by_one(kind: str, frames: list[pd.DataFrame], params: list[dict[str, datetime]],
                keys: list[str]) -> list[Verdict]:
    logger.info("submission gate: %s results could not be split by file; validating one by one", kind)
    return [run.validate(kind, f, p, k) for f, p, k in zip(frames, params, keys)]


def _row_wise(kind: str, frames: list[pd.DataFrame], params: dict[str, datetime],
              part: str) -> list[list[Outcome]] | None:
    """One part's row-wise expectations over all frames in one GX run, split into each frame's
    outcomes (in suite order); None when a result cannot be split."""
    import pandas as pd
    from great_expectations.execution_engine import PandasExecutionEngine
    from great_expectations.expectations.row_conditions import deserialize_row_condition

    combined = pd.concat([f.assign(**{FILE_COLUMN: i}) for i, f in enumerate(frames)], ignore_index=True)
    results = run.run_suite(kind, combined, params, part, (FILE_COLUMN, "row_number"))
    engine = PandasExecutionEngine()
    per_file: list[list[Outcome]] = [[] for _ in frames]
    for r in results:
        listed = (r.result or {}).get("unexpected_index_list")
        base = run.outcome(r, [])
        if base.error or (not r.success and not listed):
            return None
        by_file: dict[int, list[int]] = defaultdict(list)
        for item in listed or []:
            by_file[int(item[FILE_COLUMN])].append(int(item["row_number"]))
        condition = r.expectation_config.kwargs.get("row_condition")
        counted = combined if not condition else combined.query(
            engine.condition_to_filter_clause(deserialize_row_condition(condition)))
        counts = counted[FILE_COLUMN].value_counts()
        for i in range(len(frames)):
            bad = sorted(by_file.get(i, []))
            per_file[i].append(dataclasses.replace(base, success=not bad, rows=bad, unexpected_count=len(bad),
                                                   element_count=int(counts.get(i, 0))))
    return per_file
