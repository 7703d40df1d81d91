#!/usr/bin/env bash
# Airflow locally as separate processes: the services of docker-compose.yml (api-server,
# scheduler, dag-processor, triggerer; a Celery worker too under CeleryExecutor), PostgreSQL as
# metadata database, the UI and REST API on http://127.0.0.1:$AIRFLOW_PORT. What `make airflow`
# runs; Ctrl-C (or SIGTERM) stops every service.
#
# Environment (default):
#   CAMPAIGN_HOME             ./data      landing/, archive/, receipts/, warehouse/, airflow/
#   AIRFLOW_PORT              8080
#   AIRFLOW_DB                postgresql+psycopg2://postgres@127.0.0.1:5432/campaign_af_local
#                             (the database is created when missing)
#   AIRFLOW__CORE__EXECUTOR   LocalExecutor; CeleryExecutor also needs AIRFLOW__CELERY__BROKER_URL
#   AIRFLOW_ADMIN_PASSWORD, AIRFLOW_ENGINEER_PASSWORD, AIRFLOW_ANALYST_PASSWORD  (else generated
#                             once into $AIRFLOW_HOME/secrets/passwords.json)
#   CAMPAIGN_HASH_KEY         personal-data key; unset: the public demo key (demo data only)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="$repo/.venv/bin"
source "$repo/scripts/airflow_env.sh"
port="${AIRFLOW_PORT:-8080}"
secrets="$AIRFLOW_HOME/secrets"
logs="$AIRFLOW_HOME/logs/services"
mkdir -p "$secrets" "$logs" "$CAMPAIGN_HOME/landing"
chmod 700 "$secrets"

export AIRFLOW__CORE__EXECUTOR="${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="${AIRFLOW_DB:-postgresql+psycopg2://postgres@127.0.0.1:5432/campaign_af_local}"
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=False
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__API__HOST=127.0.0.1 AIRFLOW__API__PORT="$port" AIRFLOW__API__WORKERS="${AIRFLOW__API__WORKERS:-1}"
export AIRFLOW__API__BASE_URL="http://127.0.0.1:$port"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$port/execution/"
# Login as in docker-compose.yml: explicit users and roles, never all-admins.
export AIRFLOW__CORE__AUTH_MANAGER=airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin,engineer:op,analyst:viewer"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS=False
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="$secrets/passwords.json"

# Keys every service must share (Fernet, JWT, session), generated once per AIRFLOW_HOME.
if [ ! -s "$secrets/stack.env" ]; then
  (umask 077; "$venv/python" - >"$secrets/stack.env" <<'PY'
import secrets
from cryptography.fernet import Fernet
print(f"AIRFLOW__CORE__FERNET_KEY={Fernet.generate_key().decode()}")
print(f"AIRFLOW__API_AUTH__JWT_SECRET={secrets.token_urlsafe(32)}")
print(f"AIRFLOW__API__SECRET_KEY={secrets.token_urlsafe(32)}")
PY
  )
fi
set -a; source "$secrets/stack.env"; set +a

if [ -z "${CAMPAIGN_HASH_KEY:-}" ]; then
  echo "CAMPAIGN_HASH_KEY is not set: using the public demo key (fine for demo data only)."
  export CAMPAIGN_DEMO=1
fi

"$venv/python" - <<'PY'   # create the metadata database when missing
import os
import psycopg2
from sqlalchemy.engine import make_url

url = make_url(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
if url.get_backend_name() == "postgresql":
    con = psycopg2.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password,
                           dbname="postgres")
    con.autocommit = True
    with con.cursor() as cur:
        cur.execute("select 1 from pg_database where datname = %s", [url.database])
        if cur.fetchone() is None:
            cur.execute(f'create database "{url.database}"')
            print(f"created metadata database {url.database}")
    con.close()
PY
echo "-> initialising Airflow (db migrate, pool, logins); log: $logs/init.log"
AIRFLOW_BIN="$venv/airflow" PYTHON_BIN="$venv/python" "$repo/scripts/airflow_init.sh" >"$logs/init.log" 2>&1 \
  || { tail -n 40 "$logs/init.log"; exit 1; }
tail -n 1 "$logs/init.log"

pids=(); names=()
stop() {
  trap - INT TERM EXIT
  echo "-> stopping ${names[*]}"
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for _ in $(seq 60); do
    alive=0; for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break; sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  rm -f "$AIRFLOW_HOME/stack.pids"
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

: >"$AIRFLOW_HOME/stack.pids"
while IFS=$'\t' read -r name args; do
  # each service leads its own process group, so stopping it stops its children too
  setsid "$venv/airflow" $args >"$logs/$name.log" 2>&1 &
  pids+=($!); names+=("$name")
  printf '%s\t%s\t%s\n' "$name" "$!" "airflow $args" >>"$AIRFLOW_HOME/stack.pids"
  echo "-> started $name (pid $!): airflow $args; log $logs/$name.log"
done < <("$venv/python" "$repo/scripts/airflow_services.py" --executor "$AIRFLOW__CORE__EXECUTOR")

for _ in $(seq 120); do
  curl -fs "http://127.0.0.1:$port/api/v2/monitor/health" >/dev/null && break
  sleep 1
done
curl -fs "http://127.0.0.1:$port/api/v2/monitor/health" >/dev/null \
  || { echo "api-server did not come up; see $logs/api-server.log"; exit 1; }
cat <<EOF
Airflow is up ($AIRFLOW__CORE__EXECUTOR): http://127.0.0.1:$port
  log in as admin, engineer (op) or analyst (viewer); passwords: $AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE
  landing: $CAMPAIGN_HOME/landing   receipts: $CAMPAIGN_HOME/receipts   task logs: $AIRFLOW_HOME/logs
  Ctrl-C stops every service.
EOF
wait -n "${pids[@]}" || true
echo "a service exited; see the logs in $logs"
exit 1
