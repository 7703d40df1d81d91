"""One chunk's parsed rows held column by column: each field's distinct values and every row's index
into them."""
from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np


class Parsed:
    """One chunk's valid rows, column by column: per field the outcomes of its distinct values
    (typed) and each row's index into them."""

    def __init__(self, rows: np.ndarray, codes: dict[str, np.ndarray], values: dict[str, list[Any]]) -> None:
        self.rows, self.codes, self.values = rows, codes, values

    def __len__(self) -> int:
        return len(self.rows)

    def arrow(self, name: str) -> Any:
        """Each row's value as staged text, an Arrow dictionary array: the distinct values once,
        and per row an index into them (no Python object per row)."""
        import pyarrow as pa
        if name not in self.codes:
            return pa.nulls(len(self.rows), pa.string())
        texts = pa.array([stage_text(v) for v in self.values[name]], type=pa.string())
        return pa.DictionaryArray.from_arrays(pa.array(self.codes[name], type=pa.int32()), texts)

    def distinct(self, name: str) -> list[Any]:
        values = self.values[name]
        return [values[c] for c in np.unique(self.codes[name]).tolist()]


def factorize(column: Any) -> tuple[np.ndarray, list[Any]]:
    """(each cell's index into the distinct values, the distinct values in first-seen order).
    Values are told apart by type as well as by equality (1, 1.0 and True are three cells).
    `column`: a tuple of cells, or an Arrow text array (a native reader's; null: an empty cell)."""
    if hasattr(column, "dictionary_encode"):          # Arrow: encoded in native code
        import pyarrow.compute as pc
        encoded = pc.dictionary_encode(column, null_encoding="encode")
        return encoded.indices.to_numpy().astype(np.intp), encoded.dictionary.to_pylist()
    if set(map(type, column)) == {str}:                  # text files: one C pass
        import pandas as pd
        codes, distinct = pd.factorize(np.fromiter(column, dtype=object, count=len(column)))
        return codes, distinct.tolist()
    index: dict[Any, int] = {}
    distinct_values: list[Any] = []
    codes = np.empty(len(column), dtype=np.intp)
    for k, raw in enumerate(column):
        key = raw if type(raw) is str else (type(raw), raw)
        try:
            code = index.get(key)
            if code is None:
                code = index[key] = len(distinct_values)
                distinct_values.append(raw)
        except TypeError:                               # unhashable (JSON list or object): its own value
            code = len(distinct_values)
            distinct_values.append(raw)
        codes[k] = code
    return codes, distinct_values


def stage_text(value: Any) -> Any:
    """A typed value as the stage receives it (DuckDB casts it to the column type)."""
    if value is None or isinstance(value, str):
        return value
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)
