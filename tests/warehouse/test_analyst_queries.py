"""The four analyst questions of the customer, one plain SQL file each (docs/queries/), run unchanged
on the published DuckDB file and on PostgreSQL. Expected figures come from the demo generator's
manifest and, where it has no figure, from the raw rows ingest loaded (recomputed here in Python)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from ingest.contracts import stages

from tests.pg_warehouse import duck_rows, pg_rows

pytestmark = pytest.mark.slow

QUERIES = Path(__file__).resolve().parents[2] / "docs" / "queries"
OPEN = ("未整改", "整改中")
STAGES = list(stages())
FOUR = Decimal("0.0001")


@pytest.fixture(params=["duckdb", "postgres"])
def run(request, built):
    def run_query(name: str) -> list[tuple]:
        sql = (QUERIES / f"{name}.sql").read_text(encoding="utf-8")
        return duck_rows(built.duck, sql) if request.param == "duckdb" else pg_rows(built.dsn, sql)
    return run_query


def _expected(built, kind: str) -> dict[str, dict[str, dict]]:
    """manifest figures by city, then month (YYYY-MM)."""
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    for key, figures in built.manifest["expected"].items():
        city, k, month = key.split("|")
        if k == kind:
            out[city][month] = figures
    return out


def _current_rows(built, table: str, columns: str) -> list[tuple]:
    """Rows of `table` from current submissions only (latest loaded per city/department/kind/month)."""
    raw = built.paths.raw_db
    latest: dict[tuple, tuple] = {}
    for sid, city, dept, kind, month, loaded in duck_rows(
            raw, "select submission_id, city, department_code, kind, period_month, loaded_at from submissions"):
        key = (city, dept, kind, month)
        latest[key] = max(latest.get(key, (loaded, sid)), (loaded, sid))
    current = {sid for _, sid in latest.values()}
    return [r[1:] for r in duck_rows(raw, f"select submission_id, {columns} from {table}") if r[0] in current]


def test_planned_investment_spent_by_city_and_stage(run, built):
    got = run("investment_spent_by_stage")
    latest: dict[tuple, tuple] = {}
    for city, code, month, stage, planned, spent in _current_rows(
            built, "raw_investment", "city, project_code, period_month, stage, planned_amount_yuan, cumulative_amount_yuan"):
        if (city, code) not in latest or latest[(city, code)][0] < month:
            latest[(city, code)] = (month, stage, planned, spent or Decimal(0))
    by_stage: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for (city, _), (_, stage, planned, spent) in latest.items():
        acc = by_stage[(city, stage)]
        acc[0], acc[1], acc[2] = acc[0] + 1, acc[1] + planned, acc[2] + spent
    expected = [(city, stage, n, planned, spent, (spent / planned).quantize(FOUR, ROUND_HALF_UP))
                for (city, stage), (n, planned, spent) in sorted(by_stage.items(),
                                                                 key=lambda kv: (kv[0][0], STAGES.index(kv[0][1])))]
    assert [r[:5] for r in got] == [e[:5] for e in expected]
    assert all(abs(Decimal(str(r[5])) - e[5]) <= FOUR for r, e in zip(got, expected))
    # ... and each city's latest month is the manifest's: projects per stage, planned and spent in total
    for city, months in _expected(built, "investment").items():
        last = months[max(months)]
        rows = [r for r in got if r[0] == city]
        assert {r[1]: r[2] for r in rows} == last["stages"], city
        assert sum(r[3] for r in rows) == Decimal(last["planned_yuan"]), city
        assert sum(r[4] for r in rows) == Decimal(last["cumulative_yuan"]), city
    assert {r[0] for r in got} == set(_expected(built, "investment"))


def test_star_volunteers_per_city(run, built):
    got = {r[0]: r[1:] for r in run("star_volunteers_by_city")}
    hours: dict[str, Decimal] = defaultdict(Decimal)
    served: dict[str, set[str]] = defaultdict(set)
    for city, key, h in _current_rows(built, "raw_volunteer", "city, volunteer_key, hours"):
        hours[key] += h
        served[city].add(key)
    thresholds = (100, 300, 600, 1000, 1500)
    for city, months in _expected(built, "volunteer").items():
        levels = [sum(1 for t in thresholds if hours[k] >= t) for k in served[city]]
        stars = [sum(1 for lv in levels if lv == s) for s in range(1, 6)]
        assert got[city] == (len(served[city]), sum(stars), *stars), city
        assert got[city][1] == months[max(months)]["star_volunteers_to_date"], city
        assert got[city][1] > 0, city       # the demo has star volunteers in every city
    assert set(got) == set(_expected(built, "volunteer"))


def test_departments_with_most_overdue_issues_this_month(run, built):
    got = run("overdue_issues_this_month")
    issues = _expected(built, "issue")
    month = max(m for months in issues.values() for m in months)      # the newest ledger month
    first = dt.date.fromisoformat(f"{month}-01")
    end = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    overdue: dict[tuple, int] = defaultdict(int)
    for city, dept, period, status, deadline in _current_rows(
            built, "raw_issue", "city, responsible_department_code, period_month, status, deadline_date"):
        if period == first and status in OPEN and deadline < end:
            overdue[(city, dept)] += 1
    expected = sorted(((city, dept, n) for (city, dept), n in overdue.items()), key=lambda r: (-r[2], r[0], r[1]))
    assert [(r[0], r[1], r[4]) for r in got] == expected
    assert {r[3] for r in got} == {first}
    for city, months in issues.items():     # city totals agree with the generator's
        assert sum(r[4] for r in got if r[0] == city) == (months[month]["overdue"] if month in months else 0), city
    assert got[0][4] >= got[-1][4] > 0


def test_rectification_rate_month_by_month(run, built):
    got = run("rectification_rate_by_month")
    expected = []
    for city, months in sorted(_expected(built, "issue").items()):
        previous = None
        for month, figures in sorted(months.items()):
            done = sum(n for s, n in figures["statuses"].items() if s not in OPEN)
            rate = (Decimal(done) / figures["issues"]).quantize(FOUR, ROUND_HALF_UP)
            expected.append((city, dt.date.fromisoformat(f"{month}-01"), figures["issues"], done, rate,
                             None if previous is None else rate - previous))
            previous = rate
    assert [r[:4] for r in got] == [e[:4] for e in expected]
    for r, e in zip(got, expected):
        assert abs(Decimal(str(r[4])) - e[4]) <= FOUR, r
        assert (r[5] is None) == (e[5] is None) and (r[5] is None or abs(Decimal(str(r[5])) - e[5]) <= 2 * FOUR), r


def test_the_queries_are_documented_one_per_question():
    doc = (QUERIES.parent / "analyst_queries.md").read_text(encoding="utf-8")
    files = sorted(p.name for p in QUERIES.glob("*.sql"))
    assert len(files) == 4
    for name in files:
        sql = (QUERIES / name).read_text(encoding="utf-8")
        code = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
        assert ";" not in code and "marts." in code, name     # one plain statement on the marts
        assert f"queries/{name}" in doc and sql.strip() in doc, name
