"""Workbooks (xlsx, xlsm, xlsb, xls, ods) via calamine (Rust): whole sheets at once, no
cell-by-cell Python. A zip package is checked for bombs and truncation before calamine sees it."""
from __future__ import annotations

import itertools
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from ingest.files import safety
from ingest.errors import FileRefused
from ingest.readers import CHUNK_ROWS, HEAD_ROWS, UNCALCULATED, Grid, Row
from ingest.readers.formulas import uncalculated_cells

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
_REF_RE = re.compile(r"^([A-Z]+)(\d+)$")


def _unreadable(label: str, exc: BaseException) -> FileRefused:
    return FileRefused("unreadable_xlsx", f"Excel 文件无法打开(文件损坏、已加密或不是 Excel 格式):{exc}",
                       file=label)


def read(path: Path, label: str) -> list[Grid]:
    with open(path, "rb") as f:
        is_zip = f.read(4) == b"PK\x03\x04"
    if is_zip:
        safety.check_zip(path, label)
    try:
        book = CalamineWorkbook.from_path(str(path))
        grids = [_grid(book, meta.name, meta.visible != SheetVisibleEnum.Visible, path if is_zip else None, label)
                 for meta in book.sheets_metadata if meta.typ == SheetTypeEnum.WorkSheet]
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # calamine errors, and pyo3 panics on malformed parts
        raise _unreadable(label, exc) from None
    if not grids:
        raise FileRefused("unreadable_xlsx", "Excel 文件中没有工作表", file=label)
    return grids


def _grid(book: CalamineWorkbook, name: str, hidden: bool, package: Path | None, label: str) -> Grid:
    sheet = book.get_sheet_by_name(name)
    head_cells = sheet.to_python(skip_empty_area=False, nrows=HEAD_ROWS)
    formulas = _formulas(package, name) if package else {}
    head = [_mark(i + 1, list(r), formulas) for i, r in enumerate(head_cells)]
    exact = (lambda cols: exact_numbers(package, name, cols)) if package else None
    return Grid(head=head, tail=_tail(sheet, len(head), label, formulas), sheet=name, hidden=hidden,
                merged=list(sheet.merged_cell_ranges or []), exact_text=exact)


def _formulas(package: Path, name: str) -> dict[int, list[int]]:
    """Row number -> columns of the formula cells whose cached value cannot be used."""
    with zipfile.ZipFile(package) as z:
        part = _sheet_part(z, name)
    out: dict[int, list[int]] = {}
    for row, col in uncalculated_cells(package, part):
        out.setdefault(row, []).append(col)
    return out


def _mark(number: int, cells: list, formulas: dict[int, list[int]]) -> Row:
    for col in formulas.get(number, ()):
        cells.extend([""] * (col + 1 - len(cells)))
        cells[col] = UNCALCULATED
    return number, cells


def _tail(sheet, skip: int, label: str, formulas: dict[int, list[int]]) -> Iterator[list[Row]]:
    """Rows after the head. calamine's iter_rows starts at the sheet's first used column,
    so cells are padded back to column A."""
    pad = [""] * (sheet.start[1] if sheet.start else 0)
    rows = ((n, pad + list(cells)) for n, cells in enumerate(sheet.iter_rows(), start=1) if n > skip)
    if formulas:
        rows = (_mark(n, cells, formulas) for n, cells in rows)
    while True:
        try:
            chunk = list(itertools.islice(rows, CHUNK_ROWS))
        except (KeyboardInterrupt, SystemExit, MemoryError):
            raise
        except BaseException as exc:  # a malformed part found while reading on
            raise _unreadable(label, exc) from None
        if not chunk:
            return
        yield chunk


def _sheet_part(z: zipfile.ZipFile, name: str) -> str | None:
    book = ElementTree.fromstring(z.read("xl/workbook.xml"))
    rid = next((s.get(f"{{{_NS['r']}}}id") for s in book.iterfind("m:sheets/m:sheet", _NS) if s.get("name") == name),
               None)
    rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = next((r.get("Target") for r in rels.iterfind("rel:Relationship", _NS) if r.get("Id") == rid), None)
    if target is None:
        return None
    return target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def exact_numbers(package: Path, sheet: str, columns: set[int]) -> dict[tuple[int, int], str]:
    """The stored text of every numeric cell in `columns` ((row number, 0-based column) ->
    text as written in the sheet XML, e.g. '110105194912310021' or '1.10105194912310E+17').
    calamine gives floats, which cannot hold 18 digits; the XML sometimes can."""
    out: dict[tuple[int, int], str] = {}
    with zipfile.ZipFile(package) as z:
        part = _sheet_part(z, sheet)
        if part is None:
            return out
        with z.open(part) as f:
            for _, el in ElementTree.iterparse(f):
                if el.tag != f"{{{_NS['m']}}}c":
                    continue
                m = _REF_RE.match(el.get("r") or "")
                if m and el.get("t") in (None, "n") and _column_index(m.group(1)) in columns:
                    v = el.find("m:v", _NS)
                    if v is not None and v.text:
                        out[(int(m.group(2)), _column_index(m.group(1)))] = v.text
                el.clear()
    return out
