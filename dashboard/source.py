"""Read-only access to the published marts, through SQLAlchemy — the same way a BI tool connects.

DuckDB: the published file opened with ``read_only`` (many readers may hold it; none blocks a publish,
which swaps the file by rename). PostgreSQL: the configured DSN with ``default_transaction_read_only``.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

import sqlalchemy as sa

from ingest.config import Paths
from ingest.errors import ConfigError
from warehouse import target as warehouse_target

log = logging.getLogger(__name__)
MARTS = "marts"


class DashboardError(Exception):
    """The dashboard cannot be built (no published warehouse, unknown target)."""


def known_target(target: str | None) -> str:
    """`target`, default CAMPAIGN_TARGET or duckdb; a DashboardError for an unknown one."""
    try:
        return warehouse_target.checked(target) if target else warehouse_target.current()
    except ConfigError as exc:
        raise DashboardError(f"unknown {exc}") from None


def published_engine(paths: Paths, target: str) -> sa.Engine:
    """SQLAlchemy engine on the published marts, every connection read-only (warehouse.target)."""
    try:
        url, options = warehouse_target.sqlalchemy_url(paths, target)
    except FileNotFoundError:
        db_file = paths.published_db
        raise DashboardError(f"尚未发布数仓：{db_file} 不存在（先运行 make run） / no published warehouse at {db_file}") \
            from None
    return sa.create_engine(url, poolclass=sa.NullPool, **options)


@dataclass
class Marts:
    """One open read-only connection to the `marts` schema."""

    conn: sa.Connection
    label: str  # shown in the page footer: which warehouse the figures come from

    def has(self, relation: str) -> bool:
        insp = sa.inspect(self.conn)
        return insp.has_table(relation, schema=MARTS) or relation in insp.get_view_names(schema=MARTS)

    def columns(self, relation: str) -> set[str]:
        return {c["name"] for c in sa.inspect(self.conn).get_columns(relation, schema=MARTS)}

    def rows(self, sql: str, **params: Any) -> list[Mapping[str, Any]]:
        return list(self.conn.execute(sa.text(sql), params).mappings())


@contextmanager
def open_marts(engine: sa.Engine, label: str) -> Iterator[Marts]:
    with engine.connect() as conn:
        yield Marts(conn, label)
    engine.dispose()
