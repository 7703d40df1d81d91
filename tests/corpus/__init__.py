"""The awkward-file corpus: what departments really send, and what hostile input looks like.

Each Case writes its file(s) into a landing folder and states the exact outcome ingest must
reach: status, reason code, row counts, the refused rows, words the clerk's message must
contain, and (for loaded files) a check of the loaded values in the raw database.
`tests/ingest/test_corpus.py` runs one test per case and a reconciliation over all of them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingest.demo.ids import wrong_check
from tests.corpus import files as F

TODAY = dt.date(2026, 1, 1)
KEY = b"test-key"          # tests/conftest.py sets CAMPAIGN_HASH_KEY=test-key
D = Decimal


def vkey(id_number: str) -> str:
    return hmac.new(KEY, id_number.upper().encode(), hashlib.sha256).hexdigest()


@dataclass
class Case:
    name: str
    rel: str                                        # landing path of the file the case is about
    build: Callable[[Path, str], None]              # writes the file(s) under landing
    status: str
    reason: str | None = None
    rows: tuple[int, int, int] | None = None        # rows_in, loaded, quarantined (ledger)
    quarantined: dict[int, str] | None = None       # exact: row -> reason code
    words: tuple[str, ...] = ()                     # must appear in the receipt message / text
    check: Callable[[Any, Any], None] | None = None  # (query(sql, params), receipt) -> asserts values
    today: dt.date = TODAY
    shared: bool = True                             # also part of the one-landing reconciliation


def data(content: bytes | Callable[[], bytes]) -> Callable[[Path, str], None]:
    return lambda landing, rel: F.put(landing, rel, content() if callable(content) else content)


CASES: list[Case] = []


def case(**kw: Any) -> None:
    CASES.append(Case(**kw))


# ---------------------------------------------------------------- Excel layouts
INV_TITLE = [["格尔木市创建全国文明城市项目投资情况表(2022年5月)"],
             ["填报单位:格尔木市发展和改革委员会", None, None, None, None, "填报日期:2022年6月5日", None, None, "单位:万元"]]


def _inv_row(seq: Any, code: str, amount: Any, stage: str = "编制方案/可研", dept: str = "市住建局", **kw: Any) -> list:
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
         _inv_row(1, "P-1", 1035.6), [], _inv_row(2, "P-2", "１,２００.５", "开工建设", month=10.25, cum=20.5,
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
         {"name": "4月(旧)", "hidden": True, "rows": [F.INV_HEADER, _inv_row(1, "OLD-1", 1)]},
         {"name": "字典", "rows": [["项目进度"], ["编制方案/可研"], ["施工图设计"]]},
         {"name": "5月", "rows": [["单位:亿元"], F.INV_HEADER, _inv_row(1, "SG-1", 0.038, "在建", "住建局")]}])),
     status="accepted", rows=(1, 1, 0),
     check=lambda q, r: (_eq(r.sheet, "5月"),
                         _check_inv([("SG-1", D("3800000.00"), D("0.00"), D("0.00"), "开工建设", None, 3)])(q, r)))

case(name="xlsx_two_filled_sheets_refused_naming_both", rel="寿光市/市住建局/investment/2022年6月.xlsx",
     build=data(lambda: F.xlsx_bytes([{"name": "5月", "rows": [F.INV_HEADER, _inv_row(1, "A", 1)]},
                                      {"name": "6月", "rows": [F.INV_HEADER, _inv_row(1, "B", 2)]}])),
     status="refused", reason="ambiguous_sheets", words=("“5月”", "“6月”", "隐藏"))

case(name="xlsx_template_rows_with_only_seq_are_blank", rel="射洪市/发改委/investment/2022年4月.xlsx",
     build=data(lambda: F.xlsx_bytes([{"name": "Sheet1", "rows": [F.INV_HEADER_WAN, _inv_row(1, "SH-1", 5),
                                                                  _inv_row(2, "SH-2", 6)] + [[n] for n in range(3, 21)]}])),
     status="accepted", rows=(2, 2, 0),
     check=lambda q, r: _eq(r.rows_skipped, 18))

_DATES = [dt.date(2022, 5, 20), 44701, "44701", "2022年5月20日", "2022.5.20", "2022/5/20", "2022-05-20",
          "２０２２年５月２０日", "20220520", " 2022-05-20 00:00:00 "]
case(name="xlsx_every_date_form", rel="毕节市/市住建局/investment/2022年5月投资.xlsx",
     build=data(lambda: F.xlsx_bytes([{"name": "台账", "rows": [F.INV_HEADER_WAN] + [
         _inv_row(i + 1, f"BJ-{i}", 1, "开工建设", start=d) for i, d in enumerate(_DATES)]}])),
     status="accepted", rows=(len(_DATES), len(_DATES), 0),
     check=lambda q, r: _eq(q("select distinct start_date from raw_investment"), [(dt.date(2022, 5, 20),)]))

_NUM_IDS = F.exact_only_ids(3)
case(name="xlsx_ids_stored_as_excel_numbers_refused", rel="射洪市/市文明办/volunteer/2022年5月志愿服务.xlsx",
     build=data(lambda: F.xlsx_bytes([{"name": "记录", "rows": [F.VOL_HEADER,
         ["张三", int(_NUM_IDS[0]), 13812345678, "青年队", "文明劝导", "文明劝导", dt.date(2022, 5, 3), 2],
         ["李四", _NUM_IDS[1], "13912345678", "青年队", "文明劝导", "文明劝导", dt.date(2022, 5, 4), 3]]}])),
     status="accepted", rows=(2, 1, 1), quarantined={2: "id_not_text"},
     check=lambda q, r: _eq(q("select volunteer_key, masked_phone from raw_volunteer"),
                            [(vkey(_NUM_IDS[1]), "139****5678")]))

case(name="xlsx_ids_stored_as_full_digit_numbers_recovered", rel="射洪市/团市委/volunteer/2022年5月.xlsx",
     build=data(lambda: F.exact_number_xlsx([F.VOL_HEADER] + [
         [n, k + 1, 13800000000 + k, "团市委", "敬老", "敬老助残", dt.datetime(2022, 5, 10 + k), 1.5]
         for k, n in enumerate(("王五", "赵六", "孙七"))], "B", {k + 2: i for k, i in enumerate(_NUM_IDS)})),
     status="accepted", rows=(3, 3, 0),
     check=lambda q, r: _eq(q("select volunteer_key from raw_volunteer order by row_number"),
                            [(vkey(i),) for i in _NUM_IDS]))

# ---------------------------------------------------------------- hostile workbooks
_GOOD_XLSX = F.xlsx_bytes([{"name": "台账", "rows": [F.INV_HEADER, _inv_row(1, "T-1", 1)] * 30}])
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


# ---------------------------------------------------------------- CSV, encodings, values
def _vol(name: str, n: int, day: str, hours: Any = 2, phone: Any = "13812345678", **kw: Any) -> list:
    return [name, kw.get("id", F.person_id(n)), phone, kw.get("team", "青年队"), kw.get("activity", "文明交通劝导"),
            "文明交通", day, hours]


_VOL5 = [F.VOL_HEADER, _vol("王小明", 1, "2022/5/3"), _vol("李四", 2, "2022/5/4", 3.5)]


def _check_vol(expected: list[tuple]) -> Callable:
    def check(q, r) -> None:
        got = q("select volunteer_key, masked_name, masked_phone, service_date, hours from raw_volunteer order by row_number")
        assert got == expected, got
    return check


_VOL5_ROWS = [(vkey(F.person_id(1)), "王**", "138****5678", dt.date(2022, 5, 3), D("2.00")),
              (vkey(F.person_id(2)), "李*", "138****5678", dt.date(2022, 5, 4), D("3.50"))]
for enc, label in (("gbk", "gb18030"), ("gb18030", "gb18030"), ("utf-8-sig", "utf-8-bom"), ("utf-8", "utf-8")):
    case(name=f"csv_{enc.replace('-', '_')}", rel=f"射洪市/市文明办/volunteer/2022年5月_{enc}.csv",
         build=data(F.csv_bytes(_VOL5, enc)), status="accepted", rows=(2, 2, 0), check=(
             lambda label: lambda q, r: (_check_vol(_VOL5_ROWS)(q, r),
                                         _eq(q("select encoding from submissions"), [(label,)])))(label))

case(name="csv_gb18030_four_byte_characters", rel="毕节市/团市委/volunteer/2022年5月.csv",
     build=data(F.csv_bytes([F.VOL_HEADER, _vol("䶮龑", 3, "2022-05-06"), _vol("𠀾伟", 4, "2022-05-07")], "gb18030")),
     status="accepted", rows=(2, 2, 0),
     check=lambda q, r: _eq(q("select masked_name from raw_volunteer order by row_number"), [("䶮*",), ("𠀾*",)]))

case(name="csv_utf16_refused", rel="射洪市/市文明办/volunteer/2022年5月_utf16.csv",
     build=data(F.csv_bytes(_VOL5, "utf-16", sep="\t")), status="refused", reason="unsupported_encoding",
     words=("UTF-16", "CSV UTF-8"))
case(name="csv_big5_refused_not_mojibake", rel="射洪市/市文明办/volunteer/2022年6月_big5.csv",
     build=data(F.csv_bytes([["志願者姓名", "身份證號", "聯繫電話", "所屬隊伍", "活動名稱", "服務類別", "服務日期", "服務時長"],
                             ["陳大文", F.person_id(5), "13812345678", "青年隊", "文明交通勸導", "文明交通", "2022/6/3", "2"]] * 20,
                            "big5")),
     status="refused", reason="undecodable")
case(name="csv_shift_jis_refused_not_mojibake", rel="射洪市/市文明办/volunteer/2022年6月_sjis.csv",
     build=data("氏名,身分証番号,電話,チーム,活動名,種類,日付,時間\r\n山田太郎,なし,なし,青年チーム,交通安全運動,交通,2022/6/3,2\r\n"
                .encode("shift_jis") * 20),
     status="refused", reason="undecodable")
case(name="csv_mixed_encodings_refused_with_line", rel="射洪市/市文明办/volunteer/2022年7月混合.csv",
     build=data(lambda: F.csv_bytes([F.VOL_HEADER] + [_vol("王小明", 6, "2022/7/3", 1)] * 6000, "utf-8")
                + "王二,".encode("gbk") + F.csv_bytes([[F.person_id(6), "13812345678", "队", "劝导", "文明", "2022/7/4", 1]])),
     status="refused", reason="undecodable", words=("第 6002 行",), today=TODAY)
case(name="csv_binary_garbage_refused", rel="射洪市/市文明办/volunteer/2022年8月.csv",
     build=data(bytes(range(256)) * 64), status="refused", reason="binary_file")

_INV_CSV = [["格尔木市创建项目投资台账 2022年5月"], ["项目编号", "项目名称", "责任单位", "计划总投资（万元）", "本月完成投资（元）",
                                                     "累计完成投资", "项目进度"],
            ["Q-1", "公厕", "市住建局", "１,０３５.６", "￥10,250.00", "1035.6万元", "施工图"],
            ["Q-2", "站台", "住建局", "1 200", "0", "0.5亿元", "已完成"],
            ["Q-3", "广告", "市住建局", "（100）", "0", "0", "招投标"]]
case(name="csv_fullwidth_thousands_units_in_header_and_cell", rel="格尔木市/市发改委/investment/2022年5月汇总.csv",
     build=data(F.csv_bytes(_INV_CSV, "gbk")), status="accepted", rows=(3, 2, 1), quarantined={5: "bad_number"},
     check=lambda q, r: _eq(q("""select project_code, planned_amount_yuan, month_amount_yuan, cumulative_amount_yuan,
                                 stage from raw_investment order by row_number"""),
                            [("Q-1", D("10356000.00"), D("10250.00"), D("10356000.00"), "施工图设计"),
                             ("Q-2", D("12000000.00"), D("0.00"), D("50000000.00"), "已完工")]))

case(name="csv_stray_whitespace_everywhere", rel="寿光市/市城管局/issue/2022年5月问题台账.csv",
     build=data(F.csv_bytes([[" 问题编号 ", "发现日期\u3000", " 问题类别", "责任单位 ", "整改时限", "整改状态", "整改完成日期", "复核结果"],
                             ["\u3000SG-1 ", " 2022-05-02", " 治脏 ", " 市 城管局", "2022-05-10 ", " 已整改", "2022-05-09", " 合格 "],
                             ["SG-2\t", "2022/5/3", "治乱", "交警大队", "2022/5/20", "整改中", "", "不合格"]], "utf-8-sig")),
     status="accepted", rows=(2, 2, 0),
     check=lambda q, r: _eq(q("""select issue_code, category, responsible_department_code, status, review_result
                                 from raw_issue order by row_number"""),
                            [("SG-1", "治脏", "shouguang_cgj", "已整改", "通过"),
                             ("SG-2", "治乱", "shouguang_jjdd", "整改中", "未通过")]))

_LONG = "很长的描述" * 20_000
case(name="csv_enormous_cell_quarantined", rel="寿光市/市城管局/issue/2022年6月问题台账.csv",
     build=data(F.csv_bytes([["问题编号", "发现日期", "问题类别", "责任单位", "问题描述", "整改时限", "整改状态"],
                             ["SG-3", "2022-06-02", "治脏", "城管局", _LONG, "2022-06-10", "未整改"],
                             ["SG-4", "2022-06-02", "治脏", "城管局", "占道经营", "2022-06-10", "未整改"]])),
     status="accepted", rows=(2, 1, 1), quarantined={2: "cell_too_long"},
     check=lambda q, r: (_eq(q("select issue_code, description from raw_issue"), [("SG-4", "占道经营")]),
                         _eq([len(v) < 100 for (v,) in q("select value from quarantine")], [True])))

case(name="csv_cell_beyond_reader_limit_refused", rel="寿光市/市城管局/issue/2022年7月问题台账.csv",
     build=data(lambda: F.csv_bytes([["问题编号", "发现日期", "问题类别", "责任单位", "问题描述", "整改时限", "整改状态"],
                                     ["SG-5", "2022-07-02", "治脏", "城管局", "x" * 1_500_000, "2022-07-10", "未整改"]])),
     status="refused", reason="cell_too_large", words=("第 2 行", "1,000,000"))

_FORMULAS = ["=HYPERLINK(\"http://example.invalid\",\"点我\")", "+1+2", "-绿化提升", "@SUM(A1:A2)"]
case(name="csv_formula_looking_cells_inert_and_escaped", rel="毕节市/市住建局/investment/2022年4月台账.csv",
     build=data(F.csv_bytes([["项目编号", "项目名称", "责任单位", "计划总投资(万元)", "项目进度"]]
                            + [[f"F-{i}", text, "住建局", 1, "招投标"] for i, text in enumerate(_FORMULAS)]
                            + [["F-9", "正常", "住建局", "=1+2", "招投标"]])),
     status="accepted", rows=(5, 4, 1), quarantined={6: "bad_number"},
     check=lambda q, r: _formulas(q, r))

_X_ID = next(F.person_id(n) for n in range(100, 2000) if F.person_id(n).endswith("X"))
case(name="csv_ids_scientific_notation_and_text_wrappers", rel="毕节市/市文明办/volunteer/2022年5月.csv",
     build=data(F.csv_bytes([F.VOL_HEADER, _vol("甲", 7, "2022-05-01", id="5.20502E+17"),
                             _vol("乙", 8, "2022-05-01", id=f'="{F.person_id(8)}"'),
                             _vol("丙", 9, "2022-05-01", id=f"'{F.person_id(9)}"),
                             _vol("丁", 10, "2022-05-01", id=wrong_check(F.person_id(10))),
                             _vol("戊", 11, "2022-05-01", id=_X_ID.lower())])),
     status="accepted", rows=(5, 3, 2), quarantined={2: "id_not_text", 5: "bad_id_number"},
     check=lambda q, r: _eq(q("select volunteer_key from raw_volunteer order by row_number"),
                            [(vkey(F.person_id(8)),), (vkey(F.person_id(9)),), (vkey(_X_ID),)]))

case(name="csv_sep_hint_blank_lines_tab_separated", rel="寿光市/团市委/volunteer/2022年5月.csv",
     build=data(b"sep=\t\r\n" + F.csv_bytes([F.VOL_HEADER, [], _vol("周", 12, "2022年5月8日", "2小时"), [],
                                             _vol("吴", 13, "2022年5月9日", "90分钟", "+86 139 1234 5678")], "utf-8", sep="\t")),
     status="accepted", rows=(2, 2, 0),
     check=lambda q, r: _eq(q("select hours, masked_phone, row_number from raw_volunteer order by row_number"),
                            [(D("2.00"), "138****5678", 3), (D("1.50"), "139****5678", 5)]))

# ---------------------------------------------------------------- metadata
case(name="period_yearless_settled_from_dates", rel="射洪市/教育局/volunteer/5月志愿服务.csv",
     build=data(F.csv_bytes([F.VOL_HEADER, _vol("钱多多", 50, "2022/5/13"), _vol("孙", 51, "2022/5/14", 3.5)], "gbk")),
     status="accepted", rows=(2, 2, 0),
     check=lambda q, r: _eq(q("select distinct period_month from raw_volunteer"), [(dt.date(2022, 5, 1),)]))
case(name="period_yearless_unsettled_refused", rel="射洪市/教育局/volunteer/截至6月30日.csv",
     build=data(F.csv_bytes([F.VOL_HEADER, _vol("王", 14, "2021/6/3"), _vol("李", 15, "2022/6/4")])),
     status="refused", reason="period_unsettled", words=("6月", "2021", "2022"))
case(name="period_range_to_date", rel="射洪市/发改委/investment/2022年1-5月投资台账.csv",
     build=data(F.csv_bytes([["项目编号", "项目名称", "责任单位", "计划总投资(万元)", "项目进度"], ["R-1", "x", "住建局", 1, "招投标"]])),
     status="accepted", rows=(1, 1, 0),
     check=lambda q, r: _eq(q("select period_month from raw_investment"), [(dt.date(2022, 5, 1),)]))
case(name="period_file_name_and_title_disagree", rel="射洪市/教育局/volunteer/2022年6月志愿服务.csv",
     build=data(F.csv_bytes([["射洪市志愿服务记录(2022年5月)"]] + _VOL5)),
     status="refused", reason="metadata_conflict", words=("表头标题", "文件名", "5月", "6月"))
case(name="period_column_with_two_months_refused", rel="射洪市/教育局/volunteer/志愿服务导出.csv",
     build=data(F.csv_bytes([F.VOL_HEADER + ["填报期间"], _vol("王", 16, "2022/5/3") + ["2022-05"],
                             _vol("李", 17, "2022/6/3") + ["2022-06"]])),
     status="refused", reason="metadata_conflict", words=("填报期间列", "5月", "6月"))
case(name="period_missing_refused", rel="射洪市/教育局/volunteer/志愿服务.csv",
     build=data(F.csv_bytes(_VOL5)), status="refused", reason="missing_period", words=("文件名",))
case(name="department_unknown_with_suggestions", rel="格尔木市/市交通运输厅/issue/2022年5月.csv",
     build=data(F.csv_bytes([["问题编号", "发现日期", "问题类别", "责任单位", "整改时限", "整改状态"],
                             ["G-1", "2022-05-01", "治乱", "交通局", "2022-05-09", "未整改"]])),
     status="refused", reason="unknown_department", words=("市交通运输厅", "格尔木市交通运输局"))
case(name="department_path_and_title_disagree", rel="格尔木市/市发改委/investment/2022年5月住建.xlsx",
     build=data(lambda: F.xlsx_bytes([{"name": "台账", "rows": [["填报单位:格尔木市住房和城乡建设局(盖章)"], F.INV_HEADER,
                                                              _inv_row(1, "D-1", 1)]}])),
     status="refused", reason="metadata_conflict", words=("格尔木市发展和改革委员会", "格尔木市住房和城乡建设局"))
case(name="department_aliases_agree", rel="格尔木市/发改委/investment/2022年6月.xlsx",
     build=data(lambda: F.xlsx_bytes([{"name": "台账", "rows": [["青海省格尔木市发展改革委 填报日期:2022年7月1日"],
                                                              ["填报单位:格尔木市发展和改革委员会  填报人:王"], F.INV_HEADER_WAN,
                                                              _inv_row(1, "A-1", 1, dept="格尔木市文旅局")]}])),
     status="accepted", rows=(1, 1, 0),
     check=lambda q, r: _eq(q("select department_code, responsible_department_code from raw_investment"),
                            [("golmud_fgw", "golmud_wlj")]))
case(name="city_unknown_lists_registry", rel="成都市/市文明办/volunteer/2022年5月.csv", build=data(F.csv_bytes(_VOL5)),
     status="refused", reason="unknown_city", words=("成都市", "格尔木市"))
case(name="landing_path_wrong_shape", rel="射洪市/市文明办/2022年5月.csv", build=data(F.csv_bytes(_VOL5)),
     status="refused", reason="bad_landing_path")
case(name="kind_path_and_content_disagree", rel="射洪市/市文明办/issue/2022年5月.csv", build=data(F.csv_bytes(_VOL5)),
     status="refused", reason="metadata_conflict", words=("issue", "volunteer"))

_ISSUE_REC = {"问题编号": "I-1", "发现日期": "2022-05-02", "问题类别": "治脏", "责任单位": "市城管局",
              "整改时限": "2022-05-10", "整改状态": "已销号", "整改完成日期": "2022-05-09", "复核结果": "通过"}
case(name="json_envelope_chinese_keys", rel="寿光市/市城市管理局/issue/export_20220601.json",
     build=data(F.json_bytes({"城市": "寿光", "填报单位": "寿光市城市管理局", "报表类型": "问题整改台账",
                              "填报期间": "2022年5月", "提交时间": "2022-06-01T09:30:00+08:00",
                              "records": [_ISSUE_REC, {**_ISSUE_REC, "问题编号": "I-2", "整改状态": "已整改",
                                                       "整改完成日期": ""}]})),
     status="accepted", rows=(2, 1, 1), quarantined={2: "missing_rectified_date"},
     check=lambda q, r: _eq(q("select period_month, submitted_at from submissions"),
                            [(dt.date(2022, 5, 1), dt.datetime(2022, 6, 1, 1, 30))]))
case(name="json_envelope_department_conflict", rel="寿光市/市城市管理局/issue/export_20220701.json",
     build=data(F.json_bytes({"department": "市场监管局", "period": "2022-06", "records": [_ISSUE_REC]})),
     status="refused", reason="metadata_conflict", words=("寿光市城市管理局", "寿光市市场监督管理局"))
case(name="json_nesting_bomb", rel="寿光市/市城市管理局/issue/2022年4月.json",
     build=data(b"[" * 200_000 + b"]" * 200_000), status="refused", reason="bad_json")

_ANNUAL_VOL = [F.VOL_HEADER] + [_vol(f"志{m}", 20 + m, f"2021-{m:02d}-15", 3) for m in (1, 2, 2, 5, 12)] + [
    _vol("外", 40, "2020-12-31", 1)]
case(name="annual_volunteer_export_split_by_month", rel="寿光市/市文明办/volunteer/2021年度志愿服务记录.csv",
     build=data(F.csv_bytes(_ANNUAL_VOL, "gb18030")), status="accepted", rows=(6, 5, 1), quarantined={7: "outside_period"},
     check=lambda q, r: (_eq(q("""select submission_id, period_month, rows_loaded from submissions order by 2"""),
                             [(f"{r.submission_id}-2021{m:02d}", dt.date(2021, m, 1), n) for m, n in
                              ((1, 1), (2, 2), (5, 1), (12, 1))]),
                         _eq(q("select period_label from file_ledger"), [("2021年度",)])))
case(name="annual_investment_is_year_end_state", rel="毕节市/市住建局/investment/2021年度投资台账.csv",
     build=data(F.csv_bytes([["项目编号", "项目名称", "责任单位", "计划总投资(万元)", "项目进度"], ["Y-1", "x", "住建局", 1, "已完工"]])),
     status="accepted", rows=(1, 1, 0),
     check=lambda q, r: _eq(q("select period_month from submissions"), [(dt.date(2021, 12, 1),)]))
case(name="annual_investment_of_unfinished_year_refused", rel="毕节市/市住建局/investment/2022年度投资台账.csv",
     build=data(F.csv_bytes([["项目编号", "项目名称", "责任单位", "计划总投资(万元)", "项目进度"], ["Y-2", "x", "住建局", 1, "招投标"]])),
     status="refused", reason="annual_in_progress", today=dt.date(2022, 7, 1), shared=False)

# ---------------------------------------------------------------- row rules
case(name="investment_row_rules", rel="毕节市/市住建局/investment/2022年5月规则.csv",
     build=data(F.csv_bytes([["项目编号", "项目名称", "责任单位", "计划总投资(万元)", "本月完成投资(万元)", "累计完成投资(万元)",
                              "项目进度", "开工日期", "完工日期"],
                             ["V-1", "好", "住建局", 10, 1, 2, "开工建设", "2022-01-01", "2022-06-01"],
                             ["V-2", "负数", "住建局", -1, 0, 0, "开工建设", "", ""],
                             ["V-3", "倒序", "住建局", 1, 0, 0, "已完工", "2022-03-01", "2022-02-01"],
                             ["V-1", "重复", "住建局", 1, 0, 0, "开工建设", "", ""],
                             ["V-5", "无此单位", "市天文局", 1, 0, 0, "开工建设", "", ""],
                             ["V-6", "阶段", "住建局", 1, 0, 0, "谋划中", "", ""],
                             ["", "无编号", "住建局", 1, 0, 0, "开工建设", "", ""],
                             ["V-8", "超计划", "住建局", 1, 0, 3, "开工建设", "", ""]])),
     status="accepted", rows=(8, 2, 6),
     quarantined={3: "negative_amount", 4: "date_order", 5: "duplicate_key", 6: "unknown_department", 7: "bad_value",
                  8: "missing_required"},
     check=lambda q, r: _eq(sorted((w.row, w.reason_code) for w in r.warnings), [(9, "above_other")]))
case(name="issue_row_rules", rel="毕节市/市城管局/issue/2022年5月规则.csv",
     build=data(F.csv_bytes([["问题编号", "发现日期", "问题类别", "责任单位", "整改时限", "整改状态", "整改完成日期", "复核结果"],
                             ["B-1", "2022-05-01", "治脏", "城管局", "2022-05-10", "已整改", "2022-05-08", "合格"],
                             ["B-2", "2022-05-01", "治脏", "城管局", "2022-04-10", "未整改", "", ""],
                             ["B-3", "2022-05-01", "治脏", "城管局", "2022-05-10", "已销号", "", ""],
                             ["B-4", "2022-05-01", "治脏", "城管局", "2022-05-10", "已整改", "2030-01-01", ""],
                             ["B-5", "2022-05-01", "治脏", "城管局", "2022-05-10", "整改中", "2022-05-03", "不通过"],
                             ["B-6", "2022-05-01", "治脏", "城管局", "2022-05-10", "办理中", "", ""]])),
     status="accepted", rows=(6, 2, 4),
     quarantined={3: "date_order", 4: "missing_rectified_date", 5: "date_in_future", 7: "bad_value"},
     check=lambda q, r: (_eq(q("select issue_code, review_result from raw_issue order by 1"),
                             [("B-1", "通过"), ("B-5", "未通过")]),
                         _eq([(w.row, w.reason_code) for w in r.warnings], [(6, "unexpected_value")])))
case(name="volunteer_row_rules", rel="毕节市/市文明办/volunteer/2022年6月规则.csv",
     build=data(F.csv_bytes([F.VOL_HEADER, _vol("甲", 30, "2022/6/3", 20), _vol("甲", 30, "2022/6/3", 5),
                             _vol("乙", 31, "2022/6/3", 0), _vol("丙", 32, "2022/6/3", 2, "0857-1234567"),
                             _vol("丁", 33, "2031/6/3", 2), _vol("戊", 34, "2022/6/31", 2),
                             _vol("己", 35, "2022/5/31", 2)])),
     status="accepted", rows=(7, 1, 6),
     quarantined={2: "daily_hours_exceeded", 3: "daily_hours_exceeded", 4: "hours_out_of_range", 5: "bad_phone",
                  6: "date_in_future", 7: "bad_date"},
     check=lambda q, r: _eq([(w.row, w.reason_code) for w in r.warnings], [(8, "outside_period")]))

# ---------------------------------------------------------------- hostile files and names
case(name="empty_file", rel="射洪市/市文明办/volunteer/2022年9月.csv", build=data(b""), status="refused",
     reason="empty_file")
case(name="header_only", rel="射洪市/市文明办/volunteer/2022年10月.csv", build=data(F.csv_bytes([F.VOL_HEADER])),
     status="refused", reason="no_rows")
case(name="not_a_submission", rel="射洪市/市文明办/volunteer/联系人名单.csv",
     build=data(F.csv_bytes([["姓名", "职务", "电话"], ["张三", "科员", "13800000000"]], "gbk")),
     status="refused", reason="unknown_kind")
case(name="file_name_with_control_characters", rel="射洪市/市文明办/volunteer/2022年11月\x1b[31m.csv",
     build=data(F.csv_bytes(_VOL5)), status="refused", reason="unsafe_file_name", words=("控制字符",))
case(name="file_name_with_personal_numbers", rel="射洪市/市文明办/volunteer/王小明13812345678.csv",
     build=data(F.csv_bytes(_VOL5)), status="refused", reason="personal_data_in_name",
     check=lambda q, r: _eq(q("select source_file from file_ledger"), [("射洪市/市文明办/volunteer/王小明138****5678.csv",)]))


def _symlink(landing: Path, rel: str) -> None:
    outside = landing.parent / "outside-secret.csv"
    outside.parent.mkdir(parents=True, exist_ok=True)
    outside.write_bytes(F.csv_bytes(_VOL5))
    (landing / rel).parent.mkdir(parents=True, exist_ok=True)
    (landing / rel).symlink_to(outside)


case(name="symlink_out_of_landing", rel="射洪市/市文明办/volunteer/2022年12月.csv", build=_symlink,
     status="refused", reason="unsafe_file_name",
     check=lambda q, r: _eq(q("select count(*) from raw_volunteer"), [(0,)]))


def _traversal(landing: Path, rel: str) -> None:
    landing.mkdir(parents=True, exist_ok=True)
    (landing.parent / "outside.csv").write_bytes(F.csv_bytes(_VOL5))


case(name="path_traversal", rel="射洪市/市文明办/volunteer/../../../../outside.csv", build=_traversal,
     status="refused", reason="unsafe_file_name", shared=False)


# ---------------------------------------------------------------- helpers used by checks
def _eq(got: Any, want: Any) -> None:
    assert got == want, f"got {got!r}, want {want!r}"


def _formulas(q, r) -> None:
    _eq(q("select project_name from raw_investment order by row_number"), [(t,) for t in _FORMULAS])
    assert r.rejected[0].value == "=1+2"
