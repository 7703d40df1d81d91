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
from ingest.rows.rules import ROW_CHECKS, ROW_WARNINGS
from ingest.rows.values import (CALENDAR, UNIT_FACTORS, AmbiguousNumber, RoundsToZero, ascii_digits, clean_text,
                                is_blank, parse_amount, parse_date, parse_hours, to_cents, unit_in)

log = logging.getLogger(__name__)
_MISSING = object()

MAX_CELL_CHARS = 32_767          # Excel's own limit for one cell
MAX_CODE_CHARS = 64
# One project's amount: 1 万亿元. The marts sum a department's projects of a month into
# numeric(18,2), which holds below 10**16: 10,000 projects at this ceiling still fit.
MAX_AMOUNT = Decimal(10) ** 12
CACHE_VALUES = 200_000           # outcomes remembered per field (then forgotten, not grown)
PERSONAL_TYPES = {"id_number": pii.mask_id, "phone": pii.mask_phone, "person_name": pii.mask_name}
_ID_WRAPPER_RE = re.compile(r'^(?:=\s*"(.*)"|\'(.*))$')
_PLAIN_ID_RE = re.compile(r"^\d{17}[\dXx]$")
_SCIENTIFIC_RE = re.compile(r"^\d(\.\d+)?[eE][+]?\d+$")
_PHONE_PREFIX_RE = re.compile(r"^(\+?86)")


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
            "amount": self._amount, "date": self._date, "hours": self._hours, "period": self._period,
            "person_name": self._person_name, "id_number": self._id_number, "phone": self._phone}

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
                return None, None
            return self.parsers[f.type](f, raw, i), None
        except RowError as e:
            return None, (e.code, e.field, e.value, e.extra)
        except Exception as e:   # a value no rule foresaw refuses its row, never the file
            log.warning("unforeseen %s on field %s: row refused", type(e).__name__, f.name)  # no value: PII
            return None, ("unreadable_value", self.header(f.name), _shown(f, raw), {})

    def parse_chunk(self, rows: list[tuple[int, list[Any]]] | Columns) -> tuple[Parsed, list[Rejected], list[Rejected]]:
        """(good rows, rejected rows, warnings) of one chunk; every row is in exactly one of the
        first two."""
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
        for check in self.table.contract.checks:
            if check["rule"] in ROW_CHECKS:
                good, more = ROW_CHECKS[check["rule"]](self, good, check)
                bad.extend(more)
        bad.sort(key=lambda r: r.row)
        warned = [w for rule in self.table.contract.warnings if rule["rule"] in ROW_WARNINGS
                  for w in ROW_WARNINGS[rule["rule"]](self, good, rule)]
        return good, bad, warned

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

    def _date(self, f: Field, raw: Any, i: int) -> dt.date:
        try:
            day = parse_date(raw)
        except ValueError:
            raise self._fail("bad_date", f, raw) from None
        if f.not_future and day > self.today:
            raise self._fail("date_in_future", f, raw)
        if f.in_calendar and not CALENDAR[0] <= day <= CALENDAR[1]:
            raise self._fail("date_outside_calendar", f, raw, allowed=f"{CALENDAR[0]}~{CALENDAR[1]}")
        return day

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

    def _person_name(self, f: Field, raw: Any, i: int) -> str:
        return pii.mask_name(clean_text(raw).replace(" ", ""))

    def _id_number(self, f: Field, raw: Any, i: int) -> str:
        # the usual cell, 18 plain ASCII characters, is already what id_text would make of it
        plain = type(raw) is str and len(raw) == 18 and raw.isascii() and _PLAIN_ID_RE.match(raw)
        number = raw.upper() if plain else id_text(raw)
        if number is None:
            raise self._fail("id_not_text", f, raw)
        if not pii.id_is_valid(number):
            raise self._fail("bad_id_number", f, raw)
        return pii.volunteer_key(number, self.key)

    def _phone(self, f: Field, raw: Any, i: int) -> str:
        text = ascii_digits(clean_text(int(raw) if isinstance(raw, float) and raw.is_integer() else raw))
        phone = _PHONE_PREFIX_RE.sub("", re.sub(r"[\s\-()]", "", text)) if len(text) > 11 else text
        if not pii.phone_is_valid(phone):
            raise self._fail("bad_phone", f, raw)
        return pii.mask_phone(phone)


def id_text(raw: Any) -> str | None:
    """An ID number as exact text, or None when the cell cannot hold it exactly: Excel keeps
    15 significant digits of a number, so an 18-digit ID typed as a number is recovered only
    from digits stored in full that no float could have produced."""
    if isinstance(raw, bool) or isinstance(raw, float):
        return None
    if isinstance(raw, int):
        return str(raw)
    text = ascii_digits(clean_text(raw)).replace(" ", "")
    m = _ID_WRAPPER_RE.match(text)
    if m:
        text = (m.group(1) if m.group(1) is not None else m.group(2)).strip()
    if _SCIENTIFIC_RE.match(text):
        return None
    if isinstance(raw, NumericText):
        if not text.isdigit() or float(int(text)) == int(text):
            return None
    return pii.normalise_id(text)
