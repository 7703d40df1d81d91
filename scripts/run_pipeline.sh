#!/usr/bin/env bash
# The whole pipeline once, through Airflow (`airflow dags test` of both DAGs, in one Airflow process:
# SQLite metadata, DuckDB warehouse).
# Usage: scripts/run_pipeline.sh   (CAMPAIGN_HOME defaults to ./data)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="$repo/.venv/bin"
source "$repo/scripts/airflow_env.sh"
cd "$repo"  # `python -m ingest...` takes this checkout's code, wherever the script is started from

if [ -z "${CAMPAIGN_HASH_KEY:-}" ]; then
  echo "CAMPAIGN_HASH_KEY is not set: using the public demo key (fine for demo data only)."
  export CAMPAIGN_DEMO=1
fi

mkdir -p "$CAMPAIGN_HOME/landing" "$CAMPAIGN_HOME/logs"
if [ -z "$(find "$CAMPAIGN_HOME/landing" -type f -print -quit)" ]; then
  echo "landing/ is empty: writing the demo submissions into it"
  "$venv/python" -m ingest.demo --out "$CAMPAIGN_HOME/landing" >/dev/null
fi

log="$CAMPAIGN_HOME/logs/run-$(date +%Y%m%dT%H%M%S).log"
if [ "${CAMPAIGN_TARGET:-duckdb}" = duckdb ]; then
  # While ingest runs, dbt parses the project for the warehouse build on idle CPU only (nice): on a
  # fresh home the build then reuses that parse if it is ready, else parses on its own as before
  # (warehouse.duck.dbt_parse).
  nice -n 19 "$venv/python" -m warehouse.duck --parse-only >>"$log" 2>&1 &
  parse_pid=$!
  trap 'kill "$parse_pid" 2>/dev/null || true' EXIT  # not needed once the run is over
fi
# The Airflow commands, in one process (scripts/airflow_commands.py: Airflow is imported and set
# up once, not once per command). Their output goes to the run log and is shown only on failure;
# their progress lines ("-> airflow ...", on fd 3) are shown as they come.
if ! "$venv/python" "$repo/scripts/airflow_commands.py" \
    "db migrate" \
    "pools set duckdb_writer 1 'one writer at a time on the DuckDB files'" \
    "dags test campaign_ingest" \
    "dags test campaign_warehouse" 3>&1 >>"$log" 2>&1; then
  tail -n 60 "$log"; echo "FAILED (full log: $log)"
  "$venv/python" -m flows summary || true  # what loaded, and a failed quality audit with its Data Docs
  exit 1
fi
echo "Airflow log of this run: $log"
"$venv/python" -m flows summary
