"""The audit certificate: which exact bytes of a warehouse file an audit passed (or failed).

Written beside the audited file as ``<file>.audit.json`` (atomically); publish checks it, so a
candidate is published only if an audit passed on exactly these bytes — not one changed after
the audit, not one whose audit failed or never finished. No GX import here.
"""
from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

PENDING = "pending"  # written when a candidate is built: it must be audited before publish


class NotCertified(Exception):
    """The file has no passing audit certificate for its current bytes."""


def path_for(db: Path) -> Path:
    return db.with_name(db.name + ".audit.json")


def digest(db: Path) -> str:
    with open(db, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def write(db: Path, run_id: str, status: str, failures: list[str] | None = None) -> Path:
    """Certify db's current bytes with status passed | failed | pending."""
    doc = {"file": db.name, "sha256": digest(db) if db.exists() else None, "size": db.stat().st_size
           if db.exists() else None, "run_id": run_id, "status": status, "failures": failures or [],
           "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    target = path_for(db)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, target)
    return target


def read(db: Path) -> dict[str, Any] | None:
    target = path_for(db)
    return json.loads(target.read_text(encoding="utf-8")) if target.exists() else None


def verify(db: Path) -> dict[str, Any]:
    """The certificate of db if it says passed for db's current bytes; else NotCertified."""
    doc = read(db)
    if doc is None:
        raise NotCertified(f"{db} has no audit certificate")
    if doc.get("status") != "passed":
        why = "; ".join(doc.get("failures") or []) or "audit not finished"
        raise NotCertified(f"{db}: audit of run {doc.get('run_id')} is {doc.get('status')}: {why}")
    if wal(db).exists():
        raise NotCertified(f"{db} has a write-ahead log ({wal(db).name}): it changed after the audit")
    if doc.get("sha256") != digest(db):
        raise NotCertified(f"{db} changed after the audit of run {doc.get('run_id')} (checksum differs)")
    return doc


def wal(db: Path) -> Path:
    return db.with_name(db.name + ".wal")
