"""Cell value parsers: text, amounts, hours, reporting periods. Each raises ValueError with a
Chinese message on input it cannot read; nothing becomes None silently. (Dates and personal data
are ruled in SQL: ingest.rows.column_sql.)"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

EXCEL_EPOCH = dt.date(1899, 12, 30)
UNIT_FACTORS = {"元": Decimal(1), "万元": Decimal(10_000), "亿元": Decimal(100_000_000)}
# Dates outside this window are typos (a clerk's '5' read as an Excel serial is 1900-01-04).
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
SERIALS = ((FIRST_DAY - EXCEL_EPOCH).days, (LAST_DAY - EXCEL_EPOCH).days)
# The days the marts' calendar (dbt_project/models/marts/dim_date.sql) holds: the mart audit
# refuses a fact dated outside it, so ingest quarantines such dates in the fields it audits.
CALENDAR = (dt.date(2020, 1, 1), dt.date(2030, 12, 31))
MAX_CELL_CHARS = 32_767          # Excel's own limit for one cell
# Cells clerks use to mean "nothing here".
BLANK_MARKS = frozenset({"-", "--", "—", "——", "/", "无", "暂无", "空", "N/A", "n/a", "#N/A", "null", "NULL", "None"})

_UNIT_RE = re.compile(r"(亿元|万元|元)")
_SPACE_RE = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")   # whitespace and zero-width marks (a stray BOM)
_AMOUNT_UNIT_RE = re.compile(r"^(.*?)(亿元|万元|元)$")
_HOURS_RE = re.compile(r"^(.*?)(小时|h|H|个小时|分钟|min)$")
_ANNUAL_RE = re.compile(r"(20\d{2})\s*年\s*(?:度|全年|1\s*[-~～至到]\s*12\s*月)")
_RANGE_RE = re.compile(r"(?:(20\d{2})\s*年\s*)?(\d{1,2})\s*月?\s*[-~～至到]\s*(\d{1,2})\s*月")
_YM_RE = re.compile(r"(?<!\d)(20\d{2})\s*(?:[-/.年]\s*(\d{1,2})(?!\d)|(0[1-9]|1[0-2])(?!\d))")
_M_RE = re.compile(r"(?<!\d)(\d{1,2})\s*月")
_CENT = Decimal("0.01")
# A plain number after normalising: digits grouped by three only with ',' or ' ' (1,234,567.5 or
# 1 200); '1,5', '1,05' and '1_000' are not groupings of anything and are refused, never guessed.
_NUMBER_RE = re.compile(r"^[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+|[0-9]*)(?:\.[0-9]*)?$")
_SCIENTIFIC_RE = re.compile(r"^[+-]?[0-9.,]+[eE][+-]?[0-9]+$")


class AmbiguousNumber(ValueError):
    """A value that reads as a number only by guessing (a decimal comma, a digit of another kind)."""


def ascii_digits(text: str) -> str:
    """Decimal digits of any script (٥١٠, ५१०, ５１０) as ASCII digits; other characters kept."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def number_text(value: object) -> str:
    """A cell as number text: digits of any script made ASCII, spaces collapsed. Characters that
    only look like digits (superscripts ², circled ①, fractions ½) are refused: NFKC would turn
    '1²' into '12'."""
    raw = str(value)
    if not raw.isascii() and any(unicodedata.category(c) == "No" for c in raw):
        raise AmbiguousNumber("含有上标、圈号或分数等非数字字符")
    return ascii_digits(clean_text(raw))


def clean_text(value: object) -> str:
    """NFKC (full-width digits/brackets to half-width), collapse inner whitespace, strip."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return _SPACE_RE.sub(" ", text).strip()


def is_blank(value: object) -> bool:
    text = clean_text(value)
    return text == "" or text in BLANK_MARKS


def unit_in(text: str) -> Decimal | None:
    """The money unit named in a header or title, e.g. 计划总投资(万元) or 单位:亿元."""
    m = _UNIT_RE.search(clean_text(text))
    return UNIT_FACTORS[m.group(1)] if m else None


def parse_decimal(value: object) -> Decimal:
    """A number exactly as written. Text follows one grammar (see _NUMBER_RE); NaN, Infinity,
    booleans and scientific notation text (what Excel shows of a number it has rounded) raise."""
    if isinstance(value, bool):
        raise ValueError("不是数字")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("不是有效的数字")
        return Decimal(repr(value))  # shortest round-trip repr: 1035.6 -> Decimal('1035.6')
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
        if not number.is_finite():
            raise ValueError("不是有效的数字")
        return number
    text = number_text(value)
    text = text[1:].lstrip() if text[:1] == "¥" else text
    if _SCIENTIFIC_RE.match(text):
        raise AmbiguousNumber("科学计数法,数值可能已被 Excel 截断")
    if not _NUMBER_RE.match(text) or not any(c.isdigit() for c in text):
        if re.fullmatch(r"[+-]?[0-9][0-9,._ ]*", text):
            raise AmbiguousNumber("分隔符位置不对:千位分隔须每三位一组(如 1,234,567),小数请用小数点")
        raise ValueError("不是有效的数字")
    try:
        return Decimal(text.replace(",", "").replace(" ", ""))
    except InvalidOperation:
        raise ValueError("不是有效的数字") from None


class RoundsToZero(ValueError):
    """A value that is not 0 but becomes 0 at the precision the marts store."""


def parse_amount(value: object, factor: Decimal) -> Decimal:
    """An amount in the file's unit -> exact yuan, 2 decimals. A unit written in the cell
    itself ('1,035.6万元') wins over the header's or title's."""
    if isinstance(value, str):
        m = _AMOUNT_UNIT_RE.match(clean_text(value))
        if m:
            value, factor = m.group(1), UNIT_FACTORS[m.group(2)]
    exact = parse_decimal(value) * factor
    return to_cents(exact, "0.01 元")


def to_cents(exact: Decimal, unit: str) -> Decimal:
    """Rounded half up (四舍五入) to 2 decimals, the marts' precision; a value that is not 0 but
    rounds to 0 raises RoundsToZero (unit names the step in the message)."""
    rounded = exact.quantize(_CENT, rounding=ROUND_HALF_UP)
    if rounded == 0 and exact != 0:
        raise RoundsToZero(unit)
    return rounded


def parse_hours(value: object) -> Decimal:
    """Hours as typed: 2, 2.5, '2小时', '90分钟'."""
    if isinstance(value, str):
        m = _HOURS_RE.match(clean_text(value))
        if m:
            number = parse_decimal(m.group(1))
            return number / 60 if m.group(2) in ("分钟", "min") else number
    return parse_decimal(value)


class Period(NamedTuple):
    """A reporting period: (year, month). year None: the clerk left it out ('5月');
    month None: a whole year (an annual export, '2021年度')."""
    year: int | None
    month: int | None

    @property
    def annual(self) -> bool:
        return self.month is None

    def label(self) -> str:
        if self.month is None:
            return f"{self.year}年度"
        return f"{self.year}-{self.month:02d}" if self.year else f"{self.month}月"


def parse_period(text: str) -> Period | None:
    """A reporting period from free text; None when the text names none.
    '2022-05', '2022年5月', '202205', '5月', '截至5月31日' -> month; '2022年1-5月' -> May
    (to date); '2021年度' -> the year 2021."""
    text = clean_text(text)
    m = _ANNUAL_RE.search(text)
    if m:
        return Period(int(m.group(1)), None)
    m = _RANGE_RE.search(text)
    if m and 1 <= int(m.group(3)) <= 12:
        return Period(int(m.group(1)) if m.group(1) else None, int(m.group(3)))
    m = _YM_RE.search(text)
    if m:
        month = int(m.group(2) or m.group(3))
        if 1 <= month <= 12:
            return Period(int(m.group(1)), month)
    m = _M_RE.search(text)
    if m and 1 <= int(m.group(1)) <= 12:
        return Period(None, int(m.group(1)))
    return None
