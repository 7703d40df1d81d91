"""Apache Superset, for real, on the project's bundle (bi/superset/bundle.yaml).

Superset runs from its own venv (scripts/superset_venv.sh, bi/superset/requirements.lock) with a
throw-away PostgreSQL metadata database (SQLite's keeps a UNIQUE table name from an old migration,
so the same mart could not be a dataset on both connections): `superset db upgrade`, an admin, `superset init`,
then the bundle rendered for the demo warehouses (scripts/superset_bundle.py: the published DuckDB
file read-only, the PostgreSQL marts as the BI role) is imported with `superset import-dashboards`
and again as assets through the REST API (every connection and dataset, not only those the charts
use). tests/warehouse/superset_client.py drives the REST API through Superset's Flask test client:
it syncs every dataset's columns, reads them back, and runs every chart through the chart-data API,
on DuckDB (the chart's saved query) and on the PostgreSQL dataset of the same mart. Every figure
must equal plain SQL over the marts written here, decimals must arrive as numbers, and every column
must carry the database's comment as its description.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.pg_warehouse import drop_database, duck_rows, new_database, pg_rows
from warehouse.postgres import connect as pg

pytestmark = pytest.mark.slow

VENV = REPO / ".venv-superset"
SPEC = yaml.safe_load((REPO / "bi" / "superset" / "bundle.yaml").read_text(encoding="utf-8"))
DUCK = SPEC["databases"]["duckdb"]["database_name"]
PG = SPEC["databases"]["postgres"]["database_name"]
ADMIN, PASSWORD = "admin", "superset-test-admin"


def run(cmd: list[str], env: dict[str, str], timeout: int = 600) -> str:
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd}: exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def superset_bin() -> Path:
    """.venv-superset/bin, created from the lock when missing (a few minutes the first time)."""
    proc = subprocess.run(["bash", str(REPO / "scripts" / "superset_venv.sh")], cwd=REPO, capture_output=True,
                          text=True, timeout=1800)
    if proc.returncode != 0:
        reason = f"cannot create .venv-superset (no package index?): {(proc.stdout + proc.stderr)[-1500:]}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        print(reason)
        pytest.skip(reason)
    return VENV / "bin"


@pytest.fixture(scope="module")
def superset(built, superset_bin, tmp_path_factory):
    """What Superset shows after importing the bundle, and the DuckDB file's hash before it."""
    work = tmp_path_factory.mktemp("superset")
    metadata = new_database("superset")
    try:
        parts = pg.dsn_parts(metadata)
        config = work / "superset_config.py"
        config.write_text(f'SECRET_KEY = "{hashlib.sha256(str(work).encode()).hexdigest()}"\n'
                          f'SQLALCHEMY_DATABASE_URI = "postgresql+psycopg2://{parts.get("user", "postgres")}@'
                          f'{parts.get("host", "127.0.0.1")}:{parts.get("port", "5432")}/{parts["dbname"]}"\n'
                          "WTF_CSRF_ENABLED = False\n", encoding="utf-8")
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("CAMPAIGN", "SUPERSET"))},
               "SUPERSET_CONFIG_PATH": str(config), "SUPERSET_HOME": str(work), "FLASK_APP": "superset"}
        before = hashlib.sha256(built.duck.read_bytes()).hexdigest()
        bundle = work / "campaign-superset.zip"
        run([str(REPO / ".venv" / "bin" / "python"), "-m", "scripts.superset_bundle", "--home", str(built.paths.home),
             "--postgres", "--out", str(bundle)],
            {**env, "CAMPAIGN_PG_DSN": built.dsn, "CAMPAIGN_BI_ROLE": built.bi_role,
             "CAMPAIGN_BI_PASSWORD": built.bi_password})
        cli = str(superset_bin / "superset")
        run([cli, "db", "upgrade"], env)
        run([cli, "fab", "create-admin", "--username", ADMIN, "--firstname", "BI", "--lastname", "Admin",
             "--email", "bi-admin@example.org", "--password", PASSWORD], env)
        run([cli, "init"], env)
        run([cli, "import-dashboards", "-p", str(bundle), "-u", ADMIN], env)
        out = run([str(superset_bin / "python"), str(REPO / "tests" / "warehouse" / "superset_client.py"), ADMIN,
                   PASSWORD, str(bundle)], env)
        (line,) = [x for x in out.splitlines() if x.startswith("SUPERSET-RESULT ")]
        yield {"shown": json.loads(line.removeprefix("SUPERSET-RESULT ")), "duck_hash": before}
    finally:
        drop_database(metadata)


def test_bundle_imports_both_connections_and_the_dashboard(built, superset):
    shown = superset["shown"]
    assert shown["databases"][DUCK] == {"backend": "duckdb", "allow_dml": False,
                                        "uri": f"duckdb:///{built.duck}?access_mode=READ_ONLY"}
    assert shown["databases"][PG]["backend"] == "postgresql"
    assert shown["databases"][PG]["uri"].startswith(f"postgresql+psycopg2://{built.bi_role}:XXXXXXXXXX@")
    tables = {d["table"] for d in SPEC["datasets"]}
    assert set(shown["datasets"]) == {f"{db}/{t}" for db in (DUCK, PG) for t in tables}
    assert shown["dashboards"] == {SPEC["dashboard"]["dashboard_title"]: sorted(c["slice_name"] for c in SPEC["charts"])}
    # Superset only read the published file
    assert hashlib.sha256(built.duck.read_bytes()).hexdigest() == superset["duck_hash"]


def test_datasets_carry_the_column_comments(built, superset):
    duck = {(t, c): d for t, c, d in duck_rows(built.duck, """
        select table_name, column_name, comment from duckdb_columns() where schema_name = 'marts'""")}
    pg = {(t, c): d for t, c, d in pg_rows(built.dsn, """
        select c.table_name, c.column_name, col_description(format('%I.%I', c.table_schema, c.table_name)::regclass,
                                                            c.ordinal_position)
        from information_schema.columns c where c.table_schema = 'marts'""")}
    for key, dataset in superset["shown"]["datasets"].items():
        database, table = key.split("/")
        comments = duck if database == DUCK else pg
        assert dataset["schema"] == "marts"
        assert {c: v["description"] for c, v in dataset["columns"].items()} == \
            {c: d for (t, c), d in comments.items() if t == table}, key
        assert all(" / " in v["description"] for v in dataset["columns"].values()), key  # 中文 / English


def test_dataset_metrics_are_the_semantic_layers(superset):
    metrics = superset["shown"]["datasets"][f"{DUCK}/fct_issue_closure"]["metrics"]
    assert metrics["rectification_rate"] == {
        "verbose_name": "整改率", "expression": "1.0 * sum(case when is_rectified then 1 else 0 end) / nullif(sum(1), 0)"}
    assert superset["shown"]["datasets"][f"{PG}/fct_volunteer_hours"]["metrics"]["volunteer_hours"] == {
        "verbose_name": "志愿服务时长（小时）", "expression": "sum(hours)"}


EXPECTED = {  # chart -> plain SQL over the marts (DuckDB), first column = the chart's x axis
    "整改率（按城市）": """
        select city, 1.0 * count(*) filter (where is_rectified) / count(*)
        from (select *, row_number() over (partition by city, issue_code order by period_month desc) as recency
              from marts.fct_issue_status_history) where recency = 1 group by city""",
    "志愿服务时长（按月）": """
        select date_trunc('month', service_date), sum(hours) from marts.fct_volunteer_hours group by 1""",
    "计划投资与累计完成投资（按城市，元）": """
        select city, sum(planned_amount_yuan), sum(coalesce(cumulative_amount_yuan, 0))
        from marts.fct_investment_latest group by city""",
    "投资完成率（全省）": """
        select 'all', sum(coalesce(cumulative_amount_yuan, 0)) / sum(planned_amount_yuan) from marts.fct_investment_latest""",
}


def key(value) -> str:
    """An x-axis value as Superset returns it (epoch milliseconds for time) or as SQL does."""
    if isinstance(value, (int, float)) and value > 10 ** 11:
        return datetime.fromtimestamp(value / 1000, timezone.utc).date().isoformat()
    return value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)


def figures(result: dict) -> dict[str, list]:
    names = result["colnames"]
    rows = result["data"]
    if len(names) == 1 or not any(isinstance(r[names[0]], str) or r[names[0]] > 10 ** 11 for r in rows):
        return {"all": [r[n] for r in rows for n in names]}
    return {key(r[names[0]]): [r[n] for n in names[1:]] for r in rows}


@pytest.mark.parametrize("chart", sorted(EXPECTED))
def test_chart_figures_equal_sql_over_the_marts(built, superset, chart):
    shown = superset["shown"]["charts"][chart]
    expected = {key(r[0]): [Decimal(str(v)) for v in r[1:]] for r in duck_rows(built.duck, EXPECTED[chart])}
    assert len(expected) >= 1
    (saved,) = shown["saved"]
    assert all(t == 0 for t, name in zip(saved["coltypes"], saved["colnames"]) if name in
               {m for c in SPEC["charts"] if c["slice_name"] == chart for m in c["metrics"]})  # 0 = NUMERIC
    for database in ("saved", DUCK, PG):
        (result,) = shown[database]
        got = figures(result)
        assert set(got) == set(expected), (database, got)
        for x, values in got.items():
            for value, want in zip(values, expected[x], strict=True):
                assert isinstance(value, (int, float)) and not isinstance(value, bool), (database, x, value)
                assert value == pytest.approx(float(want), rel=1e-12, abs=1e-9), (database, chart, x)
