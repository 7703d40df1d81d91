"""Helpers to compare published marts between runs or targets."""
from __future__ import annotations

from pathlib import Path

import duckdb

# Columns that record *when* something ran, not what the data says.
VOLATILE = {"loaded_at", "built_at", "dbt_updated_at", "checked_at", "published_at"}
# Marts that log runs (one row per validation per run) rather than state data figures.
RUN_LOGS = {"mart_data_quality"}


def mart_fingerprints(db: Path) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent digest of every table in schema marts."""
    out = {}
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()]
        for t in (t for t in tables if t not in RUN_LOGS):
            cols = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ?"
                " order by ordinal_position", [t]).fetchall() if c not in VOLATILE]
            select = ", ".join(f'"{c}"' for c in cols)
            out[t] = con.execute(f"""select count(*), coalesce(md5(string_agg(r, '|' order by r)), '')
                                     from (select cast(row({select}) as varchar) as r from marts."{t}")""").fetchone()
    return out
