"""The dashboard's rates come from the semantic layer's metric definitions (the ones MetricFlow
serves): its figures equal plain ratio-of-sums SQL over the marts, and a changed definition in
dbt_project/models/semantic/ changes the dashboard's figure with it."""
from __future__ import annotations

import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from dashboard.data import Rates, load_all
from dashboard.source import open_marts, published_engine
from ingest.config import Paths
from tests.conftest import query
from tests.dashboard.pages import published_home
from warehouse import semantic

pytestmark = pytest.mark.slow


def rate(numerator, denominator) -> Decimal | None:
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), ROUND_HALF_UP) \
        if denominator else None


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return published_home(tmp_path_factory.getbasetemp())


def dashboard(home: Path, rates: Rates | None = None):
    with open_marts(published_engine(Paths(home), "duckdb"), "test") as marts:
        return {c.city: c for c in load_all(marts, rates)}


def test_dashboard_rates_are_the_metrics_ratio_of_sums(home):
    db = home / "warehouse" / "campaign.duckdb"
    cities = dashboard(home)
    assert len(cities) == 4
    for name, city in cities.items():
        monthly = query(db, """select period_month, count(*), count(*) filter (where is_rectified),
                                      count(*) filter (where is_overdue)
                               from marts.fct_issue_status_history where city = ? group by 1 order by 1""", [name])
        assert [(r["month"], r["issues"], r["rectified"], r["overdue"], r["rate"]) for r in city.rectification] == \
            [(m, n, k, o, rate(k, n)) for m, n, k, o in monthly]
        ((planned, spent),) = query(db, """select sum(planned_amount_yuan), sum(coalesce(cumulative_amount_yuan, 0))
                                          from marts.fct_investment_latest where city = ?""", [name])
        assert city.kpis["completion_rate"] == rate(spent, planned)
    assert any(r["rate"] not in (0, 1) for c in cities.values() for r in c.rectification)


def test_a_changed_definition_changes_the_dashboard(home, tmp_path):
    """Point rectification_rate's numerator at the on-time issues and count planned investment twice:
    the dashboard follows the YAML, not a formula of its own."""
    semantic_dir = tmp_path / "semantic"
    shutil.copytree(semantic.SEMANTIC_DIR, semantic_dir)
    metrics = semantic_dir / "_metrics.yml"
    text = metrics.read_text(encoding="utf-8")
    old = "{numerator: issues_rectified_in_ledger, denominator: issues_in_ledger}"
    assert text.count(old) == 1
    metrics.write_text(text.replace(old, "{numerator: issues_rectified_on_time, denominator: issues_in_ledger}"),
                       encoding="utf-8")
    facts = semantic_dir / "_facts.yml"
    text = facts.read_text(encoding="utf-8")
    old = "      - name: planned_amount_yuan\n        description: 计划总投资（元） / Planned investment, each project's latest month in the window.\n        agg: sum\n"
    assert text.count(old) == 1
    facts.write_text(text.replace(old, old + "        expr: planned_amount_yuan * 2\n"), encoding="utf-8")

    db = home / "warehouse" / "campaign.duckdb"
    before, after = dashboard(home), dashboard(home, Rates.defined(semantic_dir))
    changed = 0
    for name, city in after.items():
        on_time = dict(query(db, """select period_month, count(*) filter (where is_rectified_on_time)
                                    from marts.fct_issue_status_history where city = ? group by 1""", [name]))
        for row, old_row in zip(city.rectification, before[name].rectification):
            assert row["rate"] == rate(on_time[row["month"]], row["issues"])
            changed += row["rate"] != old_row["rate"]
        ((planned, spent),) = query(db, """select sum(planned_amount_yuan), sum(coalesce(cumulative_amount_yuan, 0))
                                          from marts.fct_investment_latest where city = ?""", [name])
        assert city.kpis["completion_rate"] == rate(spent, 2 * planned) != before[name].kpis["completion_rate"]
    assert changed > 0
