"""PostgreSQL settings and connections: CAMPAIGN_PG_DSN, the BI role, the lock timeout (the choice
of target is warehouse.target).

Read from the environment when called, never at import time. psycopg2 is imported lazily.
"""
from __future__ import annotations

import logging
import os
import re
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from ingest.errors import ConfigError

if TYPE_CHECKING:
    from psycopg2.extensions import connection as PgConnection

log = logging.getLogger(__name__)

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/campaign"
DEFAULT_BI_ROLE = "campaign_bi"
# Documented demo default; set CAMPAIGN_BI_PASSWORD in any real deployment.
DEFAULT_BI_PASSWORD = "campaign_bi_demo"
DEFAULT_LOCK_TIMEOUT = "5s"
_IDENT_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def dsn() -> str:
    """CAMPAIGN_PG_DSN (libpq URI or key=value), default the local `campaign` database."""
    return os.environ.get("CAMPAIGN_PG_DSN", "").strip() or DEFAULT_DSN


def dsn_parts(pg_dsn: str) -> dict[str, str]:
    from psycopg2.extensions import parse_dsn

    try:
        parts = parse_dsn(pg_dsn)
    except Exception as exc:  # psycopg2.ProgrammingError: not a DSN at all
        raise ConfigError(f"CAMPAIGN_PG_DSN is not a valid PostgreSQL DSN: {exc}") from exc
    if not parts.get("dbname"):
        raise ConfigError("CAMPAIGN_PG_DSN names no database (e.g. postgresql://user@host:5432/campaign)")
    return parts


def safe_dsn(pg_dsn: str) -> str:
    """The DSN without its password, for logs and summaries."""
    p = dsn_parts(pg_dsn)
    user = f"{p['user']}@" if p.get("user") else ""
    return f"postgresql://{user}{p.get('host', 'localhost')}:{p.get('port', '5432')}/{p['dbname']}"


def dbt_env(pg_dsn: str) -> dict[str, str]:
    """The CAMPAIGN_PG_* variables dbt_project/profiles.yml reads, from one DSN."""
    p = dsn_parts(pg_dsn)
    return {"CAMPAIGN_PG_HOST": p.get("host", "127.0.0.1"), "CAMPAIGN_PG_PORT": p.get("port", "5432"),
            "CAMPAIGN_PG_USER": p.get("user", "postgres"), "CAMPAIGN_PG_PASSWORD": p.get("password", ""),
            "CAMPAIGN_PG_DBNAME": p["dbname"]}


def bi_role() -> tuple[str, str | None]:
    """(role, password) of the province-wide BI login: CAMPAIGN_BI_ROLE, CAMPAIGN_BI_PASSWORD (a
    secret; the public demo password only with CAMPAIGN_DEMO=1, else None)."""
    role = os.environ.get("CAMPAIGN_BI_ROLE", "").strip() or DEFAULT_BI_ROLE
    return ident(role), bi_password("CAMPAIGN_BI_PASSWORD")


def bi_password(variable: str) -> str | None:
    """A BI login's password from the secrets (the environment); the demo default in demo mode."""
    secret = os.environ.get(variable, "")
    if secret:
        return secret
    return DEFAULT_BI_PASSWORD if os.environ.get("CAMPAIGN_DEMO") == "1" else None


def lock_timeout() -> str:
    value = os.environ.get("CAMPAIGN_PG_LOCK_TIMEOUT", "").strip() or DEFAULT_LOCK_TIMEOUT
    if not re.fullmatch(r"\d+\s*(ms|s|min)?", value):
        raise ConfigError(f"CAMPAIGN_PG_LOCK_TIMEOUT={value!r}: expected e.g. 5s or 500ms")
    return value


def ident(name: str) -> str:
    """A plain lower-case SQL identifier, or a ConfigError (names are spliced into DDL)."""
    if not _IDENT_RE.match(name):
        raise ConfigError(f"{name!r} is not a plain lower-case SQL identifier")
    return name


@contextmanager
def connect(pg_dsn: str, **overrides: str) -> Iterator[PgConnection]:
    """A connection (autocommit off) that is always closed; `with con:` scopes a transaction."""
    import psycopg2
    from psycopg2.extensions import make_dsn

    con = psycopg2.connect(make_dsn(pg_dsn, **overrides) if overrides else pg_dsn,
                           application_name="campaign-warehouse")
    try:
        yield con
    finally:
        con.close()


def ensure_database(pg_dsn: str) -> bool:
    """Create the DSN's database when it does not exist yet; True if created."""
    from psycopg2 import sql

    name = dsn_parts(pg_dsn)["dbname"]
    with connect(pg_dsn, dbname="postgres") as con:
        con.autocommit = True   # CREATE DATABASE cannot run in a transaction
        with con.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", [name])
            if cur.fetchone():
                return False
            cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    log.info("created database %s", safe_dsn(pg_dsn))
    return True
