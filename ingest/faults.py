"""Which faults deserve a retry. A refused file, bad parameters, a misconfiguration or files of a
batch that already failed for good never do; a locked database file or a lost connection may
clear on its own."""
from __future__ import annotations

import re

from ingest.errors import ConfigError, FileRefused, FilesFailed, TransientError

_TRANSIENT_TEXT = re.compile(
    r"could not set lock|conflicting lock|database is locked|lock not available|lock_timeout"
    r"|could not connect|connection (refused|reset|timed out)|server closed the connection"
    r"|temporarily unavailable|could not translate host", re.IGNORECASE)


def is_transient(exc: BaseException) -> bool:
    """True for faults worth retrying: TransientError, OS-level connection faults, and any other
    error (dbt, DuckDB, psycopg2, HTTP) whose message or cause says lock or lost connection."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, TransientError | ConnectionError | TimeoutError):
            return True
        if isinstance(seen, FileRefused | ConfigError | FilesFailed):
            return False
        if _TRANSIENT_TEXT.search(str(seen)):
            return True
        seen = seen.__cause__
    return False
