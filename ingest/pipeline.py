"""One file end to end: guard, read, find the table, resolve metadata, validate, load, archive,
receipt. A refused file is an outcome recorded in its receipt and the ledger, never an exception;
only operational faults (a locked database, a missing key) raise.

In two halves for a batch (``flows.ingest_steps.load_batch``): ``begin`` reads and stages a
file, nothing committed; ``complete`` checks it against what is loaded, runs the submission
gate and loads it. ``ingest_file`` does both for one file."""
from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ingest import config, gate, readers, registry as registry_mod
from ingest.raw import history, load
from ingest.files import metadata, safety
from ingest.errors import FileRefused, IngestError, content_errors, unforeseen
from ingest.files.layout import Table, choose
from ingest.raw.receipt import RECEIPT_ROWS, Receipt, write_receipt
from ingest.rows.messages import reject
from ingest.rows.validate import RowParser
from ingest.rows.values import Period

log = logging.getLogger(__name__)
MAX_FILE_BYTES = safety.MAX_FILE_BYTES
_ARCHIVE_UNSAFE_RE = re.compile(r"[\x00-\x1f\x7f\\]")


def discover(landing: Path) -> list[str]:
    """Files waiting in landing, oldest first, as paths relative to landing."""
    if not landing.exists():
        return []
    files = [p for p in landing.rglob("*") if (p.is_file() or p.is_symlink())
             and not p.name.startswith((".", "~$"))]
    files.sort(key=lambda p: (p.lstat().st_mtime_ns, str(p)))
    return [p.relative_to(landing).as_posix() for p in files]


def ingest_file(rel: str, home: Path | str | None = None, run_id: str = "cli",
                today: dt.date | None = None, con=None) -> Receipt:
    """Ingest landing/<rel>. Refusals are outcomes (in the receipt), not exceptions. `con`: an
    open connection to the raw database to use, else one is opened and closed for this file."""
    paths, day = config.paths(home), today or dt.date.today()
    own = con is None
    con = con or load.connect(paths.raw_db)
    try:
        first = begin(rel, paths, run_id, day, con)
        return first if isinstance(first, Receipt) else complete(first, paths, day)
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


def begin(rel: str, paths: config.Paths, run_id: str, today: dt.date, con) -> Receipt | StagedFile:
    """First half of a file's ingest: guard, hash, duplicate check, read, row rules, stage. A
    file refused by then, or a duplicate, is settled at once (archived, its receipt returned)."""
    receipt = Receipt(receipt_id=str(uuid.uuid4()), run_id=run_id, source_file=safety.display_name(rel),
                      content_sha256="", submission_id=None, received_at=dt.datetime.now())
    try:
        source = safety.check_name(rel, paths.landing)
    except FileRefused as refused:
        _refuse(receipt, refused)
        return _record(paths, receipt, _movable(paths.landing, rel), con)
    receipt.content_sha256 = safety.sha256_file(source)
    if (duplicate := _duplicate(con, receipt, source, paths)) is not None:
        return duplicate
    receipt.submission_id = receipt.content_sha256[:16]
    try:
        safety.check_size(source, receipt.source_file)
        return stage_file(con, rel, source, receipt, today, paths)
    except FileRefused as refused:
        _refuse(receipt, refused)
        return _record(paths, receipt, source, con)
    except content_errors() as exc:
        _refuse(receipt, unforeseen(receipt.source_file, exc))
        return _record(paths, receipt, source, con)


def complete(staged: StagedFile, paths: config.Paths, today: dt.date, recheck_duplicate: bool = False) -> Receipt:
    """Second half: rules against what is loaded, the submission gate, the load in one
    transaction; then archive and receipt. recheck_duplicate: a file with the same bytes was
    staged before this one in the batch, and may have loaded since ``begin`` checked."""
    receipt, con = staged.receipt, staged.writer.con
    if recheck_duplicate and (duplicate := _duplicate(con, receipt, staged.source, paths)) is not None:
        staged.writer.abort()
        return duplicate
    try:
        _settle_file(staged, today, paths)
    except FileRefused as refused:
        _refuse(receipt, refused)
        return _record(paths, receipt, staged.source, con)
    except content_errors() as exc:
        _refuse(receipt, unforeseen(receipt.source_file, exc))
        return _record(paths, receipt, staged.source, con)
    _move(paths, staged.source, receipt.archived_path)
    write_receipt(paths.receipts, receipt)
    log.debug("%s", receipt.text())   # the caller shows receipts (CLI output, task log)
    return receipt


def _duplicate(con, receipt: Receipt, source: Path, paths: config.Paths) -> Receipt | None:
    earlier = load.already_loaded(con, receipt.content_sha256)
    if not earlier:
        return None
    receipt.status, receipt.reason_code, receipt.submission_id = "duplicate", "duplicate", earlier
    receipt.message = f"该文件内容与已接收的报送 {earlier} 完全相同,不重复入库"
    return _record(paths, receipt, source, con)


def _movable(landing: Path, rel: str) -> Path | None:
    """A file refused for its name that may still go to the archive: one inside landing (a
    symlink is moved as a link, its target untouched). Paths that leave landing stay put."""
    if rel.startswith("/") or ".." in PurePosixPath(rel).parts:
        return None
    path = landing / rel
    return path if path.is_symlink() or path.is_file() else None


def _refuse(receipt: Receipt, refused: FileRefused) -> None:
    receipt.status, receipt.reason_code, receipt.message = "refused", refused.reason_code, refused.message
    receipt.submission_id = None
    receipt.rows_in = receipt.rows_loaded = receipt.rows_quarantined = receipt.rows_warned = 0
    receipt.parts = []


def stage_file(con, rel: str, source: Path, receipt: Receipt, today: dt.date, paths: config.Paths) -> StagedFile:
    """A file read, checked and staged on `con`, its period settled (nothing committed)."""
    label = receipt.source_file
    table, meta, parser, writer, reg = stage_rows(con, rel, source, receipt, today)
    try:
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
        return StagedFile(rel, source, receipt, table, meta, parser, writer, split, reg)
    except BaseException:
        writer.abort()
        raise


def stage_rows(con, rel: str, source: Path, receipt: Receipt, today: dt.date, key: bytes | None = None):
    """Read a file, find its table and metadata, run the row rules and stage the rows on `con`:
    how ingest, the gate's prevalidation (ingest.batch) and peek_month all stage a file.
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


def _settle_file(staged: StagedFile, today: dt.date, paths: config.Paths) -> None:
    receipt, writer, parser, table, meta = staged.receipt, staged.writer, staged.parser, staged.table, staged.meta
    label, split = receipt.source_file, staged.split
    try:
        ctx = history.Context(writer, parser, staged.registry, meta.city, meta.department_code, receipt.period_month)
        _keep(writer, receipt, "warnings", history.warnings(ctx))
        _submission_gate(writer, parser, receipt, today, paths)
        if writer.staged == 0:
            raise FileRefused("no_valid_rows", f"全部 {receipt.rows_found} 行数据都未通过校验,文件未入库;"
                              "请按问题行清单修改后重新提交", file=label)
        receipt.rows_in, receipt.rows_loaded = receipt.rows_found, writer.staged
        receipt.rows_quarantined, receipt.rows_warned = writer.noted["refused"], writer.noted["warned"]
        receipt.archived_path = _archive_path(paths, staged.rel, receipt)
        submissions = _submissions(writer, receipt, staged.source, table, split)
        receipt.status = "accepted"
        header = {"submission_id": submissions[0]["submission_id"] if not split else receipt.submission_id,
                  "source_file": label, "sheet": table.sheet, "loaded_at": receipt.received_at,
                  "city": meta.city, "department_code": meta.department_code, "period_month": receipt.period_month}
        writer.finish(header, submissions, split, receipt.ledger_row())
        receipt.supersedes = writer.superseded
    except BaseException:
        writer.abort()
        raise


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
        good, bad, warned = parser.parse_chunk(chunk)
        receipt.rows_found += len(chunk)
        writer.add(good)
        _keep(writer, receipt, "rejected", bad)
        _keep(writer, receipt, "warnings", warned)
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
              "submitted_at": _submitted_at(table.grid.envelope), "content_sha256": receipt.content_sha256}
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


def _submitted_at(envelope: dict) -> dt.datetime | None:
    try:
        stamp = dt.datetime.fromisoformat(str(envelope["submitted_at"]))
    except (KeyError, ValueError):
        return None
    return stamp.astimezone(dt.timezone.utc).replace(tzinfo=None) if stamp.tzinfo else stamp


def _archive_path(paths: config.Paths, rel: str, receipt: Receipt) -> str:
    """Where the file goes once processed (nothing is deleted); personal numbers and control
    characters never reach the stored name."""
    safe = _ARCHIVE_UNSAFE_RE.sub("_", safety.display_name(rel))
    parent = Path(safe).parent if ".." not in Path(safe).parts else Path("_unsafe")
    name = f"{receipt.received_at:%Y%m%dT%H%M%S%f}-{(receipt.content_sha256 or 'nohash')[:8]}-{Path(safe).name}"
    return (paths.archive.relative_to(paths.home) / parent / name).as_posix()


def _record(paths: config.Paths, receipt: Receipt, source: Path | None, con=None) -> Receipt:
    """Ledger, archive and receipt of a file that was not accepted."""
    if source is not None:
        receipt.archived_path = _archive_path(paths, receipt.source_file, receipt)
    own = con is None
    con = con or load.connect(paths.raw_db)
    try:
        load.write_ledger(con, receipt.ledger_row())
    finally:
        if own:
            con.close()
    if source is not None:
        _move(paths, source, receipt.archived_path)
    write_receipt(paths.receipts, receipt)
    log.debug("%s", receipt.text())   # the caller shows receipts (CLI output, task log)
    return receipt


def _move(paths: config.Paths, source: Path, archived: str | None) -> None:
    if archived is None:
        return
    target = paths.home / archived
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(source), str(target))


def peek_month(source: Path, rel: str) -> str | None:
    """The reporting month (YYYY-MM; YYYY for an annual export) ingest would settle for a file
    in landing, without loading it (staged on a scratch database); None when it cannot be settled."""
    import duckdb

    receipt = Receipt(receipt_id="peek", run_id="peek", source_file=rel, content_sha256="",
                      submission_id=None, received_at=dt.datetime.now())
    try:
        with duckdb.connect() as con:
            con.execute(load.SCHEMA_SQL)
            table, meta, parser, writer, _ = stage_rows(con, rel, source, receipt, dt.date.today(), key=b"peek")
            period = metadata.settle(meta, table.contract, writer.month_counts(table.contract.period_date_fields),
                                     parser.periods, rel, dt.date.today())
            writer.abort()
        return str(period.year) if period.annual else f"{period.year}-{period.month:02d}"
    except (IngestError, OSError, ValueError) as exc:
        log.info("%s: month not settled (%s)", rel, exc)
        return None
