"""Find the table in a grid: title rows above, a one- or two-row header (merged cells), a 序号
column, blank rows, 合计 rows and footer lines below; and the one sheet that matters."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from ingest.rows import pii
from ingest.contracts import Contract, all_contracts, header_key
from ingest.errors import FileRefused
from ingest.readers import Columns, Grid, Row
from ingest.rows.values import clean_text, unit_in

_TOTAL_RE = re.compile(r"^(合计|总计|小计|累计合计|总合计)")
_FOOTER_RE = re.compile(r"^(填表人|填报人|审核人|审核|负责人|单位负责人|分管领导|联系电话|联系人|制表人|制表日期|"
                        r"填报日期|报送日期|备注|说明|注)\s*[::]")
_NON_DATA_START = frozenset("合总小累填审负单分联制报备说注")
_SEQ_KEYS = frozenset({"序号", "序", "No", "NO", "No."})


@dataclass
class Table:
    contract: Contract
    grid: Grid
    preamble: list[str]                 # title-row texts, e.g. '填报单位:…', '单位:万元'
    headers: list[str]                  # each column's header as the clerk wrote it
    columns: dict[int, str]             # column index -> canonical field
    units: dict[int, Decimal | None]    # money unit named in a column's own or parent header
    start: int                          # index in grid.head of the first row under the header
    header_rows: int = 1
    seq_col: int | None = None
    skipped: int = 0                    # blank / 合计 / footer rows seen so far (not data)
    twice: list[tuple[int, int]] = field(default_factory=list)   # two columns naming one field
    _exact: dict[tuple[int, int], str] | None = field(default=None, repr=False)

    @property
    def sheet(self) -> str | None:
        return pii.redact(self.grid.sheet) if self.grid.sheet else self.grid.sheet

    @property
    def score(self) -> int:
        return len(self.columns)

    def data_chunks(self) -> Iterator[list[Row] | Columns]:
        """Data rows only, in chunks, with the clerk's row numbers. Read once."""
        state = _State(id_cols={i for i, n in self.columns.items() if self.contract.fields[n].type == "id_number"},
                       required=[i for i, n in self.columns.items() if self.contract.fields[n].required])
        quick = self.seq_col != 0
        exact = bool(state.id_cols and self.grid.exact_text)
        for chunk in self.grid.chunks(self.start):
            if isinstance(chunk, Columns):
                kept = self._columns(chunk, state)
                if len(kept):
                    yield kept
                continue
            if quick and not state.footer and all([
                    bool(cells) and type(first := cells[0]) is str and first != "" and not first[0].isspace()
                    and first[0] not in _NON_DATA_START for _, cells in chunk]):
                if exact:         # what _judge does to such a row
                    for number, cells in chunk:
                        self._exact_ids(number, cells, state.id_cols)
                yield chunk       # every row starts with data text: what _blank and _non_data say too
                continue
            out = [(number, cells) for number, cells in chunk if self._judge(number, cells, state)]
            if out:
                yield out

    def _judge(self, number: int, cells: list[Any], state: _State) -> bool:
        """Whether a row is data (blank, 合计 and footer rows are not; data below a footer is,
        flagged)."""
        if self._blank(cells):
            self.skipped += 1
            return False
        kind = _non_data(cells)
        if kind:
            state.footer = state.footer or kind == "footer"
            self.skipped += 1
            return False
        if state.footer:
            if not self._filled(cells, state.required):
                self.skipped += 1      # more footer text (a date, a signature)
                return False
            self.grid.flagged[number] = ("after_footer", "")    # data below the footer: never lost
        if state.id_cols and self.grid.exact_text:
            self._exact_ids(number, cells, state.id_cols)
        return True

    def _columns(self, chunk: Columns, state: _State) -> Columns:
        """A columnar chunk's data rows: rows whose first cells are plainly data text are told
        apart in Arrow; only the others (and every row after a footer) are judged row by row."""
        count = len(chunk)
        sure = np.zeros(count, dtype=bool) if state.footer else _plain(chunk, 0)
        if self.seq_col == 0:
            sure &= _plain(chunk, 1)            # a 序号 alone is a blank template row
        keep = sure.copy()
        suspects = np.flatnonzero(~sure)
        footer_at = None
        for k, (number, cells) in zip(suspects.tolist(), chunk.take(~sure)):
            was = state.footer
            keep[k] = self._judge(number, cells, state)
            if state.footer and not was:
                footer_at = k
        if footer_at is not None:           # rows after the footer taken as data above: judge them again
            again = sure & (np.arange(count) > footer_at)
            for k, (number, cells) in zip(np.flatnonzero(again).tolist(), chunk.take(again)):
                keep[k] = self._judge(number, cells, state)
        return chunk if keep.all() else chunk.take(keep)

    @property
    def rows(self) -> list[Row]:
        """All data rows at once (small files and previews only)."""
        return [row for chunk in self.data_chunks() for row in chunk]

    def _blank(self, cells: list[Any]) -> bool:
        """Nothing but spaces, or a template row with only its 序号 filled in."""
        for i, c in enumerate(cells):
            if c is None or c == "" or i == self.seq_col:
                continue
            if not isinstance(c, str) or c.strip():
                return False
        return True

    @staticmethod
    def _filled(cells: list[Any], columns: list[int]) -> bool:
        """Every one of `columns` holds something: a record, not a line of footer text."""
        return all(i < len(cells) and cells[i] is not None and str(cells[i]).strip() != "" for i in columns)

    def _exact_ids(self, number: int, cells: list[Any], id_cols: set[int]) -> None:
        """IDs Excel holds as numbers: the digits as stored in the sheet, when it stored them all."""
        for i in id_cols:
            if i < len(cells) and isinstance(cells[i], float):
                if self._exact is None:
                    self._exact = self.grid.exact_text(id_cols) if self.grid.exact_text else {}
                text = self._exact.get((number, i))
                if text is not None:
                    cells[i] = NumericText(text)


@dataclass
class _State:
    """What reading a table's rows carries from row to row."""
    id_cols: set[int]
    required: list[int]
    footer: bool = False


# a first character that is no data: nothing, white space, or what 合计 and footer lines start with
_NOT_PLAIN = sorted({""} | set(_NON_DATA_START) | {chr(c) for c in range(0x3001) if chr(c).isspace()})


def _plain(chunk: Columns, column: int) -> np.ndarray:
    """Rows whose cell in `column` starts with plain data text (what _blank and _non_data pass)."""
    if column >= len(chunk.columns):
        return np.zeros(len(chunk), dtype=bool)
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = chunk.columns[column]
    first = pc.utf8_slice_codeunits(cells, 0, 1)
    plain = pc.and_(pc.is_valid(cells), pc.invert(pc.is_in(first, value_set=pa.array(_NOT_PLAIN))))
    return pc.fill_null(plain, False).to_numpy(zero_copy_only=False)


class NumericText(str):
    """The stored text of a cell Excel typed as a number (so it may have lost digits)."""


def _non_data(cells: list[Any]) -> str | None:
    first = next((c for c in cells if c is not None and c != ""), None)
    if not isinstance(first, str):
        return None
    text = first.lstrip()
    if text[:1] not in _NON_DATA_START:
        return None
    text = clean_text(text).replace(" ", "")
    if _TOTAL_RE.match(text):
        return "total"
    return "footer" if _FOOTER_RE.match(text) else None


def _texts(cells: list[Any]) -> list[str]:
    return [clean_text(c) for c in cells]


def _two_row(top: list[str], bottom: list[str], row: int, merged: list) -> tuple[list[list[str]], list[str], list[str]]:
    """Candidates per column for a header spanning rows `row` and `row + 1` (0-based), the
    display names, and the parent cells (for units)."""
    width = max(len(top), len(bottom))
    top = top + [""] * (width - len(top))
    bottom = bottom + [""] * (width - len(bottom))
    for (r0, c0), (r1, c1) in merged:
        if r0 <= row <= r1 and c0 < width:
            for c in range(c0, min(c1, width - 1) + 1):
                top[c] = top[c] or top[c0]
    for c in range(1, width):
        if not top[c] and bottom[c] and top[c - 1] and bottom[c - 1]:
            top[c] = top[c - 1]      # an unmerged group title spreads over its sub-headers
    candidates = [[b, t + b, t] if b else [t] for t, b in zip(top, bottom)]
    return candidates, [b or t for t, b in zip(top, bottom)], top


def _best(candidates: list[list[str]] | list[str]) -> tuple[int, Contract | None, dict[int, str]]:
    best: tuple[int, Contract | None, dict[int, str]] = (0, None, {})
    for contract in all_contracts().values():
        mapped = contract.map_headers(candidates)
        if set(contract.required) <= set(mapped.values()) and len(mapped) > best[0]:
            best = (len(mapped), contract, mapped)
    return best


def find_table(grid: Grid) -> Table | None:
    """The table of a known kind in this grid, or None when no header matches one."""
    if grid.headers is not None:
        score, contract, mapped = _best(grid.headers)
        if contract is None:
            return None
        return Table(contract, grid, [], [pii.redact(h) for h in grid.headers], mapped,
                     {i: unit_in(grid.headers[i]) for i in mapped}, 0, twice=contract.twice(grid.headers, mapped))
    texts = [_texts(cells) for _, cells in grid.head]
    found: tuple[tuple[int, int, int], Table] | None = None
    for i, top in enumerate(texts):
        options = [(1, top, top, [""] * len(top))]
        if i + 1 < len(texts):
            options.append((2, *_two_row(top, texts[i + 1], i, grid.merged)))
        for rows, candidates, shown, parents in options:
            score, contract, mapped = _best(candidates)
            if contract is None:
                continue
            rank = (score, -rows, -i)
            if found is None or rank > found[0]:
                units = {c: unit_in(shown[c]) or (unit_in(parents[c]) if c < len(parents) else None) for c in mapped}
                seq = next((c for c, h in enumerate(shown) if header_key(h) in _SEQ_KEYS and c not in mapped), None)
                preamble = [pii.redact(t) for row in texts[:i] for t in row if t]   # shown in messages
                found = (rank, Table(contract, grid, preamble, [pii.redact(h) for h in shown], mapped, units,
                                     i + rows, rows, seq, twice=contract.twice(candidates, mapped)))
    return found[1] if found else None


def choose(grids: list[Grid], label: str) -> Table | None:
    """The one table that matters among a workbook's sheets: hidden sheets and sheets without a
    known header (instructions, dictionaries) are ignored; two candidate sheets are refused."""
    tables = [t for g in grids if (t := find_table(g)) is not None]
    if not tables:
        return None
    shown = [t for t in tables if not t.grid.hidden] or tables
    with_data = [t for t in shown if any(not t._blank(c) and not _non_data(c) for _, c in t.grid.head[t.start:])]
    pick = with_data or shown
    if len(pick) > 1:
        names = "、".join(f"“{t.sheet}”" for t in pick[:4])
        raise FileRefused("ambiguous_sheets", f"工作簿中有 {len(pick)} 个工作表都像是报送数据({names}),"
                          "无法确定报送哪一个:请删除或隐藏多余的工作表后重新提交", file=label)
    table = pick[0]
    if table.twice:
        a, b = table.twice[0]
        raise FileRefused("duplicate_header", f"表头中第 {a + 1} 列“{table.headers[a]}”和第 {b + 1} 列“{table.headers[b]}”"
                          "是同一项内容,无法确定以哪一列为准:请删除或改名其中一列后重新提交", file=label)
    return table
