"""Renders bi/superset/bundle.yaml into a zip Superset imports (Settings → Import dashboards,
`superset import-dashboards -p`, or POST /api/v1/assets/import/), for one deployment:

    .venv/bin/python -m scripts.superset_bundle --home /srv/campaign --out campaign-superset.zip
    CAMPAIGN_PG_DSN=postgresql://host:5432/campaign CAMPAIGN_BI_PASSWORD=... \\
        .venv/bin/python -m scripts.superset_bundle --postgres --out campaign-superset.zip

--home adds the published DuckDB file, opened read-only; --postgres the PostgreSQL marts as the BI
role (CAMPAIGN_BI_ROLE / CAMPAIGN_BI_PASSWORD). The zip then holds that password: keep it private
and delete it after the import. Charts use the first database given (DuckDB when both).
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import uuid
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from ingest.config import Paths
from warehouse import semantic
from warehouse.dbt import DBT_DIR

SPEC = Path(__file__).resolve().parents[1] / "bi" / "superset" / "bundle.yaml"
MARTS_DIR = DBT_DIR / "models" / "marts"
SCHEMA = "marts"
VERSION = "1.0.0"


def duckdb_uri(home: Path) -> str:
    """The published file, read-only (duckdb_engine passes URL query options to duckdb.connect)."""
    db = Paths(home.resolve()).published_db
    if not db.exists():
        raise SystemExit(f"no published warehouse at {db}: run `make run` first")
    return f"duckdb:///{db}?access_mode=READ_ONLY"


def postgres_uri() -> str:
    """CAMPAIGN_PG_DSN's server and database, as the province-wide BI login."""
    from sqlalchemy.engine import URL

    from warehouse.postgres import connect as pg

    role, password = pg.bi_role()
    if not password:
        raise SystemExit("CAMPAIGN_BI_PASSWORD is not set (the BI login's password, from the secrets)")
    parts = pg.dsn_parts(pg.dsn())
    return URL.create("postgresql+psycopg2", username=role, password=password,
                      host=parts.get("host", "127.0.0.1"), port=int(parts.get("port", 5432)),
                      database=parts["dbname"]).render_as_string(hide_password=False)


def mart_doc(table: str) -> dict[str, Any]:
    doc = yaml.safe_load((MARTS_DIR / f"{table}.yml").read_text(encoding="utf-8"))
    (model,) = [m for m in doc["models"] if m["name"] == table]
    return model


def dataset_uuid(database_uuid: str, table: str) -> str:
    return str(uuid.uuid5(uuid.UUID(database_uuid), f"{SCHEMA}.{table}"))


def dataset_metric(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """A semantic-layer metric as a Superset saved metric over this dataset's table."""
    metric = semantic.metric_expression(name)
    over = spec.get("latest_of") if metric.snapshot else spec["table"]
    if metric.mart not in (spec["table"], over):
        raise SystemExit(f"metric {name} is defined over {metric.mart}, not {spec['table']}")
    return {"metric_name": name, "verbose_name": metric.label, "metric_type": None, "expression": metric.sql,
            "description": metric.description, "d3format": ".2%" if name.endswith("_rate") else None,
            "extra": {}, "warning_text": None}


def dataset(spec: dict[str, Any], database_uuid: str) -> dict[str, Any]:
    """A physical dataset on marts.<table>: the mart's columns (types and descriptions are synced
    from the database after the import) and its semantic metrics."""
    model = mart_doc(spec["table"])
    columns = [{"column_name": c["name"], "verbose_name": None, "is_dttm": c["name"] == spec.get("time"),
                "is_active": True, "type": None, "groupby": True, "filterable": True, "expression": None,
                "description": None, "python_date_format": None, "extra": {}} for c in model["columns"]]
    return {"table_name": spec["table"], "main_dttm_col": spec.get("time"), "description": " ".join(model["description"].split()),
            "default_endpoint": None, "offset": 0, "cache_timeout": None, "schema": SCHEMA, "catalog": None,
            "sql": None, "params": None, "template_params": None, "filter_select_enabled": True,
            "fetch_values_predicate": None, "extra": None, "normalize_columns": False,
            "uuid": dataset_uuid(database_uuid, spec["table"]),
            "metrics": [dataset_metric(m, spec) for m in spec.get("semantic_metrics", [])],
            "columns": columns, "version": VERSION, "database_uuid": database_uuid}


def chart_params(chart: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {"viz_type": chart["viz_type"], "metrics": chart["metrics"], "adhoc_filters": [],
                              "row_limit": 10000, "y_axis_format": chart.get("y_axis_format", "SMART_NUMBER"),
                              "color_scheme": "supersetColors", "show_legend": True}
    if chart["viz_type"] == "big_number_total":
        params["metric"] = chart["metrics"][0]
    if "x_axis" in chart:
        params.update({"x_axis": chart["x_axis"], "groupby": [], "x_axis_sort_asc": True,
                       "rich_tooltip": True, "orientation": "vertical"})
    if "time_grain" in chart:
        params.update({"time_grain_sqla": chart["time_grain"], "x_axis_time_format": "%Y-%m"})
        params["adhoc_filters"] = [{"clause": "WHERE", "comparator": "No filter", "expressionType": "SIMPLE",
                                    "operator": "TEMPORAL_RANGE", "subject": chart["x_axis"]}]
    return params


def query_context(chart: dict[str, Any], params: dict[str, Any]) -> str:
    """What Superset's chart-data API runs for the chart (GET /api/v1/chart/<id>/data): saved with
    the chart, as Explore saves it; the datasource id is set by the import."""
    query: dict[str, Any] = {"metrics": chart["metrics"], "filters": [], "extras": {"having": "", "where": ""},
                             "row_limit": 10000, "order_desc": True, "orderby": [], "columns": [],
                             "applied_time_extras": {}, "url_params": {}, "custom_params": {}, "custom_form_data": {}}
    if "x_axis" in chart:
        axis: Any = chart["x_axis"]
        if "time_grain" in chart:
            axis = {"columnType": "BASE_AXIS", "sqlExpression": axis, "label": axis, "expressionType": "SQL",
                    "timeGrain": chart["time_grain"]}
            query["filters"] = [{"col": chart["x_axis"], "op": "TEMPORAL_RANGE", "val": "No filter"}]
            query["extras"]["time_grain_sqla"] = chart["time_grain"]
        query["columns"] = [axis]
        query["orderby"] = [[chart["x_axis"], True]]
    return json.dumps({"datasource": {"id": 0, "type": "table"}, "force": False, "queries": [query],
                       "form_data": params, "result_format": "json", "result_type": "full"}, ensure_ascii=False)


def chart_yaml(chart: dict[str, Any], database_uuid: str) -> dict[str, Any]:
    params = chart_params(chart)
    return {"slice_name": chart["slice_name"], "description": None, "certified_by": None,
            "certification_details": None, "viz_type": chart["viz_type"], "params": params,
            "query_context": query_context(chart, params), "cache_timeout": None, "uuid": chart["uuid"],
            "version": VERSION, "dataset_uuid": dataset_uuid(database_uuid, chart["dataset"])}


def dashboard_yaml(spec: dict[str, Any], charts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The dashboard's layout (Superset's position JSON, v2): one grid row per row of the spec."""
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"type": "HEADER", "id": "HEADER_ID", "meta": {"text": spec["dashboard_title"]}},
    }
    for r, row in enumerate(spec["rows"], 1):
        row_id = f"ROW-{r}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {"type": "ROW", "id": row_id, "children": [], "parents": ["ROOT_ID", "GRID_ID"],
                            "meta": {"background": "BACKGROUND_TRANSPARENT"}}
        for c, chart_uuid in enumerate(row, 1):
            chart_id = f"CHART-{r}-{c}"
            position[row_id]["children"].append(chart_id)
            position[chart_id] = {"type": "CHART", "id": chart_id, "children": [],
                                  "parents": ["ROOT_ID", "GRID_ID", row_id],
                                  "meta": {"chartId": 0, "uuid": chart_uuid, "width": 12 // len(row), "height": 50,
                                           "sliceName": charts[chart_uuid]["slice_name"]}}
    return {"dashboard_title": spec["dashboard_title"], "description": None, "css": "", "slug": spec["slug"],
            "certified_by": None, "certification_details": None, "published": True, "uuid": spec["uuid"],
            "position": position, "version": VERSION,
            "metadata": {"color_scheme": "supersetColors", "refresh_frequency": 0, "expanded_slices": {},
                         "label_colors": {}, "timed_refresh_immune_slices": [], "cross_filters_enabled": True,
                         "native_filter_configuration": [], "default_filters": "{}"}}


def database_yaml(spec: dict[str, Any], uri: str) -> dict[str, Any]:
    """A connection that reads only: no DML, no CTAS/CVAS, no uploads; results cached per chart for
    the default cache timeout (docs/bi.md: what a publish means for the cache)."""
    return {"database_name": spec["database_name"], "sqlalchemy_uri": uri, "cache_timeout": None,
            "expose_in_sqllab": True, "allow_run_async": False, "allow_ctas": False, "allow_cvas": False,
            "allow_dml": False, "allow_csv_upload": False, "extra": {"allows_virtual_table_explore": True},
            "uuid": spec["uuid"], "version": VERSION}


def render(uris: dict[str, str], spec_path: Path = SPEC) -> bytes:
    """The bundle as zip bytes, for the databases of `uris` (keys of the spec's databases)."""
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    # No `type` in metadata.yaml: the same zip then imports as a dashboard (UI, `superset
    # import-dashboards`: the dashboard, its charts' datasets and database) and as assets (POST
    # /api/v1/assets/import/: every connection and dataset too).
    files: dict[str, Any] = {"metadata.yaml": {"version": VERSION, "timestamp": datetime.now(timezone.utc).isoformat()}}
    for key, uri in uris.items():
        db = spec["databases"][key]
        files[f"databases/campaign_{key}.yaml"] = database_yaml(db, uri)
        for ds in spec["datasets"]:
            files[f"datasets/campaign_{key}/{ds['table']}.yaml"] = dataset(ds, db["uuid"])
    charts_db = spec["databases"][next(iter(uris))]["uuid"]
    charts = {c["uuid"]: c for c in spec["charts"]}
    for n, chart in enumerate(spec["charts"], 1):
        files[f"charts/chart_{n}.yaml"] = chart_yaml(chart, charts_db)
    files["dashboards/campaign.yaml"] = dashboard_yaml(spec["dashboard"], charts)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(f"campaign_superset/{name}", yaml.safe_dump(content, allow_unicode=True, sort_keys=False))
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, help="CAMPAIGN_HOME whose published DuckDB file Superset reads")
    ap.add_argument("--postgres", action="store_true", help="the PostgreSQL marts of CAMPAIGN_PG_DSN, as the BI role")
    ap.add_argument("--out", type=Path, required=True, help="the zip to write")
    args = ap.parse_args(argv)
    uris = {}
    if args.home:
        uris["duckdb"] = duckdb_uri(args.home)
    if args.postgres:
        uris["postgres"] = postgres_uri()
    if not uris:
        ap.error("give --home, --postgres or both")
    args.out.write_bytes(render(uris))
    print(f"Superset bundle for {', '.join(uris)}: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
