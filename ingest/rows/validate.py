"""Row rules of each kind: typed, normalised records, or quarantine with a reason in Chinese.

Rules that look at one row run here, chunk by chunk and column by column: each distinct value
of a column is parsed once (a city-year export repeats names, dates, teams and hours; an ID
number is hashed once however often it recurs) and every row takes its column's outcome by
index, so the cost grows with distinct values rather than with cells. A row's reason is that
of its first bad cell, in column order. Rules across rows (unique codes, a volunteer's hours per
day) and across submissions (warnings) run in SQL (ingest.raw.load).
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

import numpy as np

from ingest.rows import pii
from ingest.contracts import Field
from ingest.files.layout import NumericText, Table
from ingest.registry import Registry
from ingest.rows.values import UNIT_FACTORS, clean_text, is_blank, parse_amount, parse_date, parse_hours, unit_in

MAX_CELL_CHARS = 32_767          # Excel's own limit for one cell
MAX_CODE_CHARS = 64
MAX_AMOUNT = Decimal(10) ** 16   # decimal(18,2) holds below this; no campaign project comes near
CACHE_VALUES = 200_000           # outcomes remembered per field (then forgotten, not grown)
SHOWN_CHARS = 60                 # a refused value is shown at most this long
PERSONAL_TYPES = {"id_number": pii.mask_id, "phone": pii.mask_phone, "person_name": pii.mask_name}
MESSAGES = {
    "missing_required": "必填项“{field}”为空",
    "bad_number": "“{field}”不是有效的数字:{value}",
    "negative_amount": "“{field}”不能为负数:{value}",
    "bad_date": "“{field}”不是有效的日期:{value}(应如 2022-05-20 或 2022年5月20日)",
    "date_in_future": "“{field}”晚于今天:{value}",
    "bad_value": "“{field}”的值“{value}”不在允许范围内({allowed})",
    "bad_code": "“{field}”过长或含有非法字符:{value}",
    "unknown_department": "“{field}”中的单位“{value}”不在单位名册中(相近的单位:{allowed})",
    "hours_out_of_range": "“{field}”须大于 0 且不超过 24 小时:{value}",
    "bad_id_number": "身份证号码校验不通过(应为 18 位且校验位正确):{value}",
    "id_not_text": "身份证号码被 Excel 存成了数字或科学计数法,末尾数字可能已丢失,"
                   "请将该列设为“文本”格式后重新填写:{value}",
    "bad_phone": "手机号码应为 11 位且以 13–19 开头:{value}",
    "date_order": "“{field}”({value})早于“{other}”",
    "missing_rectified_date": "整改状态为“{value}”时必须填写“{field}”",
    "duplicate_key": "“{field}”重复:{value}(本文件中已出现过,只保留第一次出现的行)",
    "daily_hours_exceeded": "同一志愿者同一天的服务时长合计超过 24 小时(当天合计 {value} 小时)",
    "cell_too_long": "“{field}”内容过长(超过 {allowed} 个字符),请精简:{value}",
    "not_a_value": "“{field}”应为单个值,而不是列表或对象:{value}",
    "outside_period": "“{field}”({value})不在填报期间 {allowed} 内,无法归入任何月份",
}
WARNINGS = {
    "above_other": "“{field}”({value})大于“{other}”,请核实",
    "cumulative_decreased": "“{field}”少于 {other}(本期 {value}),累计数不应减少,请核实",
    "stage_regressed": "“{field}”从此前的“{other}”倒退为“{value}”,请核实",
    "reported_by_other_department": "项目“{value}”本月也由{other}报送,以最后提交的为准,请核实是否重复",
    "outside_period": "“{field}”({value})不在填报月份 {other} 内,已按原日期入库,请核实",
    "unexpected_value": "整改状态为“{other}”却填写了“{field}”({value}),请核实",
    "status_regressed": "“{field}”从此前的“{other}”倒退为“{value}”且复核结果不是“未通过”,请核实",
}
_ID_WRAPPER_RE = re.compile(r'^(?:=\s*"(.*)"|\'(.*))$')
_PLAIN_ID_RE = re.compile(r"^\d{17}[\dXx]$")
_SCIENTIFIC_RE = re.compile(r"^\d(\.\d+)?[eE][+]?\d+$")
_PHONE_PREFIX_RE = re.compile(r"^(\+?86)")


@dataclass
class Rejected:
    """A row that did not load (or, in a receipt's warnings, loaded with a caution)."""
    row: int
    field: str          # header as the clerk wrote it
    value: str          # masked when personal data; shortened
    reason_code: str
    message: str

    def doc(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "value": self.value, "reason_code": self.reason_code,
                "message": self.message}


class RowError(Exception):
    def __init__(self, code: str, field: str, value: Any, **extra: str) -> None:
        super().__init__(code)
        self.code, self.field, self.value, self.extra = code, field, value, extra


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    text = pii.redact(clean_text(value))
    return text if len(text) <= limit else f"{text[:limit]}…(共 {len(text):,} 字符)"


def _shown(f: Field, value: Any) -> str:
    if f.type in PERSONAL_TYPES:
        text = clean_text(value)
        return PERSONAL_TYPES[f.type](text[:40]) if text else ""
    return shown(value)


def reject(row: int, code: str, field: str, value: str, **extra: str) -> Rejected:
    msg = MESSAGES[code].format(field=field, value=value, allowed=extra.get("allowed", ""),
                                other=extra.get("other", ""))
    return Rejected(row, field, value, code, msg)


def warn(row: int, code: str, field: str, value: str, other: str = "") -> Rejected:
    return Rejected(row, field, value, code, WARNINGS[code].format(field=field, value=value, other=other))


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
            return cache[key]
        except KeyError:
            if len(cache) >= CACHE_VALUES:
                cache.clear()
            outcome = cache[key] = self._cell(f, raw, i)
            return outcome
        except TypeError:                       # unhashable: a list or object from JSON
            return self._cell(f, raw, i)

    def _cell(self, f: Field, raw: Any, i: int) -> tuple[Any, tuple | None]:
        """(value, None) or (None, (code, field, shown value, extra))."""
        try:
            if isinstance(raw, str) and len(raw) > MAX_CELL_CHARS:
                raise RowError("cell_too_long", self.header(f.name), shown(raw, 20), allowed=f"{MAX_CELL_CHARS:,}")
            if isinstance(raw, (list, dict)):
                raise RowError("not_a_value", self.header(f.name), shown(raw))
            if raw is None or (isinstance(raw, str) and (not raw.strip() or len(raw) <= 6 and is_blank(raw))):
                if f.required:
                    raise RowError("missing_required", self.header(f.name), "")
                return None, None
            return self.parsers[f.type](f, raw, i), None
        except RowError as e:
            return None, (e.code, e.field, e.value, e.extra)

    def parse_chunk(self, rows: list[tuple[int, list[Any]]]) -> tuple[Parsed, list[Rejected], list[Rejected]]:
        """(good rows, rejected rows, warnings) of one chunk; every row is in exactly one of the
        first two."""
        count = len(rows)
        numbers = np.fromiter((n for n, _ in rows), dtype=np.int64, count=count)
        columns = list(itertools.zip_longest(*(cells for _, cells in rows)))  # short rows padded with None
        failed_rows = np.zeros(count, dtype=bool)
        bad: list[Rejected] = []
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
        return pii.redact(code)

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
        return day

    def _hours(self, f: Field, raw: Any, i: int) -> Decimal:
        try:
            hours = parse_hours(raw)
        except (ValueError, ArithmeticError):
            raise self._fail("bad_number", f, raw) from None
        if not Decimal(0) < hours <= Decimal(24):
            raise self._fail("hours_out_of_range", f, raw)
        return hours.quantize(Decimal("0.01"))

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
        text = clean_text(int(raw) if isinstance(raw, float) and raw.is_integer() else raw)
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
    text = clean_text(raw).replace(" ", "")
    m = _ID_WRAPPER_RE.match(text)
    if m:
        text = (m.group(1) if m.group(1) is not None else m.group(2)).strip()
    if _SCIENTIFIC_RE.match(text):
        return None
    if isinstance(raw, NumericText):
        if not text.isdigit() or float(int(text)) == int(text):
            return None
    return pii.normalise_id(text)


class Parsed:
    """One chunk's valid rows, column by column: per field the outcomes of its distinct values
    (typed) and each row's index into them. Dropping rows copies indices, never values."""

    def __init__(self, rows: np.ndarray, codes: dict[str, np.ndarray], values: dict[str, list[Any]]) -> None:
        self.rows, self.codes, self.values = rows, codes, values

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> list[Any]:
        """Each row's typed value (None for a field the file does not have)."""
        if name not in self.codes:
            return [None] * len(self.rows)
        values = self.values[name]
        return [values[c] for c in self.codes[name].tolist()]

    def texts(self, name: str) -> np.ndarray:
        """Each row's value as staged text (dates ISO, amounts as decimal text), an object array."""
        if name not in self.codes:
            return np.full(len(self.rows), None, dtype=object)
        distinct = np.empty(len(self.values[name]), dtype=object)
        for k, value in enumerate(self.values[name]):
            distinct[k] = stage_text(value)
        return distinct[self.codes[name]]

    def distinct(self, name: str) -> list[Any]:
        values = self.values[name]
        return [values[c] for c in np.unique(self.codes[name]).tolist()]

    def keep(self, mask: np.ndarray) -> Parsed:
        return Parsed(self.rows[mask], {n: c[mask] for n, c in self.codes.items()}, self.values)


def factorize(column: tuple[Any, ...]) -> tuple[np.ndarray, list[Any]]:
    """(each cell's index into the distinct values, the distinct values in first-seen order).
    Values are told apart by type as well as by equality (1, 1.0 and True are three cells)."""
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


def yuan(value: Any) -> str:
    """An amount as stored (yuan), said so: the clerk's header may be in 万元."""
    return f"{value:,.2f} 元" if isinstance(value, Decimal) else str(value)


def _split(rows: Parsed, failing: list[int]) -> Parsed:
    mask = np.ones(len(rows), dtype=bool)
    mask[failing] = False
    return rows.keep(mask)


def _not_before(p: RowParser, rows: Parsed, c: dict) -> tuple[Parsed, list[Rejected]]:
    a, b = rows.column(c["field"]), rows.column(c["other"])
    failing = [k for k, (x, y) in enumerate(zip(a, b)) if x is not None and y is not None and x < y]
    bad = [reject(int(rows.rows[k]), "date_order", p.header(c["field"]), a[k].isoformat(),
                  other=p.header(c["other"])) for k in failing]
    return _split(rows, failing), bad


def _required_when(p: RowParser, rows: Parsed, c: dict) -> tuple[Parsed, list[Rejected]]:
    value, when = rows.column(c["field"]), rows.column(c["when"])
    failing = [k for k, (v, w) in enumerate(zip(value, when)) if v is None and w in c["in"]]
    bad = [reject(int(rows.rows[k]), f"missing_{c['field']}", p.header(c["field"]), when[k]) for k in failing]
    return _split(rows, failing), bad


def _not_above(p: RowParser, rows: Parsed, c: dict) -> list[Rejected]:
    a, b = rows.column(c["field"]), rows.column(c["other"])
    return [warn(int(n), "above_other", p.header(c["field"]), yuan(x), p.header(c["other"]))
            for n, x, y in zip(rows.rows.tolist(), a, b) if x is not None and y is not None and x > y]


def _absent_when(p: RowParser, rows: Parsed, c: dict) -> list[Rejected]:
    value, when = rows.column(c["field"]), rows.column(c["when"])
    return [warn(int(n), "unexpected_value", p.header(c["field"]), str(v), w)
            for n, v, w in zip(rows.rows.tolist(), value, when) if v is not None and w in c["in"]]


ROW_CHECKS: dict[str, Callable[[RowParser, Parsed, dict], tuple[Parsed, list[Rejected]]]] = {
    "not_before": _not_before, "required_when": _required_when}
ROW_WARNINGS: dict[str, Callable[[RowParser, Parsed, dict], list[Rejected]]] = {
    "not_above": _not_above, "absent_when": _absent_when}
