#!/usr/bin/env bash
# The whole pipeline once, through Airflow (`airflow dags test`: SQLite metadata, DuckDB warehouse).
# Usage: scripts/run_pipeline.sh   (CAMPAIGN_HOME defaults to ./data)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="$repo/.venv/bin"
source "$repo/scripts/airflow_env.sh"

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
step() {  # run an Airflow command, keep its output in the run log, show it only on failure
  echo "-> $*"
  if ! "$@" >>"$log" 2>&1; then
    tail -n 60 "$log"; echo "FAILED: $* (full log: $log)"
    "$venv/python" -m ingest summary || true  # what loaded, and a failed quality audit with its Data Docs
    exit 1
  fi
}
step "$venv/airflow" db migrate
step "$venv/airflow" pools set duckdb_writer 1 "one writer at a time on the DuckDB files"
step "$venv/airflow" dags test campaign_ingest
step "$venv/airflow" dags test campaign_warehouse
echo "Airflow log of this run: $log"
"$venv/python" -m ingest summary
