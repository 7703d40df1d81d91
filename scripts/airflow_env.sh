# Airflow settings for local runs (sourced). Everything lives under $CAMPAIGN_HOME/airflow.
repo="${repo:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$CAMPAIGN_HOME/airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="$repo/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__UNIT_TEST_MODE=False
export AIRFLOW__LOGGING__LOGGING_LEVEL="${AIRFLOW__LOGGING__LOGGING_LEVEL:-INFO}"
export GX_ANALYTICS_ENABLED=false
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
