"""ingest.files.layout: the table in a grid found by the contracts' headers, wherever the clerk
put it (title rows above, a 序号 column, a unit in a title row, totals and footers below)."""
from __future__ import annotations

from decimal import Decimal

from ingest import readers
from ingest.files.layout import choose

VOLUNTEER = ["射洪市志愿服务记录(2022年5月)", "填报单位:射洪市文明办",
             "序号,志愿者姓名,身份证号,联系电话,所属队伍,活动名称,服务类别,服务日期,服务时长(小时)",
             "1,王小明,11010519491231002X,13812345678,青年队,文明交通劝导,文明交通,2022/5/3,2",
             "2,李四,110101199003074514,13912345678,青年队,敬老助残,敬老助残,2022/5/4,3.5",
             ",,,,,,,,", "合计,,,,,,,,5.5", "填表人:张三"]


def _table(tmp_path, lines: list[str]):
    path = tmp_path / "file.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return choose(readers.read(path, "file.csv"), "file.csv")


def test_the_header_is_found_under_title_rows_and_data_rows_exclude_totals_and_footer(tmp_path):
    table = _table(tmp_path, VOLUNTEER)
    assert table.contract.kind == "volunteer"
    assert table.preamble[:2] == ["射洪市志愿服务记录(2022年5月)", "填报单位:射洪市文明办"]
    assert table.headers[table.seq_col] == "序号"
    assert table.columns == {1: "masked_name", 2: "volunteer_key", 3: "masked_phone", 4: "team", 5: "activity",
                             6: "category", 7: "service_date", 8: "hours"}
    assert [number for number, _ in table.rows] == [4, 5]           # the clerk's own row numbers
    assert table.skipped == 3                                       # blank, 合计 and footer rows


def test_a_money_unit_in_a_column_header_is_that_columns_unit(tmp_path):
    table = _table(tmp_path, ["格尔木市项目投资情况表(2022年5月)", "单位:元",
                              "项目编号,项目名称,责任单位,项目类别,计划总投资(万元),本月完成投资,累计完成投资,项目进度",
                              "P-1,公厕提升,市住建局,环境卫生,100,0,0,招投标"])
    assert table.contract.kind == "investment"
    assert table.preamble == ["格尔木市项目投资情况表(2022年5月)", "单位:元"]   # the title's unit: the row parser's
    assert table.columns[4] == "planned_amount_yuan" and table.units[4] == Decimal(10000)
    assert table.units[5] is None


def test_a_file_without_any_known_header_has_no_table(tmp_path):
    assert _table(tmp_path, ["名称,数量", "苹果,3"]) is None
