"""Warehouse: when raw tables change, dbt build a candidate, audit it with GX, publish atomically."""
from __future__ import annotations

import os

from airflow.sdk import Asset, Param, dag, task

RAW_ASSETS = [Asset(f"campaign://raw/{kind}") for kind in ("investment", "volunteer", "issue")]
MARTS = Asset("campaign://warehouse/marts")


def _paths():
    from ingest.config import paths
    return paths(os.environ.get("CAMPAIGN_HOME", "data"))


@dag(schedule=RAW_ASSETS[0] | RAW_ASSETS[1] | RAW_ASSETS[2], catchup=False, max_active_runs=1,
     tags=["campaign", "warehouse"],
     params={"full_refresh": Param(False, type="boolean", description="rebuild every model from scratch")})
def campaign_warehouse():
    @task(pool="duckdb_writer")
    def build(params: dict | None = None) -> str:
        from ingest.warehouse import dbt_build, prepare_candidate
        full = bool((params or {}).get("full_refresh"))
        paths = _paths()
        prepare_candidate(paths, full_refresh=full)
        dbt_build(paths, full_refresh=full)
        return str(paths.candidate_db)

    @task
    def audit(candidate: str, run_id: str | None = None) -> int:
        from expectations import audit_warehouse, build_data_docs, raise_on_failure
        report = audit_warehouse(candidate, run_id or "airflow")
        build_data_docs(report, _paths().home / "quality" / "data_docs")
        raise_on_failure(report)
        return len(report.records)

    @task(pool="duckdb_writer", outlets=[MARTS])
    def publish(_: int) -> str:
        from ingest.warehouse import publish as swap
        return str(swap(_paths()))

    publish(audit(build()))


campaign_warehouse()
