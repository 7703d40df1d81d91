import datetime as dt
import re
from decimal import Decimal

import pytest

from ingest.rows.column_sql import ColumnRules, prepared_text
from ingest.rows.values import (CALENDAR, AmbiguousNumber, RoundsToZero, clean_text, parse_amount,
                                parse_decimal, parse_period, unit_in)
from tests.conftest import REPO


def date_of(raw, today=dt.date(2026, 1, 1)):
    """The date rule (SQL, ingest.rows.date_sql) on one cell: (day, None) or (None, reason)."""
    text, ready = prepared_text("date", raw)
    params = {"today": today, "not_future": True, "in_calendar": False, "first": CALENDAR[0], "last": CALENDAR[1]}
    (value, error), = ColumnRules(b"k").outcomes("date", [text], [ready], params)
    return value, error


@pytest.mark.parametrize("raw, expected", [
    ("2022-05-20", dt.date(2022, 5, 20)), ("2022/5/20", dt.date(2022, 5, 20)),
    ("2022.5.20", dt.date(2022, 5, 20)), ("2022年5月20日", dt.date(2022, 5, 20)),
    (" ２０２２年５月２０日 ", dt.date(2022, 5, 20)), (44701, dt.date(2022, 5, 20)),
    (44701.0, dt.date(2022, 5, 20)), ("44701", dt.date(2022, 5, 20)), ("20220520", dt.date(2022, 5, 20)),
    (dt.datetime(2022, 5, 20, 8, 30), dt.date(2022, 5, 20)), ("2022-05-20 00:00:00", dt.date(2022, 5, 20)),
])
def test_dates(raw, expected):
    assert date_of(raw) == (expected, None)


@pytest.mark.parametrize("raw, reason", [
    ("2022-13-01", "bad_date"), ("2022-02-30", "bad_date"), ("明天", "bad_date"), ("5/20", "bad_date"),
    (20220520, "bad_date"), ("1999-12-31", "bad_date"), (36525, "bad_date"), ("2026-01-02", "date_in_future"),
])
def test_bad_dates(raw, reason):
    assert date_of(raw) == (None, reason)


@pytest.mark.parametrize("raw, unit, expected", [
    (1035.6, "万元", "10356000.00"), ("1,035.60", "万元", "10356000.00"), ("１２３", "元", "123.00"),
    (0.038, "亿元", "3800000.00"), (885.01, "万元", "8850100.00"), ("12.345", "元", "12.35"),
])
def test_amounts_exact_yuan(raw, unit, expected):
    assert parse_amount(raw, unit_in(unit)) == Decimal(expected)


@pytest.mark.parametrize("text, expected", [
    ("2022-05", (2022, 5)), ("2022年5月", (2022, 5)), ("5月", (None, 5)), ("截至5月31日", (None, 5)),
    ("格尔木市创建全国文明城市项目投资情况表(2022年5月)", (2022, 5)), ("export_20220601", None),
    ("6月志愿服务记录", (None, 6)),
])
def test_periods(text, expected):
    assert parse_period(text) == expected


def test_units_and_text():
    assert unit_in("计划总投资（万元）") == Decimal(10000)
    assert unit_in("单位:亿元") == Decimal(100_000_000)
    assert unit_in("项目名称") is None
    assert clean_text("  （万元） ") == "(万元)"


@pytest.mark.parametrize("raw, expected", [
    ("1,234,567", "1234567"), ("1 200", "1200"), ("1,234.5", "1234.5"), (".5", "0.5"), ("+3", "3"),
    ("٥١٠", "510"), ("५.५", "5.5"), ("৩", "3"), ("１,２００.５", "1200.5"), ("¥10,250.00", "10250.00"),
])
def test_numbers_read_exactly(raw, expected):
    assert parse_decimal(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["1,5", "1,05", "12,34", "1,2345", "1_000", "1.234.567", "1 5", "1.5E+07", "1e5",
                                 "2²", "①"])
def test_ambiguous_numbers_are_never_guessed(raw):
    with pytest.raises(AmbiguousNumber):
        parse_decimal(raw)


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-inf", float("nan"), float("inf"), Decimal("NaN"), True, "", "-"])
def test_not_numbers(raw):
    with pytest.raises(ValueError):
        parse_decimal(raw)


@pytest.mark.parametrize("raw, unit", [("0.004", "元"), (1e-300, "元"), ("0.0000001", "万元"), ("-0.001", "元")])
def test_amounts_that_round_to_zero_are_refused(raw, unit):
    with pytest.raises(RoundsToZero):
        parse_amount(raw, unit_in(unit))


def test_calendar_is_the_marts_calendar():
    """Ingest holds audited dates to the days dim_date has (the mart audit checks them)."""
    sql = (REPO / "dbt_project" / "models" / "marts" / "dim_date.sql").read_text(encoding="utf-8")
    first, last = sorted(set(re.findall(r"date '(\d{4}-\d\d-\d\d)'", sql)))
    assert CALENDAR == (dt.date.fromisoformat(first), dt.date.fromisoformat(last))
