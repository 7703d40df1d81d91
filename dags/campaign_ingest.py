"""The campaign_ingest DAG: files waiting in landing/ -> raw tables (its docstring is the DAG's)."""
from __future__ import annotations

from airflow.sdk import AssetAlias, Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from dags.campaign_support import RAW, guard, home, ingest_pool, notify_failure, results_of
from ingest.contracts import KINDS
from ingest.slices import PARAM_SPECS

NEW_SUBMISSIONS = AssetAlias("campaign-new-submissions")
AFTER_FILES = "all_done_min_one_success"  # run even if some files failed; not after bad params
RESULTS = "receipts"  # XCom key of a batch's per-file results, kept also when the batch fails


@dag(schedule=None, catchup=False, max_active_runs=1, tags=["campaign", "ingest"],
     params={name: Param(**spec) for name, spec in PARAM_SPECS.items()},
     default_args={"retries": 0, "on_failure_callback": notify_failure})
def campaign_ingest():
    """Ingest: files waiting in landing/ -> raw tables, one mapped task per batch of files (each
    file loaded on its own, in turn: flows.ingest_steps). On DuckDB the batches take turns (pool
    duckdb_writer); on PostgreSQL they run at once, on as many workers as there are.

    Params narrow a run to a slice (city, department, kind, month); only that slice's files are
    touched. A refused file is an outcome in its receipt, not a failure; only transient faults
    (a locked database, a lost connection) are retried. Each kind with new submissions gets an
    event on its Asset (campaign://raw/<kind>), all emitted at once through one alias, so one
    ingest run schedules one campaign_warehouse run.
    """
    @task
    def check_params(params: dict | None = None) -> dict:
        from flows import ingest_steps
        return guard(ingest_steps.check_params, dict(params or {}))

    @task
    def discover(slice_doc: dict) -> list[dict]:
        from flows import ingest_steps
        return guard(ingest_steps.discover, home(), slice_doc)

    @task(pool=ingest_pool(), retries=3, retry_exponential_backoff=True, map_index_template="{{ batch_label }}")
    def load_batch(batch: dict, run_id: str | None = None, ti=None) -> int:
        from flows import ingest_steps
        get_current_context()["batch_label"] = batch["label"]  # type: ignore[typeddict-unknown-key]
        done = guard(ingest_steps.load_batch, batch, home(), run_id or "airflow",
                     lambda results: ti.xcom_push(RESULTS, results))
        return len(done)

    @task(outlets=[NEW_SUBMISSIONS], trigger_rule=AFTER_FILES)
    def announce(slice_doc: dict, receipts: list, outlet_events=None) -> dict:
        from flows import ingest_steps
        sent, done = {}, results_of(receipts)
        for kind in KINDS:
            if extra := ingest_steps.announcement(kind, done, slice_doc):
                outlet_events[NEW_SUBMISSIONS].add(RAW[kind], extra=extra)
                sent[kind] = len(extra["submissions"])
        if not sent:
            raise AirflowSkipException("no new submissions: no asset event")
        return sent

    @task(trigger_rule=AFTER_FILES)
    def report(batches: list, receipts: list, slice_doc: dict, run_id: str | None = None) -> dict:
        from flows import ingest_steps
        result = ingest_steps.report(list(batches), results_of(receipts), run_id or "airflow", slice_doc)
        if result["failed"]:
            raise AirflowFailException(f"{len(result['failed'])} file(s) failed: {result['failed']}")
        return result

    sl = check_params()
    batches = discover(sl)
    receipts = load_batch.expand(batch=batches)[RESULTS]
    announce(sl, receipts)
    report(batches, receipts, sl)


campaign_ingest()
