"""The bodies of the campaign_ingest DAG's tasks, in plain Python (the DAG file only wires them).

check_params -> discover (files in batches) -> load_batch (one per batch; each file in turn)
-> announcement (one per kind) -> report.
Refused files are outcomes recorded in receipts; only operational faults fail a task.

How a batch is packed, staged, gated and loaded, and what a fault inside it does: docs/airflow.md
("Inside a batch").
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable

from ingest import config
from ingest.lock import home_lock
from flows import notify
from ingest.files.safety import display_name
from ingest.rows.pii import redact
from ingest.errors import FilesFailed
from ingest.contracts import KINDS
from ingest.slices import from_dict, parse_slice, select

log = logging.getLogger(__name__)
LABEL_CHARS = 250   # Airflow keeps a mapped task's name in a 250-character column


def batch_limits() -> tuple[int, int]:
    """(files, bytes) per batch, from CAMPAIGN_INGEST_BATCH_FILES and CAMPAIGN_INGEST_BATCH_MB."""
    files = int(os.environ.get("CAMPAIGN_INGEST_BATCH_FILES", "100"))
    megabytes = float(os.environ.get("CAMPAIGN_INGEST_BATCH_MB", "64"))
    return max(1, files), max(1, int(megabytes * 2**20))


def check_params(params: dict[str, Any]) -> dict[str, Any]:
    """The run's slice, checked against the registry (BadParam names a refused value)."""
    sl = parse_slice({k: v for k, v in params.items()})
    log.info("run slice: %s%s", sl.describe(), " (full refresh)" if sl.full_refresh else "")
    return sl.to_dict()


def discover(home: str | Path, slice_doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Batches of the files waiting in landing inside the slice (see the module doc), each file
    numbered in loading order for progress logs."""
    from ingest.pipeline import clear_snapshots, discover as waiting
    from warehouse import target

    sl = from_dict(slice_doc)
    landing = config.paths(home).landing
    if target.parallel_ingest(target.current()):    # no batch of this home running: max_active_runs=1
        with home_lock(config.paths(home), "ingest discover"):
            clear_snapshots(config.paths(home))
    chosen, left = select(waiting(landing), sl, Path(home))
    log.info("%d file(s) waiting in the slice (%s); %d other file(s) left in landing",
             len(chosen), sl.describe(), len(left))
    for rel in left:
        log.info("  left for another run: %s", display_name(rel))
    batches = plan_batches(chosen, landing, *batch_limits())
    log.info("%d batch(es): %s", len(batches), ", ".join(str(len(b)) for b in batches))
    total, out, n = len(chosen), [], 0
    for files in batches:
        items = []
        for rel in files:
            n += 1
            items.append({"rel": display_name(rel), "n": n, "of": total, **_inode(landing, rel)})
        out.append({"files": items, "label": batch_label([display_name(rel) for rel in files])})
    return out


def _inode(landing: Path, rel: str) -> dict[str, int]:
    """Batches travel through the Airflow database (XCom, task labels), so they name files by
    display name: a name with a personal number in it is masked, and the file is found again by
    its inode (``located``)."""
    return {"inode": (landing / rel).lstat().st_ino} if display_name(rel) != rel else {}


def located(item: dict[str, Any], landing: Path) -> str:
    """The landing path of a batch's file: its listed name, or the waiting file whose masked name
    and inode the item gives (else the listed name: a file gone from landing)."""
    if "inode" not in item:
        return item["rel"]
    from ingest.pipeline import discover as waiting

    return next((rel for rel in waiting(landing) if display_name(rel) == item["rel"]
                 and (landing / rel).lstat().st_ino == item["inode"]), item["rel"])


def plan_batches(rels: list[str], landing: Path, max_files: int, max_bytes: int) -> list[list[str]]:
    """Files (in arrival order) packed into batches; one department's kind is never split unless
    it alone exceeds a batch, and then only in arrival order."""
    from ingest import registry as registry_mod
    from ingest.slices import path_slice

    reg = registry_mod.load()
    groups: dict[tuple[str | None, ...], list[tuple[str, int]]] = {}
    for rel in rels:
        key = path_slice(rel, reg)
        if key == (None, None, None):
            key = (str(PurePosixPath(rel).parent),)  # a folder the registry does not know: by folder
        groups.setdefault(key, []).append((rel, _size(landing / rel)))
    batches: list[list[str]] = []
    current: list[str] = []
    used = 0
    for group in groups.values():
        if current and (len(current) + len(group) > max_files or used + sum(s for _, s in group) > max_bytes):
            batches.append(current)
            current, used = [], 0
        for rel, size in group:
            if current and (len(current) >= max_files or used + size > max_bytes):
                batches.append(current)
                current, used = [], 0
            current.append(rel)
            used += size
    if current:
        batches.append(current)
    return batches


def _size(path: Path) -> int:
    try:
        return path.lstat().st_size
    except OSError:
        return 0


def batch_label(rels: list[str]) -> str:
    """How the batch's task is named in the UI: its first and last file."""
    label = rels[0] if len(rels) == 1 else f"{rels[0]} .. {rels[-1]} ({len(rels)} files)"
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"


def files_of(batches: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for batch in batches for item in batch["files"]]


def load_batch(batch: dict[str, Any], home: str | Path, run_id: str,
               keep: Callable[[list[dict[str, Any]]], None]) -> list[dict[str, Any]]:
    """Ingest the batch's files on one connection in two passes (see the module doc): each file
    read and staged, nothing committed (a file refused by then is settled at once); the staged
    files' submission gate validated together; then each file, in arrival order, checked against
    what is loaded and loaded in its own transaction. `keep` receives the per-file results of
    every processed file, also when the batch then fails."""
    from ingest import pipeline
    from warehouse import target

    paths, today, name = config.paths(home), dt.date.today(), target.current()
    results: dict[int, dict[str, Any]] = {}
    failed: list[str] = []
    raw, parallel = None, target.parallel_ingest(name)
    try:   # raw.duckdb: one batch at a time; PostgreSQL: batches at once, none during a warehouse step
        with home_lock(paths, f"ingest batch {batch.get('label', '')} of run {run_id}", shared=parallel):
            if not parallel:
                pipeline.clear_snapshots(paths)     # on PostgreSQL: by discover, before any batch
            raw = target.raw_store(paths, name)
            _load_files(batch, paths, run_id, today, raw, results, failed)
    finally:
        if raw is not None:
            raw.close()
        keep([results[n] for n in sorted(results)])
    if failed:
        raise FilesFailed(f"{len(failed)} of {len(batch['files'])} file(s) failed: " + "; ".join(failed))
    return [results[n] for n in sorted(results)]


def _load_files(batch: dict[str, Any], paths: config.Paths, run_id: str, today: dt.date, con: Any,
                results: dict[int, dict[str, Any]], failed: list[str]) -> None:
    """The two passes of load_batch over its files, under the home lock."""
    from ingest import pipeline

    home = paths.home
    staged: list[tuple[dict[str, Any], pipeline.StagedFile, bool]] = []   # item, file, a copy of an earlier one
    staged_keys: set[tuple[Any, ...]] = set()                              # (bytes, city, department, kind) so far
    gate_inputs: list[Any] = []
    for item in batch["files"]:
        if (earlier := _finished_earlier(item, home, run_id)) is not None:
            results[item["n"]] = earlier
            continue
        log.info("file %s/%s: %s", item["n"], item["of"], item["rel"])
        failures = len(failed)
        rel = located(item, paths.landing)
        first = _guarded(item, failed, lambda: pipeline.begin(rel, paths, run_id, today, con))
        if isinstance(first, pipeline.StagedFile):
            gate_inputs += _gate_input(first, today)
            first.writer.park(str(item["n"]))
            r = first.receipt
            key = (r.content_sha256, r.city, r.department_code, r.kind)
            staged.append((item, first, key in staged_keys))
            staged_keys.add(key)
        elif first is not None:
            results[item["n"]] = _logged(item, first, paths)
        elif len(failed) == failures:
            log.info("file %s/%s: %s — no longer in landing (taken by another run): skipped",
                     item["n"], item["of"], item["rel"])
            results[item["n"]] = _gone(item["rel"])
    _gate_together(home, gate_inputs)
    for item, file, copy in staged:
        def settle(item=item, file=file, copy=copy):
            file.writer.unpark(str(item["n"]))
            return pipeline.complete(file, paths, today, recheck_duplicate=copy)
        if (receipt := _guarded(item, failed, settle)) is not None:
            results[item["n"]] = _logged(item, receipt, paths)


def _gone(rel: str) -> dict[str, Any]:
    """The result of a listed file that another run processed before this one could read it."""
    return {"file": rel, "status": "gone", "reason": None, "message": "taken by another run", "kind": None,
            "city": None, "department": None, "month": None, "submission_id": None, "loaded": 0,
            "quarantined": 0, "receipt": None}


def _guarded(item: dict[str, Any], failed: list[str], work: Callable[[], Any]) -> Any:
    """work(); a transient fault stops the batch (raised), any other failure is noted and the
    batch goes on (None)."""
    from ingest.faults import is_transient

    try:
        return work()
    except Exception as exc:
        if is_transient(exc):
            log.warning("file %s/%s: %s — transient fault, the batch stops here and is retried: %s",
                        item["n"], item["of"], item["rel"], redact(str(exc)))
            raise
        log.exception("file %s/%s: %s — failed", item["n"], item["of"], item["rel"])
        failed.append(f"{item['rel']}: {type(exc).__name__}: {redact(str(exc))}")
        return None


def _gate_input(file: Any, today: dt.date) -> list[Any]:
    """The staged file as the batch gate takes it ([] when the gate is off, or on a fault: the
    file is then validated on its own)."""
    from ingest import gate

    if not gate.enabled():
        return []
    try:
        return [gate.stage_input(file.writer, file.receipt, today)]
    except Exception:
        log.warning("%s: not validated with its batch", file.rel, exc_info=True)
        return []


def _gate_together(home: str | Path, inputs: list[Any]) -> None:
    """The submission gate's verdicts for the staged files in one go (a few GX runs per kind
    instead of one per file: ingest.gate.cache_verdicts). Only speed depends on it: a
    file without a cached verdict is validated on its own."""
    if len(inputs) < 2:
        return
    try:
        from ingest.gate import cache_verdicts
        cache_verdicts(home, inputs)
    except Exception:
        log.warning("batch validation failed; each file is validated on its own", exc_info=True)


def _logged(item: dict[str, Any], receipt: Any, paths: config.Paths) -> dict[str, Any]:
    """Log a settled file's outcome and receipt; its result for report and announce."""
    rel = item["rel"]
    receipt_path = _receipt_path(paths, rel, receipt.receipt_id)
    log.info("file %s/%s: %s — %s; receipt %s\n%s", item["n"], item["of"], rel, receipt.status,
             receipt_path, receipt.text())
    return _result(rel, receipt.to_json(), receipt_path)


def _result(rel: str, doc: dict[str, Any], receipt_path: Path | None) -> dict[str, Any]:
    """A file's result as report and announce take it, from its receipt (Receipt.to_json)."""
    return {"file": display_name(rel), "status": doc["status"], "reason": doc["reason_code"], "message": doc["message"],
            "kind": doc["kind"], "city": doc["city"], "department": doc["department_code"],
            "month": doc["period_month"], "submission_id": doc["submission_id"], "loaded": doc["rows_loaded"],
            "quarantined": doc["rows_quarantined"], "receipt": str(receipt_path) if receipt_path else None}


def _finished_earlier(item: dict[str, Any], home: str | Path, run_id: str) -> dict[str, Any] | None:
    """The result of a file an earlier try of this run already processed (it left landing and
    has a receipt of this run), else None."""
    from ingest.raw.receipt import receipt_dir
    from ingest.files.safety import display_name

    paths, rel = config.paths(home), item["rel"]
    source = paths.landing / rel
    if source.exists() or source.is_symlink():
        return None
    name = display_name(rel)
    for path in sorted(receipt_dir(paths.receipts, name).glob("*.json"), reverse=True):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if doc.get("run_id") == run_id and doc.get("source_file") == name:
            log.info("file %s/%s: %s — processed by an earlier try of this run: %s; receipt %s",
                     item["n"], item["of"], rel, doc["status"], path)
            return _result(rel, doc, path)
    return None


def _receipt_path(paths: config.Paths, rel: str, receipt_id: str) -> Path | None:
    from ingest.raw.receipt import receipt_dir
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


def report(batches: list[dict[str, Any]], receipts: Iterable[dict[str, Any] | None], run_id: str,
           slice_doc: dict[str, Any]) -> dict[str, Any]:
    """Counts per outcome, the files that failed (no result), and one notice about refusals/failures."""
    done = {r["file"]: r for r in receipts if r}
    failed = [i["rel"] for i in files_of(batches) if i["rel"] not in done]
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


__all__ = ["KINDS", "FilesFailed", "announcement", "check_params", "discover", "files_of", "load_batch", "report"]
