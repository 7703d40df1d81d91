"""Cell value parsers: text, amounts, dates, reporting periods. Each raises ValueError with a
Chinese message on input it cannot read; nothing becomes None silently."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

EXCEL_EPOCH = dt.date(1899, 12, 30)
UNIT_FACTORS = {"元": Decimal(1), "万元": Decimal(10_000), "亿元": Decimal(100_000_000)}
_UNIT_RE = re.compile(r"(亿元|万元|元)")
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_YM_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})(?!\d)")
_M_RE = re.compile(r"(?<!\d)(\d{1,2})\s*月")
_CENT = Decimal("0.01")


def clean_text(value: object) -> str:
    """NFKC (full-width digits/brackets to half-width), collapse inner whitespace, strip."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", " ", text).strip()


def unit_in(text: str) -> Decimal | None:
    """The money unit named in a header or title, e.g. 计划总投资(万元) or 单位:亿元."""
    m = _UNIT_RE.search(clean_text(text))
    return UNIT_FACTORS[m.group(1)] if m else None


def parse_decimal(value: object) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("不是数字")
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # shortest round-trip repr: 1035.6 -> Decimal('1035.6')
    text = clean_text(value).replace(",", "").replace(" ", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError("不是有效的数字") from None
    if not number.is_finite():
        raise ValueError("不是有效的数字")
    return number


def parse_amount(value: object, factor: Decimal) -> Decimal:
    """An amount in the file's unit -> exact yuan, 2 decimals."""
    return (parse_decimal(value) * factor).quantize(_CENT, rounding=ROUND_HALF_UP)  # 四舍五入


def parse_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2_958_466:  # Excel serial day number
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueError("不是有效的日期")
    text = clean_text(value)
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return EXCEL_EPOCH + dt.timedelta(days=int(float(text)))
    m = _DATE_RE.match(text)
    if not m:
        raise ValueError("日期格式无法识别")
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueError("日期不存在") from None


def parse_period(text: str) -> tuple[int | None, int] | None:
    """A reporting month from free text: (year, month); year None when the clerk left it out.
    '2022-05', '2022年5月', '5月', '截至5月31日' -> ..., None when the text names no month."""
    text = clean_text(text)
    m = _YM_RE.search(text)
    if m and 1 <= int(m.group(2)) <= 12 and 2000 <= int(m.group(1)) <= 2100:
        return int(m.group(1)), int(m.group(2))
    m = _M_RE.search(text)
    if m and 1 <= int(m.group(1)) <= 12:
        return None, int(m.group(1))
    return None
