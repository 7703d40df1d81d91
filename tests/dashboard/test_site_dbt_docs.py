"""dbt docs in the published site: generated, linked from the dashboard, reusing the built manifest."""
from __future__ import annotations

import shutil

import pytest

from tests.dashboard.pages import open_page

pytestmark = pytest.mark.slow


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
