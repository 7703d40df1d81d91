"""The scorecard dashboard, opened from disk in Debian's headless Chromium (selenium + chromedriver).

The site is built by its CLI from a warehouse published by the real ingest and dbt code on the demo
submissions. The page must load with no console error and no request leaving file://, every chart
must be drawn, and every figure it holds must equal SQL over the marts, written here independently.
Screenshots are kept under $CAMPAIGN_TEST_ARTIFACTS (default ./test-artifacts).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from unittest import mock

import duckdb
import pytest

from tests.conftest import REPO, query

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(os.environ.get("CAMPAIGN_TEST_ARTIFACTS", REPO / "test-artifacts"))
STAGES = ["编制方案/可研", "施工图设计", "招投标", "开工建设", "已完工"]


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

    with mock.patch.dict(os.environ, {"CAMPAIGN_HASH_KEY": "test-key", "CAMPAIGN_HOME": str(home)}):
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


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = published_home(tmp_path_factory.getbasetemp())
    build_site(home)
    return home


def db(home: Path) -> Path:
    return home / "warehouse" / "campaign.duckdb"


def has_mart(home: Path, name: str) -> bool:
    return bool(query(db(home), "select 1 from information_schema.tables where table_schema = 'marts' "
                                "and table_name = ?", [name]))


# --------------------------------------------------------------------------- the browser
@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium and chromium-driver (.ci/run does)")
        pytest.skip("Debian chromium / chromium-driver not installed: apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--hide-scrollbars", "--force-device-scale-factor=1"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    with mock.patch.dict(os.environ, {"SE_OFFLINE": "true"}):  # Selenium Manager never downloads anything
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


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


# --------------------------------------------------------------------------- tests
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


def test_city_pages_draw_every_chart_with_the_marts_figures(browser, home, tmp_path):
    from selenium.webdriver.common.by import By

    for city, code in cities(home):
        page = home / "site" / "city" / f"{code}.html"
        charts = open_page(browser, page)
        for chart in charts.values():
            assert_drawn(chart)
        exp = expected_city(home, city)

        inv = charts[f"chart-investment-{code}"]
        planned, spent = trace(inv, "计划总投资"), trace(inv, "累计完成投资")
        assert planned["x"] == STAGES
        for i, stage in enumerate(STAGES):
            p, s, n = exp["stage"].get(stage, (Decimal(0), Decimal(0), 0))
            assert (Decimal(str(planned["customdata"][i][0])), planned["customdata"][i][1]) == (p, n), (city, stage)
            assert Decimal(str(spent["customdata"][i][0])) == s, (city, stage)
            assert planned["y"][i] == pytest.approx(float(p) / 10000, abs=0.005)

        vol = charts[f"chart-volunteer-{code}"]
        hours, people = trace(vol, "服务时长（小时）"), trace(vol, "参与志愿者（人）")
        assert hours["x"] == [m for m, _, _ in exp["volunteer"]]
        assert [Decimal(str(h)) for h in hours["customdata"]] == [h for _, h, _ in exp["volunteer"]]
        assert people["y"] == [n for _, _, n in exp["volunteer"]]

        stars = trace(charts[f"chart-stars-{code}"], "星级志愿者")
        assert stars["x"] == ["一星", "二星", "三星", "四星", "五星"]
        assert stars["y"] == [exp["stars"].get(level, 0) for level in range(1, 6)]

        rect = charts[f"chart-rectification-{code}"]
        rate, overdue = trace(rect, "整改率"), trace(rect, "逾期问题（件）")
        assert rate["x"] == overdue["x"] == [m for m, _, _ in exp["ledger"]]
        assert [Decimal(str(r)) for r in rate["customdata"]] == [r for _, _, r in exp["ledger"]]
        assert overdue["y"] == [o for _, o, _ in exp["ledger"]]

        # 红黑榜: the table on show is the ranking month's, row for row; the chart shows its overdue issues
        select = browser.find_element(By.CSS_SELECTOR, "select.month-switch")
        assert select.get_attribute("value") == ym(exp["ranking_month"])
        shown = [t for t in browser.find_elements(By.CSS_SELECTOR, "table.ranking") if t.is_displayed()]
        assert len(shown) == 1
        got = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")][:7]
               for tr in shown[0].find_elements(By.CSS_SELECTOR, "tbody tr")]
        assert got == [[str(rank), name, pct(rate_), str(in_ledger), str(over), pct(inv_rate), f"{vh:,.2f}"]
                       for rank, name, rate_, in_ledger, over, inv_rate, vh in exp["ranking"]], city
        bars = trace(charts[f"chart-overdue-{code}"], "逾期问题（件）")     # departments with a ledger
        with_ledger = [row for row in exp["ranking"] if row[3] > 0]
        assert bars["y"] == [f"{rank}. {name}" for rank, name, *_ in with_ledger]
        assert bars["x"] == [row[4] for row in with_ledger]

        kpi = {e.get_attribute("data-kpi"): e.text for e in browser.find_elements(By.CSS_SELECTOR, "[data-kpi]")}
        assert kpi["overdue_issues"] == kpi["overdue_list_count"] == str(exp["overdue_now"])
        assert kpi["star_volunteers"] == str(sum(exp["stars"].values()))
        assert kpi["rectification_rate"] == pct(exp["ledger"][-1][2])

        check_optional_sections(home, browser, charts, city, code)
        if code == "golmud":
            screenshot(browser, tmp_path / f"dashboard-city-{code}.png")


def check_optional_sections(home: Path, browser, charts: dict, city: str, code: str) -> None:
    from selenium.webdriver.common.by import By

    section = {s: browser.find_element(By.ID, s) for s in ("submissions", "quality")}
    if not has_mart(home, "mart_submission_status"):
        assert "暂无数据" in section["submissions"].text
    else:
        chart = charts[f"chart-submissions-{code}"]
        rows = query(db(home), """select strftime(period_month, '%Y-%m') as m,
                                         count(*) filter (where status = 'on_time'),
                                         count(*) filter (where status = 'late'),
                                         count(*) filter (where status = 'missing'),
                                         count(*) filter (where status = 'pending')
                                  from marts.mart_submission_status where city = ? group by m order by m""", [city])
        for i, name in enumerate(["按时报送", "迟报", "缺报", "未到截止日"], start=1):
            t = trace(chart, name)
            assert t["x"] == [r[0] for r in rows] and t["y"] == [r[i] for r in rows], (city, name)
        gaps = query(db(home), "select count(*) from marts.mart_submission_status where city = ? "
                               "and status in ('late', 'missing')", [city])[0][0]
        assert section["submissions"].find_element(By.CSS_SELECTOR, '[data-kpi="gap_count"]').text == str(gaps)
    if not has_mart(home, "mart_data_quality"):
        assert "暂无数据" in section["quality"].text
    else:
        chart = charts[f"chart-quality-{code}"]
        rows = [(m, failed, (Decimal(n - failed) / Decimal(n)).quantize(Decimal("0.0001"), ROUND_HALF_UP))
                for m, n, failed in query(db(home), """
                    select strftime(period_month, '%Y-%m') as m, count(*), count(*) filter (where not success)
                    from marts.mart_data_quality where city = ? and gate = 'submission' and period_month is not null
                    group by m order by m""", [city])]
        failed, rate = trace(chart, "未通过检查（项）"), trace(chart, "检查通过率")
        assert failed["x"] == rate["x"] == [r[0] for r in rows]
        assert failed["y"] == [r[1] for r in rows]
        assert [Decimal(str(v)) for v in rate["customdata"]] == [r[2] for r in rows]
        failures = query(db(home), "select count(*) from marts.mart_data_quality where city = ? and not success",
                         [city])[0][0]
        assert section["quality"].find_element(By.CSS_SELECTOR, '[data-kpi="quality_failures"]').text == str(failures)


def test_ranking_month_switch_shows_that_months_table(browser, home):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    city, code = cities(home)[0]
    open_page(browser, home / "site" / "city" / f"{code}.html")
    select = Select(browser.find_element(By.CSS_SELECTOR, "select.month-switch"))
    months = [o.get_attribute("value") for o in select.options]
    assert len(months) > 1
    select.select_by_value(months[-1])
    shown = [t for t in browser.find_elements(By.CSS_SELECTOR, "table.ranking") if t.is_displayed()]
    assert [t.get_attribute("data-month") for t in shown] == [months[-1]]
    first = query(db(home), """select department_name from marts.mart_department_scorecard
                               where city = ? and strftime(period_month, '%Y-%m') = ?
                               order by rank_in_city, department_code limit 1""", [city, months[-1]])[0][0]
    assert shown[0].find_element(By.CSS_SELECTOR, "tbody tr td:nth-child(2)").text == first


def test_dbt_docs_are_generated_and_linked(browser, home):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    docs = home / "site" / "dbt_docs" / "index.html"
    assert docs.exists() and "mart_department_scorecard" in docs.read_text(encoding="utf-8")
    open_page(browser, home / "site" / "index.html")
    link = browser.find_element(By.ID, "link-dbt-docs")
    assert link.get_attribute("href") == docs.as_uri()
    link.click()
    WebDriverWait(browser, 30).until(lambda d: "dbt" in d.title.lower())


def test_dbt_docs_come_from_the_built_manifest_else_from_a_full_generate(home, tmp_path, caplog):
    """The docs reuse the last build's parsed, compiled project when it is newer than the project;
    an unusable manifest falls back to a full `dbt docs generate`, with the same page."""
    from dashboard.dbt_docs import build_dbt_docs, built_manifest
    from ingest.config import paths as make_paths

    assert built_manifest(make_paths(home)) == home / "dbt" / "target" / "manifest.json"
    broken = tmp_path / "broken"
    shutil.copytree(home / "warehouse", broken / "warehouse")
    (broken / "dbt" / "target").mkdir(parents=True)
    (broken / "dbt" / "target" / "manifest.json").write_text('{"metadata": {}}')
    with caplog.at_level("WARNING", logger="dashboard.dbt_docs"):
        docs = build_dbt_docs(broken, "duckdb")
    assert "generating them in full" in caplog.text
    assert "mart_department_scorecard" in docs.read_text(encoding="utf-8")
    assert built_manifest(make_paths(tmp_path / "never-built")) is None


def test_the_dag_step_links_the_dbt_docs_it_generates_meanwhile(home, tmp_path):
    """publish_site (the warehouse DAG's docs step) renders the pages while dbt writes the docs:
    on a home without a site yet the overview still links them, and they are there at the end."""
    from dashboard import publish_site

    fresh = tmp_path / "fresh"
    for part in ("warehouse", "dbt"):
        shutil.copytree(home / part, fresh / part)
    index = publish_site(fresh, "duckdb")
    assert 'id="link-dbt-docs" href="dbt_docs/index.html"' in index.read_text(encoding="utf-8")
    assert "mart_department_scorecard" in (fresh / "site" / "dbt_docs" / "index.html").read_text(encoding="utf-8")


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
