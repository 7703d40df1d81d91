"""Build the static scorecard site under $CAMPAIGN_HOME/site from the published marts (read-only).

Layout: site/index.html (overview), site/city/<city_code>.html, site/assets/{plotly.min.js,
dashboard.css}, site/dbt_docs/index.html (see dbt_docs.py). Each file is written to a temporary
name and renamed into place, so a reader never opens half a page.
"""
from __future__ import annotations

import logging
import os
import shutil
from datetime import datetime
from pathlib import Path

import plotly.offline

from dashboard import charts, optional_marts, render
from dashboard.data import CityData, Row, load_all
from dashboard.source import known_target, open_marts, published_engine
from ingest.config import Paths, paths as campaign_paths
from warehouse import target as warehouse_target

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
OVERDUE_LIMIT = 20
GAP_LIMIT = 30
AUDIT_LIMIT = 10


def site_dir(paths: Paths) -> Path:
    return paths.home / "site"


def build_dashboard(home: str | Path | None = None, target: str | None = None, dbt_docs_coming: bool = False) -> Path:
    """Render the dashboard from the published warehouse of `target` (default CAMPAIGN_TARGET or
    duckdb); returns site/index.html. The warehouse is only read. dbt_docs_coming: link
    site/dbt_docs/ even if it is not written yet (it is being generated meanwhile)."""
    paths = campaign_paths(home)
    target = known_target(target)
    engine, label = published_engine(paths, target), warehouse_target.location(paths, target)
    published_at = warehouse_target.published_at(paths, target)
    with open_marts(engine, label) as marts:
        cities = load_all(marts)
        audits = optional_marts.mart_audits(marts)
    site = site_dir(paths)
    written = _write_site(site, cities, audits, label, published_at, dbt_docs_coming)
    log.info("dashboard: %d pages for %d cities in %s", len(written), len(cities), site)
    return site / "index.html"


def _write_site(site: Path, cities: list[CityData], audits: list[Row] | None, source: str,
                published_at: datetime | None, dbt_docs_coming: bool = False) -> list[Path]:
    env = render.environment()
    (site / "city").mkdir(parents=True, exist_ok=True)
    (site / "assets").mkdir(parents=True, exist_ok=True)
    _write(site / "assets" / "plotly.min.js", plotly.offline.get_plotlyjs())
    _write(site / "assets" / "dashboard.css", (STATIC / "dashboard.css").read_text(encoding="utf-8"))
    common = {
        "cities": cities, "source": source, "links": _links(site, dbt_docs_coming),
        "published_at": published_at.strftime("%Y-%m-%d %H:%M") if published_at else "—",
        "generated_at": datetime.now().strftime("%Y-%m-%d %H:%M"),
    }
    pages = [_write(site / "index.html", render.render(env, "index.html", title="总览", page="index", root="",
                                                       charts=charts.overview_charts(cities), audits=audits,
                                                       audit_limit=AUDIT_LIMIT, **common))]
    for city in cities:
        html = render.render(env, "city.html", title=f"{city.city}创建工作看板", page=city.city_code, root="../",
                             c=city, charts=charts.city_charts(city), overdue_limit=OVERDUE_LIMIT,
                             gap_limit=GAP_LIMIT, **common)
        pages.append(_write(site / "city" / f"{city.city_code}.html", html))
    for stale in set((site / "city").glob("*.html")) - set(pages):
        stale.unlink()
    return pages


def _links(site: Path, dbt_docs_coming: bool = False) -> dict[str, str | None]:
    """Relative links to the dbt docs (ours, else those of the warehouse DAG's docs step) and the
    GX Data Docs, where they have been generated."""
    home = site.parent
    dbt_candidates = {"dbt_docs/index.html": site / "dbt_docs" / "index.html",
                      "../docs/dbt/static_index.html": home / "docs" / "dbt" / "static_index.html"}
    dbt_docs = "dbt_docs/index.html" if dbt_docs_coming else \
        next((link for link, path in dbt_candidates.items() if path.exists()), None)
    # one Data Docs site per audit run (quality/data_docs/<run>/); the newest is the audit of the
    # build just published (the site is rebuilt after each publish)
    audits = sorted((home / "quality" / "data_docs").glob("*/index.html"), key=lambda p: p.stat().st_mtime)
    data_docs = f"../quality/data_docs/{audits[-1].parent.name}/index.html" if audits else None
    return {"dbt_docs": dbt_docs, "data_docs": data_docs}


def _write(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def copy_into(src: Path, dest: Path) -> Path:
    """Copy a file into the site atomically (temporary name, then rename)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)
    return dest
