"""Ingest: every file waiting in landing/ -> raw DuckDB tables, one mapped task per file.

A refused file is an outcome recorded in its receipt, not a task failure; only operational
faults fail a task, and only transient ones (a locked database) are retried.
"""
from __future__ import annotations

import os

from airflow.sdk import Asset, dag, task

RAW_ASSETS = [Asset(f"campaign://raw/{kind}") for kind in ("investment", "volunteer", "issue")]


def _home() -> str:
    return os.environ.get("CAMPAIGN_HOME", "data")


@dag(schedule=None, catchup=False, tags=["campaign", "ingest"], max_active_runs=1)
def campaign_ingest():
    @task
    def discover() -> list[str]:
        from ingest.config import paths
        from ingest.pipeline import discover as waiting
        return waiting(paths(_home()).landing)

    @task(pool="duckdb_writer", retries=3, retry_exponential_backoff=True)
    def load_file(rel: str, run_id: str | None = None) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from ingest.errors import TransientError
        from ingest.pipeline import ingest_file
        try:
            receipt = ingest_file(rel, _home(), run_id=run_id or "airflow")
        except TransientError:
            raise  # retried
        except Exception as exc:  # a bug or bad config: fail this file, never retry
            raise AirflowFailException(f"{rel}: {exc}") from exc
        return {"file": rel, "status": receipt.status, "reason": receipt.reason_code,
                "kind": receipt.kind, "loaded": receipt.rows_loaded, "quarantined": receipt.rows_quarantined}

    @task(outlets=RAW_ASSETS, trigger_rule="all_done")
    def report(receipts: list[dict]) -> dict:
        counts: dict[str, int] = {}
        for r in (receipts[i] for i in range(len(receipts))):  # len() avoids an end-of-sequence lookup
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        return counts

    report(load_file.expand(rel=discover()))


campaign_ingest()
