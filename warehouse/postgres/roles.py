"""The read-only BI login of the PostgreSQL warehouse: it can SELECT in schema `marts`, nothing else.

- LOGIN, no superuser / createdb / createrole / replication, does not inherit, sessions read-only;
- CONNECT on the warehouse database (PUBLIC loses CONNECT, TEMP and the `public` schema there);
- USAGE on `marts` and SELECT on its tables, granted to each candidate before it is swapped in.
All statements run in the caller's transaction (the publish swap).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from warehouse.postgres import connect as pg

if TYPE_CHECKING:
    from psycopg2.extensions import cursor as PgCursor


def ensure_bi_role(cur: PgCursor, role: str, password: str, dbname: str) -> None:
    """Create or reset the BI role and lock the database down to it (idempotent)."""
    from psycopg2 import sql

    role_id, db_id = sql.Identifier(pg.ident(role)), sql.Identifier(dbname)
    cur.execute("select 1 from pg_roles where rolname = %s", [role])
    if not cur.fetchone():
        cur.execute(sql.SQL("create role {} login").format(role_id))
    cur.execute(sql.SQL("alter role {} with login nosuperuser nocreatedb nocreaterole noinherit "
                        "noreplication nobypassrls password %s").format(role_id), [password])
    cur.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(role_id))
    cur.execute(sql.SQL("revoke all on database {} from public").format(db_id))
    cur.execute(sql.SQL("revoke all on database {} from {}").format(db_id, role_id))
    cur.execute(sql.SQL("grant connect on database {} to {}").format(db_id, role_id))
    cur.execute("revoke all on schema public from public")


def grant_read(cur: PgCursor, role: str, schema: str) -> None:
    """USAGE on the schema and SELECT on every table in it, nothing more."""
    from psycopg2 import sql

    role_id, schema_id = sql.Identifier(pg.ident(role)), sql.Identifier(pg.ident(schema))
    cur.execute(sql.SQL("grant usage on schema {} to {}").format(schema_id, role_id))
    cur.execute(sql.SQL("grant select on all tables in schema {} to {}").format(schema_id, role_id))


def revoke_read(cur: PgCursor, role: str, schema: str) -> None:
    """Take the schema away from the role (an old marts schema waiting to be dropped)."""
    from psycopg2 import sql

    cur.execute(sql.SQL("revoke all on schema {} from {}").format(
        sql.Identifier(pg.ident(schema)), sql.Identifier(pg.ident(role))))
