"""Build, audit and publish the warehouse on its target (a DuckDB file or PostgreSQL), and the dbt
runner. Imports ingest and expectations, never flows or dashboard."""
