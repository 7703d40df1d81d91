"""The scorecard dashboard's overview page and CLI, opened from disk in Debian's headless Chromium (selenium + chromedriver).

The site is built by its CLI from a warehouse published by the real ingest and dbt code on the demo
submissions. The page must load with no console error and no request leaving file://, every chart
must be drawn, and every figure it holds must equal SQL over the marts, written here independently.
Screenshots are kept under $CAMPAIGN_TEST_ARTIFACTS (default ./test-artifacts).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

from tests.conftest import REPO
from tests.dashboard.pages import (
    assert_drawn, build_site, cities, db, expected_city, has_mart, open_page, pct, screenshot, trace, wan,
)

pytestmark = pytest.mark.slow


def test_overview_page_matches_the_marts(browser, home, tmp_path):
    charts = open_page(browser, home / "site" / "index.html")
    assert set(charts) == {"chart-overview-investment", "chart-overview-volunteer", "chart-overview-rectification"}
    for chart in charts.values():
        assert_drawn(chart)
    from selenium.webdriver.common.by import By

    rows = {r.get_attribute("data-city"): {td.get_attribute("data-col"): td.text for td in
                                           r.find_elements(By.CSS_SELECTOR, "td[data-col]")}
            for r in browser.find_elements(By.CSS_SELECTOR, "#overview tbody tr")}
    assert sorted(rows) == sorted(c for c, _ in cities(home))
    planned_trace = trace(charts["chart-overview-investment"], "计划总投资")
    for city, _ in cities(home):
        exp = expected_city(home, city)
        planned = sum(v[0] for v in exp["stage"].values())
        spent = sum(v[1] for v in exp["stage"].values())
        got = rows[city]
        assert got["projects"] == str(sum(v[2] for v in exp["stage"].values()))
        assert (got["planned_yuan"], got["spent_yuan"]) == (wan(planned), wan(spent))
        assert got["completion_rate"] == pct((spent / planned).quantize(Decimal("0.0001"), ROUND_HALF_UP))
        assert got["volunteer_hours"] == f"{exp['hours']:,.2f}"
        assert got["star_volunteers"] == str(sum(exp["stars"].values()))
        assert got["rectification_rate"].startswith(pct(exp["ledger"][-1][2]))
        assert got["overdue_issues"] == str(exp["overdue_now"])
        i = planned_trace["x"].index(city)
        assert Decimal(str(planned_trace["customdata"][i])) == planned
    screenshot(browser, tmp_path / "dashboard-overview.png")


def test_warehouse_audits_are_listed_on_the_overview(browser, home, tmp_path):
    """Audits of candidate warehouses (gate 'mart' rows of mart_data_quality), newest first."""
    if not has_mart(home, "mart_data_quality"):
        pytest.skip("this warehouse publishes no mart_data_quality")
    copy = tmp_path / "audited"
    (copy / "warehouse").mkdir(parents=True)
    shutil.copy2(db(home), copy / "warehouse" / "campaign.duckdb")
    with duckdb.connect(str(copy / "warehouse" / "campaign.duckdb")) as con:
        for run, day, rows, failing in (("run-a", "2022-07-01 08:00", 6, 0), ("run-b", "2022-07-02 09:30", 5, 2)):
            con.execute(f"""insert into marts.mart_data_quality
                            select * replace ('mart' as gate, '{run}' as run_id, timestamp '{day}' as checked_at,
                                              md5(result_id || '{run}') as result_id, null as city,
                                              row_number() over () > {rows - failing} is false as success)
                            from marts.mart_data_quality limit {rows}""")
    build_site(copy, "--no-dbt-docs")
    from selenium.webdriver.common.by import By

    open_page(browser, copy / "site" / "index.html")
    got = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
           for tr in browser.find_elements(By.CSS_SELECTOR, "#audits tbody tr")]
    assert got == [["run-b", "2022-07-02 09:30", "5", "2"], ["run-a", "2022-07-01 08:00", "6", "0"]]


def test_missing_optional_marts_show_no_data_panels(browser, home, tmp_path):
    """A warehouse without mart_submission_status / mart_data_quality (not published yet, or an
    older deployment) still gives a working page, with a clear 暂无数据 panel for those sections."""
    bare = tmp_path / "bare"
    (bare / "warehouse").mkdir(parents=True)
    shutil.copy2(db(home), bare / "warehouse" / "campaign.duckdb")
    with duckdb.connect(str(bare / "warehouse" / "campaign.duckdb")) as con:
        con.execute("drop table if exists marts.mart_submission_status")
        con.execute("drop table if exists marts.mart_data_quality")
    build_site(bare, "--no-dbt-docs")
    from selenium.webdriver.common.by import By

    city, code = cities(home)[0]
    charts = open_page(browser, bare / "site" / "city" / f"{code}.html")
    assert f"chart-submissions-{code}" not in charts and f"chart-quality-{code}" not in charts
    for chart in charts.values():
        assert_drawn(chart)
    for section in ("submissions", "quality"):
        panel = browser.find_element(By.CSS_SELECTOR, f"#{section} .empty")
        assert panel.is_displayed() and "暂无数据" in panel.text and "尚未发布" in panel.text
    assert "数据字典尚未生成" in browser.find_element(By.ID, "link-dbt-docs").text
    open_page(browser, bare / "site" / "index.html")
    assert "暂无数据" in browser.find_element(By.ID, "audits").text


def test_cli_without_a_published_warehouse_says_so(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "dashboard", "--home", str(tmp_path), "--no-dbt-docs"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "尚未发布数仓" in proc.stderr and str(tmp_path / "warehouse" / "campaign.duckdb") in proc.stderr
