"""The read-only BI logins of the PostgreSQL warehouse and what the database allows everyone else.

- The warehouse database is closed to PUBLIC: no CONNECT, no TEMP, no CREATE in `public`, no
  large-object functions (lo_from_bytea, lo_create, lo_import, lowrite, ...).
- Each BI login (the province-wide `campaign_bi`, one `campaign_bi_<city code>` per city) is
  LOGIN, NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT, with a CONNECTION
  LIMIT and, as role settings, statement_timeout, idle_in_transaction_session_timeout, work_mem,
  temp_file_limit and default_transaction_read_only. temp_file_limit and the connection limit
  only a superuser can change; the others a session may SET, so the row policies of
  warehouse.postgres.rows refuse to read marts in a session whose settings exceed the caps, and reading
  is all the role may do: it holds SELECT and nothing else, read-only default or not.
- Its password comes from the secrets when the role is created and is never reset by a publish
  (change it with ALTER ROLE ... PASSWORD). Every publish resets the role's other settings, so
  anything a BI session stored with ALTER ROLE ... SET lasts until the next publish at most.
All statements run in the caller's transaction (the publish swap).
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingest.errors import ConfigError
from warehouse.postgres import connect as pg

if TYPE_CHECKING:
    from psycopg2.extensions import cursor as PgCursor

log = logging.getLogger(__name__)
_MEMORY_KB = {"kB": 1, "MB": 1024, "GB": 1024 ** 2, "TB": 1024 ** 3}
_TIME_MS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
_VALUE_RE = re.compile(r"^\s*(\d+)\s*([A-Za-z]*)\s*$")
# Large-object functions of pg_catalog (server- and client-side): BI roles store nothing.
_LARGE_OBJECTS = r"^(lo_.*|loread|lowrite)$"


def _amount(variable: str, value: str, units: dict[str, int], default_unit: str) -> int:
    match = _VALUE_RE.match(value)
    unit = (match.group(2) or default_unit) if match else ""
    if not match or unit not in units:
        raise ConfigError(f"{variable}={value!r}: expected a number with one of the units {', '.join(units)}")
    return int(match.group(1)) * units[unit]


@dataclass(frozen=True)
class Limits:
    """What one BI session may use. Memory in kB, times in ms (PostgreSQL's base units)."""
    statement_timeout_ms: int = 5 * 60_000
    idle_in_transaction_ms: int = 60_000
    work_mem_kb: int = 64 * 1024
    temp_file_limit_kb: int = 1024 ** 2
    connection_limit: int = 10

    @classmethod
    def from_env(cls) -> Limits:
        """CAMPAIGN_BI_STATEMENT_TIMEOUT, _IDLE_TIMEOUT, _WORK_MEM, _TEMP_FILE_LIMIT, _CONNECTION_LIMIT."""
        d, env = cls(), os.environ.get
        limit = env("CAMPAIGN_BI_CONNECTION_LIMIT", "").strip() or str(d.connection_limit)
        if not limit.isdigit() or int(limit) < 1:
            raise ConfigError(f"CAMPAIGN_BI_CONNECTION_LIMIT={limit!r}: expected a whole number of at least 1")
        out = cls(*(_amount(name, env(name, "").strip() or f"{default}{unit}", units, unit)
                    for name, default, units, unit in (
                        ("CAMPAIGN_BI_STATEMENT_TIMEOUT", d.statement_timeout_ms, _TIME_MS, "ms"),
                        ("CAMPAIGN_BI_IDLE_TIMEOUT", d.idle_in_transaction_ms, _TIME_MS, "ms"),
                        ("CAMPAIGN_BI_WORK_MEM", d.work_mem_kb, _MEMORY_KB, "kB"),
                        ("CAMPAIGN_BI_TEMP_FILE_LIMIT", d.temp_file_limit_kb, _MEMORY_KB, "kB"))),
                  connection_limit=int(limit))
        if 0 in (out.statement_timeout_ms, out.idle_in_transaction_ms, out.work_mem_kb, out.temp_file_limit_kb):
            raise ConfigError("BI limits must not be 0 (0 would mean no limit)")
        return out

    def role_settings(self) -> dict[str, str]:
        return {"statement_timeout": f"{self.statement_timeout_ms}ms",
                "idle_in_transaction_session_timeout": f"{self.idle_in_transaction_ms}ms",
                "work_mem": f"{self.work_mem_kb}kB", "temp_file_limit": f"{self.temp_file_limit_kb}kB",
                "default_transaction_read_only": "on"}


def lock_database(cur: PgCursor, dbname: str) -> None:
    """Only granted roles connect; nobody but owners creates anything; no large objects."""
    from psycopg2 import sql

    cur.execute(sql.SQL("revoke all on database {} from public").format(sql.Identifier(dbname)))
    cur.execute("revoke all on schema public from public")
    cur.execute("select p.oid::regprocedure::text, has_function_privilege('public', p.oid, 'execute') from pg_proc p "
                "where p.pronamespace = 'pg_catalog'::regnamespace and p.proname ~ %s order by 1", [_LARGE_OBJECTS])
    open_to_public = [function for function, public in cur.fetchall() if public]
    if open_to_public and not _superuser(cur):
        log.warning("the large-object functions are open to PUBLIC and only a superuser can revoke them: "
                    "have a DBA run the publish once as a superuser (docs/postgres.md)")
        return
    for function in open_to_public:
        cur.execute(f"revoke execute on function {function} from public")


def _superuser(cur: PgCursor) -> bool:
    cur.execute("select rolsuper from pg_roles where rolname = current_user")
    return cur.fetchone()[0]


def ensure_login(cur: PgCursor, role: str, password: str | None, limits: Limits, dbname: str) -> bool:
    """Create the BI login (with its password from the secrets) or align an existing one (its
    password untouched); CONNECT on the warehouse database and nothing else there. True if created."""
    from psycopg2 import sql

    role_id, db_id = sql.Identifier(pg.ident(role)), sql.Identifier(dbname)
    cur.execute("select 1 from pg_roles where rolname = %s", [role])
    created = cur.fetchone() is None
    if created:   # a new role has no superuser, replication or bypassrls unless asked for
        cur.execute(sql.SQL("create role {} login password %s").format(role_id), [password])
        if password is None:
            log.warning("BI role %s created without a password (no secret set): it cannot log in with a "
                        "password until an operator sets one (ALTER ROLE ... PASSWORD)", role)
    cur.execute("select rolsuper or rolreplication or rolbypassrls from pg_roles where rolname = %s", [role])
    if cur.fetchone()[0]:   # only a superuser may even name these attributes in ALTER ROLE
        if not _superuser(cur):
            raise ConfigError(f"BI role {role} is a superuser, replication or bypassrls role: "
                              "a superuser must take that away (ALTER ROLE ... NOSUPERUSER NOREPLICATION NOBYPASSRLS)")
        cur.execute(sql.SQL("alter role {} with nosuperuser noreplication nobypassrls").format(role_id))
    cur.execute(sql.SQL("alter role {} with login nocreatedb nocreaterole noinherit connection limit {}").format(
        role_id, sql.Literal(limits.connection_limit)))
    cur.execute(sql.SQL("alter role {} reset all").format(role_id))
    cur.execute(sql.SQL("alter role {} in database {} reset all").format(role_id, db_id))
    for name, value in limits.role_settings().items():
        cur.execute("select context = 'user' or has_parameter_privilege(name, 'set') from pg_settings where name = %s",
                    [name])
        if not cur.fetchone()[0]:   # temp_file_limit: a superuser's, or GRANT SET ON PARAMETER
            log.warning("cannot set %s for BI role %s: the publishing user needs a superuser's "
                        "GRANT SET ON PARAMETER %s TO <it> (docs/postgres.md)", name, role, name)
            continue
        cur.execute(sql.SQL("alter role {} set {} = {}").format(role_id, sql.Identifier(name), sql.Literal(value)))
    cur.execute(sql.SQL("revoke all on database {} from {}").format(db_id, role_id))
    cur.execute(sql.SQL("grant connect on database {} to {}").format(db_id, role_id))
    return created


def city_logins(cur: PgCursor, province_role: str, marts_schema: str) -> dict[str, str]:
    """{<province role>_<city code>: city} for every city of the registry (the marts' dim_city)."""
    cur.execute(f'select city_code, city from "{pg.ident(marts_schema)}".dim_city order by city_code')
    return {pg.ident(f"{province_role}_{code}"): city for code, city in cur.fetchall()}


def city_password(role: str, province_role: str) -> str | None:
    """CAMPAIGN_BI_PASSWORD_<CITY CODE> (e.g. CAMPAIGN_BI_PASSWORD_GOLMUD)."""
    return pg.bi_password("CAMPAIGN_BI_PASSWORD_" + role[len(province_role) + 1:].upper())


def revoke_read(cur: PgCursor, roles: list[str], schema: str) -> None:
    """Take the schema away from the roles (an old published schema waiting to be dropped)."""
    from psycopg2 import sql

    cur.execute(sql.SQL("revoke all on schema {} from {}").format(
        sql.Identifier(pg.ident(schema)), sql.SQL(", ").join(sql.Identifier(pg.ident(r)) for r in roles)))
