"""What the bench steps share: environment settings for a block, and throw-away PostgreSQL
databases (campaign_bench_*) and BI roles on the server CAMPAIGN_PG_DSN names."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def settings(**values: str | None) -> Iterator[None]:
    """Environment settings for the block (None removes one), restored afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            _set(k, v)
        yield
    finally:
        for k, v in saved.items():
            _set(k, v)


def _set(key: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = value


def database(admin_dsn: str, tag: str) -> str:
    """A new database campaign_bench_<tag>_<random> on the server of `admin_dsn`; its DSN."""
    from psycopg2.extensions import make_dsn

    from warehouse.postgres import connect as pg
    dsn = make_dsn(admin_dsn, dbname=f"campaign_bench_{tag}_{uuid.uuid4().hex[:6]}")
    pg.ensure_database(dsn)
    return dsn


def drop_database(dsn: str) -> None:
    from psycopg2 import sql

    from warehouse.postgres import connect as pg
    with pg.connect(dsn, dbname="postgres") as con:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(sql.SQL("drop database if exists {} with (force)").format(
                sql.Identifier(pg.dsn_parts(dsn)["dbname"])))


def drop_roles(admin_dsn: str, role: str) -> None:
    """Drop a BI role and its city roles (<role>_<city code>), after the databases granting to them."""
    from psycopg2 import sql

    from warehouse.postgres import connect as pg
    with pg.connect(admin_dsn, dbname="postgres") as con:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute("select rolname from pg_roles where rolname = %s or rolname like %s",
                        [role, role.replace("_", r"\_") + r"\_%"])
            for (name,) in cur.fetchall():
                cur.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(name)))
