"""Byte-stable writers and the manifest entry shape."""
from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any, TypedDict


class BadRow(TypedDict):
    row: int        # xlsx/csv: 1-based row/line in the file; json: 1-based index in records
    reason: str


class FileEntry(TypedDict):
    path: str                   # relative to the landing root, '/'-separated
    kind: str | None
    city: str
    department_code: str
    period: str | None          # YYYY-MM
    format: str                 # xlsx | csv | json
    encoding: str | None
    rows: int
    bad_rows: list[BadRow]
    status: str                 # accepted | refused
    reason: str | None


def entry(landing: Path, path: Path, *, kind: str | None, city: str, department_code: str,
          period: str | None, fmt: str, encoding: str | None, rows: int,
          bad_rows: list[BadRow], status: str = "accepted", reason: str | None = None) -> FileEntry:
    return FileEntry(path=path.relative_to(landing).as_posix(), kind=kind, city=city,
                     department_code=department_code, period=period, format=fmt,
                     encoding=encoding, rows=rows, bad_rows=bad_rows, status=status, reason=reason)


def landing_path(landing: Path, city: str, folder: str, kind: str, name: str) -> Path:
    path = landing / city / folder / kind / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str,
              newline: str) -> None:
    """CSV quoted as Excel does (minimal), fixed line ending, given encoding."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def write_json(path: Path, doc: Any) -> None:
    """UTF-8 JSON, keys in insertion order, LF line endings, final newline."""
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    path.write_bytes(text.encode("utf-8"))


def yuan(wan: Decimal) -> str:
    """万元 amount as a yuan string with two decimals."""
    return f"{(wan * 10000).quantize(Decimal('0.01'))}"


def hours_text(h: Decimal) -> str:
    """Hours as a clerk types them: 3, 2.5, -2, 30."""
    return f"{h.normalize():f}"
