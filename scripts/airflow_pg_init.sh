#!/usr/bin/env bash
# First start of the compose PostgreSQL: the Airflow metadata database and the campaign
# warehouse database, each owned by its own login (passwords from .env).
# campaign may create roles: publishing grants the read-only BI logins. The two things only a
# superuser can grant it are done here, once (docs/postgres.md): setting temp_file_limit on the
# BI logins, and closing the large-object functions to PUBLIC in the warehouse database.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username postgres \
  -v airflow_pw="$AIRFLOW_DB_PASSWORD" -v campaign_pw="$CAMPAIGN_PG_PASSWORD" <<'SQL'
create role airflow login password :'airflow_pw';
create database airflow owner airflow;
create role campaign login createrole password :'campaign_pw';
create database campaign owner campaign;
grant set on parameter temp_file_limit to campaign;
\c campaign
select format('revoke execute on function %s from public', oid::regprocedure) from pg_proc
 where pronamespace = 'pg_catalog'::regnamespace and proname ~ '^(lo_.*|loread|lowrite)$' \gexec
SQL
