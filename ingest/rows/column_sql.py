"""Cell rules that run as SQL over a column's distinct values, one query per column and chunk, on
a parser's own connection to the process's in-memory DuckDB (never spilled to disk: raw values
pass through it, as registered frames only):
personal data (ingest.rows.personal_sql) and dates (ingest.rows.date_sql).

Texts the SQL can read as written (sql_text.ROUTE) go straight in (`column`); the caller checks
and normalises the others in Python (`prepared_text`: NFKC, digits of any script, numbers and
dates typed in a workbook) and rules them with the same SQL (`outcomes`). What comes back per
value is (value, None) or (None, reason code); the caller words the reason."""
from __future__ import annotations

import datetime as dt
import os
from typing import Any

from ingest.files.layout import NumericText
from ingest.rows import date_sql, personal_sql
from ingest.rows.messages import RowError
from ingest.rows.sql_text import ROUTE
from ingest.rows.values import SERIALS, ascii_digits, clean_text

QUERIES = {**personal_sql.QUERIES, "date": date_sql.QUERY}
SQL_TYPES = tuple(QUERIES)
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
        import numpy as np
        import pandas as pd
        frame = pd.DataFrame({"k": np.arange(len(texts), dtype=np.int64),
                              "t": np.array(texts, dtype=object), "ready": np.array(ready, dtype=bool)})
        con = self._connection()
        con.register("cells", frame)
        try:
            return con.execute(f"select value, error from ({self._query(kind)}) order by k",
                               self._params(kind, params)).fetchall()
        finally:
            con.unregister("cells")

    def column(self, kind: str, texts: list[str | None],
               params: dict[str, Any] | None = None) -> dict[int, tuple[Any, str | None]]:
        """{index: (value, error code)} for the texts of a column ROUTE takes, in one query; the
        others (absent from the answer) are left to the caller to check and normalise."""
        import numpy as np
        import pandas as pd
        con = self._connection()
        con.register("d", pd.DataFrame({"k": np.arange(len(texts), dtype=np.int64), "t": np.array(texts, dtype=object)}))
        try:
            query = (f"with cells as (select * from (select k, t, {ROUTE} as ready from d) where ready is not null), "
                     + self._query(kind).strip()[len("with "):])
            return {k: (value, error) for k, value, error in con.execute(query, self._params(kind, params)).fetchall()}
        finally:
            con.unregister("d")

    def _connection(self) -> Any:
        if self._con is None:
            self._con = _database().cursor()     # its own connection: what it registers is its own
        return self._con

    @staticmethod
    def _query(kind: str) -> str:
        return QUERIES[kind].replace("$ipad", "$ipad::blob").replace("$opad", "$opad::blob")

    def _params(self, kind: str, params: dict[str, Any] | None) -> dict[str, Any]:
        return self.key_params if kind == "id_number" else (params or {})

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


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
