#!/usr/bin/env bash
# Idempotent setup of an Airflow deployment of the campaign DAGs, run before its services
# start: the metadata schema, the duckdb_writer pool, and the login passwords file.
# Used by docker-compose.yml (service airflow-init) and by scripts/airflow_stack.sh.
#
# Logins are the users of AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS (name:role). A user's
# password is AIRFLOW_<NAME>_PASSWORD when set, else the one already in the passwords file,
# else a new random one; the file (mode 600) is
# AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE.
set -euo pipefail
airflow="${AIRFLOW_BIN:-airflow}"
python="${PYTHON_BIN:-python}"
: "${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS:?no login users configured}"
: "${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:?no passwords file configured}"

"$airflow" db migrate
"$airflow" pools set duckdb_writer 1 "one writer at a time on the DuckDB files"

"$python" - <<'PY'
import json, os, secrets
from pathlib import Path

path = Path(os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
old = json.loads(path.read_text()) if path.exists() and path.read_text().strip() else {}
users = [u.split(":")[0] for u in os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"].split(",") if u]
new = {u: os.environ.get(f"AIRFLOW_{u.upper()}_PASSWORD") or old.get(u) or secrets.token_urlsafe(12) for u in users}
path.parent.mkdir(parents=True, exist_ok=True)
path.touch(mode=0o600)
path.write_text(json.dumps(new) + "\n")
os.chmod(path, 0o600)
print(f"login users: {os.environ['AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS']} (passwords in {path})")
PY
