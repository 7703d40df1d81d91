"""Airflow glue shared by the campaign DAGs, imported as dags.campaign_support (the repo root is on
PYTHONPATH, as for ingest). Listed in .airflowignore: it defines no DAG."""
from __future__ import annotations

import os
from typing import Any, Callable

from airflow.sdk import Asset
from airflow.sdk.exceptions import AirflowFailException

from ingest.contracts import KINDS

# The Assets the DAGs talk through: campaign_ingest emits an event on a kind's raw Asset when it
# loaded new submissions of that kind; campaign_warehouse runs on them and updates the marts.
RAW = {kind: Asset(f"campaign://raw/{kind}") for kind in KINDS}
MARTS = Asset("campaign://warehouse/marts")


def home() -> str:
    """CAMPAIGN_HOME, read when a task runs."""
    return os.environ.get("CAMPAIGN_HOME", "data")


def ingest_pool() -> str:
    """The pool of the ingest DAG's file tasks, chosen when the DAG is parsed: `duckdb_writer` (one
    slot: raw.duckdb has one writer) on DuckDB; Airflow's default pool on PostgreSQL, where each
    file is one PostgreSQL transaction and any number of workers load at once."""
    from warehouse import target
    return "default_pool" if target.parallel_ingest(target.current()) else "duckdb_writer"


def listed(values: Any) -> list[Any]:
    """A mapped task's results as a list. Indexing up to len() avoids the end-of-sequence lookup
    that iterating does, which the task log reports as an XCom-not-found error."""
    return [values[i] for i in range(len(values))]


def results_of(batches: Any) -> list[Any]:
    """The per-file results of a mapped batch task (one list per batch that handed any on)."""
    return [r for done in listed(batches) for r in (done or [])]


def guard(step: Callable[..., Any], *args: Any) -> Any:
    """Run a step; transient faults propagate (the task's retries apply), anything else fails
    the task for good: a refused value, a bug or a bad configuration is never retried."""
    from ingest.faults import is_transient
    try:
        return step(*args)
    except Exception as exc:
        if is_transient(exc):
            raise
        raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc


def notify_failure(context: Any) -> None:
    """on_failure_callback: a task failed for good -> the deployment's notifier (flows.notify)."""
    from flows.notify import send, task_failed
    ti = context["ti"]
    send(task_failed(ti.dag_id, ti.task_id, ti.run_id, context.get("exception"), ti.map_index,
                     ti.try_number, getattr(ti, "rendered_map_index", None)))
