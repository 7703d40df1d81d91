"""One error root. Terminal errors refuse a file (never retried); transient ones may be retried."""
from __future__ import annotations

import logging
from typing import Any

from ingest.rows.pii import redact

log = logging.getLogger(__name__)
# Errors a file's content can raise in code that did not foresee it (the environment raises
# OSError, duckdb.IOException and the like, which stay transient). Such a file is refused, not
# retried: its bytes will not change by trying again.
CONTENT_ERRORS = (ValueError, TypeError, IndexError, KeyError, AttributeError, ArithmeticError, RecursionError)


class IngestError(Exception):
    """Root of every ingest error. Carries where it happened. Its texts are redacted
    (ingest.rows.pii.redact): a message may quote a cell, a title row, a file or sheet name, or
    another exception's text, and it goes to receipts, the ledger, logs and notifications."""

    def __init__(self, message: str, *, file: str | None = None, sheet: str | None = None,
                 row: int | None = None, field: str | None = None, value: Any = None) -> None:
        message = redact(str(message))
        super().__init__(message)
        self.message = message
        self.file, self.sheet, self.field = (redact(t) if isinstance(t, str) else t for t in (file, sheet, field))
        self.row, self.value = row, redact(value) if isinstance(value, str) else value


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


def content_errors() -> tuple[type[BaseException], ...]:
    import duckdb
    return (*CONTENT_ERRORS, duckdb.DataError)     # a value DuckDB cannot convert or hold


def unforeseen(label: str, exc: BaseException) -> FileRefused:
    """A refusal for content no rule foresaw. The log names the error's type only: its message
    may quote a cell (an ID number)."""
    log.error("%s refused: %s while reading its content", label, type(exc).__name__)
    return FileRefused("unreadable_content", "文件内容无法识别(格式异常),已拒收;请用 Excel 重新保存或从系统重新导出后提交",
                       file=label)
