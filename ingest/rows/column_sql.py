"""Cell rules that run as SQL over a column's distinct values, one query per column and chunk, on
a parser's own connection to the process's in-memory DuckDB (never spilled to disk: raw values
pass through it, as registered frames only):
personal data (ingest.rows.personal_sql) and dates (ingest.rows.date_sql).

Texts the SQL can read as written (`_as_written`) go straight in (`column`); the caller checks
and normalises the others in Python (`prepared_text`: NFKC, digits of any script, numbers and
dates typed in a workbook) and rules them with the same SQL (`outcomes`). What comes back per
value is (value, None) or (None, reason code); the caller words the reason."""
from __future__ import annotations

import datetime as dt
import os
from typing import Any

import numpy as np

from ingest.files.layout import NumericText
from ingest.rows import date_sql, personal_sql
from ingest.rows.messages import RowError
from ingest.rows.values import BLANK_MARKS, MAX_CELL_CHARS, SERIALS, ascii_digits, clean_text

QUERIES = {**personal_sql.QUERIES, "date": date_sql.QUERY}
SQL_TYPES = tuple(QUERIES)
_BLANK_MARKS = sorted(BLANK_MARKS)
_DATABASE: dict[int, Any] = {}   # per process id: the process's in-memory database (opening one
                                 # costs ~9 ms a file); a forked child opens its own


def _database() -> Any:
    pid = os.getpid()
    if pid not in _DATABASE:
        import duckdb
        _DATABASE.clear()
        _DATABASE[pid] = duckdb.connect(config={"temp_directory": ""})
    return _DATABASE[pid]


class ColumnRules:
    """Runs the SQL cell rules over one column's distinct values at a time."""

    def __init__(self, key: bytes) -> None:
        ipad, opad = personal_sql.hmac_pads(key)
        self.key_params = {"ipad": ipad, "opad": opad}
        self._con: Any = None

    def outcomes(self, kind: str, texts: list[str], ready: list[bool],
                 params: dict[str, Any] | None = None) -> list[tuple[Any, str | None]]:
        """(value, error code) per text, in order."""
        if not texts:
            return []
        rows = self._run(f"select k, value, error from ({QUERIES[kind]}) order by k", texts, ready,
                         self._params(kind, params))
        return [(value, error) for _, value, error in rows]

    def column(self, kind: str, texts: list[str | None],
               params: dict[str, Any] | None = None) -> dict[int, tuple[Any, str | None]]:
        """{index: (value, error code)} for the texts of a column the rule reads as written
        (`_as_written`), in one query; the others (absent from the answer) are left to the caller
        to check and normalise."""
        at, taken, ready = _as_written(texts)
        if not len(at):
            return {}
        rows = self._run(QUERIES[kind], taken, ready, self._params(kind, params), at)
        return {k: (value, error) for k, value, error in rows}

    def _run(self, query: str, texts: Any, ready: Any, params: dict[str, Any], k: Any = None) -> list[tuple]:
        """`query` over the texts registered as `cells` (k, t, ready) on this parser's connection;
        k: each text's index (default: its position)."""
        import pyarrow as pa
        if self._con is None:
            self._con = _database().cursor()     # its own connection: what it registers is its own
        columns = {"k": pa.array(range(len(texts)), pa.int64()) if k is None else k,
                   "t": texts if isinstance(texts, pa.Array) else pa.array(texts, pa.string()),
                   "ready": ready if isinstance(ready, pa.Array) else pa.array(ready, pa.bool_())}
        self._con.register("cells", pa.table(columns))
        try:
            return self._con.execute(query, params).fetchall()
        finally:
            self._con.unregister("cells")

    def _params(self, kind: str, params: dict[str, Any] | None) -> dict[str, Any]:
        return self.key_params if kind == "id_number" else (params or {})


def _as_written(texts: list[str | None]) -> tuple[Any, Any, Any]:
    """The texts a rule may read as written, as Arrow arrays (index, text, ready): printable ASCII
    longer than any blank mark and not all spaces (ready false: the SQL cleans its spaces), or CJK
    unified ideographs alone that are no blank mark (NFKC leaves them as they are: ready true).
    Anything else (None included) is left to the caller to check and normalise. Done in Arrow
    before the query: as SQL it cost each query milliseconds of planning."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = pa.array(texts, pa.string())
    length = pc.utf8_length(t)
    ascii_text = pc.and_(pc.and_(pc.greater_equal(length, 7), pc.less_equal(length, MAX_CELL_CHARS)),
                         pc.match_substring_regex(t, "^[\\x20-\\x7e]*[\\x21-\\x7e][\\x20-\\x7e]*$"))
    ideographs = pc.and_(pc.and_(pc.less_equal(length, MAX_CELL_CHARS),
                                 pc.match_substring_regex(t, "^[\\x{4e00}-\\x{9fff}]+$")),
                         pc.invert(pc.is_in(t, value_set=pa.array(_BLANK_MARKS, pa.string()))))
    ready = pc.fill_null(ideographs, False)
    taken = pc.or_(pc.fill_null(ascii_text, False), ready)
    k = pa.array(np.flatnonzero(taken.to_numpy(zero_copy_only=False)), pa.int64())
    return k, t.take(k), ready.take(k)


def prepared_text(kind: str, raw: Any) -> tuple[str, bool]:
    """A cell as the text its SQL rule reads: (text, prepared). ASCII text goes as written (the
    SQL collapses its spaces); other text is normalised here (NFKC, digits of any script made
    ASCII); numbers and dates from a workbook or JSON become their text, or RowError when the cell
    cannot hold an ID number exactly (Excel keeps 15 significant digits of a number: an 18-digit
    ID typed as a number counts only from digits stored in full that no float could have produced)."""
    if type(raw) is str and raw.isascii():
        return raw, False
    if kind == "person_name":
        return clean_text(raw).replace(" ", ""), True
    if kind == "phone":
        return ascii_digits(clean_text(int(raw) if isinstance(raw, float) and raw.is_integer() else raw)), True
    if kind == "date":
        if isinstance(raw, (dt.date, dt.datetime)):
            return (raw.date() if isinstance(raw, dt.datetime) else raw).isoformat(), True
        if isinstance(raw, (int, float)):   # only a serial day number: 20220520 typed as a number is no date
            return (repr(raw) if SERIALS[0] <= raw <= SERIALS[1] else ""), True
        return ascii_digits(clean_text(raw)), True
    if isinstance(raw, float):
        raise RowError("id_not_text", "", "")
    if isinstance(raw, int):
        return str(raw), True
    text = ascii_digits(clean_text(raw)).replace(" ", "")
    if isinstance(raw, NumericText) and (not text.isdigit() or float(int(text)) == int(text)):
        raise RowError("id_not_text", "", "")
    return text, True
