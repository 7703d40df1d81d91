"""Find the table in a grid: title rows above, the header, data rows, 合计 and footer lines below."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ingest.contracts import Contract, all_contracts
from ingest.readers import Grid
from ingest.values import clean_text

HEADER_SEARCH_ROWS = 15
_TOTAL_RE = re.compile(r"^(合计|总计|小计|累计合计)")
_FOOTER_RE = re.compile(r"^(填表人|填报人|审核人|负责人|联系电话|联系人|制表人|备注|说明)\s*[::]")


@dataclass
class Table:
    contract: Contract
    sheet: str | None
    preamble: list[str]                 # title-row texts, e.g. '填报单位:…', '单位:万元'
    headers: list[str]
    columns: dict[int, str]             # column index -> canonical field
    rows: list[tuple[int, list[Any]]]   # data rows only, with the clerk's row numbers
    skipped: int                        # 合计 / footer / blank rows, not data


def _blank(cells: list[Any]) -> bool:
    return all(clean_text(c) == "" for c in cells)


def _non_data(cells: list[Any]) -> bool:
    first = next((clean_text(c) for c in cells if clean_text(c) != ""), "")
    return bool(_TOTAL_RE.match(first) or _FOOTER_RE.match(first))


def _score(headers: list[str]) -> tuple[int, Contract | None]:
    best: tuple[int, Contract | None] = (0, None)
    for contract in all_contracts().values():
        mapped = set(contract.map_headers(headers).values())
        if set(contract.required) <= mapped and len(mapped) > best[0]:
            best = (len(mapped), contract)
    return best


def find_table(grid: Grid) -> Table | None:
    """The table of a known kind in this grid, or None when no header row matches one."""
    if grid.headers is not None:
        candidates = [(0, grid.headers)]
    else:
        candidates = [(i, [clean_text(c) for c in cells])
                      for i, (_, cells) in enumerate(grid.rows[:HEADER_SEARCH_ROWS])]
    for index, headers in candidates:
        score, contract = _score(headers)
        if contract is None:
            continue
        body = grid.rows if grid.headers is not None else grid.rows[index + 1:]
        preamble = [clean_text(c) for _, cells in grid.rows[:index] for c in cells if clean_text(c)]
        data, skipped = [], 0
        for number, cells in body:
            if _blank(cells) or _non_data(cells):
                skipped += 1
                continue
            data.append((number, cells))
        return Table(contract, grid.sheet, preamble if grid.headers is None else [], headers,
                     contract.map_headers(headers), data, skipped)
    return None
