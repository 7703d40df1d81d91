"""The submission suites run by GX: one validation per kind (or per part of a kind's suite), on a
pandas frame of typed rows; chunk verdicts merged into the file's.

Memory. A suite made only of per-row expectations (``expect_column_values_*``) is validated
chunk by chunk and the chunks' results merged, so a city-year export never sits in memory as one
DataFrame; a suite with an aggregate expectation (a median) sees the whole file at once.
"""
from __future__ import annotations

import os
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # before any GX import

from ..gx import column_of, exception_message, new_context
from .suites import SUBMISSION_SUITES
from .verdict import Outcome, Verdict

if TYPE_CHECKING:
    import pandas as pd

ROW_WISE = "expect_column_values_"  # expectation types whose results add up across chunks
_CONTEXT: dict[str, Any] = {}  # one ephemeral GX context per process, one validation per kind and part
ALL, ROWS, PERIOD, AGGREGATES = "all", "rows", "period", "aggregates"   # parts of a suite (see part_of)
_PARTS: dict[str, list[str]] = {}


def part_of(expectation: Any) -> str:
    """rows: judges rows one by one, the same for every file; period: row by row too, against the
    file's parameters (its reporting month); aggregates: the file as a whole (a median)."""
    if not expectation.expectation_type.startswith(ROW_WISE):
        return AGGREGATES
    kwargs = expectation.configuration.kwargs
    return PERIOD if any(isinstance(v, dict) and "$PARAMETER" in v for v in kwargs.values()) else ROWS


def parts(kind: str) -> list[str]:
    """The part of each expectation of the kind's suite, in suite order."""
    if kind not in _PARTS:
        _PARTS[kind] = [part_of(e) for e in validation(kind).suite.expectations]
    return _PARTS[kind]


def validation(kind: str, part: str = ALL) -> Any:
    """The kind's suite (or only one part of it, see part_of) as a GX validation."""
    name = kind if part == ALL else f"{kind}_{part}"
    if name not in _CONTEXT:
        import great_expectations as gx

        if "context" not in _CONTEXT:
            _CONTEXT["context"] = new_context()
            _CONTEXT["source"] = _CONTEXT["context"].data_sources.add_pandas(name="submissions")
        ctx = _CONTEXT["context"]
        batch = _CONTEXT["source"].add_dataframe_asset(name=name).add_batch_definition_whole_dataframe("file")
        suite = SUBMISSION_SUITES[kind]()
        if part != ALL:
            suite = gx.ExpectationSuite(name=f"{suite.name}_{part}", expectations=[
                e for e in suite.expectations if part_of(e) == part])
        suite = ctx.suites.add(suite)
        _CONTEXT[name] = ctx.validation_definitions.add(
            gx.ValidationDefinition(name=f"submission_{name}", data=batch, suite=suite))
    return _CONTEXT[name]


def run_suite(kind: str, df: pd.DataFrame, params: dict[str, datetime], part: str = ALL,
              index_columns: tuple[str, ...] = ("row_number",)) -> list[Any]:
    """GX results of the kind's suite (or part) on the frame, in suite order."""
    definition = validation(kind, part)
    result = definition.run(
        batch_parameters={"dataframe": df}, expectation_parameters=params,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": list(index_columns)})
    order = {e.id: i for i, e in enumerate(definition.suite.expectations)}
    return sorted(result.results, key=lambda r: order.get(r.expectation_config.id, 0))


def validate(kind: str, df: pd.DataFrame, params: dict[str, datetime], key: str = "") -> Verdict:
    """Run the kind's suite on the frame (imports GX on first use in a process)."""
    started = time.perf_counter()
    outcomes = [outcome(r) for r in run_suite(kind, df, params)]
    return Verdict(key, kind, outcomes, time.perf_counter() - started)


def chunkable(kind: str) -> bool:
    """True when every expectation of the kind's suite judges rows one by one (results add up)."""
    return AGGREGATES not in parts(kind)


def validate_chunks(kind: str, frames: Iterable[pd.DataFrame], params: dict[str, datetime], key: str) -> Verdict:
    """The suite over consecutive chunks of one file, merged into the verdict of the whole file.
    Only for row-wise suites (``chunkable``): success, counts and row numbers add up exactly."""
    merged: Verdict | None = None
    for df in frames:
        part = validate(kind, df, params, key)
        merged = part if merged is None else merge(merged, part)
    if merged is None:
        raise ValueError("no frame to validate")
    return merged


def merge(a: Verdict, b: Verdict) -> Verdict:
    outcomes = []
    for x, y in zip(a.outcomes, b.outcomes, strict=True):
        outcomes.append(Outcome(
            expectation=x.expectation, column=x.column, level=x.level, reason_code=x.reason_code,
            message=x.message, field=x.field, success=x.success and y.success,
            element_count=_add(x.element_count, y.element_count),
            unexpected_count=_add(x.unexpected_count, y.unexpected_count), rows=x.rows + y.rows,
            observed=x.observed if x.observed is not None else y.observed, error=x.error or y.error,
            extra=x.extra))
    return Verdict(a.key, a.kind, outcomes, a.seconds + b.seconds)


def _add(x: int | None, y: int | None) -> int | None:
    return None if x is None and y is None else (x or 0) + (y or 0)


def outcome(r: Any, rows: list[int] | None = None) -> Outcome:
    """One GX result as an Outcome; rows: its unexpected row numbers when not the result's own."""
    cfg, res = r.expectation_config, r.result or {}
    meta = dict(cfg.meta or {})
    kwargs = cfg.kwargs
    if rows is None:
        rows = sorted({int(i["row_number"]) for i in res.get("unexpected_index_list") or []
                       if isinstance(i, dict) and "row_number" in i})
    observed = res.get("observed_value")
    return Outcome(
        expectation=cfg.type,
        column=column_of(kwargs),
        level=meta.pop("level", "file"), reason_code=meta.pop("reason", f"gx_{cfg.type}"),
        message=meta.pop("message", "{field} 未通过校验"), field=meta.pop("field", kwargs.get("column", "")),
        success=bool(r.success), element_count=res.get("element_count"),
        unexpected_count=res.get("unexpected_count"), rows=rows,
        observed=observed.item() if hasattr(observed, "item") else observed,
        error=exception_message(r.exception_info), extra={k: str(v) for k, v in meta.items()})
