"""The corpus: Row rules, hostile files and names."""
from __future__ import annotations

from pathlib import Path

from tests.corpus import case, data, eq
from tests.corpus import files as F
from tests.corpus.text import VOL5, vol


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
     check=lambda q, r: eq(sorted((w.row, w.reason_code) for w in r.warnings), [(9, "above_other")]))
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
     check=lambda q, r: (eq(q("select issue_code, review_result from raw_issue order by 1"),
                             [("B-1", "通过"), ("B-5", "未通过")]),
                         eq([(w.row, w.reason_code) for w in r.warnings], [(6, "unexpected_value")])))
case(name="volunteer_row_rules", rel="毕节市/市文明办/volunteer/2022年6月规则.csv",
     build=data(F.csv_bytes([F.VOL_HEADER, vol("甲", 30, "2022/6/3", 20), vol("甲", 30, "2022/6/3", 5),
                             vol("乙", 31, "2022/6/3", 0), vol("丙", 32, "2022/6/3", 2, "0857-1234567"),
                             vol("丁", 33, "2031/6/3", 2), vol("戊", 34, "2022/6/31", 2),
                             vol("己", 35, "2022/5/31", 2)])),
     status="accepted", rows=(7, 1, 6),
     quarantined={2: "daily_hours_exceeded", 3: "daily_hours_exceeded", 4: "hours_out_of_range", 5: "bad_phone",
                  6: "date_in_future", 7: "bad_date"},
     check=lambda q, r: eq([(w.row, w.reason_code) for w in r.warnings], [(8, "outside_period")]))

# ---------------------------------------------------------------- hostile files and names
case(name="empty_file", rel="射洪市/市文明办/volunteer/2022年9月.csv", build=data(b""), status="refused",
     reason="empty_file")
case(name="header_only", rel="射洪市/市文明办/volunteer/2022年10月.csv", build=data(F.csv_bytes([F.VOL_HEADER])),
     status="refused", reason="no_rows")
case(name="not_a_submission", rel="射洪市/市文明办/volunteer/联系人名单.csv",
     build=data(F.csv_bytes([["姓名", "职务", "电话"], ["张三", "科员", "13800000000"]], "gbk")),
     status="refused", reason="unknown_kind")
case(name="file_name_with_control_characters", rel="射洪市/市文明办/volunteer/2022年11月\x1b[31m.csv",
     build=data(F.csv_bytes(VOL5)), status="refused", reason="unsafe_file_name", words=("控制字符",))
case(name="file_name_with_personal_numbers", rel="射洪市/市文明办/volunteer/王小明13812345678.csv",
     build=data(F.csv_bytes(VOL5)), status="refused", reason="personal_data_in_name",
     check=lambda q, r: eq(q("select source_file from file_ledger"), [("射洪市/市文明办/volunteer/王小明138****5678.csv",)]))


def _symlink(landing: Path, rel: str) -> None:
    outside = landing.parent / "outside-secret.csv"
    outside.parent.mkdir(parents=True, exist_ok=True)
    outside.write_bytes(F.csv_bytes(VOL5))
    (landing / rel).parent.mkdir(parents=True, exist_ok=True)
    (landing / rel).symlink_to(outside)


case(name="symlink_out_of_landing", rel="射洪市/市文明办/volunteer/2022年12月.csv", build=_symlink,
     status="refused", reason="unsafe_file_name",
     check=lambda q, r: eq(q("select count(*) from raw_volunteer"), [(0,)]))


def _traversal(landing: Path, rel: str) -> None:
    landing.mkdir(parents=True, exist_ok=True)
    (landing.parent / "outside.csv").write_bytes(F.csv_bytes(VOL5))


case(name="path_traversal", rel="射洪市/市文明办/volunteer/../../../../outside.csv", build=_traversal,
     status="refused", reason="unsafe_file_name", shared=False)
