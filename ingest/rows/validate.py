"""The row parser: one chunk of a table's rows -> typed, normalised records, or quarantine with a
reason in Chinese (ingest.rows.messages).

Rules that look at one cell run here, chunk by chunk and column by column: each distinct value
of a column is parsed once (a city-year export repeats names, dates, teams and hours; an ID
number is hashed once however often it recurs) and every row takes its column's outcome by
index, so the cost grows with distinct values rather than with cells. A row's reason is that
of its first bad cell, in column order. Rules across the fields of a row are in
ingest.rows.rules; rules across rows (unique codes, a volunteer's hours per
day) and across submissions (warnings) run in SQL (ingest.raw.load).
"""
from __future__ import annotations

import datetime as dt
import itertools
import logging
import re
from decimal import Decimal
from typing import Any, Callable

import numpy as np

from ingest.contracts import Field
from ingest.files.layout import NumericText, Table
from ingest.readers import Columns, Uncalculated
from ingest.registry import Registry
from ingest.rows import pii
from ingest.rows.messages import CONTROL_RE, Rejected, RowError, reject, shown
from ingest.rows.parsed import Parsed, factorize
from ingest.rows.column_sql import SQL_TYPES, ColumnRules, prepared_text
from ingest.rows.values import (CALENDAR, MAX_CELL_CHARS, UNIT_FACTORS, AmbiguousNumber, RoundsToZero, ascii_digits, clean_text,
                                is_blank, parse_amount, parse_hours, to_cents, unit_in)

log = logging.getLogger(__name__)
_MISSING = object()

MAX_CODE_CHARS = 64
# One project's amount: 1 万亿元. The marts sum a department's projects of a month into
# numeric(18,2), which holds below 10**16: 10,000 projects at this ceiling still fit.
MAX_AMOUNT = Decimal(10) ** 12
CACHE_VALUES = 200_000           # outcomes remembered per field (then forgotten, not grown)
SQL_EXTRA = {"date_outside_calendar": {"allowed": f"{CALENDAR[0]}~{CALENDAR[1]}"}}   # what a reason names
PERSONAL_TYPES = {"id_number": pii.mask_id, "phone": pii.mask_phone, "person_name": pii.mask_name}


def _remember(cache: dict, distinct: list[Any], results: list[Any], indices: list[int]) -> None:
    """Keep the outcomes of these values for the file's later chunks (forgotten, not grown, at
    CACHE_VALUES)."""
    if len(cache) + len(indices) >= CACHE_VALUES:
        cache.clear()
    for j in indices:
        raw = distinct[j]
        cache[raw if type(raw) is str else (type(raw), raw)] = results[j]


def _shown(f: Field, value: Any) -> str:
    if f.type in PERSONAL_TYPES:
        text = clean_text(value)
        return PERSONAL_TYPES[f.type](text[:40]) if text else ""
    return shown(value)


class RowParser:
    def __init__(self, table: Table, registry: Registry, city: str, key: bytes, today: dt.date) -> None:
        self.table, self.registry, self.city, self.key, self.today = table, registry, city, key, today
        title_unit = next((u for u in map(unit_in, table.preamble) if u), None)
        self.units = {i: table.units.get(i) or title_unit or UNIT_FACTORS["元"] for i in table.columns}
        self.plan = [(i, name, table.contract.fields[name], {}) for i, name in table.columns.items()]
        self.periods: set[str] = set()       # distinct 填报期间 column values
        self.parsers: dict[str, Callable[[Field, Any, int], Any]] = {
            "text": self._text, "code": self._code, "enum": self._enum, "department": self._department,
            "amount": self._amount, "hours": self._hours, "period": self._period}
        self.sql = ColumnRules(key)

    def header(self, name: str) -> str:
        return next((self.table.headers[i] for i, n in self.table.columns.items() if n == name), name)

    def _outcome(self, cache: dict, f: Field, raw: Any, i: int) -> tuple[Any, tuple | None]:
        """A cell's outcome, remembered per field for values seen before (across chunks)."""
        key = raw if type(raw) is str else (type(raw), raw)
        try:
            outcome = cache.get(key, _MISSING)
        except TypeError:                       # unhashable: a list or object from JSON
            return self._cell(f, raw, i)
        if outcome is _MISSING:                 # (no 'except KeyError' here: it would chain the raw value)
            if len(cache) >= CACHE_VALUES:
                cache.clear()
            outcome = cache[key] = self._cell(f, raw, i)
        return outcome

    def _cell(self, f: Field, raw: Any, i: int) -> tuple[Any, tuple | None]:
        """(value, None) or (None, (code, field, shown value, extra))."""
        try:
            if self._empty(f, raw):
                return None, None
            return self.parsers[f.type](f, raw, i), None
        except RowError as e:
            return None, (e.code, e.field, e.value, e.extra)
        except Exception as e:   # a value no rule foresaw refuses its row, never the file
            return self._unforeseen(f, raw, e)

    def _unforeseen(self, f: Field, raw: Any, e: Exception) -> tuple[Any, tuple]:
        log.warning("unforeseen %s on field %s: row refused", type(e).__name__, f.name)  # no value: PII
        return None, ("unreadable_value", self.header(f.name), _shown(f, raw), {})

    def _empty(self, f: Field, raw: Any) -> bool:
        """True for a blank cell of an optional field; raises RowError for a cell no type accepts
        (too long, control characters, a JSON list, a boolean, an uncalculated formula, blank
        where required)."""
        if isinstance(raw, str):
            if len(raw) > MAX_CELL_CHARS:
                raise RowError("cell_too_long", self.header(f.name), shown(raw, 20), allowed=f"{MAX_CELL_CHARS:,}")
            if CONTROL_RE.search(raw):
                raise RowError("control_character", self.header(f.name), _shown(f, raw))
        elif isinstance(raw, (list, dict)):
            raise RowError("not_a_value", self.header(f.name), shown(raw) if f.type not in PERSONAL_TYPES else "")
        elif isinstance(raw, bool):
            raise RowError("wrong_type", self.header(f.name), str(raw).lower())
        elif isinstance(raw, Uncalculated):
            raise RowError("formula_not_calculated", self.header(f.name), str(raw))
        if raw is None or (isinstance(raw, str) and (not raw.strip() or len(raw) <= 6 and is_blank(raw))):
            if f.required:
                raise RowError("missing_required", self.header(f.name), "")
            return True
        return False

    def _sql_column(self, cache: dict, f: Field, distinct: list[Any]) -> list[tuple[Any, tuple | None]]:
        """The outcomes of a column's distinct values whose type is ruled in SQL
        (ingest.rows.column_sql: personal data, dates): values not seen before whose text SQL
        reads as written, in one query over the column; the rest (blank, typed numbers, other
        scripts, full-width forms) checked and normalised here first (`_each`)."""
        results: list[Any] = [None] * len(distinct)
        asked: list[int] = []
        for j, raw in enumerate(distinct):
            try:
                outcome = cache.get(raw if type(raw) is str else (type(raw), raw), _MISSING)
            except TypeError:                   # unhashable: a list or object from JSON
                outcome = self._cell(f, raw, j)
            if outcome is _MISSING:
                asked.append(j)
            else:
                results[j] = outcome
        try:
            ruled = self.sql.column(f.type, [distinct[j] if type(distinct[j]) is str else None for j in asked],
                                   self._sql_params(f))
        except Exception as e:     # a failure no rule foresaw: every value on its own
            log.warning("unforeseen %s on field %s: values ruled one by one", type(e).__name__, f.name)
            ruled = {}
        left = []
        for k, j in enumerate(asked):
            if (got := ruled.get(k)) is None:
                left.append(j)
            else:
                results[j] = self._ruled(f, distinct[j], *got)
        for j, outcome in zip(left, self._each(f, [distinct[j] for j in left])):
            results[j] = outcome
        _remember(cache, distinct, results, asked)
        return results

    def _each(self, f: Field, values: list[Any]) -> list[tuple[Any, tuple | None]]:
        """Outcomes of values not seen before, checked and normalised one by one, then ruled in
        SQL together."""
        results: list[Any] = [None] * len(values)
        waiting: list[int] = []
        texts: list[str] = []
        ready: list[bool] = []
        for j, raw in enumerate(values):
            outcome = self._prepare(f, raw)
            if type(outcome) is tuple:
                results[j] = outcome
            else:
                waiting.append(j)
                texts.append(outcome[0])
                ready.append(outcome[1])
        for j, (value, error) in zip(waiting, self._run_sql(f, [values[j] for j in waiting], texts, ready)):
            results[j] = self._ruled(f, values[j], value, error)
        return results

    def _ruled(self, f: Field, raw: Any, value: Any, error: str | None) -> tuple[Any, tuple | None]:
        """An SQL rule's answer as a cell's outcome: the refused value shown as a message shows it."""
        if error is None:
            return value, None
        return None, (error, self.header(f.name), _shown(f, raw), dict(SQL_EXTRA.get(error, {})))

    def _sql_params(self, f: Field) -> dict[str, Any] | None:
        if f.type != "date":
            return None
        return {"today": self.today, "not_future": f.not_future, "in_calendar": f.in_calendar,
                "first": CALENDAR[0], "last": CALENDAR[1]}

    def _prepare(self, f: Field, raw: Any) -> tuple[Any, tuple | None] | list:
        """A cell's outcome when it has one before SQL (blank, refused), else [text, prepared]."""
        try:
            if self._empty(f, raw):
                return None, None
            return list(prepared_text(f.type, raw))
        except RowError as e:     # prepared_text's own carry no field: the value is shown masked
            return None, ((e.code, e.field, e.value, e.extra) if e.field else
                          (e.code, self.header(f.name), _shown(f, raw), e.extra))
        except Exception as e:
            return self._unforeseen(f, raw, e)

    def _run_sql(self, f: Field, raws: list[Any], texts: list[str], ready: list[bool]) -> list[tuple[Any, str | None]]:
        """(value, error code) per text; a failure no rule foresaw refuses only the values it fails on."""
        try:
            return self.sql.outcomes(f.type, texts, ready, self._sql_params(f))
        except Exception:
            out: list[tuple[Any, str | None]] = []
            for raw, text, prepared in zip(raws, texts, ready):
                try:
                    out += self.sql.outcomes(f.type, [text], [prepared], self._sql_params(f))
                except Exception as e:
                    self._unforeseen(f, raw, e)
                    out.append((None, "unreadable_value"))
            return out

    def parse_chunk(self, rows: list[tuple[int, list[Any]]] | Columns) -> tuple[Parsed, list[Rejected]]:
        """(good rows, rejected rows) of one chunk: every row is in exactly one. Rules across the
        fields of a row run on the staged rows (ingest.rows.rules)."""
        count = len(rows)
        if isinstance(rows, Columns):     # a native reader's chunk: Arrow columns as they are
            numbers, columns = rows.numbers, rows.columns
        else:
            numbers = np.fromiter((n for n, _ in rows), dtype=np.int64, count=count)
            columns = list(itertools.zip_longest(*(cells for _, cells in rows)))  # short rows padded with None
        failed_rows = np.zeros(count, dtype=bool)
        bad: list[Rejected] = []
        if flagged := self.table.grid.flagged:    # refused by the reader (a JSON key given twice)
            for k, n in enumerate(numbers.tolist()):
                if n in flagged:
                    code, field_name = flagged[n]
                    bad.append(reject(n, code, field_name, ""))
                    failed_rows[k] = True
        codes: dict[str, np.ndarray] = {}
        outcomes: dict[str, list[tuple[Any, tuple | None]]] = {}
        for i, name, f, cache in self.plan:
            code, distinct = factorize(columns[i] if i < len(columns) else (None,) * count)
            if f.type in SQL_TYPES:
                results = self._sql_column(cache, f, distinct)
            else:
                results = [self._outcome(cache, f, raw, i) for raw in distinct]
            failing = np.fromiter((e is not None for _, e in results), dtype=bool, count=len(results))
            if failing.any():
                row_fails = failing[code]
                for k in np.flatnonzero(row_fails & ~failed_rows):
                    error, field_name, value, extra = results[code[k]][1]
                    bad.append(reject(int(numbers[k]), error, field_name, str(value), **extra))
                failed_rows |= row_fails
            codes[name], outcomes[name] = code, results
        keep = ~failed_rows
        good = Parsed(numbers[keep], {n: c[keep] for n, c in codes.items()},
                      {n: [v for v, _ in r] for n, r in outcomes.items()})
        for name, f in self.table.contract.fields.items():
            if f.type == "period" and name in good.codes:
                self.periods.update(good.distinct(name))
        bad.sort(key=lambda r: r.row)
        return good, bad

    def _fail(self, code: str, f: Field, raw: Any, **extra: str) -> RowError:
        return RowError(code, self.header(f.name), _shown(f, raw), **extra)

    def _text(self, f: Field, raw: Any, i: int) -> str:
        return pii.redact(clean_text(raw))

    def _code(self, f: Field, raw: Any, i: int) -> str:
        code = clean_text(raw).replace(" ", "")
        if len(code) > MAX_CODE_CHARS or any(c in code for c in "\"'<>\\"):
            raise self._fail("bad_code", f, raw)
        return code   # an identifier: never masked, whatever it looks like (15020210001)

    def _period(self, f: Field, raw: Any, i: int) -> str:
        return clean_text(raw)

    def _enum(self, f: Field, raw: Any, i: int) -> str:
        value = f.canonical(clean_text(raw).replace(" ", ""))
        if value is None:
            raise self._fail("bad_value", f, raw, allowed="、".join(f.values))
        return value

    def _department(self, f: Field, raw: Any, i: int) -> str:
        code = self.registry.department(self.city, clean_text(raw))
        if code is None:
            hint = "、".join(self.registry.suggest(self.city, clean_text(raw))) or "无"
            raise self._fail("unknown_department", f, raw, allowed=hint)
        return code

    def _amount(self, f: Field, raw: Any, i: int) -> Decimal:
        try:
            amount = parse_amount(raw, self.units[i])
        except AmbiguousNumber as e:
            raise self._fail("ambiguous_number", f, raw, allowed=str(e)) from None
        except RoundsToZero as e:
            raise self._fail("rounds_to_zero", f, raw, allowed=str(e)) from None
        except (ValueError, ArithmeticError):
            raise self._fail("bad_number", f, raw) from None
        if abs(amount) >= MAX_AMOUNT:
            raise self._fail("bad_number", f, raw)
        if amount < 0:
            raise self._fail("negative_amount", f, raw)
        return amount

    def _hours(self, f: Field, raw: Any, i: int) -> Decimal:
        try:
            hours = parse_hours(raw)
        except AmbiguousNumber as e:
            raise self._fail("ambiguous_number", f, raw, allowed=str(e)) from None
        except (ValueError, ArithmeticError):
            raise self._fail("bad_number", f, raw) from None
        if not Decimal(0) < hours <= Decimal(24):
            raise self._fail("hours_out_of_range", f, raw)
        try:
            return to_cents(hours, "0.01 小时")     # the marts' numeric(6,2), before it is stored
        except RoundsToZero as e:
            raise self._fail("rounds_to_zero", f, raw, allowed=str(e)) from None
