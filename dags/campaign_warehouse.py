"""The campaign_warehouse DAG: build, audit, publish, docs, tracking (its docstring is the DAG's)."""
from __future__ import annotations

from airflow.sdk import Param, chain, dag, task
from airflow.sdk.exceptions import AirflowSkipException

from dags.campaign_support import MARTS, RAW, guard, home, notify_failure
from ingest.slices import PARAM_SPECS


@dag(schedule=RAW["investment"] | RAW["volunteer"] | RAW["issue"], catchup=False, max_active_runs=1,
     tags=["campaign", "warehouse"], params={name: Param(**spec) for name, spec in PARAM_SPECS.items()},
     default_args={"retries": 2, "retry_exponential_backoff": True, "on_failure_callback": notify_failure})
def campaign_warehouse():
    """Warehouse: when raw submissions change, dbt build a candidate, audit it with GX, publish it
    atomically, then rebuild the dashboard and dbt docs, and tell people about late or missing
    submissions.

    Scheduled on the Assets campaign://raw/{investment,volunteer,issue}; the ingest run's
    announcement (the asset event's extra) says which submissions and slice it was about. A manual
    run takes the same params as campaign_ingest (full_refresh rebuilds incremental marts too).
    """
    @task(retries=0)
    def plan(params: dict | None = None, triggering_asset_events=None) -> dict:
        from flows import warehouse_steps
        events = [e.extra for evs in (triggering_asset_events or {}).values() for e in evs]
        doc = guard(warehouse_steps.plan, dict(params or {}), events, home())
        if doc["nothing_new"]:
            raise AirflowSkipException("nothing new since the last publish: no mart is touched")
        return doc

    @task(pool="duckdb_writer")
    def build(plan_doc: dict) -> str:
        from flows import warehouse_steps
        return guard(warehouse_steps.build, home(), plan_doc)

    @task(pool="duckdb_writer")  # reads raw.duckdb, writes the quality store (and holds, rebuilding)
    def audit(plan_doc: dict, run_id: str | None = None) -> int:
        from flows import warehouse_steps
        return guard(warehouse_steps.audit, home(), plan_doc, run_id or "airflow")

    @task(pool="duckdb_writer", outlets=[MARTS])
    def publish(plan_doc: dict) -> str:
        from flows import warehouse_steps
        return guard(warehouse_steps.publish, home(), plan_doc["target"])

    @task(pool="duckdb_writer")  # attaches raw.duckdb to document it
    def docs(plan_doc: dict) -> str:
        from flows import warehouse_steps
        return guard(warehouse_steps.docs, home(), plan_doc["target"])

    @task
    def track(plan_doc: dict) -> dict:
        from flows import warehouse_steps
        return guard(warehouse_steps.track, home(), plan_doc)

    p = plan()
    chain(build(p), audit(p), publish(p), [docs(p), track(p)])


campaign_warehouse()
