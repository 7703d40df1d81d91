"""Warehouse: when raw submissions change, dbt build a candidate, audit it with GX, publish it
atomically, then rebuild the dashboard and dbt docs, and tell people about late or missing
submissions.

Scheduled on the Assets campaign://raw/{investment,volunteer,issue}; the ingest run's
announcement (the asset event's extra) says which submissions and slice it was about. A manual
run takes the same params as campaign_ingest (full_refresh rebuilds incremental marts too).
"""
from __future__ import annotations

from airflow.sdk import Asset, Param, dag, task

from dags.campaign_support import guard, home, notify_failure
from ingest.slices import KINDS, PARAM_SPECS

RAW = [Asset(f"campaign://raw/{kind}") for kind in KINDS]
MARTS = Asset("campaign://warehouse/marts")


@dag(schedule=RAW[0] | RAW[1] | RAW[2], catchup=False, max_active_runs=1, tags=["campaign", "warehouse"],
     params={name: Param(**spec) for name, spec in PARAM_SPECS.items()},
     default_args={"retries": 2, "retry_exponential_backoff": True, "on_failure_callback": notify_failure})
def campaign_warehouse():
    @task(retries=0)
    def plan(params: dict | None = None, triggering_asset_events=None) -> dict:
        from flows.warehouse_steps import plan as make_plan
        events = [e.extra for evs in (triggering_asset_events or {}).values() for e in evs]
        return guard(make_plan, dict(params or {}), events)

    @task(pool="duckdb_writer")
    def build(plan_doc: dict) -> str:
        from flows.warehouse_steps import build as dbt_build
        return guard(dbt_build, home(), plan_doc)

    @task(pool="duckdb_writer")  # reads raw.duckdb, writes the quality store
    def audit(plan_doc: dict, _: str, run_id: str | None = None) -> int:
        from flows.warehouse_steps import audit as gx_audit
        return guard(gx_audit, home(), plan_doc["target"], run_id or "airflow")

    @task(pool="duckdb_writer", outlets=[MARTS])
    def publish(plan_doc: dict, _: int) -> str:
        from flows.warehouse_steps import publish as swap
        return guard(swap, home(), plan_doc["target"])

    @task(pool="duckdb_writer")  # attaches raw.duckdb to document it
    def docs(plan_doc: dict, _: str) -> str:
        from flows.warehouse_steps import docs as rebuild_site
        return guard(rebuild_site, home(), plan_doc["target"])

    @task
    def track(plan_doc: dict, _: str) -> dict:
        from flows.warehouse_steps import track as late_and_missing
        return guard(late_and_missing, home(), plan_doc)

    p = plan()
    published = publish(p, audit(p, build(p)))
    docs(p, published)
    track(p, published)


campaign_warehouse()
