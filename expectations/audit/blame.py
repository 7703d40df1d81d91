"""Which submissions a failed mart audit points at, and what to tell their department.

A fact suite names, for every unexpected row, the submission the row came from (SuiteSpec.blame:
a column of its query, `submission_id`, or for a rule across submissions the newest submission
of the offending group). A failure is traced when its unexpected rows name submissions; table-
level failures (a missing column, an unreadable table) and the suites over aggregates
(scorecard, dim_volunteer, reconciliation with raw) name none: they are the warehouse's fault,
not a file's. No GX import here: the runner hands over GX's plain result dicts.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..store import ExpectationRecord

DETAIL_ROWS = 3  # offending rows quoted per submission and failure
# Row columns never quoted back (hashes, the blame columns themselves).
_NOT_QUOTED = {"volunteer_key", "submission_id", "submission_ids", "newest_submission_id", "record_id"}
SUITE_ZH = {"fct_investment": "项目投资", "fct_volunteer_hours": "志愿服务记录",
            "fct_volunteer_hours_daily": "志愿者每日服务时长", "fct_issue_closure": "问题整改",
            "fct_issue_status_history": "问题整改台账"}
EXPECTATION_ZH = {"expect_column_values_to_be_between": "超出允许范围",
                  "expect_column_values_to_be_in_set": "不在允许的取值中",
                  "expect_column_values_to_not_be_null": "缺少必填的值",
                  "expect_column_values_to_be_unique": "重复",
                  "expect_compound_columns_to_be_unique": "重复",
                  "expect_column_values_to_match_regex": "格式不符"}
# What a quoted row's columns are called in the clerk's note (others keep their column name).
COLUMN_ZH = {"service_date": "服务日期", "daily_hours": "当天合计(小时)", "department_codes": "涉及单位",
             "records": "记录数", "hours": "服务时长(小时)", "city": "城市", "project_code": "项目编号",
             "issue_code": "问题编号", "period_month": "填报月份", "stage": "项目进度", "status": "整改状态"}
# Rules whose words a clerk needs in full (suite, expectation) -> Chinese.
RULE_ZH = {("fct_volunteer_hours_daily", "expect_column_values_to_be_between"):
           "同一志愿者同一天的服务时长,与其他报送合计超过 24 小时"}


@dataclass(frozen=True)
class Culprit:
    """One submission named by one failed expectation."""

    submission_id: str
    suite: str
    expectation: str
    column: str | None
    reason: str       # English, for the operator: suite: expectation(column): e.g. rows
    reason_zh: str    # Chinese, for the clerk

    def doc(self) -> dict[str, Any]:
        return {"submission_id": self.submission_id, "suite": self.suite, "expectation": self.expectation,
                "column": self.column, "reason": self.reason, "reason_zh": self.reason_zh}


def named_rows(result: dict[str, Any], blame: str) -> dict[str, list[dict[str, Any]]]:
    """Submission id -> its unexpected rows (GX's COMPLETE result: unexpected_index_list, one
    dict per row with the row_id columns)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in result.get("unexpected_index_list") or []:
        if isinstance(row, dict) and row.get(blame):
            out.setdefault(str(row[blame]), []).append(row)
    return out


def culprits(report: Any) -> list[Culprit]:
    """Every (submission, failed expectation) the report traced, in the report's order."""
    out = []
    for i, rec in enumerate(report.records):
        for sid, rows in (report.traced.get(i) or {}).items():
            out.append(Culprit(sid, rec.suite, rec.expectation, rec.column, _reason(rec, rows), _reason_zh(rec, rows)))
    return out


def untraced(report: Any) -> list[ExpectationRecord]:
    """The failed expectations that name no submission."""
    return [r for i, r in enumerate(report.records) if not r.success and not report.traced.get(i)]


def _quoted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k not in _NOT_QUOTED} for row in rows[:DETAIL_ROWS]]


def _reason(rec: ExpectationRecord, rows: list[dict[str, Any]]) -> str:
    return (f"{rec.suite}: {rec.expectation}({rec.column or ''}): {len(rows)} row(s), e.g. "
            + json.dumps(_quoted(rows), ensure_ascii=False, default=str))


def _reason_zh(rec: ExpectationRecord, rows: list[dict[str, Any]]) -> str:
    rule = RULE_ZH.get((rec.suite, rec.expectation))
    if rule is None:
        rule = (f"{SUITE_ZH.get(rec.suite, rec.suite)}的“{rec.column or ''}”"
                f"{EXPECTATION_ZH.get(rec.expectation, '不符合汇总审核规则')}")
    rows_zh = ";".join(",".join(f"{COLUMN_ZH.get(k, k)} {_plain(v)}" for k, v in row.items()) for row in _quoted(rows))
    return f"数据仓库汇总审核未通过:{rule}(共 {len(rows)} 处,如:{rows_zh})"


def _plain(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"          # 30.0 -> 30, 24.5 -> 24.5
    text = str(value)
    return text[:10] if text.endswith("T00:00:00") or text.endswith(" 00:00:00") else text
