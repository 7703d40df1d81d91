"""Row rules of each kind: typed, normalised records, or quarantine with a reason in Chinese."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from ingest import pii
from ingest.contracts import Field, header_unit
from ingest.layout import Table
from ingest.registry import Registry
from ingest.values import UNIT_FACTORS, clean_text, parse_amount, parse_date, parse_decimal, unit_in

PERSONAL_TYPES = {"id_number": pii.mask_id, "phone": pii.mask_phone, "person_name": pii.mask_name}
MESSAGES = {
    "missing_required": "必填项“{field}”为空",
    "bad_number": "“{field}”不是有效的数字:{value}",
    "negative_amount": "“{field}”不能为负数:{value}",
    "bad_date": "“{field}”不是有效的日期:{value}",
    "date_in_future": "“{field}”晚于今天:{value}",
    "bad_value": "“{field}”的值“{value}”不在允许范围内({allowed})",
    "unknown_department": "“{field}”中的单位“{value}”不在单位名册中(相近的单位:{allowed})",
    "hours_out_of_range": "“{field}”须大于 0 且不超过 24 小时:{value}",
    "bad_id_number": "身份证号码校验不通过(应为 18 位且校验位正确):{value}",
    "id_not_text": "身份证号码被 Excel 存成了数字,末尾数字已丢失,请将该列设为文本后重新填写:{value}",
    "bad_phone": "手机号码应为 11 位且以 13–19 开头:{value}",
    "date_order": "“{field}”({value})早于“{other}”",
    "missing_rectified_date": "整改状态为“{value}”时必须填写“{field}”",
    "duplicate_key": "“{field}”重复:{value}(本文件中已出现过)",
    "daily_hours_exceeded": "同一志愿者同一天的服务时长合计超过 24 小时(当天合计 {value} 小时)",
}


@dataclass
class Rejected:
    row: int
    field: str          # header as the clerk wrote it
    value: str          # masked when personal data
    reason_code: str
    message: str


class RowError(Exception):
    def __init__(self, code: str, field: str, value: Any, **extra: str) -> None:
        super().__init__(code)
        self.code, self.field, self.value, self.extra = code, field, value, extra


def _shown(f: Field, value: Any) -> str:
    text = clean_text(value)
    return PERSONAL_TYPES[f.type](text) if f.type in PERSONAL_TYPES and text else text


def reject(row: int, code: str, field: str, value: str, **extra: str) -> Rejected:
    msg = MESSAGES[code].format(field=field, value=value, allowed=extra.get("allowed", ""),
                                other=extra.get("other", ""))
    return Rejected(row, field, value, code, msg)


class RowParser:
    def __init__(self, table: Table, registry: Registry, city: str, key: bytes, today: dt.date) -> None:
        self.table, self.registry, self.city, self.key, self.today = table, registry, city, key, today
        title_unit = next((u for u in map(unit_in, table.preamble) if u), None)
        self.units = {i: header_unit(table.headers[i]) or title_unit or UNIT_FACTORS["元"]
                      for i in table.columns}
        self.parsers: dict[str, Callable[[Field, Any, int], Any]] = {
            "text": self._text, "enum": self._enum, "department": self._department,
            "amount": self._amount, "date": self._date, "hours": self._hours, "period": self._text,
            "person_name": self._person_name, "id_number": self._id_number, "phone": self._phone}

    def header(self, name: str) -> str:
        return next((self.table.headers[i] for i, n in self.table.columns.items() if n == name), name)

    def parse(self, cells: list[Any]) -> dict[str, Any]:
        record: dict[str, Any] = {}
        for i, name in self.table.columns.items():
            f = self.table.contract.fields[name]
            raw = cells[i] if i < len(cells) else None
            if clean_text(raw) == "":
                if f.required:
                    raise RowError("missing_required", self.header(name), "")
                record[name] = None
                continue
            record[name] = self.parsers[f.type](f, raw, i)
        return record

    def _fail(self, code: str, f: Field, raw: Any, **extra: str) -> RowError:
        return RowError(code, self.header(f.name), _shown(f, raw), **extra)

    def _text(self, f: Field, raw: Any, i: int) -> str:
        return clean_text(raw)

    def _enum(self, f: Field, raw: Any, i: int) -> str:
        value = clean_text(raw).replace(" ", "")
        if value not in f.values:
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
        except ValueError:
            raise self._fail("bad_number", f, raw) from None
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
            hours = parse_decimal(raw)
        except ValueError:
            raise self._fail("bad_number", f, raw) from None
        if not Decimal(0) < hours <= Decimal(24):
            raise self._fail("hours_out_of_range", f, raw)
        return hours.quantize(Decimal("0.01"))

    def _person_name(self, f: Field, raw: Any, i: int) -> str:
        return pii.mask_name(clean_text(raw).replace(" ", ""))

    def _id_number(self, f: Field, raw: Any, i: int) -> str:
        if isinstance(raw, float):
            raise self._fail("id_not_text", f, raw)
        number = pii.normalise_id(clean_text(raw))
        if not pii.id_is_valid(number):
            raise self._fail("bad_id_number", f, raw)
        return pii.volunteer_key(number, self.key)

    def _phone(self, f: Field, raw: Any, i: int) -> str:
        phone = clean_text(int(raw) if isinstance(raw, float) and raw.is_integer() else raw).replace(" ", "").replace("-", "")
        if not pii.phone_is_valid(phone):
            raise self._fail("bad_phone", f, raw)
        return pii.mask_phone(phone)


def validate(parser: RowParser) -> tuple[list[tuple[int, dict[str, Any]]], list[Rejected]]:
    """Every data row ends up in exactly one of the two lists."""
    good: list[tuple[int, dict[str, Any]]] = []
    bad: list[Rejected] = []
    for number, cells in parser.table.rows:
        try:
            good.append((number, parser.parse(cells)))
        except RowError as e:
            bad.append(reject(number, e.code, e.field, str(e.value), **e.extra))
    for check in parser.table.contract.checks:
        good, more = CHECKS[check["rule"]](parser, good, check)
        bad.extend(more)
    bad.sort(key=lambda r: r.row)
    return good, bad


Rows = list[tuple[int, dict[str, Any]]]


def _not_before(p: RowParser, rows: Rows, c: dict) -> tuple[Rows, list[Rejected]]:
    keep, bad = [], []
    for n, r in rows:
        a, b = r.get(c["field"]), r.get(c["other"])
        if a is not None and b is not None and a < b:
            bad.append(reject(n, "date_order", p.header(c["field"]), a.isoformat(), other=p.header(c["other"])))
        else:
            keep.append((n, r))
    return keep, bad


def _required_when(p: RowParser, rows: Rows, c: dict) -> tuple[Rows, list[Rejected]]:
    keep, bad = [], []
    for n, r in rows:
        if r.get(c["field"]) is None and r.get(c["when"]) in c["in"]:
            bad.append(reject(n, f"missing_{c['field']}", p.header(c["field"]), r[c["when"]]))
        else:
            keep.append((n, r))
    return keep, bad


def _daily_hours_max(p: RowParser, rows: Rows, c: dict) -> tuple[Rows, list[Rejected]]:
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    for _, r in rows:
        totals[(r[c["key"]], r[c["date"]])] += r[c["hours"]]
    over = {k for k, v in totals.items() if v > c["max"]}
    keep = [(n, r) for n, r in rows if (r[c["key"]], r[c["date"]]) not in over]
    bad = [reject(n, "daily_hours_exceeded", p.header(c["hours"]), str(totals[(r[c["key"]], r[c["date"]])]))
           for n, r in rows if (r[c["key"]], r[c["date"]]) in over]
    return keep, bad


def _unique_key(p: RowParser, rows: Rows, fields: tuple[str, ...]) -> tuple[Rows, list[Rejected]]:
    seen, keep, bad = set(), [], []
    for n, r in rows:
        k = tuple(r[f] for f in fields)
        if k in seen:
            bad.append(reject(n, "duplicate_key", p.header(fields[0]), "/".join(map(str, k))))
        else:
            seen.add(k)
            keep.append((n, r))
    return keep, bad


CHECKS: dict[str, Callable[[RowParser, Rows, dict], tuple[Rows, list[Rejected]]]] = {
    "not_before": _not_before, "required_when": _required_when, "daily_hours_max": _daily_hours_max,
    "unique": lambda p, rows, c: _unique_key(p, rows, tuple(c["fields"])),
}
