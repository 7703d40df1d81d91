"""The one redaction (ingest.rows.pii): every form a personal number takes in text is masked, figures
and system identifiers are left alone, codes keep their value, and the submission gate checks
with the very same pattern."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from ingest.rows import pii
from ingest.pipeline import ingest_file
from tests.conftest import query
from tests.corpus import files as F

TODAY = dt.date(2026, 1, 1)


@pytest.mark.parametrize("text, masked", [
    ("13812345671", "138****5671"),
    ("+8613812345671", "138****5671"),
    ("+86 138 1234 5671", "138****5671"),
    ("0086 138 1234 5671", "138****5671"),
    ("008613812345671", "138****5671"),
    ("86-138-1234-5671", "138****5671"),
    ("8613812345671", "138****5671"),
    ("(+86)13812345671", "138****5671"),
    ("（＋８６）１３８１２３４５６７１", "138****5671"),
    ("138 1234 5671", "138****5671"),
    ("138-1234-5671", "138****5671"),
    ("138.1234.5671", "138****5671"),
    ("138_1234_5671", "138****5671"),
    ("1 3 8 1 2 3 4 5 6 7 1", "138****5671"),
    ("１３８１２３４５６７１", "138****5671"),
    ("１３８－１２３４－５６７１", "138****5671"),
    ("张三13812345671", "张三138****5671"),
    ("电话13812345671号", "电话138****5671号"),
    ("abc13812345671xyz", "abc138****5671xyz"),
    ("Tel:13812345671.", "Tel:138****5671."),
    ("110105194912310021", "110***********0021"),
    ("11010519491231002x", "110***********002X"),
    ("11010519491231002X", "110***********002X"),
    ("110105 19491231 002x", "110***********002X"),
    ("1101 0519 4912 3100 21", "110***********0021"),
    ("110105-1949-1231-0021", "110***********0021"),
    ("１１０１０５１９４９１２３１００２１", "110***********0021"),
    ("身份证110105194912310021号", "身份证110***********0021号"),
    ("ID110105194912310021", "ID110***********0021"),
    ("110105491231002", "110********1002"),          # old 15-digit ID: yymmdd
    ("110105 491231 002", "110********1002"),
])
def test_every_form_is_masked(text: str, masked: str) -> None:
    assert pii.redact(text) == masked
    assert pii.leaks(text) and not pii.leaks(masked)
    assert pii.redact(f"青年队({text})") == f"青年队({masked})"


@pytest.mark.parametrize("text", [
    "2022-05-20 13:45:12", "2022年5月20日", "20220520", "1,035.60", "13812345671.5",   # dates, amounts
    "0.13812345671", "3.13812345671", "138123456712", "1381234567",                  # fractions, other lengths
    "0979-8412345", "010-12345678",                                                   # landlines
    "110105194913310021",                                                             # no month 13
    "GEM-2022-0001", "P-1", "第 13 行", "2026-12-07 14:40:26,123",
    "20261207T145630-01641e3b.json", "1381 234 5671",                                  # not how people group them
    "20261207T155240850711-446e3b.json", '"created_at": 1796658912.28564',            # timestamps, not old IDs
])
def test_figures_and_other_numbers_are_left_alone(text: str) -> None:
    assert pii.redact(text) == text
    assert not pii.leaks(text)


def test_system_identifiers_are_not_leaks_but_their_text_is_redacted_in_submissions() -> None:
    digest = "3a" + "13812345671" + "b" * 51                   # 64 hex: a sha256 or a volunteer key
    uuid = "0b1c2d3e-1381-2345-671f-0123456789ab"
    assert not pii.leaks(f"key {digest}, receipt {uuid}")
    assert pii.leaks("3a13812345671b")                        # not a digest: a number glued to letters
    assert "13812345671" not in pii.redact(digest)           # submitted text is masked regardless


def test_redact_any_walks_json_values() -> None:
    doc = {"13812345671": ["+86 138 1234 5671", {"n": 1, "t": "110105194912310021"}], "ok": None}
    assert pii.redact_any(doc) == {"138****5671": ["138****5671", {"n": 1, "t": "110***********0021"}], "ok": None}


def test_the_gate_checks_with_the_same_pattern() -> None:
    from expectations.gate import suites

    assert re.compile(suites.PII_REGEX).pattern == pii.PATTERN.pattern
    assert suites.PII_PATTERN_FILE.resolve() == pii.PATTERN_FILE.resolve()
    assert not [c for cols in suites.TEXT_COLUMNS.values() for c in cols if c.endswith("_code")]


def test_the_gate_refuses_text_with_a_number_left_in_it() -> None:
    """Second line: a number ingest failed to mask (here: put straight into the frame) refuses the file."""
    import pandas as pd

    from expectations.gate.run import validate

    df = pd.DataFrame({"row_number": [4, 5], "masked_name": ["张*", "李*"], "volunteer_key": ["a" * 64] * 2,
                       "masked_phone": ["138****5678"] * 2, "team": ["青年队", "队长１３８ １２３４ ５６７１"],
                       "activity": ["文明交通", "敬老"], "category": ["文明交通"] * 2})
    start = dt.datetime(2022, 5, 1)
    verdict = validate("volunteer", df, {"today": dt.datetime(2026, 1, 1), "period_start": start,
                                         "period_end": dt.datetime(2022, 5, 31)})
    failed = [o for o in verdict.outcomes if not o.success]
    assert [(o.reason_code, o.column, o.rows) for o in failed] == [("gx_personal_data_unmasked", "team", [5])]


def _put(home: Path, rel: str, data: bytes) -> str:
    F.put(home / "landing", rel, data)
    return rel


def test_codes_keep_their_value_whatever_they_look_like(tmp_path: Path) -> None:
    """A project or issue code shaped like a mobile or an ID number is an identifier: two projects
    15020210001 and 15020210002 stay two, in raw and in the receipt."""
    header = ["项目编号", "项目名称", "责任单位", "计划总投资(万元)", "项目进度"]
    rows = [["15020210001", "公厕提升 联系人13812345671", "市住建局", 100, "编制方案/可研"],
            ["15020210002", "站台升级", "市住建局", 200, "编制方案/可研"],
            ["110105194912310021", "路灯", "市住建局", 300, "编制方案/可研"],
            ["15020210002", "重复", "市住建局", 300, "编制方案/可研"]]
    rel = _put(tmp_path, "格尔木市/市发改委/investment/2022年5月.csv", F.csv_bytes([header, *rows]))
    receipt = ingest_file(rel, tmp_path, today=TODAY)
    assert receipt.status == "accepted", receipt.message
    got = query(tmp_path / "warehouse" / "raw.duckdb",
                "select project_code, project_name from raw.raw_investment order by row_number")
    assert got == [("15020210001", "公厕提升 联系人138****5671"), ("15020210002", "站台升级"),
                   ("110105194912310021", "路灯")]
    assert [(r.reason_code, r.value) for r in receipt.rejected] == [("duplicate_key", "15020210002")]

    header = ["问题编号", "发现日期", "问题类别", "责任单位", "整改时限", "整改状态", "点位名称"]
    rel = _put(tmp_path, "格尔木市/市城管局/issue/2022年5月.csv", F.csv_bytes([header, [
        "13812345671", "2022-05-03", "治脏", "市城管局", "2022-05-20", "未整改", "江源路 138 1234 5672 门前"]]))
    receipt = ingest_file(rel, tmp_path, today=TODAY)
    assert receipt.status == "accepted", receipt.message
    assert query(tmp_path / "warehouse" / "raw.duckdb", "select issue_code, point_name from raw.raw_issue") == [
        ("13812345671", "江源路 138****5672 门前")]


def test_sheet_header_and_title_texts_are_redacted(tmp_path: Path) -> None:
    title = [["格尔木市志愿服务记录(2022年5月) 联系人 +86 138 1234 5673"]]
    header = F.VOL_HEADER[:4] + ["活动名称(负责人138-1234-5674)"] + F.VOL_HEADER[5:]
    rows = [["王小明", F.person_id(1), "13812345678", "青年队", "文明交通", "文明交通", "2022-05-03", 2],
            ["李四", F.person_id(2), "13812345678", "青年队", None, "文明交通", "2022-05-04", 2]]
    rel = _put(tmp_path, "格尔木市/市文明办/volunteer/2022年5月.xlsx",
               F.xlsx_bytes([{"name": "志愿者13812345675", "rows": title + [header, *rows]}]))
    receipt = ingest_file(rel, tmp_path, today=TODAY)
    assert receipt.status == "accepted", receipt.message
    assert receipt.sheet == "志愿者138****5675"
    assert [(r.row, r.field) for r in receipt.rejected] == [(4, "活动名称(负责人138****5674)")]
    db = tmp_path / "warehouse" / "raw.duckdb"
    assert query(db, "select sheet from raw.submissions") == [("志愿者138****5675",)]
    assert query(db, "select field from raw.quarantine") == [("活动名称(负责人138****5674)",)]

    other = _put(tmp_path, "格尔木市/团市委/volunteer/2022年5月.xlsx", F.xlsx_bytes([{"name": "Sheet1", "rows": [
        ["填报单位:格尔木市团市委13812345676"], F.VOL_HEADER, rows[0]]}]))
    refused = ingest_file(other, tmp_path, today=TODAY)
    assert (refused.status, refused.reason_code) == ("refused", "unknown_department")
    assert "团市委138****5676" in refused.message and "13812345676" not in refused.message


def test_file_names_are_redacted_and_refused(tmp_path: Path) -> None:
    rel = _put(tmp_path, "格尔木市/市文明办/volunteer/2022年5月 张三 138 1234 5677.csv", F.csv_bytes([F.VOL_HEADER]))
    receipt = ingest_file(rel, tmp_path, today=TODAY)
    assert (receipt.status, receipt.reason_code) == ("refused", "personal_data_in_name")
    assert receipt.source_file == "格尔木市/市文明办/volunteer/2022年5月 张三 138****5677.csv"
    assert "138****5677" in receipt.archived_path and (tmp_path / receipt.archived_path).exists()
    assert query(tmp_path / "warehouse" / "raw.duckdb", "select source_file from raw.file_ledger") == [
        (receipt.source_file,)]


def test_error_texts_are_redacted() -> None:
    from ingest.errors import FileRefused

    exc = FileRefused("bad_json", "文件信封中的城市为“13812345671”", file="a/110105194912310021.json",
                      value="+86 138 1234 5671", field="电话13812345671")
    assert str(exc) == exc.message == "文件信封中的城市为“138****5671”"
    assert (exc.file, exc.value, exc.field) == ("a/110***********0021.json", "138****5671", "电话138****5671")
