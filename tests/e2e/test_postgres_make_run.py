"""`make run` with CAMPAIGN_TARGET=postgres: the real script through Airflow publishes the demo's marts
to PostgreSQL (ingest writing schema raw directly, candidate schemas audited and swapped in), readable by the BI role."""
from __future__ import annotations

import os
import subprocess
import uuid
from decimal import Decimal

import pytest
from psycopg2.extensions import make_dsn

from warehouse.postgres import connect as pg
from ingest.demo import generate
from tests.pg_warehouse import DB_PREFIX, drop_database, drop_roles, new_database, pg_rows
from tests.conftest import TEST_HASH_KEY

pytestmark = pytest.mark.slow
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    home = tmp_path_factory.mktemp("pg_run")
    manifest = generate(tmp_path_factory.mktemp("manifest"))   # the files make run writes into landing
    dsn, role = new_database("run"), f"{DB_PREFIX}bi_{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CAMPAIGN"))}
    env.update(CAMPAIGN_HOME=str(home), CAMPAIGN_HASH_KEY=TEST_HASH_KEY, CAMPAIGN_TARGET="postgres", CAMPAIGN_SETTLE_SECONDS="0",
               CAMPAIGN_PG_DSN=dsn, CAMPAIGN_BI_ROLE=role, CAMPAIGN_BI_PASSWORD="run-test")
    try:
        proc = subprocess.run([os.path.join(REPO, "scripts", "run_pipeline.sh")], env=env, capture_output=True,
                              text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
        yield home, manifest, dsn, role, proc.stdout
    finally:
        drop_database(dsn)
        drop_roles(role)


def test_the_summary_names_the_postgres_warehouse(run):
    home, _, dsn, _, out = run
    assert f"Published warehouse: {pg.safe_dsn(dsn)} (schema marts)" in out
    assert "marts.fct_volunteer_hours" in out
    assert not (home / "warehouse" / "campaign.duckdb").exists()    # nothing published to DuckDB


def test_ingest_wrote_postgres_directly(run):
    home, _, dsn, _, _ = run
    assert not (home / "warehouse" / "raw.duckdb").exists()            # no raw DuckDB file, no carry-over
    receipts = len(list((home / "receipts").rglob("*.json")))
    assert pg_rows(dsn, "select count(*) from raw.file_ledger")[0][0] == receipts > 0
    assert pg_rows(dsn, "select count(*) from raw.quality_results where gate = 'submission'")[0][0] > 0


def test_postgres_holds_the_demo_figures(run):
    _, manifest, dsn, _, _ = run
    for key, exp in manifest["expected"].items():
        city, kind, month = key.split("|")
        if kind == "investment":
            got = pg_rows(dsn, """select count(*), sum(planned_amount_yuan) from marts.fct_investment
                                  where city = %s and period_month = %s""", [city, f"{month}-01"])
            assert got == [(exp["projects"], Decimal(exp["planned_yuan"]))], key
        elif kind == "volunteer":
            got = pg_rows(dsn, """select count(*), sum(hours) from marts.fct_volunteer_hours
                                  where city = %s and period_month = %s""", [city, f"{month}-01"])
            assert got == [(exp["records"], Decimal(exp["hours"]))], key
    schemas = {s for (s,) in pg_rows(dsn, "select nspname from pg_namespace where nspname not like 'pg%%'")}
    assert {"raw", "seeds", "staging", "intermediate", "marts"} <= schemas
    assert not [s for s in schemas if "__" in s]                    # no candidate or retired schema left


def test_the_bi_role_reads_the_published_marts(run):
    _, _, dsn, role, _ = run
    got = pg_rows(make_dsn(dsn, user=role, password="run-test"),
                  "select count(*) from marts.mart_department_scorecard where rank_in_city = 1")
    assert got[0][0] > 0
