"""The submission gate: one file's typed rows against its kind's GX suite, before raw.

Called by ingest (``ingest.pipeline``) after its own row rules, inside the file's processing:
rows an expectation of level ``row`` finds are quarantined with the expectation's reason, a
failed expectation of level ``file`` refuses the file; every outcome is stored in the quality
store (``expectations.store``) whatever happens.

Cost. Importing GX takes seconds per process; one GX run costs about a quarter of a second
whatever the file's size, which dominates small files. So a batch stages all its files first
(``ingest.pipeline.begin``), takes each one's rows (``stage_input``), validates them together —
one GX run per kind, and per month for the checks against the reporting month
(``expectations.gate.batch``) — and leaves each file's verdict
in ``$CAMPAIGN_HOME/quality/submission_gate``; the file's gate then finds it there (keyed by a
digest of the typed rows, the parameters and the suites' source). Without a cached verdict the
file is validated on its own, so correctness never depends on the batch step.

Memory. A suite made only of per-row expectations (``expect_column_values_*``) is validated
chunk by chunk (``CHUNK_ROWS`` rows of the stage at a time) and the chunks' results merged, so a
city-year export never sits in memory as one DataFrame; a suite with an aggregate expectation
(a median) sees the whole file at once.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # before any GX import

from ingest.raw.load import STAGE

if TYPE_CHECKING:
    import pandas as pd

    from ..audit.runner import ExpectationRecord

logger = logging.getLogger(__name__)

GATE = "submission"
SAMPLE_ROWS = 20             # row numbers kept per failed expectation in the quality store
CHUNK_ROWS = 200_000         # stage rows per DataFrame when a suite can be validated in chunks
ROW_WISE = "expect_column_values_"  # expectation types whose results add up across chunks
CACHE_MAX_AGE = timedelta(days=2)
_SUITES_SOURCE = Path(__file__).with_name("suites.py")


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


# --------------------------------------------------------------------------- parameters, digest
def parameters(ctx: Context) -> dict[str, datetime]:
    start = datetime.combine(ctx.period_month or ctx.today.replace(day=1), datetime.min.time())
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return {"today": datetime.combine(ctx.today, datetime.min.time()), "period_start": start,
            "period_end": end}


def verdict_key(kind: str, df: pd.DataFrame, params: dict[str, datetime]) -> str:
    """Digest of what decides the verdict: the suites' source, the kind, the parameters, the rows."""
    import pandas as pd

    h = hashlib.sha256(_SUITES_SOURCE.read_bytes())
    h.update(json.dumps([kind, sorted((k, v.isoformat()) for k, v in params.items()),
                         [(c, str(t)) for c, t in df.dtypes.items()]]).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


# --------------------------------------------------------------------------- validation (GX)
_CONTEXT: dict[str, Any] = {}  # one ephemeral GX context per process, one validation per kind and part
ALL, ROWS, PERIOD, AGGREGATES = "all", "rows", "period", "aggregates"   # parts of a suite (see _part_of)
_PARTS: dict[str, list[str]] = {}


def _part_of(expectation: Any) -> str:
    """rows: judges rows one by one, the same for every file; period: row by row too, against the
    file's parameters (its reporting month); aggregates: the file as a whole (a median)."""
    if not expectation.expectation_type.startswith(ROW_WISE):
        return AGGREGATES
    kwargs = expectation.configuration.kwargs
    return PERIOD if any(isinstance(v, dict) and "$PARAMETER" in v for v in kwargs.values()) else ROWS


def parts(kind: str) -> list[str]:
    """The part of each expectation of the kind's suite, in suite order."""
    if kind not in _PARTS:
        _PARTS[kind] = [_part_of(e) for e in _validation(kind).suite.expectations]
    return _PARTS[kind]


def _validation(kind: str, part: str = ALL) -> Any:
    """The kind's suite (or only one part of it, see _part_of) as a GX validation."""
    name = kind if part == ALL else f"{kind}_{part}"
    if name not in _CONTEXT:
        import great_expectations as gx

        from ..audit.runner import _new_context
        from .suites import SUBMISSION_SUITES

        if "context" not in _CONTEXT:
            _CONTEXT["context"] = _new_context()
            _CONTEXT["source"] = _CONTEXT["context"].data_sources.add_pandas(name="submissions")
        ctx = _CONTEXT["context"]
        batch = _CONTEXT["source"].add_dataframe_asset(name=name).add_batch_definition_whole_dataframe("file")
        suite = SUBMISSION_SUITES[kind]()
        if part != ALL:
            suite = gx.ExpectationSuite(name=f"{suite.name}_{part}", expectations=[
                e for e in suite.expectations if _part_of(e) == part])
        suite = ctx.suites.add(suite)
        _CONTEXT[name] = ctx.validation_definitions.add(
            gx.ValidationDefinition(name=f"submission_{name}", data=batch, suite=suite))
    return _CONTEXT[name]


def run_suite(kind: str, df: pd.DataFrame, params: dict[str, datetime], part: str = ALL,
              index_columns: tuple[str, ...] = ("row_number",)) -> list[Any]:
    """GX results of the kind's suite (or part) on the frame, in suite order."""
    validation = _validation(kind, part)
    result = validation.run(
        batch_parameters={"dataframe": df}, expectation_parameters=params,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": list(index_columns)})
    order = {e.id: i for i, e in enumerate(validation.suite.expectations)}
    return sorted(result.results, key=lambda r: order.get(r.expectation_config.id, 0))


def validate(kind: str, df: pd.DataFrame, params: dict[str, datetime], key: str = "") -> Verdict:
    """Run the kind's suite on the frame (imports GX on first use in a process)."""
    started = time.perf_counter()
    outcomes = [_outcome(r) for r in run_suite(kind, df, params)]
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
        merged = part if merged is None else _merge(merged, part)
    if merged is None:
        raise ValueError("no frame to validate")
    return merged


def _merge(a: Verdict, b: Verdict) -> Verdict:
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


def _outcome(r: Any, rows: list[int] | None = None) -> Outcome:
    """One GX result as an Outcome; rows: its unexpected row numbers when not the result's own."""
    from ..audit.runner import _column_of, _exception_message

    cfg, res = r.expectation_config, r.result or {}
    meta = dict(cfg.meta or {})
    kwargs = cfg.kwargs
    if rows is None:
        rows = sorted({int(i["row_number"]) for i in res.get("unexpected_index_list") or []
                       if isinstance(i, dict) and "row_number" in i})
    observed = res.get("observed_value")
    return Outcome(
        expectation=cfg.type,
        column=_column_of(kwargs),
        level=meta.pop("level", "file"), reason_code=meta.pop("reason", f"gx_{cfg.type}"),
        message=meta.pop("message", "{field} 未通过校验"), field=meta.pop("field", kwargs.get("column", "")),
        success=bool(r.success), element_count=res.get("element_count"),
        unexpected_count=res.get("unexpected_count"), rows=rows,
        observed=observed.item() if hasattr(observed, "item") else observed,
        error=_exception_message(r.exception_info), extra={k: str(v) for k, v in meta.items()})


# --------------------------------------------------------------------------- verdict cache
def _cache_file(cache_dir: Path, key: str) -> Path:
    return cache_dir / f"{key}.json"


def save_verdict(cache_dir: Path, verdict: Verdict) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = _cache_file(cache_dir, verdict.key)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(verdict), ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, target)


def load_verdict(cache_dir: Path | None, key: str) -> Verdict | None:
    if cache_dir is None or not _cache_file(cache_dir, key).exists():
        return None
    doc = json.loads(_cache_file(cache_dir, key).read_text(encoding="utf-8"))
    return Verdict(doc["key"], doc["kind"], [Outcome(**o) for o in doc["outcomes"]], doc.get("seconds", 0.0))


def prune_cache(cache_dir: Path, now: float | None = None) -> int:
    """Drop verdicts nobody picked up (files refused or found duplicate later) and stale temp files."""
    if not cache_dir.is_dir():
        return 0
    cutoff, dropped = (now or time.time()) - CACHE_MAX_AGE.total_seconds(), 0
    for f in cache_dir.iterdir():
        if f.stat().st_mtime < cutoff or (f.name.endswith(".tmp") and f.stat().st_mtime < cutoff + 3600):
            f.unlink(missing_ok=True)
            dropped += 1
    return dropped


def verdict_for(kind: str, df: pd.DataFrame, params: dict[str, datetime],
                cache_dir: Path | None) -> Verdict:
    """The cached verdict for exactly these rows and parameters, else a fresh validation."""
    key = verdict_key(kind, df, params)
    cached = load_verdict(cache_dir, key)
    if cached is not None:
        logger.info("submission gate: verdict for %s rows found in the batch cache", len(df))
        return cached
    return validate(kind, df, params, key)


# --------------------------------------------------------------------------- outcomes -> effects
def records(verdict: Verdict, ctx: Context, checked_at: datetime) -> list[ExpectationRecord]:
    """One quality-store row per expectation."""
    from ..audit.runner import ExpectationRecord

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


# --------------------------------------------------------------------------- ingest's hook
@dataclass
class Staged:
    """A file's staged rows as the batch gate takes them (``stage_input``)."""

    key: str
    kind: str
    params: dict[str, datetime]
    frame: pd.DataFrame | None   # None: too many rows to hold; the file is validated on its own


COLLECT_MAX_ROWS = 50_000   # larger files are validated on their own (fixed costs matter less)


def stage_input(writer: Any, receipt: Any, today: date) -> Staged:
    """A staged file as the batch gate takes it (``expectations.gate.batch``): its verdict
    key and, unless it is large, its typed rows."""
    ctx = _context(receipt, today)
    params = parameters(ctx)
    frame = next(_stage_frames(writer.con, True)) if writer.staged <= COLLECT_MAX_ROWS else None
    return Staged(stage_key(ctx.kind, writer.con, params), ctx.kind, params, frame)


def _context(receipt: Any, today: date) -> Context:
    return Context(kind=receipt.kind, city=receipt.city, department_code=receipt.department_code,
                   period_month=receipt.period_month, submission_id=receipt.submission_id,
                   source_file=receipt.source_file, run_id=receipt.run_id, today=today)


def gate_stage(writer: Any, header: Callable[[str], str], receipt: Any, today: date, paths: Any) -> list[Any]:
    """ingest.pipeline's hook, inside one file's transaction (``ingest.raw.load.FileLoad``), after
    ingest's own rules: validates the staged rows, removes the rows it quarantines from the stage
    and returns them (``ingest.rows.messages.Rejected``), raises FileRefused on a file-level failure.
    Its outcomes go to the quality store on a separate connection, so they are kept whether the
    file then loads or not (rewritten, not duplicated, if the same content comes again)."""
    from ingest.errors import FileRefused
    from ingest.rows.messages import Rejected

    from .. import store

    ctx = _context(receipt, today)
    cache_dir = paths.home / "quality" / "submission_gate"
    params = parameters(ctx)
    key = stage_key(ctx.kind, writer.con, params)
    verdict = load_verdict(cache_dir, key)
    if verdict is None:
        verdict = _validate_stage(ctx.kind, writer.con, params, key)
    else:
        logger.debug("submission gate: verdict for %s found in the batch cache", ctx.source_file)
    decision = decide(verdict, ctx, header, lambda rows: writer.con.execute(
        f"{_STAGE_ROWS} where list_contains(?, row_number) order by row_number", [rows]).df())
    _forget(cache_dir, decision.verdict.key)
    with writer.con.cursor() as side:  # its own transaction: kept even if the file is refused
        store.record_submission(side, ctx.submission_id, decision.records)
    if decision.refusal:
        raise FileRefused(*decision.refusal, file=ctx.source_file)
    if decision.quarantined:
        rows = [q[0] for q in decision.quarantined]
        writer._take(f"select row_number from {STAGE} where list_contains(?, row_number) order by row_number",
                     [rows])
    return [Rejected(*q) for q in decision.quarantined]


_STAGE_ROWS = f"select * exclude (row_number), row_number from {STAGE}"


def _validate_stage(kind: str, con: Any, params: dict[str, datetime], key: str) -> Verdict:
    """The staged rows' verdict: over their distinct values where that decides the same
    (``submission_distinct``), else chunk by chunk (row-wise suites) or whole."""
    from . import distinct as submission_distinct

    if (names := submission_distinct.columns(kind, con)) is not None:
        return submission_distinct.validate(kind, con, names, params, key)
    return validate_chunks(kind, _stage_frames(con, not chunkable(kind)), params, key)


def stage_key(kind: str, con: Any, params: dict[str, datetime]) -> str:
    """verdict_key for the staged rows, computed in DuckDB without fetching them: the suites'
    source, kind, parameters, column types, and order-independent sums of the rows' hashes
    (row numbers are unique, so no two rows cancel out)."""
    types = con.execute(f"describe {_STAGE_ROWS}").fetchall()
    columns = ", ".join(f'"{name}"' for name, *_ in types)
    count, xor, total = con.execute(f"select count(*), bit_xor(h), sum(h::hugeint) from "
                                    f"(select hash({columns}) as h from ({_STAGE_ROWS}))").fetchone()
    h = hashlib.sha256(_SUITES_SOURCE.read_bytes())
    h.update(json.dumps([kind, sorted((k, v.isoformat()) for k, v in params.items()),
                         [(t[0], t[1]) for t in types], count, str(xor), str(total)]).encode())
    return h.hexdigest()


def _stage_frames(con: Any, whole: bool) -> Iterator[pd.DataFrame]:
    """The staged rows in row order: one frame, or consecutive frames of about CHUNK_ROWS rows
    (always at least one, possibly empty, so that an empty stage is still validated)."""
    cursor = con.execute(f"{_STAGE_ROWS} order by row_number")
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


def _forget(cache_dir: Path, key: str) -> None:
    _cache_file(cache_dir, key).unlink(missing_ok=True)
