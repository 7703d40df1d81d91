"""One error root. Terminal errors refuse a file (never retried); transient ones may be retried."""
from __future__ import annotations

from typing import Any


class IngestError(Exception):
    """Root of every ingest error. Carries where it happened."""

    def __init__(self, message: str, *, file: str | None = None, sheet: str | None = None,
                 row: int | None = None, field: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.file, self.sheet, self.row, self.field, self.value = file, sheet, row, field, value


class FileRefused(IngestError):
    """Terminal: the file is not an acceptable submission. `reason_code` is stable ASCII;
    the message is Chinese, for the department clerk."""

    def __init__(self, reason_code: str, message: str, **where: Any) -> None:
        super().__init__(message, **where)
        self.reason_code = reason_code


class Duplicate(IngestError):
    """Not an error of the file: the same bytes from the same city, department and kind were
    accepted before (`earlier`: that submission's id)."""

    def __init__(self, earlier: str) -> None:
        super().__init__(f"duplicate of {earlier}")
        self.earlier = earlier


class TransientError(IngestError):
    """Retry-able: a locked database file, a lost connection."""


class ConfigError(IngestError):
    """The deployment is misconfigured (e.g. no personal-data hash key)."""


class FilesFailed(IngestError):
    """Files of an ingest batch failed for good (never retried); the batch's other files were
    processed. Names each failed file and why."""
