"""The bodies of the campaign_ingest DAG's tasks, in plain Python (the DAG file only wires them).

check_params -> discover -> load (one per file) -> announcement (one per kind) -> report.
Refused files are outcomes recorded in receipts; only operational faults fail a task.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Iterable

from ingest import config, notify
from ingest.slices import KINDS, from_dict, parse_slice, select

log = logging.getLogger(__name__)


def check_params(params: dict[str, Any]) -> dict[str, Any]:
    """The run's slice, checked against the registry (BadParam names a refused value)."""
    sl = parse_slice({k: v for k, v in params.items()})
    log.info("run slice: %s%s", sl.describe(), " (full refresh)" if sl.full_refresh else "")
    return sl.to_dict()


def discover(home: str | Path, slice_doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Files waiting in landing inside the slice, oldest first, numbered for progress logs."""
    from ingest.pipeline import discover as waiting

    sl = from_dict(slice_doc)
    chosen, left = select(waiting(config.paths(home).landing), sl, Path(home))
    log.info("%d file(s) waiting in the slice (%s); %d other file(s) left in landing",
             len(chosen), sl.describe(), len(left))
    for rel in left:
        log.info("  left for another run: %s", rel)
    return [{"rel": rel, "n": n, "of": len(chosen)} for n, rel in enumerate(chosen, 1)]


def load(item: dict[str, Any], home: str | Path, run_id: str) -> dict[str, Any]:
    """Ingest one file; log progress and its receipt. Refusals return normally."""
    from ingest.pipeline import ingest_file

    rel = item["rel"]
    log.info("file %s/%s: %s", item["n"], item["of"], rel)
    receipt = ingest_file(rel, Path(home), run_id=run_id)
    receipt_path = _receipt_path(config.paths(home), rel, receipt.receipt_id)
    log.info("file %s/%s: %s — %s; receipt %s\n%s", item["n"], item["of"], rel, receipt.status,
             receipt_path, receipt.text())
    return {"file": rel, "status": receipt.status, "reason": receipt.reason_code, "message": receipt.message,
            "kind": receipt.kind, "city": receipt.city, "department": receipt.department_code,
            "month": receipt.period_month.isoformat()[:7] if receipt.period_month else None,
            "submission_id": receipt.submission_id, "loaded": receipt.rows_loaded,
            "quarantined": receipt.rows_quarantined, "receipt": str(receipt_path) if receipt_path else None}


def _receipt_path(paths: config.Paths, rel: str, receipt_id: str) -> Path | None:
    from ingest.receipt import receipt_dir
    return next(iter(sorted(receipt_dir(paths.receipts, rel).glob(f"*-{receipt_id[:8]}.json"))), None)


def announcement(kind: str, receipts: Iterable[dict[str, Any] | None],
                 slice_doc: dict[str, Any]) -> dict[str, Any] | None:
    """The asset event's extra for `kind`: its new submissions in this run, or None when there
    are none — then no event is emitted and the warehouse is not rebuilt for it."""
    sl = from_dict(slice_doc)
    new = [{k: r[k] for k in ("submission_id", "city", "department", "month", "file")}
           for r in receipts if r and r["status"] == "accepted" and r["kind"] == kind]
    if not new:
        return None
    return {"kind": kind, "slice": slice_doc, "full_refresh": sl.full_refresh, "submissions": new}


def report(items: list[dict[str, Any]], receipts: Iterable[dict[str, Any] | None], run_id: str,
           slice_doc: dict[str, Any]) -> dict[str, Any]:
    """Counts per outcome, the files whose task failed, and one notice about refusals/failures."""
    done = {r["file"]: r for r in receipts if r}
    failed = [i["rel"] for i in items if i["rel"] not in done]
    counts = {s: sum(r["status"] == s for r in done.values()) for s in ("accepted", "refused", "duplicate")}
    counts["failed"] = len(failed)
    log.info("ingest run %s (%s): %s", run_id, from_dict(slice_doc).describe(), counts)
    refused = [r for r in done.values() if r["status"] == "refused"]
    if refused or failed:
        lines = [f"  退回 {r['file']}:{r['message']}(回执 {r['receipt']})" for r in refused]
        lines += [f"  失败 {rel}(任务失败,见任务日志)" for rel in failed]
        notify.send(notify.Notice(
            "files_refused" if not failed else "ingest_failed",
            f"入库结果 {run_id}:接收 {counts['accepted']},退回 {counts['refused']},失败 {counts['failed']} / "
            f"{counts['refused']} refused, {counts['failed']} failed", lines,
            {"run_id": run_id, "counts": counts, "refused": refused, "failed": failed},
            severity="error" if failed else "warning"))
    return {"counts": counts, "failed": failed, "kinds": sorted({r["kind"] for r in done.values() if r["kind"]})}


__all__ = ["KINDS", "announcement", "check_params", "discover", "load", "report"]
