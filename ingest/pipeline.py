"""One file end to end: guard, read, find the table, resolve metadata, validate, load, archive,
receipt. A refused file is an outcome recorded in its receipt and the ledger, never an exception;
only operational faults (a locked database, a missing key) raise.

In two halves for a batch (``flows.ingest_steps.load_batch``): ``begin`` reads and stages a
file, nothing committed; ``complete`` checks it against what is loaded, runs the submission
gate and loads it. ``ingest_file`` does both for one file."""
from __future__ import annotations

import datetime as dt
import logging
import os
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest import config, gate, readers, registry as registry_mod
from ingest.raw import history, load
from ingest.files import intake, metadata, safety
from ingest.files.intake import clear_snapshots, waiting  # noqa: F401  (callers take them from here)
from ingest.errors import ConfigError, Duplicate, FileRefused, content_errors, unforeseen
from ingest.files.layout import Table, choose
from ingest.raw.receipt import RECEIPT_ROWS, Receipt, write_receipt
from ingest.rows import rules
from ingest.rows.messages import Rejected, reject
from ingest.rows.validate import RowParser
from ingest.rows.values import Period

log = logging.getLogger(__name__)
MAX_FILE_BYTES = safety.MAX_FILE_BYTES


def discover(landing: Path) -> list[str]:
    """Files waiting in landing and settled (``intake.waiting``), oldest first, relative to landing."""
    return intake.waiting(landing)[0]


def ingest_file(rel: str, home: Path | str | None = None, run_id: str = "cli",
                today: dt.date | None = None, con=None) -> Receipt | None:
    """Ingest landing/<rel>. Refusals are outcomes (in the receipt), not exceptions. `con`: an
    open connection to the raw database to use, else one is opened and closed for this file.
    None: the file left landing before it was read (another run took it)."""
    paths, day = config.paths(home), today or dt.date.today()
    own = con is None
    con = con or load.connect(paths.raw_db)
    try:
        first = begin(rel, paths, run_id, day, con)
        return complete(first, paths, day) if isinstance(first, StagedFile) else first
    finally:
        if own:
            con.close()


@dataclass
class StagedFile:
    """A file read, checked and staged on its connection, nothing committed (``begin``);
    ``complete`` settles it. A batch stages all its files first, so that the submission gate
    can validate them together."""

    rel: str
    source: Path
    receipt: Receipt
    table: Table
    meta: Any
    parser: RowParser
    writer: load.FileLoad
    split: str | None
    registry: Any
    taken: intake.Taken | None = None
    raw: Any = None                 # the raw store that keeps it (ingest.raw.load.store)


def begin(rel: str, paths: config.Paths, run_id: str, today: dt.date, con) -> Receipt | StagedFile | None:
    """First half of a file's ingest: guard, read once into a private copy while hashing it,
    read, row rules, stage, duplicate check. A file refused by then, or a duplicate, is settled
    at once (archived, its receipt returned). None: the file left landing before it was read
    (another run took it), so there is nothing to say about it."""
    receipt = Receipt(receipt_id=str(uuid.uuid4()), run_id=run_id, source_file=safety.display_name(rel),
                      content_sha256="", submission_id=None, received_at=dt.datetime.now())
    landed = paths.landing / rel
    try:
        source = safety.check_name(rel, paths.landing)
        snap = safety.snapshot(source, intake.snapshot_dir(paths) / receipt.receipt_id, receipt.source_file)
        taken = intake.Taken(landed, snap)
    except FileRefused as refused:
        if refused.reason_code == "missing_file" and not os.path.lexists(landed) and intake.inside(rel):
            return None
        _refuse(receipt, refused)
        return _record(paths, receipt, intake.movable(paths.landing, rel), con)
    except FileNotFoundError:
        return None                     # gone between the name check and the reading
    except safety.InFlight:
        _refuse(receipt, FileRefused("file_changed_while_reading", "文件在读取过程中被改写(可能仍在上传或保存),"
                                     "本次未入库;文件留在接收目录,写完后会重新读取", file=receipt.source_file))
        return _record(paths, receipt, None, con)
    receipt.content_sha256, raw = taken.snap.sha256, load.store(con)
    try:
        return stage_file(raw.con, rel, taken.snap.path, receipt, today, paths, taken, raw)
    except Duplicate as dup:
        return _duplicate(con, receipt, taken, paths, dup.earlier)
    except FileRefused as refused:
        _refuse(receipt, refused)
        return _record(paths, receipt, taken, con)
    except Exception as exc:
        return _failed(paths, receipt, taken, con, exc)


def complete(staged: StagedFile, paths: config.Paths, today: dt.date, recheck_duplicate: bool = False) -> Receipt:
    """Second half: rules against what is loaded, the submission gate, the load in one
    transaction; then archive and receipt. recheck_duplicate: a file with the same bytes was
    staged before this one in the batch, and may have loaded since ``begin`` checked."""
    receipt, con = staged.receipt, staged.raw or load.store(staged.writer.con)
    if recheck_duplicate and (earlier := con.already_loaded(receipt.content_sha256, receipt.city,
                                                            receipt.department_code, receipt.kind)):
        staged.writer.abort()
        return _duplicate(con, receipt, staged.taken, paths, earlier)
    try:
        _settle_file(staged, today, paths, con)
    except Duplicate as dup:        # loaded by another worker since begin: found under the lock
        return _duplicate(con, receipt, staged.taken, paths, dup.earlier)
    except FileRefused as refused:
        _refuse(receipt, refused)
        return _record(paths, receipt, staged.taken, con)
    except Exception as exc:
        return _failed(paths, receipt, staged.taken, con, exc)
    intake.move(paths, staged.taken, receipt.archived_path)
    write_receipt(paths.receipts, receipt)
    log.debug("%s", receipt.text())   # the caller shows receipts (CLI output, task log)
    return receipt


def _failed(paths: config.Paths, receipt: Receipt, taken: intake.Taken | None, con, exc: Exception) -> Receipt:
    """A fault on this file's content (a value no rule expected) refuses the file, never retried
    nor stopping the others; faults of the environment (disk, configuration, locks) are raised."""
    import duckdb
    from ingest.faults import is_transient
    environment = (OSError, MemoryError, ConfigError, duckdb.IOException, duckdb.OutOfMemoryException)
    if isinstance(exc, environment) or is_transient(exc):
        intake.discard(taken)
        raise exc
    if isinstance(exc, content_errors()):
        _refuse(receipt, unforeseen(receipt.source_file, exc))
        return _record(paths, receipt, taken, con)
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f"{Path(frame.filename).name}:{frame.lineno}" if frame else "?"
    log.error("%s: %s at %s while ingesting; the file is refused (ingest_failed)", receipt.source_file,
              type(exc).__name__, where)   # type and place only: an error's message may repeat a cell
    _refuse(receipt, FileRefused("ingest_failed", f"处理文件时出现意外错误({type(exc).__name__}),文件未入库;"
                                 "运维人员已收到记录,修复后会通知重新提交", file=receipt.source_file))
    return _record(paths, receipt, taken, con)


def _duplicate(con, receipt: Receipt, taken: intake.Taken, paths: config.Paths, earlier: str) -> Receipt:
    receipt.status, receipt.reason_code, receipt.submission_id = "duplicate", "duplicate", earlier
    receipt.message = f"该文件内容与本单位已接收的报送 {earlier} 完全相同,不重复入库"
    return _record(paths, receipt, taken, con)


def _refuse(receipt: Receipt, refused: FileRefused) -> None:
    receipt.status, receipt.reason_code, receipt.message = "refused", refused.reason_code, refused.message
    receipt.submission_id = None
    receipt.rows_in = receipt.rows_loaded = receipt.rows_quarantined = receipt.rows_warned = 0
    receipt.parts = []


def stage_file(con, rel: str, source: Path, receipt: Receipt, today: dt.date, paths: config.Paths,
               taken: intake.Taken | None = None, raw: Any = None) -> StagedFile:
    """A file read, checked and staged on `con`, its period settled (nothing committed). Raises
    Duplicate when these bytes were accepted from the same city, department and kind before."""
    label = receipt.source_file
    table, meta, parser, writer, reg = stage_rows(con, rel, source, receipt, today)
    try:
        if earlier := (raw or load.store(con)).already_loaded(receipt.content_sha256, meta.city,
                                                              meta.department_code, meta.kind):
            raise Duplicate(earlier)
        receipt.submission_id = load.submission_id(receipt.content_sha256, meta.city, meta.department_code, meta.kind)
        receipt.rows_skipped = table.skipped
        if receipt.rows_found == 0:
            raise FileRefused("no_rows", "文件有表头但没有数据行", file=label)
        period = metadata.settle(meta, table.contract, writer.month_counts(table.contract.period_date_fields),
                                 parser.periods, label, today)
        receipt.period_label = period.label()
        split = table.contract.split_field if period.annual else None
        if split:
            _reject_outside_year(table, parser, writer, receipt, period)
        receipt.period_month = None if split else dt.date(period.year, period.month, 1)
        return StagedFile(rel, source, receipt, table, meta, parser, writer, split, reg, taken, raw)
    except BaseException:
        writer.abort()
        raise


def stage_rows(con, rel: str, source: Path, receipt: Receipt, today: dt.date, key: bytes | None = None):
    """Read a file, find its table and metadata, run the row rules and stage the rows on `con`:
    how ingest, the gate's prevalidation (ingest.batch) and ingest.slices.peek_month all stage a file.
    key: the personal-data key (default the configured one). Returns (table, metadata, parser,
    writer, registry)."""
    label = receipt.source_file
    reg = registry_mod.load()
    table = choose(readers.read(source, label), label)
    if table is None:
        raise FileRefused("unknown_kind", "文件中找不到投资台账、志愿服务记录或问题整改台账的表头"
                          "(如“项目编号”“身份证号”“问题编号”),不是可接收的报送文件", file=label)
    meta = metadata.resolve(rel, reg, table.contract.kind, table.preamble, table.grid.envelope,
                            table.grid.envelope_pairs)
    receipt.city, receipt.department_code, receipt.kind, receipt.sheet = \
        meta.city, meta.department_code, meta.kind, table.sheet
    parser = RowParser(table, reg, meta.city, key or config.hash_key(), today)
    writer = load.FileLoad(con, table.contract)
    try:
        _stage(table, parser, writer, receipt)
    except BaseException:
        writer.abort()
        raise
    return table, meta, parser, writer, reg


def _settle_file(staged: StagedFile, today: dt.date, paths: config.Paths, raw: Any) -> None:
    m, writer = staged.meta, staged.writer
    try:
        with raw.settling(writer, m.city, m.department_code, m.kind, staged.receipt.content_sha256,
                          staged.receipt.period_month) as loaded_at:
            staged.receipt.received_at = loaded_at or staged.receipt.received_at
            _load(staged, today, paths, raw)
    except BaseException:
        writer.abort()
        raise


def _load(staged: StagedFile, today: dt.date, paths: config.Paths, raw: Any) -> None:
    """History warnings, the submission gate, the load (inside the raw store's transaction)."""
    receipt, writer, parser, table, meta = staged.receipt, staged.writer, staged.parser, staged.table, staged.meta
    label, split = receipt.source_file, staged.split
    ctx = history.Context(writer, parser, staged.registry, meta.city, meta.department_code, receipt.period_month)
    _keep(writer, receipt, "warnings", history.warnings(ctx))
    _submission_gate(writer, parser, receipt, today, paths)
    if writer.staged == 0:
        raise FileRefused("no_valid_rows", f"全部 {receipt.rows_found} 行数据都未通过校验,文件未入库;"
                          "请按问题行清单修改后重新提交", file=label)
    receipt.rows_in, receipt.rows_loaded = receipt.rows_found, writer.staged
    receipt.rows_quarantined, receipt.rows_warned = writer.noted["refused"], writer.noted["warned"]
    receipt.archived_path = intake.archive_path(paths, staged.rel, receipt.received_at, receipt.content_sha256)
    submissions = _submissions(writer, receipt, staged.source, table, split)
    receipt.status = "accepted"
    header = {"submission_id": submissions[0]["submission_id"] if not split else receipt.submission_id,
              "source_file": label, "sheet": table.sheet, "loaded_at": receipt.received_at,
              "city": meta.city, "department_code": meta.department_code, "period_month": receipt.period_month}
    raw.finish(writer, header, submissions, split, receipt.ledger_row())
    receipt.supersedes = writer.superseded


def _submission_gate(writer: load.FileLoad, parser: RowParser, receipt: Receipt, today: dt.date,
                     paths: config.Paths) -> None:
    """The GX submission gate on the staged rows (ingest.gate): it may quarantine more rows or
    refuse the file."""
    if not gate.enabled():
        return
    _keep(writer, receipt, "rejected", gate.check(writer, parser.header, receipt, today, paths))
    receipt.rejected.sort(key=lambda r: r.row)


def _keep(writer: load.FileLoad, receipt: Receipt, kind: str, rows: list) -> None:
    """Note refused rows or warnings in the database; list the first ones in the receipt."""
    writer.note("refused" if kind == "rejected" else "warned", rows)
    listed = getattr(receipt, kind)
    listed.extend(rows[:max(RECEIPT_ROWS - len(listed), 0)])


def _stage(table: Table, parser: RowParser, writer: load.FileLoad, receipt: Receipt) -> None:
    """Every data row into the stage or the refused list, chunk by chunk; then rules across rows."""
    for chunk in table.data_chunks():
        good, bad = parser.parse_chunk(chunk)
        receipt.rows_found += len(chunk)
        writer.add(good)
        _keep(writer, receipt, "rejected", bad)
    refused, warned = rules.across_fields(writer, parser, table.contract)
    _keep(writer, receipt, "rejected", refused)
    _keep(writer, receipt, "warnings", warned)
    if (cut := table.grid.cut_record) is not None and writer.take_rows([cut]):
        _keep(writer, receipt, "rejected", [Rejected(cut, "(整行)", "", "truncated_record",
                                                     "文件最后一行没有换行符,可能在写入或传输中被截断,该行未入库;"
                                                     "请确认该行完整后重新提交整个文件")])
    for check in table.contract.checks:
        if check["rule"] == "unique":
            hits = writer.reject_duplicates(check["fields"])
            _keep(writer, receipt, "rejected", [reject(n, "duplicate_key", parser.header(check["fields"][0]), key)
                                                for n, key in hits])
        elif check["rule"] == "daily_hours_max":
            hits = writer.reject_daily_total(check["key"], check["date"], check["hours"], check["max"])
            _keep(writer, receipt, "rejected", [reject(n, "daily_hours_exceeded", parser.header(check["hours"]),
                                                       f"{total:f}") for n, total in hits])
    receipt.rejected.sort(key=lambda r: r.row)


def _reject_outside_year(table: Table, parser: RowParser, writer: load.FileLoad, receipt: Receipt,
                         period: Period) -> None:
    field = table.contract.split_field
    hits = writer.reject_outside(field, dt.date(period.year, 1, 1), dt.date(period.year, 12, 31))
    _keep(writer, receipt, "rejected", [reject(n, "outside_period", parser.header(field), day.isoformat(),
                                               allowed=period.label()) for n, day in hits])
    receipt.rejected.sort(key=lambda r: r.row)


def _submissions(writer: load.FileLoad, receipt: Receipt, source: Path, table: Table,
                 split: str | None) -> list[dict[str, Any]]:
    """The submission rows: one for a monthly file; one per month for an annual export (its refused
    rows counted with the first month's)."""
    common = {"city": receipt.city, "department_code": receipt.department_code, "kind": receipt.kind,
              "source_file": receipt.source_file, "file_format": source.suffix.lower().lstrip(".") or "unknown",
              "sheet": table.sheet, "encoding": table.grid.encoding, "loaded_at": receipt.received_at,
              "submitted_at": metadata.submitted_at(table.grid.envelope), "content_sha256": receipt.content_sha256}
    if not split:
        return [{**common, "submission_id": receipt.submission_id, "period_month": receipt.period_month,
                 "rows_in": receipt.rows_in, "rows_loaded": receipt.rows_loaded,
                 "rows_quarantined": receipt.rows_quarantined}]
    subs = []
    for i, (month, loaded) in enumerate(writer.months_of(split)):
        refused = receipt.rows_quarantined if i == 0 else 0
        subs.append({**common, "submission_id": f"{receipt.submission_id}-{month:%Y%m}", "period_month": month,
                     "rows_in": loaded + refused, "rows_loaded": loaded, "rows_quarantined": refused})
    receipt.parts = [s["submission_id"] for s in subs]
    return subs


def _record(paths: config.Paths, receipt: Receipt, source: intake.Taken | Path | None, con=None) -> Receipt:
    """Ledger, archive and receipt of a file that was not accepted."""
    if source is not None:
        receipt.archived_path = intake.archive_path(paths, receipt.source_file, receipt.received_at, receipt.content_sha256)
    own = con is None
    con = con or load.connect(paths.raw_db)
    try:
        load.store(con).write_ledger(receipt.ledger_row())
    finally:
        if own:
            con.close()
    if source is not None:
        intake.move(paths, source, receipt.archived_path)
    write_receipt(paths.receipts, receipt)
    log.debug("%s", receipt.text())   # the caller shows receipts (CLI output, task log)
    return receipt
