"""Campaign submissions ingest: department files -> typed raw tables with lineage.

Plain Python; never imports Airflow. Entry points: `python -m ingest ...` and
`ingest.pipeline.ingest_file`, which the DAGs call.
"""
