"""Campaign submissions ingest: a department's file -> typed raw tables with lineage.

Plain Python; never imports Airflow, dbt or the packages above it (warehouse, flows, dashboard).
Entry points: `python -m ingest ...` (ingest.cli) and `ingest.pipeline.ingest_file`, or
`begin`/`complete` for a batch (flows.ingest_steps, which the campaign_ingest DAG calls).
"""
