"""The words of the mart audit: the values a mart column may take, the thresholds, the columns each
relation must have, and the names of the suite parameters the runner fills."""
from __future__ import annotations

# The project stages and issue statuses ingest accepts (ingest/contracts/*.yaml), kept here too so that
# expectations imports nothing of ours; tests/expectations/test_vocabulary.py keeps the two equal.
STAGES = ("编制方案/可研", "施工图设计", "招投标", "开工建设", "已完工")
ISSUE_STATUSES = ("未整改", "整改中", "已整改", "已销号")
CLOSED_STATUSES = ("已整改", "已销号")  # need a rectified_date
VOLUNTEER_KEY_REGEX = r"^[0-9a-f]{64}$"  # hex HMAC-SHA256
MAX_HOURS_PER_DAY = 24
# Star volunteers (national standard): cumulative recorded hours -> stars.
STAR_THRESHOLDS = ((1500, 5), (1000, 4), (600, 3), (300, 2), (100, 1))
DEPARTMENT_CODES_PARAM = "department_codes"
CITY_NAMES_PARAM = "city_names"
DATE_MIN_PARAM, DATE_MAX_PARAM = "date_min", "date_max"

# Contract columns (domain.md) that each relation must at least have.
INVESTMENT_COLUMNS = (
    "city", "department_code", "project_code", "period_month", "stage",
    "planned_amount_yuan", "month_amount_yuan", "cumulative_amount_yuan", "submission_id",
)
VOLUNTEER_HOURS_COLUMNS = (
    "record_id", "city", "department_code", "volunteer_key", "service_date",
    "hours", "category", "submission_id",
)
ISSUE_CLOSURE_COLUMNS = (
    "city", "department_code", "issue_code", "category", "point_type", "found_date",
    "deadline_date", "rectified_date", "status", "days_to_rectify", "is_overdue",
    "times_reopened", "as_of_month",
)
ISSUE_HISTORY_COLUMNS = ("city", "department_code", "issue_code", "period_month", "status",
                         "found_date", "is_overdue", "submission_id")
DIM_VOLUNTEER_COLUMNS = ("volunteer_key", "masked_name", "total_hours", "star_level")
SCORECARD_COLUMNS = (
    "city", "department_code", "period_month", "investment_completion_rate", "volunteer_hours",
    "active_volunteers", "issues_found", "issues_rectified", "issues_overdue",
    "rectification_rate", "on_time_rate", "mean_days_to_rectify", "rank_in_city",
)
