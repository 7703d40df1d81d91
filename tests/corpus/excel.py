"""The corpus: Excel layouts and hostile workbooks."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from tests.corpus import D, case, data, eq, vkey
from tests.corpus import files as F


# ---------------------------------------------------------------- Excel layouts
INV_TITLE = [["格尔木市创建全国文明城市项目投资情况表(2022年5月)"],
             ["填报单位:格尔木市发展和改革委员会", None, None, None, None, "填报日期:2022年6月5日", None, None, "单位:万元"]]


def inv_row(seq: Any, code: str, amount: Any, stage: str = "编制方案/可研", dept: str = "市住建局", **kw: Any) -> list:
    row = [seq, code, f"项目{code}", dept, "环境卫生", amount, kw.get("month", 0), kw.get("cum", 0), stage,
           kw.get("start"), kw.get("finish")]
    return row


def _check_inv(expected: list[tuple]) -> Callable:
    def check(q, r) -> None:
        got = q("""select project_code, planned_amount_yuan, month_amount_yuan, cumulative_amount_yuan, stage,
                   start_date, row_number from raw_investment order by row_number""")
        assert got == expected, got
    return check


case(name="xlsx_title_rows_units_seq_blank_total_footer", rel="格尔木市/市发改委/investment/2022年5月投资台账.xlsx",
     build=data(lambda: F.xlsx_bytes([{"name": "投资台账", "rows": INV_TITLE + [F.INV_HEADER,
         inv_row(1, "P-1", 1035.6), [], inv_row(2, "P-2", "１,２００.５", "开工建设", month=10.25, cum=20.5,
                                                     start="2022年4月9日"),
         [None] * 3, ["合计", None, None, None, None, 2236.1, 10.25, 20.5],
         ["填表人:张三", None, None, "审核人:李四", None, None, "联系电话:0979-8412345"],
         ["注:本表金额单位为万元"]]}, {"name": "填报说明", "rows": [["请按月填报"]]}])),
     status="accepted", rows=(2, 2, 0),
     check=_check_inv([("P-1", D("10356000.00"), D("0.00"), D("0.00"), "编制方案/可研", None, 4),
                       ("P-2", D("12005000.00"), D("102500.00"), D("205000.00"), "开工建设", dt.date(2022, 4, 9), 6)]))

# two-row header: 投资情况(万元) merged over three sub-headers; other headers merged down both rows
_TWO_ROW = {"name": "5月", "rows": [["格尔木市创建项目投资台账"], [],
                                    [None, None, None, None, None, None, None, None, None],
                                    [None, None, None, None, None, "计划总投资", "本月完成", "累计完成"],
                                    [1, "P-10", "公厕改造", "市城管局", "一般", 100, 1.5, 30, "开工建设"],
                                    [2, "P-11", "站台升级", "市交通局", "一般", "200", "", "0", "施工图设计"]],
            "merge": [(2, 0, 3, 0, "序号"), (2, 1, 3, 1, "项目编号"), (2, 2, 3, 2, "项目名称"), (2, 3, 3, 3, "责任单位"),
                      (2, 4, 3, 4, "项目类别"), (2, 5, 2, 7, "投资情况(万元)"), (2, 8, 3, 8, "项目进度")]}
case(name="xlsx_two_row_merged_header_unit_in_parent", rel="格尔木市/发改委/investment/2022年5月项目台账.xlsx",
     build=data(lambda: F.xlsx_bytes([_TWO_ROW])), status="accepted", rows=(2, 2, 0),
     check=_check_inv([("P-10", D("1000000.00"), D("15000.00"), D("300000.00"), "开工建设", None, 5),
                       ("P-11", D("2000000.00"), None, D("0.00"), "施工图设计", None, 6)]))

case(name="xlsx_right_sheet_among_instructions_dictionary_hidden_copy",
     rel="寿光市/市住建局/investment/2022年5月.xlsx",
     build=data(lambda: F.xlsx_bytes([
         {"name": "填报说明", "rows": [["说明:金额单位万元"], ["项目进度填写:编制方案/可研、施工图设计……"]]},
         {"name": "4月(旧)", "hidden": True, "rows": [F.INV_HEADER, inv_row(1, "OLD-1", 1)]},
         {"name": "字典", "rows": [["项目进度"], ["编制方案/可研"], ["施工图设计"]]},
         {"name": "5月", "rows": [["单位:亿元"], F.INV_HEADER, inv_row(1, "SG-1", 0.038, "在建", "住建局")]}])),
     status="accepted", rows=(1, 1, 0),
     check=lambda q, r: (eq(r.sheet, "5月"),
                         _check_inv([("SG-1", D("3800000.00"), D("0.00"), D("0.00"), "开工建设", None, 3)])(q, r)))

case(name="xlsx_two_filled_sheets_refused_naming_both", rel="寿光市/市住建局/investment/2022年6月.xlsx",
     build=data(lambda: F.xlsx_bytes([{"name": "5月", "rows": [F.INV_HEADER, inv_row(1, "A", 1)]},
                                      {"name": "6月", "rows": [F.INV_HEADER, inv_row(1, "B", 2)]}])),
     status="refused", reason="ambiguous_sheets", words=("“5月”", "“6月”", "隐藏"))

case(name="xlsx_template_rows_with_only_seq_are_blank", rel="射洪市/发改委/investment/2022年4月.xlsx",
     build=data(lambda: F.xlsx_bytes([{"name": "Sheet1", "rows": [F.INV_HEADER_WAN, inv_row(1, "SH-1", 5),
                                                                  inv_row(2, "SH-2", 6)] + [[n] for n in range(3, 21)]}])),
     status="accepted", rows=(2, 2, 0),
     check=lambda q, r: eq(r.rows_skipped, 18))

_DATES = [dt.date(2022, 5, 20), 44701, "44701", "2022年5月20日", "2022.5.20", "2022/5/20", "2022-05-20",
          "２０２２年５月２０日", "20220520", " 2022-05-20 00:00:00 "]
case(name="xlsx_every_date_form", rel="毕节市/市住建局/investment/2022年5月投资.xlsx",
     build=data(lambda: F.xlsx_bytes([{"name": "台账", "rows": [F.INV_HEADER_WAN] + [
         inv_row(i + 1, f"BJ-{i}", 1, "开工建设", start=d) for i, d in enumerate(_DATES)]}])),
     status="accepted", rows=(len(_DATES), len(_DATES), 0),
     check=lambda q, r: eq(q("select distinct start_date from raw_investment"), [(dt.date(2022, 5, 20),)]))

_NUM_IDS = F.exact_only_ids(3)
case(name="xlsx_ids_stored_as_excel_numbers_refused", rel="射洪市/市文明办/volunteer/2022年5月志愿服务.xlsx",
     build=data(lambda: F.xlsx_bytes([{"name": "记录", "rows": [F.VOL_HEADER,
         ["张三", int(_NUM_IDS[0]), 13812345678, "青年队", "文明劝导", "文明劝导", dt.date(2022, 5, 3), 2],
         ["李四", _NUM_IDS[1], "13912345678", "青年队", "文明劝导", "文明劝导", dt.date(2022, 5, 4), 3]]}])),
     status="accepted", rows=(2, 1, 1), quarantined={2: "id_not_text"},
     check=lambda q, r: eq(q("select volunteer_key, masked_phone from raw_volunteer"),
                            [(vkey(_NUM_IDS[1]), "139****5678")]))

case(name="xlsx_ids_stored_as_full_digit_numbers_recovered", rel="射洪市/团市委/volunteer/2022年5月.xlsx",
     build=data(lambda: F.exact_number_xlsx([F.VOL_HEADER] + [
         [n, k + 1, 13800000000 + k, "团市委", "敬老", "敬老助残", dt.datetime(2022, 5, 10 + k), 1.5]
         for k, n in enumerate(("王五", "赵六", "孙七"))], "B", {k + 2: i for k, i in enumerate(_NUM_IDS)})),
     status="accepted", rows=(3, 3, 0),
     check=lambda q, r: eq(q("select volunteer_key from raw_volunteer order by row_number"),
                            [(vkey(i),) for i in _NUM_IDS]))

# ---------------------------------------------------------------- hostile workbooks
_GOOD_XLSX = F.xlsx_bytes([{"name": "台账", "rows": [F.INV_HEADER, inv_row(1, "T-1", 1)] * 30}])
case(name="xlsx_truncated", rel="格尔木市/市发改委/investment/2022年4月截断.xlsx",
     build=data(_GOOD_XLSX[: len(_GOOD_XLSX) * 2 // 3]), status="refused", reason="unreadable_xlsx",
     words=("不完整",))
case(name="xlsx_zip_bomb_refused_by_ratio", rel="格尔木市/市发改委/investment/2022年3月.xlsx",
     build=data(F.zip_bomb), status="refused", reason="zip_bomb", words=("压缩比",))
case(name="xlsx_zip_lying_about_sizes", rel="格尔木市/市发改委/investment/2022年2月.xlsx",
     build=data(F.lying_zip), status="refused", reason="zip_bomb", words=("实际解压超过声明",))
case(name="xlsx_binary_garbage", rel="格尔木市/市发改委/investment/2022年1月.xlsx",
     build=data(bytes((i * 7919 + 13) % 256 for i in range(50_000))), status="refused", reason="unreadable_xlsx")
case(name="xls_that_is_really_html", rel="格尔木市/市发改委/investment/2021年12月.xls",
     build=data("<html><body><table><tr><td>项目编号</td></tr></table></body></html>".encode()),
     status="refused", reason="html_not_excel", words=("另存为",))
