"""The corpus: metadata: city, department, kind and period from every source."""
from __future__ import annotations

import datetime as dt

from tests.corpus import case, data, eq
from tests.corpus import files as F
from tests.corpus.excel import inv_row
from tests.corpus.text import VOL5, vol


# ---------------------------------------------------------------- metadata
case(name="period_yearless_settled_from_dates", rel="射洪市/教育局/volunteer/5月志愿服务.csv",
     build=data(F.csv_bytes([F.VOL_HEADER, vol("钱多多", 50, "2022/5/13"), vol("孙", 51, "2022/5/14", 3.5)], "gbk")),
     status="accepted", rows=(2, 2, 0),
     check=lambda q, r: eq(q("select distinct period_month from raw_volunteer"), [(dt.date(2022, 5, 1),)]))
case(name="period_yearless_unsettled_refused", rel="射洪市/教育局/volunteer/截至6月30日.csv",
     build=data(F.csv_bytes([F.VOL_HEADER, vol("王", 14, "2021/6/3"), vol("李", 15, "2022/6/4")])),
     status="refused", reason="period_unsettled", words=("6月", "2021", "2022"))
case(name="period_range_to_date", rel="射洪市/发改委/investment/2022年1-5月投资台账.csv",
     build=data(F.csv_bytes([["项目编号", "项目名称", "责任单位", "计划总投资(万元)", "项目进度"], ["R-1", "x", "住建局", 1, "招投标"]])),
     status="accepted", rows=(1, 1, 0),
     check=lambda q, r: eq(q("select period_month from raw_investment"), [(dt.date(2022, 5, 1),)]))
case(name="period_file_name_and_title_disagree", rel="射洪市/教育局/volunteer/2022年6月志愿服务.csv",
     build=data(F.csv_bytes([["射洪市志愿服务记录(2022年5月)"]] + VOL5)),
     status="refused", reason="metadata_conflict", words=("表头标题", "文件名", "5月", "6月"))
case(name="period_column_with_two_months_refused", rel="射洪市/教育局/volunteer/志愿服务导出.csv",
     build=data(F.csv_bytes([F.VOL_HEADER + ["填报期间"], vol("王", 16, "2022/5/3") + ["2022-05"],
                             vol("李", 17, "2022/6/3") + ["2022-06"]])),
     status="refused", reason="metadata_conflict", words=("填报期间列", "5月", "6月"))
case(name="period_missing_refused", rel="射洪市/教育局/volunteer/志愿服务.csv",
     build=data(F.csv_bytes(VOL5)), status="refused", reason="missing_period", words=("文件名",))
case(name="department_unknown_with_suggestions", rel="格尔木市/市交通运输厅/issue/2022年5月.csv",
     build=data(F.csv_bytes([["问题编号", "发现日期", "问题类别", "责任单位", "整改时限", "整改状态"],
                             ["G-1", "2022-05-01", "治乱", "交通局", "2022-05-09", "未整改"]])),
     status="refused", reason="unknown_department", words=("市交通运输厅", "格尔木市交通运输局"))
case(name="department_path_and_title_disagree", rel="格尔木市/市发改委/investment/2022年5月住建.xlsx",
     build=data(lambda: F.xlsx_bytes([{"name": "台账", "rows": [["填报单位:格尔木市住房和城乡建设局(盖章)"], F.INV_HEADER,
                                                              inv_row(1, "D-1", 1)]}])),
     status="refused", reason="metadata_conflict", words=("格尔木市发展和改革委员会", "格尔木市住房和城乡建设局"))
case(name="department_aliases_agree", rel="格尔木市/发改委/investment/2022年6月.xlsx",
     build=data(lambda: F.xlsx_bytes([{"name": "台账", "rows": [["青海省格尔木市发展改革委 填报日期:2022年7月1日"],
                                                              ["填报单位:格尔木市发展和改革委员会  填报人:王"], F.INV_HEADER_WAN,
                                                              inv_row(1, "A-1", 1, dept="格尔木市文旅局")]}])),
     status="accepted", rows=(1, 1, 0),
     check=lambda q, r: eq(q("select department_code, responsible_department_code from raw_investment"),
                            [("golmud_fgw", "golmud_wlj")]))
case(name="city_unknown_lists_registry", rel="成都市/市文明办/volunteer/2022年5月.csv", build=data(F.csv_bytes(VOL5)),
     status="refused", reason="unknown_city", words=("成都市", "格尔木市"))
case(name="landing_path_wrong_shape", rel="射洪市/市文明办/2022年5月.csv", build=data(F.csv_bytes(VOL5)),
     status="refused", reason="bad_landing_path")
case(name="kind_path_and_content_disagree", rel="射洪市/市文明办/issue/2022年5月.csv", build=data(F.csv_bytes(VOL5)),
     status="refused", reason="metadata_conflict", words=("issue", "volunteer"))

_ISSUE_REC = {"问题编号": "I-1", "发现日期": "2022-05-02", "问题类别": "治脏", "责任单位": "市城管局",
              "整改时限": "2022-05-10", "整改状态": "已销号", "整改完成日期": "2022-05-09", "复核结果": "通过"}
case(name="json_envelope_chinese_keys", rel="寿光市/市城市管理局/issue/export_20220601.json",
     build=data(F.json_bytes({"城市": "寿光", "填报单位": "寿光市城市管理局", "报表类型": "问题整改台账",
                              "填报期间": "2022年5月", "提交时间": "2022-06-01T09:30:00+08:00",
                              "records": [_ISSUE_REC, {**_ISSUE_REC, "问题编号": "I-2", "整改状态": "已整改",
                                                       "整改完成日期": ""}]})),
     status="accepted", rows=(2, 1, 1), quarantined={2: "missing_rectified_date"},
     check=lambda q, r: eq(q("select period_month, submitted_at from submissions"),
                            [(dt.date(2022, 5, 1), dt.datetime(2022, 6, 1, 1, 30))]))
case(name="json_envelope_department_conflict", rel="寿光市/市城市管理局/issue/export_20220701.json",
     build=data(F.json_bytes({"department": "市场监管局", "period": "2022-06", "records": [_ISSUE_REC]})),
     status="refused", reason="metadata_conflict", words=("寿光市城市管理局", "寿光市市场监督管理局"))
case(name="json_nesting_bomb", rel="寿光市/市城市管理局/issue/2022年4月.json",
     build=data(b"[" * 200_000 + b"]" * 200_000), status="refused", reason="bad_json")

_ANNUAL_VOL = [F.VOL_HEADER] + [vol(f"志{m}", 20 + m, f"2021-{m:02d}-15", 3) for m in (1, 2, 2, 5, 12)] + [
    vol("外", 40, "2020-12-31", 1)]
case(name="annual_volunteer_export_split_by_month", rel="寿光市/市文明办/volunteer/2021年度志愿服务记录.csv",
     build=data(F.csv_bytes(_ANNUAL_VOL, "gb18030")), status="accepted", rows=(6, 5, 1), quarantined={7: "outside_period"},
     check=lambda q, r: (eq(q("""select submission_id, period_month, rows_loaded from submissions order by 2"""),
                             [(f"{r.submission_id}-2021{m:02d}", dt.date(2021, m, 1), n) for m, n in
                              ((1, 1), (2, 2), (5, 1), (12, 1))]),
                         eq(q("select period_label from file_ledger"), [("2021年度",)])))
case(name="annual_investment_is_year_end_state", rel="毕节市/市住建局/investment/2021年度投资台账.csv",
     build=data(F.csv_bytes([["项目编号", "项目名称", "责任单位", "计划总投资(万元)", "项目进度"], ["Y-1", "x", "住建局", 1, "已完工"]])),
     status="accepted", rows=(1, 1, 0),
     check=lambda q, r: eq(q("select period_month from submissions"), [(dt.date(2021, 12, 1),)]))
case(name="annual_investment_of_unfinished_year_refused", rel="毕节市/市住建局/investment/2022年度投资台账.csv",
     build=data(F.csv_bytes([["项目编号", "项目名称", "责任单位", "计划总投资(万元)", "项目进度"], ["Y-2", "x", "住建局", 1, "招投标"]])),
     status="refused", reason="annual_in_progress", today=dt.date(2022, 7, 1), shared=False)
