"""Great Expectations quality gate for the published marts.

Cheap to import: GX (and duckdb) are imported only when an audit runs.
"""

from .runner import (
    AuditFailed,
    AuditReport,
    ExpectationRecord,
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
    "raise_on_failure",
]
