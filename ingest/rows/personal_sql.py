"""The rules of personal-data columns (ID numbers, mobile numbers, names) as set-based SQL over a
column's distinct values: GB 11643 check character, the keyed hash (HMAC-SHA256 as two `sha256`
calls over the key ⊕ ipad/opad blobs), the masks. One query per column and chunk, in an
in-memory DuckDB of the parser's own; raw values stay in a registered frame, never a table.

A value comes in as text: ASCII cells as written (the SQL collapses their spaces); anything else
(other scripts' digits, full-width forms, numbers typed in a workbook) as Python made it
(`values.clean_text`, `ascii_digits`), flagged `ready`. What comes back per value is
(value, None) or (None, reason code); the caller words the reason (and remembers outcomes, so a
value recurring across chunks is ruled once).

QUERIES[kind] reads `cells(k, t, ready)` and yields (k, value, error) per text."""
from __future__ import annotations

import hashlib
from typing import Any

from ingest.rows.values import BLANK_MARKS, MAX_CELL_CHARS

SQL_TYPES = ("id_number", "phone", "person_name")
_BLOCK = 64                                   # SHA-256's block size (RFC 2104)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# ISO 7064 MOD 11-2 over the first 17 digits (written out: faster than a list lambda)
_CHECK_SUM = " + ".join(f"(ascii(substr(n, {i}, 1)) - 48) * {w}" for i, w in enumerate(_WEIGHTS, 1))

# ASCII text with its whitespace collapsed and trimmed (values.clean_text on ASCII, control
# characters being refused before this), or the text Python prepared.
_CLEAN = "case when ready then t else trim(regexp_replace(t, '[ \\t\\n\\r]+', ' ', 'g')) end"
_NO_SPACES = "case when ready then t else regexp_replace(t, '[ \\t\\n\\r]', '', 'g') end"

_ID = f"""
with s as (select k, {_NO_SPACES} as s from cells),
unwrapped as (
  select k, case when regexp_full_match(s, '="(.*)"') then regexp_extract(s, '^="(.*)"$', 1)
                 when regexp_full_match(s, '''(.*)') then regexp_extract(s, '^''(.*)$', 1)
                 else s end as s from s),
numbers as (
  select k, case when regexp_full_match(s, '[0-9](\\.[0-9]+)?[eE][+]?[0-9]+') then null
                 else upper(s) end as n from unwrapped),
checked as (
  select k, n, n is not null and regexp_full_match(n, '[0-9]{{17}}[0-9X]')
         and substr('10X98765432', cast(({_CHECK_SUM}) % 11 as bigint) + 1, 1) = substr(n, 18, 1) as valid
  from numbers)
select k, case when valid then sha256($opad || unhex(sha256($ipad || encode(n)))) end as value,
       case when n is null then 'id_not_text' when not valid then 'bad_id_number' end as error
from checked"""

_PHONE = f"""
with c as (select k, {_CLEAN} as c from cells),
p as (select k, case when length(c) > 11 then regexp_replace(regexp_replace(c, '[ \\-()]', '', 'g'), '^(\\+?86)', '')
                     else c end as p from c)
select k,
       case when regexp_full_match(p, '1[3-9][0-9]{{9}}') then substr(p, 1, 3) || '****' || right(p, 4) end as value,
       case when not regexp_full_match(p, '1[3-9][0-9]{{9}}') then 'bad_phone' end as error
from p"""

_NAME = f"""
with s as (select k, {_NO_SPACES} as s from cells)
select k, case when s = '' then '' else left(s, 1) || repeat('*', greatest(length(s) - 1, 1)) end as value,
       null as error
from s"""

QUERIES = {"id_number": _ID, "phone": _PHONE, "person_name": _NAME}
BLANK_MARKS_SQL = "(" + ", ".join("'" + m.replace("'", "''") + "'" for m in sorted(BLANK_MARKS)) + ")"
# Text a rule reads as written: printable ASCII longer than any blank mark (not all spaces), or
# CJK unified ideographs alone that are no blank mark (NFKC leaves them as they are). Anything
# else (NULL included) is left to the caller to check and normalise. true: ready as it is.
ROUTE = f"""case when length(t) between 7 and {MAX_CELL_CHARS} and regexp_full_match(t, '[\\x20-\\x7e]+')
                      and trim(t) <> '' then false
                 when length(t) <= {MAX_CELL_CHARS} and regexp_full_match(t, '[\\x{{4e00}}-\\x{{9fff}}]+')
                      and t not in {BLANK_MARKS_SQL} then true end"""


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer pads of HMAC-SHA256 for `key` (RFC 2104)."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5c for b in key)


class PersonalColumns:
    """Runs the personal-data rules of one column's distinct values at a time."""

    def __init__(self, key: bytes) -> None:
        self.ipad, self.opad = hmac_pads(key)
        self._con: Any = None

    def outcomes(self, kind: str, texts: list[str], ready: list[bool]) -> list[tuple[str | None, str | None]]:
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
            return con.execute(f"select value, error from ({self._query(kind)}) order by k", self._params(kind)).fetchall()
        finally:
            con.unregister("cells")

    def column(self, kind: str, texts: list[str | None]) -> dict[int, tuple[str | None, str | None]]:
        """{index: (value, error code)} for the texts of a column ROUTE takes, in one query; the
        others (absent from the answer) are left to the caller to check and normalise."""
        import numpy as np
        import pandas as pd
        con = self._connection()
        con.register("d", pd.DataFrame({"k": np.arange(len(texts), dtype=np.int64), "t": np.array(texts, dtype=object)}))
        try:
            query = (f"with cells as (select * from (select k, t, {ROUTE} as ready from d) where ready is not null), "
                     + self._query(kind).strip()[len("with "):])
            return {k: (value, error) for k, value, error in con.execute(query, self._params(kind)).fetchall()}
        finally:
            con.unregister("d")

    def _connection(self) -> Any:
        if self._con is None:
            import duckdb
            # in memory only: never spilled to a temporary file, as raw values pass through it
            self._con = duckdb.connect(config={"temp_directory": ""})
        return self._con

    def _query(self, kind: str) -> str:
        return QUERIES[kind].replace("$ipad", "$ipad::blob").replace("$opad", "$opad::blob")

    def _params(self, kind: str) -> dict[str, bytes]:
        return {"ipad": self.ipad, "opad": self.opad} if kind == "id_number" else {}

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
