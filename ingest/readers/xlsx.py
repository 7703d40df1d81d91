"""xlsx via calamine (Rust): whole sheets at once, no cell-by-cell Python."""
from __future__ import annotations

from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

from ingest.errors import FileRefused
from ingest.readers import Grid


def read(path: Path, data: bytes) -> list[Grid]:
    import io
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        grids = []
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
            grids.append(Grid(rows=[(i + 1, list(r)) for i, r in enumerate(rows)], sheet=name))
        return grids
    except (CalamineError, ValueError, OSError) as exc:
        raise FileRefused("unreadable_xlsx", f"Excel 文件无法打开(文件损坏或不是 xlsx 格式):{exc}",
                          file=str(path)) from None
