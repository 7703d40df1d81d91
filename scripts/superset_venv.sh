#!/usr/bin/env bash
# Creates .venv-superset (Apache Superset, duckdb-engine, psycopg2) from bi/superset/requirements.lock:
# the BI tool the tests import the project's Superset bundle into, and what a BI admin can run it from.
# Idempotent: does nothing when the venv is newer than the lock. Needs Python 3.11 and a package index.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="${SUPERSET_VENV:-$repo/.venv-superset}"
lock="$repo/bi/superset/requirements.lock"
stamp="$venv/.installed"
[ -f "$stamp" ] && [ "$stamp" -nt "$lock" ] && exit 0
python="${PYTHON:-python3}"
"$python" -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 needed (the lock is for 3.11)"'
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
echo "installing Apache Superset into $venv from $lock (first time: a few minutes)"
# The lock is the whole environment, so no resolver run: the same versions on every machine.
if ! "$venv/bin/pip" install --disable-pip-version-check --no-deps -r "$lock" > "$venv/install.log" 2>&1; then
  grep -v "^WARNING: Location" "$venv/install.log" | tail -n 30 >&2
  exit 1
fi
"$venv/bin/python" -c 'import superset, duckdb_engine, psycopg2'
touch "$stamp"
