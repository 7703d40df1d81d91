"""The awkward-file corpus: what departments really send, and what hostile input looks like.

Each Case writes its file(s) into a landing folder and states the exact outcome ingest must
reach: status, reason code, row counts, the refused rows, words the clerk's message must
contain, and (for loaded files) a check of the loaded values in the raw database.
`tests/ingest/test_corpus.py` runs one test per case and a reconciliation over all of them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.conftest import TEST_HASH_KEY
from tests.corpus import files as F

TODAY = dt.date(2026, 1, 1)
KEY = TEST_HASH_KEY.encode()  # tests/conftest.py sets CAMPAIGN_HASH_KEY to it
D = Decimal


def vkey(id_number: str) -> str:
    return hmac.new(KEY, id_number.upper().encode(), hashlib.sha256).hexdigest()


@dataclass
class Case:
    name: str
    rel: str                                        # landing path of the file the case is about
    build: Callable[[Path, str], None]              # writes the file(s) under landing
    status: str
    reason: str | None = None
    rows: tuple[int, int, int] | None = None        # rows_in, loaded, quarantined (ledger)
    quarantined: dict[int, str] | None = None       # exact: row -> reason code
    words: tuple[str, ...] = ()                     # must appear in the receipt message / text
    check: Callable[[Any, Any], None] | None = None  # (query(sql, params), receipt) -> asserts values
    today: dt.date = TODAY
    shared: bool = True                             # also part of the one-landing reconciliation


def data(content: bytes | Callable[[], bytes]) -> Callable[[Path, str], None]:
    return lambda landing, rel: F.put(landing, rel, content() if callable(content) else content)


CASES: list[Case] = []


def case(**kw: Any) -> None:
    CASES.append(Case(**kw))


def eq(got: Any, want: Any) -> None:
    assert got == want, f"got {got!r}, want {want!r}"


# The cases, in this order (each module appends to CASES when imported).
from tests.corpus import excel  # noqa: E402,F401
from tests.corpus import text  # noqa: E402,F401
from tests.corpus import meta  # noqa: E402,F401
from tests.corpus import rows  # noqa: E402,F401
from tests.corpus import cells  # noqa: E402,F401
