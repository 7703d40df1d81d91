"""The scorecard dashboard (创建文明城市数据看板): a static site built from the published marts.

Call :func:`publish_site` after each publish (the warehouse DAG's last step); it regenerates the
dbt docs and the dashboard pages under ``$CAMPAIGN_HOME/site``. Both only read the warehouse.
"""
from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def build_dashboard(home: str | Path | None = None, target: str | None = None) -> Path:
    """Dashboard pages only; returns site/index.html."""
    from dashboard.site import build_dashboard as build
    return build(home, target)


def build_dbt_docs(home: str | Path | None = None, target: str | None = None) -> Path:
    """dbt docs (static, one file) only; returns site/dbt_docs/index.html."""
    from dashboard.dbt_docs import build_dbt_docs as build
    return build(home, target)


def publish_site(home: str | Path | None = None, target: str | None = None) -> Path:
    """dbt docs, then the dashboard (which links them); returns site/index.html."""
    docs = build_dbt_docs(home, target)
    log.info("dbt docs: %s", docs)
    return build_dashboard(home, target)
