#!/usr/bin/env bash
# The whole pipeline once, through Airflow (`airflow dags test` of both DAGs, in one Airflow process:
# SQLite metadata, DuckDB warehouse).
# Usage: scripts/run_pipeline.sh [--demo]   (CAMPAIGN_HOME defaults to ./data; --demo resets it to the demo)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="$repo/.venv/bin"
source "$repo/scripts/airflow_env.sh"
cd "$repo"  # `python -m ingest...` takes this checkout's code, wherever the script is started from

if [ -z "${CAMPAIGN_HASH_KEY:-}" ]; then
  echo "CAMPAIGN_HASH_KEY is not set: using the public demo key (fine for demo data only)."
  export CAMPAIGN_DEMO=1
fi

if [ "${1:-}" = "--demo" ]; then   # make demo: reset the home to the demo, then run
  if { [ -e "$CAMPAIGN_HOME/warehouse/raw.duckdb" ] || [ -d "$CAMPAIGN_HOME/receipts" ]; } && [ ! -e "$CAMPAIGN_HOME/.demo" ] \
      && [ "${CAMPAIGN_DEMO_RESET:-}" != 1 ]; then
    echo "refusing to reset $CAMPAIGN_HOME: it holds submissions that are not the demo's;" \
         "set CAMPAIGN_DEMO_RESET=1 to delete its landing, archive, receipts, warehouse, quality and site"
    exit 1
  fi
  echo "resetting $CAMPAIGN_HOME to the demo"
  for d in landing archive receipts warehouse quality site dbt; do rm -rf "${CAMPAIGN_HOME:?}/$d"; done
  if [ "${CAMPAIGN_TARGET:-duckdb}" = postgres ]; then   # raw lives in PostgreSQL: reset it too
    "$venv/python" -c "from warehouse.postgres.raw import reset; reset()"
  fi
  rm -f "$CAMPAIGN_HOME/.demo"
fi
mkdir -p "$CAMPAIGN_HOME/landing" "$CAMPAIGN_HOME/logs"
# Demo submissions only into a fresh home: no ledger, no warehouse, nothing in landing. A home that
# has seen a run never gets demo files (`make demo` resets a home to the demo on purpose).
# (On PostgreSQL raw is no file of the home: its receipts tell that it has seen a run.)
if [ ! -e "$CAMPAIGN_HOME/warehouse/raw.duckdb" ] && [ ! -e "$CAMPAIGN_HOME/warehouse/campaign.duckdb" ] \
    && [ ! -d "$CAMPAIGN_HOME/receipts" ] \
    && [ -z "$(find "$CAMPAIGN_HOME/landing" -mindepth 1 -print -quit)" ]; then
  echo "fresh home, landing/ is empty: writing the demo submissions into it"
  "$venv/python" -m ingest.demo --out "$CAMPAIGN_HOME/landing" >/dev/null
  touch "$CAMPAIGN_HOME/.demo"
  export CAMPAIGN_SETTLE_SECONDS=0   # written whole just now: nothing in flight
fi
# Nothing waiting in landing and nothing in raw that is not published: say so, touch nothing.
pending=0; "$venv/python" -m ingest pending || pending=$?
if [ "$pending" -eq 3 ]; then
  "$venv/python" -m flows summary
  exit 0
elif [ "$pending" -ne 0 ]; then
  echo "FAILED: could not tell whether anything is waiting (python -m ingest pending: exit $pending)"
  exit 1
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
