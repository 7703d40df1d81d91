"""One file end to end: read, find the table, resolve metadata, validate, load, archive, receipt."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

from ingest import config, load, metadata, readers, registry as registry_mod
from ingest.errors import FileRefused
from ingest.layout import find_table
from ingest.receipt import Receipt, write_receipt
from ingest.validate import RowParser, validate

log = logging.getLogger(__name__)
_UNSAFE_NAME_RE = re.compile(r"[\x00-\x1f\x7f]|(^|/)\.\.(/|$)")
MAX_FILE_BYTES = 512 * 1024 * 1024


def discover(landing: Path) -> list[str]:
    """Files waiting in landing, oldest first, as paths relative to landing."""
    files = [p for p in landing.rglob("*") if p.is_file() and not p.name.startswith((".", "~$"))]
    files.sort(key=lambda p: (p.stat().st_mtime_ns, str(p)))
    return [p.relative_to(landing).as_posix() for p in files]


def ingest_file(rel: str, home: Path | None = None, run_id: str = "cli",
                today: dt.date | None = None) -> Receipt:
    """Ingest landing/<rel>. Refusals are outcomes (in the receipt), not exceptions."""
    paths = config.paths(home)
    source = paths.landing / rel
    data = source.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    now = dt.datetime.now()
    receipt = Receipt(receipt_id=str(uuid.uuid4()), run_id=run_id, source_file=rel, content_sha256=sha,
                      submission_id=sha[:16], received_at=now)
    con = load.connect(paths.raw_db)
    try:
        if load.already_loaded(con, receipt.submission_id):
            receipt.status, receipt.reason_code = "duplicate", "duplicate"
            receipt.message = f"该文件内容与已接收的报送 {receipt.submission_id} 完全相同,不重复入库"
            _finish(con, receipt, paths, source)
            return receipt
        try:
            table, records, submission = _parse(rel, source, data, receipt, today or dt.date.today())
        except FileRefused as refused:
            receipt.status, receipt.reason_code, receipt.message = "refused", refused.reason_code, refused.message
            receipt.submission_id = None
            _finish(con, receipt, paths, source)
            return receipt
        receipt.status = "accepted"
        receipt.archived_path = _archive(paths, source, rel, now, sha)
        submission["loaded_at"] = now
        load.write_submission(con, table.contract.table, submission, records, receipt.rejected,
                              receipt.ledger_row())
        _move(paths, source, receipt.archived_path)
    finally:
        con.close()
    write_receipt(paths.receipts, receipt)
    log.info("%s", receipt.text())
    return receipt


def _parse(rel: str, source: Path, data: bytes, receipt: Receipt, today: dt.date):
    if _UNSAFE_NAME_RE.search(rel):
        raise FileRefused("unsafe_file_name", "文件名含有控制字符或路径跳转,请重命名后重新提交", file=rel)
    if not data:
        raise FileRefused("empty_file", "文件为空", file=rel)
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused("file_too_large", "文件超过 512 MB,请拆分后提交", file=rel)
    reg = registry_mod.load()
    grids = readers.read(source, data)
    found = next(((g, t) for g in grids if (t := find_table(g)) is not None), None)
    if found is None:
        raise FileRefused("unknown_kind", "文件中找不到投资台账、志愿服务记录或问题整改台账的表头,不是可接收的报送文件",
                          file=rel)
    grid, table = found
    meta = metadata.resolve(rel, reg, table.contract.kind, table.preamble, grid.envelope)
    receipt.city, receipt.department_code, receipt.kind = meta.city, meta.department_code, meta.kind
    parser = RowParser(table, reg, meta.city, config.hash_key(), today)
    good, rejected = validate(parser)
    receipt.rows_in, receipt.rows_loaded, receipt.rows_quarantined = len(table.rows), len(good), len(rejected)
    receipt.rejected = rejected
    if not table.rows:
        raise FileRefused("no_rows", "文件有表头但没有数据行", file=rel)
    dates = [r[f] for _, r in good for f in table.contract.period_date_fields if r.get(f)]
    period = metadata.settle_period(meta, dates, rel)
    receipt.period_month = period
    if not good:
        raise FileRefused("no_valid_rows", f"全部 {len(rejected)} 行都未通过校验,文件未入库", file=rel)
    header = {"submission_id": receipt.submission_id, "source_file": rel, "sheet": table.sheet,
              "loaded_at": receipt.received_at, "city": meta.city, "department_code": meta.department_code,
              "period_month": period}
    records = [{**header, **record, "row_number": number} for number, record in good]
    submission: dict[str, Any] = {
        "submission_id": receipt.submission_id, "city": meta.city, "department_code": meta.department_code,
        "kind": meta.kind, "period_month": period, "source_file": rel, "file_format": source.suffix.lower().lstrip("."),
        "sheet": table.sheet, "encoding": grid.encoding, "submitted_at": _submitted_at(grid.envelope),
        "rows_in": receipt.rows_in, "rows_loaded": receipt.rows_loaded, "rows_quarantined": receipt.rows_quarantined}
    return table, records, submission


def _submitted_at(envelope: dict) -> dt.datetime | None:
    try:
        stamp = dt.datetime.fromisoformat(str(envelope["submitted_at"]))
    except (KeyError, ValueError):
        return None
    return stamp.astimezone(dt.timezone.utc).replace(tzinfo=None) if stamp.tzinfo else stamp


def _archive(paths: config.Paths, source: Path, rel: str, now: dt.datetime, sha: str) -> str:
    """Where the file goes once processed; nothing is deleted."""
    target = paths.archive / Path(rel).parent / f"{now:%Y%m%dT%H%M%S%f}-{sha[:8]}-{source.name}"
    return target.relative_to(paths.home).as_posix()


def _finish(con, receipt: Receipt, paths: config.Paths, source: Path) -> None:
    receipt.archived_path = _archive(paths, source, receipt.source_file, receipt.received_at, receipt.content_sha256)
    load.write_ledger(con, receipt.ledger_row())
    _move(paths, source, receipt.archived_path)
    write_receipt(paths.receipts, receipt)
    log.info("%s", receipt.text())


def _move(paths: config.Paths, source: Path, archived: str) -> None:
    target = paths.home / archived
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(source), str(target))
