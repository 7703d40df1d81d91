#!/usr/bin/env bash
# First start of the compose PostgreSQL: the Airflow metadata database and the campaign
# warehouse database, each owned by its own login (passwords from .env).
# campaign may create roles: publishing grants the read-only BI role.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username postgres \
  -v airflow_pw="$AIRFLOW_DB_PASSWORD" -v campaign_pw="$CAMPAIGN_PG_PASSWORD" <<'SQL'
create role airflow login password :'airflow_pw';
create database airflow owner airflow;
create role campaign login createrole password :'campaign_pw';
create database campaign owner campaign;
SQL
