"""CSV the project writes for people to open in Excel: every cell that Excel or WPS would read
as a formula ('=', '+', '-', '@', or a leading tab/CR) is escaped with a leading apostrophe,
so a value like =HYPERLINK(...) from a submission stays inert text."""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def escape_cell(value: Any) -> Any:
    """The value as a cell that cannot start a formula (plain numbers stay numbers)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def write_csv(path: Path, header: list[str], rows: Iterable[Iterable[Any]]) -> Path:
    """UTF-8 with BOM (so Excel on Chinese Windows shows the characters), CRLF, escaped cells."""
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow([escape_cell(h) for h in header])
        writer.writerows([escape_cell(c) for c in row] for row in rows)
    return path
