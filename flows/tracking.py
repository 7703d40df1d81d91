"""Submission tracking: the late, missing and held-back rows of marts.mart_submission_status, as
a notice (a held-back submission: accepted by ingest, but held back by the mart audit).

The mart (dbt) decides what is owed, due, late, missing or held back; this module only reads the published
warehouse (DuckDB file, or PostgreSQL when CAMPAIGN_TARGET=postgres) and words the notice.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from ingest.config import Paths
from flows.notify import Notice
from warehouse import target as warehouse_target

log = logging.getLogger(__name__)
KIND_ZH = {"investment": "创建项目投资台账", "volunteer": "志愿服务记录", "issue": "问题整改台账"}
STATUS_ZH = {"late": "迟报", "missing": "缺报", "held_back": "暂缓发布"}
COLUMNS = ("city", "department_code", "department_name", "kind", "period_month", "due_date", "status",
           "days_past_due", "refused_files", "held_reason_zh")


def attention(paths: Paths, months: list[str] | None = None, cities: list[str] | None = None,
              target: str = "duckdb", pg_dsn: str | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """(months looked at, late/missing/held-back rows) for the given months ('YYYY-MM'; default: the latest
    tracked month) and cities (default: all)."""
    run = warehouse_target.query(paths, target, pg_dsn)
    if not months:
        latest = run("select max(period_month) from marts.mart_submission_status", [])
        months = [latest[0][0].isoformat()[:7]] if latest and latest[0][0] else []
    if not months:
        return [], []
    firsts = [dt.date.fromisoformat(f"{m}-01") for m in months]
    sql = (f"select {', '.join(COLUMNS)} from marts.mart_submission_status "
           f"where status in ('late', 'missing', 'held_back') and period_month in ({', '.join(['%s'] * len(firsts))})")
    args: list[Any] = list(firsts)
    if cities:
        sql += f" and city in ({', '.join(['%s'] * len(cities))})"
        args += cities
    sql += " order by city, period_month, status, department_code, kind"
    return months, [dict(zip(COLUMNS, row)) for row in run(sql, args)]


def notice(months: list[str], rows: list[dict[str, Any]]) -> Notice | None:
    """One notice listing every late, missing or held-back submission, grouped by city; None if all is in."""
    if not rows:
        return None
    missing, late, held = (sum(r["status"] == s for r in rows) for s in ("missing", "late", "held_back"))
    lines: list[str] = []
    for city in sorted({r["city"] for r in rows}):
        lines.append(f"{city}:")
        for r in (r for r in rows if r["city"] == city):
            what = f"  {str(r['period_month'])[:7]} {r['department_name']} {KIND_ZH.get(r['kind'], r['kind'])}"
            if r["status"] == "held_back":
                lines.append(f"{what} {STATUS_ZH['held_back']}:{r.get('held_reason_zh')}")
                continue
            extra = f",已退回 {r['refused_files']} 份文件" if r["refused_files"] else ""
            lines.append(f"{what} {STATUS_ZH[r['status']]}(截止 {r['due_date']},逾期 {r['days_past_due']} 天{extra})")
    title = (f"报送提醒 {'、'.join(months)}:缺报 {missing} 项,迟报 {late} 项" + (f",暂缓发布 {held} 项" if held else "")
             + f" / {missing} missing, {late} late" + (f", {held} held back" if held else "") + " submissions")
    details = {"months": months, "missing": missing, "late": late, "held_back": held,
               "rows": [{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r.items()} for r in rows]}
    return Notice("submissions_late_missing", title, lines, details)
