"""The scorecard dashboard (创建文明城市数据看板): a static site built from the published marts.

Call :func:`publish_site` after each publish (the warehouse DAG's last step); it regenerates the
dbt docs and the dashboard pages under ``$CAMPAIGN_HOME/site``. Both only read the warehouse.
"""
from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def build_dashboard(home: str | Path | None = None, target: str | None = None, dbt_docs_coming: bool = False) -> Path:
    """Dashboard pages only; returns site/index.html."""
    from dashboard.site import build_dashboard as build
    return build(home, target, dbt_docs_coming)


def build_dbt_docs(home: str | Path | None = None, target: str | None = None) -> Path:
    """dbt docs (static, one file) only; returns site/dbt_docs/index.html."""
    from dashboard.dbt_docs import build_dbt_docs as build
    return build(home, target)


def publish_site(home: str | Path | None = None, target: str | None = None) -> Path:
    """dbt docs and the dashboard (which links them); returns site/index.html once both are
    written. The docs' dbt runs in a child process while the pages are rendered here (a thread
    waits for it), so the two take the time of the longer one on two cores."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="dbt-docs") as pool:
        docs = pool.submit(build_dbt_docs, home, target)
        index = build_dashboard(home, target, dbt_docs_coming=True)
        log.info("dbt docs: %s", docs.result())
    return index
