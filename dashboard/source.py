"""Read-only access to the published marts, through SQLAlchemy — the same way a BI tool connects.

DuckDB: the published file opened with ``read_only`` (many readers may hold it; none blocks a publish,
which swaps the file by rename). PostgreSQL: the configured DSN with ``default_transaction_read_only``.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

import sqlalchemy as sa

log = logging.getLogger(__name__)
MARTS = "marts"


class DashboardError(Exception):
    """The dashboard cannot be built (no published warehouse, unknown target)."""


def duckdb_engine(db_file: Path) -> sa.Engine:
    """SQLAlchemy engine on a DuckDB file, read-only (duckdb_engine dialect)."""
    if not db_file.exists():
        raise DashboardError(f"尚未发布数仓：{db_file} 不存在（先运行 make run） / no published warehouse at {db_file}")
    return sa.create_engine(f"duckdb:///{db_file}", connect_args={"read_only": True}, poolclass=sa.NullPool)


def postgres_engine(dsn: str) -> sa.Engine:
    """SQLAlchemy engine on a PostgreSQL DSN (URI or key=value); every transaction read-only."""
    import psycopg2

    return sa.create_engine("postgresql+psycopg2://", poolclass=sa.NullPool, creator=lambda: psycopg2.connect(
        dsn, options="-c default_transaction_read_only=on"))


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
