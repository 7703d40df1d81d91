"""One reader per format: bytes -> a Grid (cells with the row numbers a clerk sees)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.errors import FileRefused

Cell = Any
# (row number as the clerk sees it, cells)
Row = tuple[int, list[Cell]]


@dataclass
class Grid:
    """A sheet-like view of a file before its header is found."""
    rows: list[Row]
    sheet: str | None = None
    encoding: str | None = None
    envelope: dict[str, Any] = field(default_factory=dict)   # JSON export metadata
    headers: list[str] | None = None                          # set when the format names columns


def read(path: Path, data: bytes) -> list[Grid]:
    """Candidate grids of a file (an xlsx yields one per sheet)."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from ingest.readers import xlsx
        return xlsx.read(path, data)
    if suffix in (".csv", ".txt"):
        from ingest.readers import csv as csv_reader
        return [csv_reader.read(path, data)]
    if suffix == ".json":
        from ingest.readers import json as json_reader
        return [json_reader.read(path, data)]
    raise FileRefused("unsupported_format", f"不支持的文件格式“{path.suffix}”,请提交 xlsx、csv 或 json 文件",
                      file=str(path))
