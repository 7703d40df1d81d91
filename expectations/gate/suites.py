"""GX suites of the submission gate: one per kind, over one file's typed rows before raw.

ingest's own rules (ingest/rows/validate.py, ingest/contracts/*.yaml) already parse, type and
check every cell; these suites check what those rules do not: implausible amounts, a whole
file's amounts in the wrong unit, dates that contradict the stage or the reporting month,
contradictions between columns, and — as an independent second line — that no personal data
is left unmasked in what goes to raw.

Each expectation carries ``meta``: ``level`` (``row``: its unexpected rows are quarantined;
``file``: a failure refuses the whole file), ``reason`` (stable ASCII code, ``gx_`` prefix so
that quarantine and ledger show which gate decided), ``message`` (Chinese, for the clerk;
placeholders ``{field}`` header as written, ``{value}``, ``{observed}``, ``{period}``) and
``field`` (the column whose header and value a quarantined row shows).
Parameters: ``period_start``, ``period_end`` (the file's reporting month) and ``today``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # before any GX import

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

MAX_AMOUNT_YUAN = 10_000_000_000     # 100 亿元: one campaign project above this is a unit slip
MIN_MEDIAN_PLANNED_YUAN = 1_000      # a ledger whose typical project is under 1,000 元 is in 万元
# An ID or mobile number left in text, in any form: the pattern of ingest's redaction, read as data
# (this package imports nothing of ours). Part of the verdict cache's key (submission.verdict_key).
PII_PATTERN_FILE = Path(__file__).resolve().parents[2] / "ingest" / "rows" / "pii_pattern.txt"
PII_REGEX = PII_PATTERN_FILE.read_text(encoding="utf-8")
MASKS = {  # what ingest stores in place of personal data
    "volunteer_key": r"^[0-9a-f]{64}$",          # HMAC-SHA256 of the ID number
    "masked_name": r"^\S\*+$",                    # 张*
    "masked_phone": r"^1[3-9]\d\*{4}\d{4}$",      # 138****5678
}
TEXT_COLUMNS = {  # free text; codes are identifiers, kept as written (a code 15020210001 is no phone)
    "investment": ("project_name", "category"),
    "volunteer": ("team", "activity", "category"),
    "issue": ("source", "category", "point_type", "point_name", "district", "street", "description"),
}

UNMASKED = "“{field}”中的个人信息未能脱敏(系统校验未通过)。为保护个人信息,文件未入库,请联系数据管理员"
PERIOD_END = {"$PARAMETER": "period_end"}


def _meta(level: str, reason: str, message: str, field: str, **extra: str) -> dict[str, str]:
    return {"level": level, "reason": reason, "message": message, "field": field, **extra}


def _pii_guard(gxe: Any, kind: str) -> list[Any]:
    """File level: every text column free of ID and mobile numbers (ingest redacts them)."""
    return [gxe.ExpectColumnValuesToNotMatchRegex(
        column=c, regex=PII_REGEX, meta=_meta("file", "gx_personal_data_unmasked", UNMASKED, c))
        for c in TEXT_COLUMNS[kind]]


def _not_after_period(gxe: Any, column: str, reason: str, message: str, row_condition: Any = None) -> Any:
    """Row level: a date of the ledger no later than the last day of its reporting month."""
    return gxe.ExpectColumnValuesToBeBetween(column=column, max_value=PERIOD_END, row_condition=row_condition,
                                             meta=_meta("row", reason, message, column))


def investment_suite() -> ExpectationSuite:
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    amounts = ("planned_amount_yuan", "month_amount_yuan", "cumulative_amount_yuan")
    return gx.ExpectationSuite(name="submission_investment", expectations=[
        *(gxe.ExpectColumnValuesToBeBetween(
            column=c, max_value=MAX_AMOUNT_YUAN,
            meta=_meta("row", "gx_amount_implausible",
                       "“{field}”超过 100 亿元({value} 元),疑似金额单位填错,请核实", c))
          for c in amounts),
        _not_after_period(gxe, "start_date", "gx_started_after_period",
                          "项目进度为“开工建设”或“已完工”,但“{field}”({value})晚于填报期间 {period}",
                          Column("stage").is_in(["开工建设", "已完工"])),
        _not_after_period(gxe, "finish_date", "gx_finished_after_period",
                          "项目进度为“已完工”,但“{field}”({value})晚于填报期间 {period}",
                          Column("stage") == "已完工"),
        gxe.ExpectColumnMedianToBeBetween(
            column="planned_amount_yuan", min_value=MIN_MEDIAN_PLANNED_YUAN,
            meta=_meta("file", "gx_unit_suspect",
                       "“{field}”的中位数只有 {observed} 元,疑似按万元填写却未注明单位;"
                       "请在表头或标题中注明金额单位(如“计划总投资(万元)”)后重新提交",
                       "planned_amount_yuan")),
        *_pii_guard(gxe, "investment"),
    ])


def volunteer_suite() -> ExpectationSuite:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    return gx.ExpectationSuite(name="submission_volunteer", expectations=[
        *(gxe.ExpectColumnValuesToMatchRegex(
            column=c, regex=regex, meta=_meta("file", "gx_personal_data_unmasked", UNMASKED, c))
          for c, regex in MASKS.items()),
        *_pii_guard(gxe, "volunteer"),
    ])


def issue_suite() -> ExpectationSuite:
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    return gx.ExpectationSuite(name="submission_issue", expectations=[
        *_pii_guard(gxe, "issue"),
        _not_after_period(gxe, "found_date", "gx_found_after_period",
                          "“{field}”({value})晚于填报期间 {period},本期台账不应包含此后发现的问题"),
        _not_after_period(gxe, "rectified_date", "gx_rectified_after_period",
                          "“{field}”({value})晚于填报期间 {period},本期台账不应记录此后的整改"),
        gxe.ExpectColumnValuesToNotBeInSet(
            column="review_result", value_set=["未通过"], row_condition=Column("status") == "已销号",
            meta=_meta("row", "gx_closed_but_review_failed",
                       "整改状态为“已销号”,但“{field}”为“未通过”;复核未通过的问题应为“整改中”或“未整改”",
                       "review_result")),
    ])


SUBMISSION_SUITES: dict[str, Callable[[], ExpectationSuite]] = {
    "investment": investment_suite, "volunteer": volunteer_suite, "issue": issue_suite,
}
