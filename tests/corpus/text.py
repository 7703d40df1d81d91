"""The corpus: CSV, encodings and cell values."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ingest.demo.ids import wrong_check
from tests.corpus import D, TODAY, case, data, eq, vkey
from tests.corpus import files as F


# ---------------------------------------------------------------- CSV, encodings, values
def vol(name: str, n: int, day: str, hours: Any = 2, phone: Any = "13812345678", **kw: Any) -> list:
    return [name, kw.get("id", F.person_id(n)), phone, kw.get("team", "青年队"), kw.get("activity", "文明交通劝导"),
            "文明交通", day, hours]


VOL5 = [F.VOL_HEADER, vol("王小明", 1, "2022/5/3"), vol("李四", 2, "2022/5/4", 3.5)]


def _check_vol(expected: list[tuple]) -> Callable:
    def check(q, r) -> None:
        got = q("select volunteer_key, masked_name, masked_phone, service_date, hours from raw_volunteer order by row_number")
        assert got == expected, got
    return check


_VOL5_ROWS = [(vkey(F.person_id(1)), "王**", "138****5678", dt.date(2022, 5, 3), D("2.00")),
              (vkey(F.person_id(2)), "李*", "138****5678", dt.date(2022, 5, 4), D("3.50"))]
for enc, label in (("gbk", "gb18030"), ("gb18030", "gb18030"), ("utf-8-sig", "utf-8-bom"), ("utf-8", "utf-8")):
    case(name=f"csv_{enc.replace('-', '_')}", rel=f"射洪市/市文明办/volunteer/2022年5月_{enc}.csv",
         build=data(F.csv_bytes(VOL5, enc)), status="accepted", rows=(2, 2, 0), check=(
             lambda label: lambda q, r: (_check_vol(_VOL5_ROWS)(q, r),
                                         eq(q("select encoding from submissions"), [(label,)])))(label))

case(name="csv_gb18030_four_byte_characters", rel="毕节市/团市委/volunteer/2022年5月.csv",
     build=data(F.csv_bytes([F.VOL_HEADER, vol("䶮龑", 3, "2022-05-06"), vol("𠀾伟", 4, "2022-05-07")], "gb18030")),
     status="accepted", rows=(2, 2, 0),
     check=lambda q, r: eq(q("select masked_name from raw_volunteer order by row_number"), [("䶮*",), ("𠀾*",)]))

case(name="csv_utf16_refused", rel="射洪市/市文明办/volunteer/2022年5月_utf16.csv",
     build=data(F.csv_bytes(VOL5, "utf-16", sep="\t")), status="refused", reason="unsupported_encoding",
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
     build=data(lambda: F.csv_bytes([F.VOL_HEADER] + [vol("王小明", 6, "2022/7/3", 1)] * 6000, "utf-8")
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
     check=lambda q, r: eq(q("""select project_code, planned_amount_yuan, month_amount_yuan, cumulative_amount_yuan,
                                 stage from raw_investment order by row_number"""),
                            [("Q-1", D("10356000.00"), D("10250.00"), D("10356000.00"), "施工图设计"),
                             ("Q-2", D("12000000.00"), D("0.00"), D("50000000.00"), "已完工")]))

case(name="csv_stray_whitespace_everywhere", rel="寿光市/市城管局/issue/2022年5月问题台账.csv",
     build=data(F.csv_bytes([[" 问题编号 ", "发现日期\u3000", " 问题类别", "责任单位 ", "整改时限", "整改状态", "整改完成日期", "复核结果"],
                             ["\u3000SG-1 ", " 2022-05-02", " 治脏 ", " 市 城管局", "2022-05-10 ", " 已整改", "2022-05-09", " 合格 "],
                             ["SG-2\t", "2022/5/3", "治乱", "交警大队", "2022/5/20", "整改中", "", "不合格"]], "utf-8-sig")),
     status="accepted", rows=(2, 2, 0),
     check=lambda q, r: eq(q("""select issue_code, category, responsible_department_code, status, review_result
                                 from raw_issue order by row_number"""),
                            [("SG-1", "治脏", "shouguang_cgj", "已整改", "通过"),
                             ("SG-2", "治乱", "shouguang_jjdd", "整改中", "未通过")]))

_LONG = "很长的描述" * 20_000
case(name="csv_enormous_cell_quarantined", rel="寿光市/市城管局/issue/2022年6月问题台账.csv",
     build=data(F.csv_bytes([["问题编号", "发现日期", "问题类别", "责任单位", "问题描述", "整改时限", "整改状态"],
                             ["SG-3", "2022-06-02", "治脏", "城管局", _LONG, "2022-06-10", "未整改"],
                             ["SG-4", "2022-06-02", "治脏", "城管局", "占道经营", "2022-06-10", "未整改"]])),
     status="accepted", rows=(2, 1, 1), quarantined={2: "cell_too_long"},
     check=lambda q, r: (eq(q("select issue_code, description from raw_issue"), [("SG-4", "占道经营")]),
                         eq([len(v) < 100 for (v,) in q("select value from quarantine")], [True])))

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
     build=data(F.csv_bytes([F.VOL_HEADER, vol("甲", 7, "2022-05-01", id="5.20502E+17"),
                             vol("乙", 8, "2022-05-01", id=f'="{F.person_id(8)}"'),
                             vol("丙", 9, "2022-05-01", id=f"'{F.person_id(9)}"),
                             vol("丁", 10, "2022-05-01", id=wrong_check(F.person_id(10))),
                             vol("戊", 11, "2022-05-01", id=_X_ID.lower())])),
     status="accepted", rows=(5, 3, 2), quarantined={2: "id_not_text", 5: "bad_id_number"},
     check=lambda q, r: eq(q("select volunteer_key from raw_volunteer order by row_number"),
                            [(vkey(F.person_id(8)),), (vkey(F.person_id(9)),), (vkey(_X_ID),)]))

case(name="csv_sep_hint_blank_lines_tab_separated", rel="寿光市/团市委/volunteer/2022年5月.csv",
     build=data(b"sep=\t\r\n" + F.csv_bytes([F.VOL_HEADER, [], vol("周", 12, "2022年5月8日", "2小时"), [],
                                             vol("吴", 13, "2022年5月9日", "90分钟", "+86 139 1234 5678")], "utf-8", sep="\t")),
     status="accepted", rows=(2, 2, 0),
     check=lambda q, r: eq(q("select hours, masked_phone, row_number from raw_volunteer order by row_number"),
                            [(D("2.00"), "138****5678", 3), (D("1.50"), "139****5678", 5)]))


def _formulas(q, r) -> None:
    eq(q("select project_name from raw_investment order by row_number"), [(t,) for t in _FORMULAS])
    assert r.rejected[0].value == "=1+2"
