"""The bodies of the Airflow tasks, the run summary, submission tracking and notifications.

The one package that may import all the others (ingest, warehouse, dashboard, expectations);
the DAG files in dags/ only wire these steps together.
"""
