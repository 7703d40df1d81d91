"""One reader per format: a file -> Grids (cells with the row numbers a clerk sees).

A Grid holds its first rows (`head`, where the header is looked for) and yields the rest
lazily in chunks, so a 2.7 M-row export never sits in memory as Python objects at once.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ingest.errors import FileRefused

Cell = Any
# (row number as the clerk sees it, cells)
Row = tuple[int, list[Cell]]
HEAD_ROWS = 30            # rows searched for the header (title rows + a two-row header fit)
CHUNK_ROWS = 20_000       # rows handed on at a time

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")


class Uncalculated:
    """A formula cell whose value the file does not hold: no cached result, or one written by a
    program that does not calculate (openpyxl, xlsxwriter: their cached value is 0 or empty)."""

    def __str__(self) -> str:
        return "(公式)"


UNCALCULATED = Uncalculated()


class Columns:
    """A chunk of rows held column by column, as a native reader hands them on: each record's
    number, and per column an Arrow text array (null where a cell is empty or the row short).
    Iterating gives Python rows, for the rare chunk a rule has to look at row by row."""

    def __init__(self, numbers: np.ndarray, columns: list[Any]) -> None:
        self.numbers, self.columns = numbers, columns

    def __len__(self) -> int:
        return len(self.numbers)

    def __iter__(self) -> Iterator[Row]:
        cells = zip(*(c.to_pylist() for c in self.columns)) if self.columns else iter(())
        return ((n, ["" if c is None else c for c in row]) for n, row in zip(self.numbers.tolist(), cells))

    def take(self, keep: np.ndarray) -> Columns:
        """The rows where `keep` (a boolean mask) is true."""
        import pyarrow as pa

        index = pa.array(np.flatnonzero(keep))
        return Columns(self.numbers[keep], [c.take(index) for c in self.columns])


@dataclass
class Grid:
    """A sheet-like view of a file before its header is found."""
    head: list[Row]
    tail: Iterable[list[Row] | Columns] = ()                  # later rows, in chunks, read once
    sheet: str | None = None
    encoding: str | None = None
    envelope: dict[str, Any] = field(default_factory=dict)   # JSON export metadata
    envelope_pairs: list[tuple[str, Any, str, Any]] = field(default_factory=list)  # keys meaning one thing
    headers: list[str] | None = None                          # set when the format names columns
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)  # 0-based
    hidden: bool = False
    # xlsx: the exact text of numeric cells in the given columns (IDs typed as numbers)
    exact_text: Callable[[set[int]], dict[tuple[int, int], str]] | None = None
    # text: the number of the last record when the file ends without a line end (known once read)
    cut_record: int | None = None
    # rows the reader refuses whatever their cells hold: row number -> (reason code, field)
    flagged: dict[int, tuple[str, str]] = field(default_factory=dict)

    def chunks(self, after: int = 0) -> Iterator[list[Row] | Columns]:
        """Every row after the first `after` head rows, in chunks."""
        rest = self.head[after:]
        if rest:
            yield rest
        yield from self.tail


def sniff(path: Path) -> str:
    """The format by content (clerks rename files), falling back to the suffix."""
    with open(path, "rb") as f:
        start = f.read(512)
    suffix = path.suffix.lower()
    if start.startswith(b"PK\x03\x04"):
        return "workbook"     # xlsx/xlsm/xlsb/ods are zip packages, whatever the name says
    if start.startswith(b"\xd0\xcf\x11\xe0"):
        return "workbook"     # xls (OLE2); also what an encrypted xlsx looks like
    lowered = start.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<html", b"<!doctype html", b"<table", b"<?xml")):
        return "html"
    if suffix in WORKBOOK_SUFFIXES:
        return "workbook"     # not a workbook by content: the reader refuses it clearly
    if suffix == ".json":
        return "json"
    if suffix in TEXT_SUFFIXES:
        return "text"
    return "unknown"


def read(path: Path, label: str) -> list[Grid]:
    """Candidate grids of a file (a workbook yields one per sheet). `label` names the file
    in messages."""
    kind = sniff(path)
    if kind == "workbook":
        from ingest.readers import xlsx
        return xlsx.read(path, label)
    if kind == "text":
        from ingest.readers import csv as csv_reader
        return [csv_reader.read(path, label)]
    if kind == "json":
        from ingest.readers import json as json_reader
        return [json_reader.read(path, label)]
    if kind == "html":
        raise FileRefused("html_not_excel", "文件是网页(HTML)格式,不是真正的 Excel 文件,"
                          "请用 Excel 打开后“另存为”xlsx 再提交", file=label)
    raise FileRefused("unsupported_format", f"不支持的文件格式“{path.suffix}”,请提交 xlsx、csv 或 json 文件",
                      file=label)
