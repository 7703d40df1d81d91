# Settings for local runs (sourced by run_pipeline.sh and airflow_stack.sh): an absolute
# $CAMPAIGN_HOME (default ./data of the repo), the repo on PYTHONPATH, Airflow under $CAMPAIGN_HOME/airflow.
repo="${repo:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export CAMPAIGN_HOME="$(mkdir -p "${CAMPAIGN_HOME:-$repo/data}" && cd "${CAMPAIGN_HOME:-$repo/data}" && pwd)"
export PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$CAMPAIGN_HOME/airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="$repo/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__UNIT_TEST_MODE=False
export AIRFLOW__LOGGING__LOGGING_LEVEL="${AIRFLOW__LOGGING__LOGGING_LEVEL:-INFO}"
export GX_ANALYTICS_ENABLED=false
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
