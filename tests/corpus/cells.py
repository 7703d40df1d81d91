"""Corpus cases about what one cell can hold, each class across the formats (CSV, JSON, xlsx):
digits of other scripts, numbers that are not numbers, wrong JSON types, control characters,
separators and precision, formulas, headers and keys given twice, quotes left open, NUL bytes.
Registered into tests.corpus.CASES."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from tests.corpus import case, data, eq, vkey
from tests.corpus import files as F
from tests.corpus.text import vol

FORMATS = ("csv", "json", "xlsx")
X_IDS = [F.person_id(n) for n in (100, 115, 121, 134, 139, 157)]   # each ends in X (the crash class)
SCRIPTS = {"arabic_indic": "٠١٢٣٤٥٦٧٨٩", "persian": "۰۱۲۳۴۵۶۷۸۹", "devanagari": "०१२३४५६७८९",
           "bengali": "০১২৩৪৫৬৭৮৯", "fullwidth": "０１２３４５６７８９", "thai": "๐๑๒๓๔๕๖๗๘๙"}


def in_script(text: str, digits: str) -> str:
    return "".join(digits[int(c)] if c.isdigit() else c for c in text)


def build(fmt: str, header: list[str], rows: list[list[Any]], envelope: dict | None = None) -> bytes:
    """The same table as a CSV (UTF-8 with BOM), a JSON envelope or a workbook."""
    if fmt == "csv":
        return F.csv_bytes([header] + rows)
    if fmt == "json":
        return F.json_bytes({**(envelope or {}), "records": [dict(zip(header, r)) for r in rows]})
    return F.xlsx_bytes([{"name": "数据", "rows": [header] + rows}])


def _keys(expected: list[str]) -> Callable:
    return lambda q, r: eq(q("select volunteer_key from raw_volunteer order by row_number"), [(vkey(i),) for i in expected])


# ---------------------------------------------------------------- digits of any script: normalised
# An ID, a mobile number, a date and the hours written in each script load as the ASCII value
# would (the same volunteer_key); superscripts and circled digits are not digits.
for fmt in FORMATS:
    rows = [vol(f"数{k}", 0, in_script(f"2023/5/{k + 3}", d), in_script("2.5", d), in_script("13812345678", d),
                 id=in_script(X_IDS[k], d)) for k, d in enumerate(SCRIPTS.values())]
    rows.append(vol("上标", 0, "2023/5/20", "2²", id=F.person_id(170)))
    rows.append(vol("圈号", 0, "2023/5/21", "①", id=F.person_id(171)))
    first = 1 if fmt == "json" else 2
    case(name=f"digits_of_any_script_{fmt}", rel=f"射洪市/团市委/volunteer/2023年5月数字.{fmt}",
         build=data(build(fmt, F.VOL_HEADER, rows)), status="accepted", rows=(8, 6, 2),
         quarantined={first + 6: "ambiguous_number", first + 7: "ambiguous_number"},
         check=lambda q, r: (_keys(X_IDS)(q, r),
                             eq(q("select distinct hours, masked_phone from raw_volunteer"), [(D("2.50"), "138****5678")]),
                             eq(q("select count(distinct service_date) from raw_volunteer"), [(6,)])))

# ---------------------------------------------------------------- numbers that are not numbers
_NAN_HOURS = {"csv": ["NaN", "Infinity", "-inf", "1e999", "0.004", "9" * 400, "1e-5", "2"],
              "json": [float("nan"), float("inf"), float("-inf"), 1e308, 0.004, 10 ** 400, 1e-300, 2],
              "xlsx": ["NaN", "Infinity", -1e308, 1e308, 0.004, "9" * 400, 1e-300, 2]}
_NAN_CODES = {"csv": ["bad_number", "bad_number", "bad_number", "ambiguous_number", "rounds_to_zero",
                      "hours_out_of_range", "ambiguous_number"],
              "json": ["bad_number", "bad_number", "bad_number", "hours_out_of_range", "rounds_to_zero",
                       "hours_out_of_range", "rounds_to_zero"],
              "xlsx": ["bad_number", "bad_number", "hours_out_of_range", "hours_out_of_range", "rounds_to_zero",
                       "hours_out_of_range", "rounds_to_zero"]}


def _json_nan(rows: list[list[Any]]) -> bytes:
    """JSON as a form system may write it: NaN and Infinity literals, a 400-digit integer."""
    return json.dumps({"records": [dict(zip(F.VOL_HEADER, r)) for r in rows]}, ensure_ascii=False).encode()


for fmt in FORMATS:
    rows = [vol(f"时{k}", 60 + k, "2023/4/3", h) for k, h in enumerate(_NAN_HOURS[fmt])]
    first = 1 if fmt == "json" else 2
    case(name=f"hours_nan_infinite_huge_tiny_{fmt}", rel=f"射洪市/团市委/volunteer/2023年4月时长.{fmt}",
         build=data(_json_nan(rows) if fmt == "json" else build(fmt, F.VOL_HEADER, rows)), status="accepted",
         rows=(8, 1, 7), quarantined={first + k: c for k, c in enumerate(_NAN_CODES[fmt])},
         check=lambda q, r: eq(q("select hours from raw_volunteer"), [(D("2.00"),)]))

# ---------------------------------------------------------------- wrong JSON types
_TYPED = [("志愿者姓名", True, "wrong_type"), ("服务时长(小时)", [2], "not_a_value"), ("服务日期", {"日": 3}, "not_a_value"),
          ("身份证号", None, "missing_required"), ("服务时长(小时)", False, "wrong_type"),
          ("身份证号", int(X_IDS[0][:17]) * 10, "bad_id_number"), ("活动名称", 12, None)]


def _typed() -> bytes:
    records = []
    for k, (field, value, _) in enumerate(_TYPED):
        record = dict(zip(F.VOL_HEADER, vol(f"型{k}", 70 + k, "2023/6/8")))
        record[field] = value
        records.append(record)
    return F.json_bytes({"records": records})


case(name="json_wrong_types", rel="射洪市/团市委/volunteer/2023年6月类型.json", build=data(_typed), status="accepted",
     rows=(7, 1, 6), quarantined={k + 1: c for k, (_, _, c) in enumerate(_TYPED) if c},
     check=lambda q, r: eq(q("select activity from raw_volunteer"), [("12",)]))

# ---------------------------------------------------------------- control characters
# (a NUL byte in a CSV or JSON file refuses the whole file: below; in a workbook cell it is one)
_CONTROL = [("志愿者姓名", "王\x07明"), ("活动名称", "劝导\x1b[31m"), ("所属队伍", "青年\u202e队"), ("服务日期", "2023/7/9\x08"),
            ("服务类别", "文明\x00交通")]


def _control_rows(fmt: str) -> list[list[Any]]:
    rows = []
    for k, (field, value) in enumerate(c for c in _CONTROL if fmt == "xlsx" or "\x00" not in c[1]):
        row = vol(f"控{k}", 80 + k, "2023/7/9")
        row[F.VOL_HEADER.index(field)] = value
        rows.append(row)
    return rows + [vol("好", 86, "2023/7/9", activity="行\n内换行")]


for fmt in FORMATS:
    first, count = (1 if fmt == "json" else 2), len(_CONTROL) - (fmt != "xlsx")
    case(name=f"control_characters_{fmt}", rel=f"射洪市/团市委/volunteer/2023年7月控制.{fmt}",
         build=data(build(fmt, F.VOL_HEADER, _control_rows(fmt))), status="accepted", rows=(count + 1, 1, count),
         quarantined={first + k: "control_character" for k in range(count)}, words=("\\x1b", "\\u202e"),
         check=lambda q, r: eq(q("select activity from raw_volunteer"), [("行 内换行",)]))


# ---------------------------------------------------------------- separators and precision
_INV = ["项目编号", "项目名称", "责任单位", "计划总投资(元)", "本月完成投资(元)", "累计完成投资(元)", "项目进度"]
_AMOUNTS = [("1,234,567", None), ("1 200", None), ("1,5", "ambiguous_number"), ("1,05", "ambiguous_number"),
            ("1_000", "ambiguous_number"), ("12,34", "ambiguous_number"), ("1.5E+07", "ambiguous_number"),
            ("1.234.567", "ambiguous_number"), ("0.004", "rounds_to_zero"), ("1000000000000", "bad_number")]


for fmt in FORMATS:
    rows = [[f"S-{k}", "x", "住建局", amount, 0, 0, "招投标"] for k, (amount, _) in enumerate(_AMOUNTS)]
    rows.append(["S-R", "x", "住建局", 1, 0, 10001, "招投标"])            # spent 10,001 times the plan
    rows.append(["S-Z", "x", "住建局", 0, 0, 1, "招投标"])                # spent without a plan
    first = 1 if fmt == "json" else 2
    want = {first + k: c for k, (_, c) in enumerate(_AMOUNTS) if c}
    want.update({first + len(_AMOUNTS): "ratio_out_of_range", first + len(_AMOUNTS) + 1: "ratio_out_of_range"})
    case(name=f"separators_and_precision_{fmt}", rel=f"射洪市/发改委/investment/2023年3月分隔符.{fmt}",
         build=data(build(fmt, _INV, rows)), status="accepted", rows=(12, 2, 10), quarantined=want,
         check=lambda q, r: eq(q("select project_code, planned_amount_yuan from raw_investment order by row_number"),
                                [("S-0", D("1234567.00")), ("S-1", D("1200.00"))]))

case(name="dates_outside_the_marts_calendar", rel="射洪市/团市委/volunteer/2023年8月日历.csv",
     build=data(F.csv_bytes([F.VOL_HEADER, vol("早", 90, "2019-12-31"), vol("好", 91, "2023-08-01")])),
     status="accepted", rows=(2, 1, 1), quarantined={2: "date_outside_calendar"}, words=("2020-01-01",))
case(name="period_outside_the_marts_calendar", rel="射洪市/团市委/volunteer/2019年12月.csv",
     build=data(F.csv_bytes([F.VOL_HEADER, vol("早", 92, "2019-12-31")])),
     status="refused", reason="period_outside_calendar", words=("2019-12",))

# ---------------------------------------------------------------- Excel formulas
_FROWS = [["项目编号", "项目名称", "责任单位", "计划总投资(万元)", "本月完成投资(万元)", "累计完成投资(万元)", "项目进度"],
          ["E-1", "a", "住建局", 10, 1, None, "开工建设"], ["E-2", "b", "住建局", 10, 1, None, "开工建设"],
          ["E-3", "c", "住建局", None, 1, 2, "开工建设"], ["E-4", "d", "住建局", 10, 1, 2, "开工建设"]]
_FORMULAS = {(1, 5): ("=E2*2", 2), (2, 5): ("=E3*2", None), (3, 3): ("=5+5", 10)}
case(name="formulas_calculated_by_excel_use_cached_values", rel="射洪市/发改委/investment/2023年2月公式.xlsx",
     build=data(lambda: F.formula_xlsx(_FROWS, _FORMULAS, "excel")), status="accepted", rows=(4, 3, 1),
     quarantined={3: "formula_not_calculated"}, words=("公式未计算",),
     check=lambda q, r: eq(q("""select project_code, planned_amount_yuan, cumulative_amount_yuan from raw_investment
                                 order by row_number"""),
                            [("E-1", D("100000.00"), D("20000.00")), ("E-3", D("100000.00"), D("20000.00")),
                             ("E-4", D("100000.00"), D("20000.00"))]))
for writer, month in (("xlsxwriter", "2023年1月"), ("openpyxl", "2022年12月")):
    case(name=f"formulas_from_{writer}_not_calculated", rel=f"射洪市/发改委/investment/{month}公式{writer}.xlsx",
         build=(lambda w: data(lambda: F.formula_xlsx(_FROWS, _FORMULAS, w)))(writer), status="accepted",
         rows=(4, 1, 3), quarantined={2: "formula_not_calculated", 3: "formula_not_calculated",
                                      4: "formula_not_calculated"},
         check=lambda q, r: eq(q("select project_code from raw_investment"), [("E-4",)]))

# ---------------------------------------------------------------- a field named twice
for fmt in FORMATS:
    header = F.VOL_HEADER + ["时长"]
    case(name=f"header_names_a_field_twice_{fmt}", rel=f"射洪市/团市委/volunteer/2023年2月两列.{fmt}",
         build=data(build(fmt, header, [vol("甲", 93, "2023/2/3", 2) + [3]])), status="refused",
         reason="duplicate_header", words=("服务时长(小时)", "时长", "第 8 列", "第 9 列"))

_REC = dict(zip(F.VOL_HEADER, vol("甲", 94, "2023/9/4")))
_TWICE = json.dumps(_REC, ensure_ascii=False)[:-1] + ', "服务时长(小时)": 20}'
case(name="json_record_with_a_key_twice_quarantined", rel="射洪市/团市委/volunteer/2023年9月重复键.json",
     build=data(('{"records": [%s, %s]}' % (json.dumps(dict(_REC, 身份证号=F.person_id(95)), ensure_ascii=False),
                                           _TWICE)).encode()),
     status="accepted", rows=(2, 1, 1), quarantined={2: "duplicate_field"}, words=("服务时长(小时)",))
case(name="json_envelope_keys_disagree", rel="射洪市/团市委/volunteer/2023年10月信封.json",
     build=data(F.json_bytes({"city": "射洪市", "城市": "格尔木市", "records": [_REC]})),
     status="refused", reason="metadata_conflict", words=("射洪市", "格尔木市", "city", "城市"))

# ---------------------------------------------------------------- quotes left open, NUL bytes
_LINES = [",".join(map(str, vol(f"引{k}", 96 + k, "2023/11/5"))) for k in range(4)]


def _quote(closing: bool) -> bytes:
    lines = [",".join(F.VOL_HEADER), _LINES[0], '"' + _LINES[1], _LINES[2], _LINES[3] + ('"' if closing else "")]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


for closing in (False, True):
    case(name=f"csv_quote_left_open_{'closed_later' if closing else 'to_the_end'}",
         rel=f"射洪市/团市委/volunteer/2023年11月引号{int(closing)}.csv", build=data(_quote(closing)),
         status="refused", reason="unclosed_quote", words=("第 3 行", "引号"))
case(name="csv_line_break_inside_a_cell_loads", rel="射洪市/团市委/volunteer/2023年11月换行.csv",
     build=data(F.csv_bytes([F.VOL_HEADER, vol("甲", 100, "2023/11/6", activity="文明\n劝导,路口"),
                             vol("乙", 101, "2023/11/6")])),
     status="accepted", rows=(2, 2, 0))


def _nul(where: int) -> bytes:
    body = F.csv_bytes([F.VOL_HEADER] + [vol("零", 102, "2023/12/7", 0.5)] * 4000)
    return body[:where] + b"\x00" + body[where:]


for where, label in ((200, "in_the_sample"), (300_000, "beyond_the_sample")):
    case(name=f"csv_nul_byte_{label}_refused", rel=f"射洪市/团市委/volunteer/2023年12月空字节{label}.csv",
         build=data(lambda where=where: _nul(where)), status="refused", reason="damaged_file", words=("NUL",))
case(name="json_nul_byte_refused", rel="射洪市/团市委/volunteer/2023年12月空字节.json",
     build=data(F.json_bytes({"records": [_REC]}).replace(b"2023/9/4", b"2023/9/4\x00")),
     status="refused", reason="damaged_file")

# ---------------------------------------------------------------- rows below the footer: counted, never lost
for fmt in ("csv", "xlsx"):
    rows = [vol("甲", 103, "2023/12/8"), ["填表人:张三", None, None, "审核人:李四"], vol("乙", 104, "2023/12/9"),
            ["2024年1月5日"]]
    case(name=f"data_below_the_footer_quarantined_{fmt}", rel=f"射洪市/团市委/volunteer/2023年12月表尾.{fmt}",
         build=data(build(fmt, F.VOL_HEADER, rows)), status="accepted", rows=(2, 1, 1),
         quarantined={4: "after_footer"}, words=("表尾说明",),
         check=lambda q, r: (eq(r.rows_skipped, 2), eq(q("select masked_name from raw_volunteer"), [("甲*",)])))

# ---------------------------------------------------------------- JSON text no UTF-8 can hold (a lone surrogate)
_LONE = json.dumps(dict(_REC, 身份证号=F.person_id(105), 活动名称="劝导"), ensure_ascii=True).replace("\\u5bfc", "\\ud800")
case(name="json_lone_surrogate_quarantined", rel="射洪市/团市委/volunteer/2024年1月代理项.json",
     build=data(('{"records": [%s, %s]}' % (json.dumps(dict(_REC, 服务日期="2024/1/4"), ensure_ascii=False),
                                           _LONE.replace("2023/9/4", "2024/1/5"))).encode()),
     status="accepted", rows=(2, 1, 1), quarantined={2: "bad_character"}, today=dt.date(2026, 1, 1))
