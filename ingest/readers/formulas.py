"""Formula cells of a workbook package, and whether their cached values can be trusted.

A formula cell stores the formula and, optionally, the value it last calculated to (<v>). Excel,
WPS and LibreOffice calculate before saving, so their cached values are the figures the clerk
saw. openpyxl writes no value and xlsxwriter writes 0 unless told otherwise; both ask the reader
to recalculate on load (workbook.xml calcPr fullCalcOnLoad="1"), and both can claim to be
"Microsoft Excel" in docProps/app.xml. So a cached value counts only when the application that
wrote the file calculates and the workbook does not ask for a full recalculation; otherwise, or
when a formula has no cached value, the cell is `UNCALCULATED` and its row is quarantined.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

CALCULATING_APPS = re.compile(r"^\s*(Microsoft (Macintosh )?Excel|WPS|Kingsoft|LibreOffice|OpenOffice|NeoOffice)\s*",
                              re.IGNORECASE)
NON_CALCULATING = re.compile(r"openpyxl|xlsxwriter|compatible|rubyxl|closedxml|epplus|npoi|phpspreadsheet",
                             re.IGNORECASE)
_APPLICATION_RE = re.compile(rb"<(?:\w+:)?Application>([^<]*)<")
_FULL_CALC_RE = re.compile(rb"<(?:\w+:)?calcPr\b[^>]*\bfullCalcOnLoad=\"(?:1|true)\"")
_ANY_FORMULA_RE = re.compile(rb"<(?:\w+:)?f[\s>/]")
# a cell with a formula, and its cached value when it has one (formulas escape '<' as &lt;)
_FORMULA_CELL_RE = re.compile(
    rb"<(?:\w+:)?c\s[^>]*?\br=\"([A-Z]{1,3})([0-9]+)\"[^>]*(?<!/)>\s*"
    rb"<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)\s*(<(?:\w+:)?v>[^<]+)?")


def calculated(z: zipfile.ZipFile) -> bool:
    """Whether the cached values of this package's formulas were calculated by its writer."""
    names = set(z.namelist())
    if "docProps/app.xml" not in names or "xl/workbook.xml" not in names:
        return False
    m = _APPLICATION_RE.search(z.read("docProps/app.xml"))
    app = m.group(1).decode("utf-8", "replace") if m else ""
    if not CALCULATING_APPS.match(app) or NON_CALCULATING.search(app):
        return False
    return not _FULL_CALC_RE.search(z.read("xl/workbook.xml"))


def uncalculated_cells(package: Path, part: str | None) -> set[tuple[int, int]]:
    """(row number, 0-based column) of the sheet part's formula cells whose value cannot be
    used: every formula cell when the writer does not calculate, else those without a value."""
    if part is None:
        return set()
    with zipfile.ZipFile(package) as z:
        if part not in z.namelist():
            return set()
        xml = z.read(part)          # the package passed the inflation limits of safety.check_zip
        if not _ANY_FORMULA_RE.search(xml):
            return set()
        trusted = calculated(z)
    return {(int(m.group(2)), _column(m.group(1))) for m in _FORMULA_CELL_RE.finditer(xml)
            if not (trusted and m.group(3))}


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1
