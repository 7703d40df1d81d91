"""What the dashboard tests share: a warehouse published from the demo submissions by the real
ingest, dbt build and publish code, the dashboard CLI, and reading a page in Chromium."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from unittest import mock

from tests.conftest import REPO, TEST_HASH_KEY, query

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(os.environ.get("CAMPAIGN_TEST_ARTIFACTS", REPO / "test-artifacts"))


# --------------------------------------------------------------------------- the warehouse
def published_home(base: Path) -> Path:
    """A $CAMPAIGN_HOME whose warehouse was published from the demo submissions by the real ingest,
    dbt build and publish code (no Airflow: the pipeline's own tests cover that). Built once per
    test session."""
    home = base / "published-demo"
    db = home / "warehouse" / "campaign.duckdb"
    if db.exists():
        return home
    from ingest.config import paths
    from ingest.demo import generate
    from ingest.pipeline import discover, ingest_file
    from warehouse.duck import dbt_build, prepare_candidate, publish

    with mock.patch.dict(os.environ, {"CAMPAIGN_HASH_KEY": TEST_HASH_KEY, "CAMPAIGN_HOME": str(home)}):
        generate(home / "landing")
        for rel in discover(home / "landing"):
            ingest_file(rel, home, run_id="dashboard-test")
        p = paths(home)
        prepare_candidate(p)
        dbt_build(p)
        publish(p)
    assert db.exists()
    return home


def build_site(home: Path, *extra: str) -> Path:
    """The dashboard CLI, as a user or the DAG runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN")}
    proc = subprocess.run([sys.executable, "-m", "dashboard", "--home", str(home), *extra], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    index = home / "site" / "index.html"
    assert f"file://{index}" in proc.stdout
    return index



# --------------------------------------------------------------------------- the warehouse
def db(home: Path) -> Path:
    return home / "warehouse" / "campaign.duckdb"


def has_mart(home: Path, name: str) -> bool:
    return bool(query(db(home), "select 1 from information_schema.tables where table_schema = 'marts' "
                                "and table_name = ?", [name]))


CHART_STATE = """
return Array.from(document.querySelectorAll('.plotly-graph-div')).map(function (gd) {
  var box = gd.getBoundingClientRect();
  return {
    id: gd.id,
    drawn: !!gd._fullLayout && gd.querySelectorAll('svg.main-svg').length > 0,
    width: box.width, height: box.height,
    bar_points: gd.querySelectorAll('.barlayer .trace .point').length,
    markers: gd.querySelectorAll('.scatterlayer .trace .points .point').length,
    traces: (gd.data || []).map(function (t) {
      var arr = function (a) { return a == null ? null : Array.from(a); };
      return {type: t.type || 'scatter', name: t.name, mode: t.mode || '', x: arr(t.x), y: arr(t.y),
              customdata: t.customdata == null ? null : Array.from(t.customdata, function (c) {
                return (c != null && typeof c === 'object') ? Array.from(c) : c; })};
    })
  };
});
"""


def open_page(driver, page: Path) -> dict[str, dict]:
    """Load a page, wait for every chart to be drawn, and return the charts by id. Fails on any
    console error or any request that is not file:// or data: (the page must work offline)."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")
    driver.get_log("performance")           # drop what earlier pages logged
    driver.get(page.as_uri())
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(
        "return document.readyState === 'complete' && typeof Plotly === 'object' && "
        "Array.from(document.querySelectorAll('.plotly-graph-div')).every(g => g._fullLayout && "
        "g.querySelector('svg.main-svg'))"))
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"console errors on {page}: {errors}"
    urls = [json.loads(e["message"])["message"].get("params", {}).get("request", {}).get("url", "")
            for e in driver.get_log("performance")]
    remote = [u for u in urls if u and not u.startswith(("file://", "data:"))]
    assert not remote, f"{page} requested {remote}"
    assert any(u.endswith("assets/plotly.min.js") for u in urls), "plotly.min.js not loaded from the site"
    return {c["id"]: c for c in driver.execute_script(CHART_STATE)}


def assert_drawn(chart: dict) -> None:
    """The chart is on screen with one drawn bar / marker per data point."""
    assert chart["drawn"] and chart["width"] > 200 and chart["height"] > 200, chart["id"]
    bars = sum(len(t["x"] if t["x"] is not None else t["y"]) for t in chart["traces"] if t["type"] == "bar")
    markers = sum(len(t["x"]) for t in chart["traces"] if t["type"] == "scatter" and "markers" in t["mode"])
    assert bars + markers > 0, f"{chart['id']} has no data"
    assert chart["bar_points"] == bars, chart["id"]
    assert chart["markers"] == markers, chart["id"]


def screenshot(driver, path: Path) -> Path:
    """Full-page PNG, kept as a test artifact."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, max(900, min(int(height), 12000)))
    path.parent.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(path))
    driver.set_window_size(1400, 1000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, ARTIFACTS / path.name)
    assert path.stat().st_size > 30_000       # a blank page compresses to a few KB
    return path


def trace(chart: dict, name: str) -> dict:
    return next(t for t in chart["traces"] if t["name"] == name)


def ym(d) -> str:
    return f"{d.year}-{d.month:02d}"


def wan(yuan: Decimal) -> str:
    return f"{yuan / 10000:,.2f}"


def pct(rate) -> str:
    return "—" if rate is None else f"{Decimal(rate) * 100:.2f}%"


def cities(home: Path) -> list[tuple[str, str]]:
    return query(db(home), "select city, city_code from marts.dim_city order by city_code")


# --------------------------------------------------------------------------- expected figures (SQL)
def expected_city(home: Path, city: str) -> dict:
    d = db(home)
    stage = {}
    for s, planned, spent, n in query(d, """
            with latest as (select * from marts.fct_investment where city = ?
                            qualify row_number() over (partition by project_code order by period_month desc) = 1)
            select stage, sum(planned_amount_yuan), sum(coalesce(cumulative_amount_yuan, 0)), count(*)
            from latest group by stage""", [city]):
        stage[s] = (planned, spent, n)
    volunteer = query(d, """select strftime(service_date, '%Y-%m') as m, sum(hours), count(distinct volunteer_key)
                            from marts.fct_volunteer_hours where city = ? group by m order by m""", [city])
    stars = dict(query(d, """select v.star_level, count(*) from marts.dim_volunteer v
                             where v.star_level > 0 and v.volunteer_key in
                               (select volunteer_key from marts.fct_volunteer_hours where city = ?)
                             group by v.star_level""", [city]))
    ledger = [(m, overdue, (Decimal(rectified) / Decimal(n)).quantize(Decimal("0.0001"), ROUND_HALF_UP))
              for m, overdue, rectified, n in query(d, """
                  select strftime(period_month, '%Y-%m') as m, count(*) filter (where is_overdue),
                         count(*) filter (where is_rectified), count(*)
                  from marts.fct_issue_status_history where city = ? group by m order by m""", [city])]
    ranking_month = query(d, """select coalesce(max(period_month) filter (where issues_in_ledger > 0),
                                         max(period_month))
                                from marts.mart_department_scorecard where city = ?""", [city])[0][0]
    ranking = query(d, """select rank_in_city, department_name, rectification_rate, issues_in_ledger, issues_overdue,
                                 investment_completion_rate, volunteer_hours
                          from marts.mart_department_scorecard where city = ? and period_month = ?
                          order by rank_in_city, department_code""", [city, ranking_month])
    overdue_now = query(d, "select count(*) from marts.fct_issue_closure where city = ? and is_overdue", [city])[0][0]
    totals = query(d, "select sum(hours) from marts.fct_volunteer_hours where city = ?", [city])[0][0]
    return {"stage": stage, "volunteer": volunteer, "stars": stars, "ledger": ledger, "ranking_month": ranking_month,
            "ranking": ranking, "overdue_now": overdue_now, "hours": totals}
