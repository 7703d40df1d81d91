"""Great Expectations quality gates: the submission gate (one file, before raw) and the mart
audit (the candidate warehouse, before publish), plus the quality store and audit certificates.

Cheap to import: GX (and duckdb) are imported only when a validation runs.
"""

from . import store
from .audit import certificate
from .store import ExpectationRecord
from .audit.runner import (
    AuditFailed,
    AuditReport,
    audit_warehouse,
    build_data_docs,
    raise_on_failure,
)

__all__ = [
    "AuditFailed",
    "AuditReport",
    "ExpectationRecord",
    "audit_warehouse",
    "build_data_docs",
    "certificate",
    "raise_on_failure",
    "store",
]
