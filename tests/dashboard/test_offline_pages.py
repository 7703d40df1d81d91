"""Every page the warehouse writes works with no internet and calls nobody.

A demo $CAMPAIGN_HOME is published by the real ingest, dbt build and publish code (the dashboard
tests' home, copied), audited by the real audit step (GX Data Docs under quality/data_docs/<run>/)
and given its site by the dashboard CLI (dashboard and dbt docs). Then:
- a scan of every HTML page and stylesheet under the home finds nothing that loads from off the
  site (src, stylesheet href, @import, url(…), script-built URLs);
- Debian's headless Chromium with the network switched off (DevTools offline emulation) opens the
  Data Docs index and a validation page, the dashboard and the dbt docs: tables filled, styles and
  fonts applied, no failed request, no console error. A screenshot of the validation page is kept
  under $CAMPAIGN_TEST_ARTIFACTS (default ./test-artifacts).
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from unittest import mock

import pytest

from dashboard.offline import TRACKER_LOADER
from expectations.offline_scan import css_references, external_references
from tests.conftest import TEST_HASH_KEY, query
from tests.dashboard.pages import ARTIFACTS, build_site, published_home

RUN = "manual__offline"


# --------------------------------------------------------------------------- a demo home, every page
@pytest.fixture(scope="module")
def offline_home(tmp_path_factory) -> Path:
    """The dashboard tests' published demo home, copied, audited by the real audit step (Data Docs
    under quality/data_docs/<run>/) and given its site (dashboard + dbt docs) by the dashboard CLI."""
    from ingest.config import paths
    from warehouse.duck import audit, prepare_candidate

    home = tmp_path_factory.mktemp("offline") / "home"
    shutil.copytree(published_home(tmp_path_factory.getbasetemp()), home,
                    ignore=shutil.ignore_patterns("site", "quality", "candidate"))
    with mock.patch.dict(os.environ, {"CAMPAIGN_HASH_KEY": TEST_HASH_KEY, "CAMPAIGN_HOME": str(home)}):
        p = paths(home)
        prepare_candidate(p)
        audit(p, RUN)
    build_site(home)
    return home


def data_docs(home: Path) -> Path:
    return home / "quality" / "data_docs" / RUN


@pytest.mark.slow
def test_no_page_under_a_demo_home_loads_from_off_the_site(offline_home):
    home = offline_home
    pages = sorted(home.rglob("*.html"))
    names = {p.relative_to(home).as_posix() for p in pages}
    assert {"site/index.html", "site/dbt_docs/index.html", f"quality/data_docs/{RUN}/index.html"} <= names
    assert any(n.startswith("site/city/") for n in names)
    assert any(n.startswith(f"quality/data_docs/{RUN}/validations/") for n in names)
    assert any(n.startswith(f"quality/data_docs/{RUN}/expectations/") for n in names)
    found = [f"{p.relative_to(home)}: {ref}" for p in pages
             for ref in external_references(p.read_text(encoding="utf-8"))]
    found += [f"{s.relative_to(home)}: {ref}" for s in home.rglob("*.css")
              for ref in css_references(s.read_text(encoding="utf-8"))]
    assert found == []
    overview = (home / "site" / "index.html").read_text(encoding="utf-8")   # the quality report link
    assert f'id="link-data-docs" href="../quality/data_docs/{RUN}/index.html"' in overview
    dbt_docs = (home / "site" / "dbt_docs" / "index.html").read_text(encoding="utf-8")
    assert TRACKER_LOADER not in dbt_docs and '"send_anonymous_usage_stats": false' in dbt_docs


# --------------------------------------------------------------------------- the browser, network off
@pytest.fixture(scope="module")
def offline(browser):  # the dashboard tests' Chromium (tests/dashboard/conftest.py)
    conditions = {"latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": True, **conditions})
    yield browser
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, **conditions})


def visit(driver, page: Path, ready: str, fragment: str = "", timeout: int = 30) -> list[str]:
    """Open the page (at #fragment), wait until the script `ready` returns true; return every console
    error, every request that is not file:/data:/blob:, and every failed request."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")
    driver.get_log("performance")
    driver.get(page.as_uri() + fragment)
    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script(f"return document.readyState === 'complete' && !!({ready})"))
    problems = [f"console: {e['message']}" for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        params = msg.get("params", {})
        if msg["method"] == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith(("file://", "data:", "blob:", "about:")):
                problems.append(f"request: {url}")
        elif msg["method"] == "Network.loadingFailed":
            problems.append(f"failed: {params.get('errorText')} ({params.get('type')})")
    return problems


@pytest.mark.slow
def test_the_offline_browser_reports_what_a_page_fetches_from_outside(offline, tmp_path):
    """The harness itself: a page asking a CDN for a script gets no answer and is reported."""
    page = tmp_path / "online.html"
    page.write_text('<html><head><script src="https://cdn.jsdelivr.net/npm/vega@5"></script></head>'
                    '<body>x</body></html>', encoding="utf-8")
    problems = visit(offline, page, "true")
    assert "request: https://cdn.jsdelivr.net/npm/vega@5" in problems
    assert any("ERR_INTERNET_DISCONNECTED" in p for p in problems), problems


PAGE_STYLED = """document.querySelector('nav.navbar') &&
  getComputedStyle(document.querySelector('nav.navbar')).position === 'sticky' &&
  document.querySelector('.navbar-brand img').naturalWidth > 0 &&
  typeof jQuery === 'function' && !!jQuery.fn.bootstrapTable && typeof vegaEmbed === 'function'"""
TABLES_DRAWN = """document.querySelectorAll('table[data-toggle="table"]').length > 0 &&
  document.querySelectorAll('.bootstrap-table table[data-toggle="table"]').length ===
  document.querySelectorAll('table[data-toggle="table"]').length"""
INDEX_ROWS = """Array.from(document.querySelectorAll('.bootstrap-table table tbody tr'))
  .filter(tr => !tr.classList.contains('no-records-found')).length"""


@pytest.mark.slow
def test_data_docs_index_works_offline(offline, offline_home):
    """The index lists every validation of the run in a table drawn by bootstrap-table (paged,
    with its filters), styled, and nothing requested from outside."""
    home = offline_home
    validations = sorted((data_docs(home) / "validations").rglob("*.html"))
    problems = visit(offline, data_docs(home) / "index.html", f"({PAGE_STYLED}) && ({INDEX_ROWS}) > 0")
    assert problems == []
    rows = offline.execute_script(
        "return jQuery('#section-1-content-block-2-1-body-table').bootstrapTable('getData', {useCurrentPage: false})"
        ".map(r => [r.run_name, r.asset_name])")
    assert sorted(asset for _, asset in rows) == sorted(p.parent.parent.parent.name for p in validations)
    assert {run for run, _ in rows} == {RUN} and len(rows) > 5
    screenshot(offline, "data-docs-index-offline.png")


@pytest.mark.slow
def test_a_data_docs_validation_page_works_offline(offline, offline_home):
    """A validation page: every result table drawn (search box and all), one row per expectation
    of its suite as the quality store holds them, icons in Font Awesome, no request out."""
    home = offline_home
    from selenium.webdriver.common.by import By

    page = next((data_docs(home) / "validations" / "fct_volunteer_hours").rglob("*.html"))
    problems = visit(offline, page, f"({PAGE_STYLED}) && ({TABLES_DRAWN})")
    assert problems == []
    [(expected,)] = query(home / "warehouse" / "raw.duckdb", "select count(*) from quality_results "
                          "where run_id = ? and suite = 'fct_volunteer_hours'", [RUN])
    results = offline.execute_script(  # section 1 is the overview; then one table per column
        "return Array.from(document.querySelectorAll('.bootstrap-table table[id$=\"-content-block-2-body\"]'))"
        ".filter(t => !t.id.startsWith('section-1-')).reduce((n, t) => n + t.tBodies[0].rows.length, 0)")
    assert results == expected > 5
    assert offline.execute_script(
        "return Array.from(document.fonts).some(f => f.family.includes('Font Awesome') && f.status === 'loaded')")
    assert offline.find_elements(By.CSS_SELECTOR, ".bootstrap-table .search input")
    screenshot(offline, "data-docs-validation-offline.png")


@pytest.mark.slow
def test_dashboard_and_dbt_docs_work_offline(offline, offline_home):
    """The dashboard's overview and a city page draw every chart; the dbt docs show a mart's page
    with its columns and the project tree's icons; nothing requested from outside, nothing failed."""
    home = offline_home
    charts_drawn = ("typeof Plotly === 'object' && document.querySelectorAll('.plotly-graph-div').length > 0 && "
                    "Array.from(document.querySelectorAll('.plotly-graph-div'))"
                    ".every(g => g.querySelector('svg.main-svg'))")
    for page in [home / "site" / "index.html", *sorted((home / "site" / "city").glob("*.html"))[:1]]:
        assert visit(offline, page, charts_drawn) == [], page
    model_shown = ("Array.from(document.querySelectorAll('h1'))"
                   ".some(h => h.innerText.includes('mart_department_scorecard'))"
                   " && document.body.innerText.includes('rank_in_city')")
    docs = home / "site" / "dbt_docs" / "index.html"
    assert visit(offline, docs, model_shown, "#!/model/model.campaign.mart_department_scorecard") == []
    icons = "return Array.from(document.querySelectorAll('svg use')).filter(u => u.getBBox().width > 0).length"
    assert offline.execute_script(icons) > 5


def screenshot(driver, name: str) -> Path:
    """Full-page PNG under the test artefacts."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, max(900, min(int(height), 6000)))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    assert driver.save_screenshot(str(path))
    driver.set_window_size(1400, 1000)
    assert path.stat().st_size > 30_000       # a blank page compresses to a few KB
    return path
