"""Test helpers for the two warehouse targets: throw-away PostgreSQL databases (campaign_t_*),
ingest + build without Airflow, and reading the same marts from DuckDB and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from warehouse.postgres import connect as pg
from ingest.config import Paths
from ingest.pipeline import discover, ingest_file
from tests.conftest import TEST_HASH_KEY

# Server the tests create their databases on (CI: the PostgreSQL running on the machine).
ADMIN_DSN = os.environ.get("CAMPAIGN_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_PREFIX = "campaign_t_"


def new_database(tag: str) -> str:
    """Create an empty database campaign_t_<tag>_<random>; return its DSN."""
    from psycopg2.extensions import make_dsn

    name = f"{DB_PREFIX}{tag}_{uuid.uuid4().hex[:8]}"
    dsn = make_dsn(ADMIN_DSN, dbname=name)
    assert pg.ensure_database(dsn), name
    return dsn


def clone_database(template_dsn: str, tag: str) -> str:
    """A new database campaign_t_<tag>_<random> copied from another (nobody may be connected to it)."""
    from psycopg2 import sql
    from psycopg2.extensions import make_dsn

    name = f"{DB_PREFIX}{tag}_{uuid.uuid4().hex[:8]}"
    with pg.connect(ADMIN_DSN) as con:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(sql.SQL("create database {} template {}").format(
                sql.Identifier(name), sql.Identifier(pg.dsn_parts(template_dsn)["dbname"])))
    return make_dsn(ADMIN_DSN, dbname=name)


def drop_database(dsn: str) -> None:
    from psycopg2 import sql

    name = pg.dsn_parts(dsn)["dbname"]
    assert name.startswith(DB_PREFIX), name
    with pg.connect(ADMIN_DSN) as con:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def drop_roles(role: str) -> None:
    """Drop a BI role and its city roles (<role>_<city code>); roles are cluster-wide. Drop the
    databases holding grants to them first."""
    from psycopg2 import sql

    assert role.startswith(DB_PREFIX), role
    with pg.connect(ADMIN_DSN) as con:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(r"select rolname from pg_roles where rolname = %s or rolname like %s",
                        [role, role.replace("_", r"\_") + r"\_%"])
            for (name,) in cur.fetchall():
                cur.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(name)))


def ingest_all(home: Path, run_id: str = "test") -> list[Any]:
    """Everything waiting in landing/, as the ingest DAG would load it (no Airflow)."""
    return [ingest_file(rel, home, run_id=run_id) for rel in discover(home / "landing")]


def build_duckdb(paths: Paths, full_refresh: bool = False) -> Path:
    """The DuckDB build and publish (warehouse.duck), without the GX audit its own tests cover:
    the audit's second, partial dbt build would replace the full build's run_results.json."""
    from warehouse.duck import dbt_build, prepare_candidate, publish

    prepare_candidate(paths, full_refresh=full_refresh)
    dbt_build(paths, full_refresh=full_refresh)
    return publish(paths)


def build_and_audit_postgres(paths: Paths, dsn: str, full_refresh: bool = False) -> None:
    """The PostgreSQL DAG steps build and audit (raising AuditFailed as the DAG's gate does)."""
    from expectations import raise_on_failure
    from warehouse.postgres.publish import audit_postgres, build_postgres as build

    build(paths, dsn, full_refresh=full_refresh)
    raise_on_failure(audit_postgres(paths, "test", dsn))


def build_postgres(paths: Paths, dsn: str, full_refresh: bool = False) -> str:
    """The three PostgreSQL DAG steps: build, audit (gating), publish."""
    from warehouse.postgres.publish import publish_postgres

    build_and_audit_postgres(paths, dsn, full_refresh=full_refresh)
    return publish_postgres(paths, dsn)


def duck_rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def pg_rows(dsn: str, sql: str, params: list | None = None) -> list[tuple]:
    with pg.connect(dsn) as con, con.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
        con.rollback()
        return rows


@dataclass(frozen=True)
class Relation:
    columns: tuple[tuple[str, str], ...]    # (name, normalised type)
    rows: list[tuple]                       # sorted, volatile columns dropped


def _norm_type(t: str) -> str:
    t = t.lower().replace(" ", "")
    return {"charactervarying": "varchar", "timestampwithouttimezone": "timestamp",
            "decimal": "numeric", "int": "integer", "int4": "integer"}.get(t, t).replace("decimal(", "numeric(")


def marts(db_or_dsn: Path | str, volatile: frozenset[str] = frozenset({"built_at"})) -> dict[str, Relation]:
    """Every table of schema marts: typed columns and all rows, comparable across targets."""
    if isinstance(db_or_dsn, Path):
        fetch = lambda sql: duck_rows(db_or_dsn, sql)   # noqa: E731
        type_sql = "data_type"
    else:
        fetch = lambda sql: pg_rows(db_or_dsn, sql)     # noqa: E731
        type_sql = ("case when data_type = 'numeric' then 'numeric(' || numeric_precision || ',' "
                    "|| numeric_scale || ')' else data_type end")
    cols: dict[str, list[tuple[str, str]]] = {}
    for table, column, typ in fetch(f"""select table_name, column_name, {type_sql} from information_schema.columns
                                        where table_schema = 'marts' order by table_name, ordinal_position"""):
        cols.setdefault(table, []).append((column, _norm_type(typ)))
    out = {}
    for table, columns in cols.items():
        keep = [c for c, _ in columns if c not in volatile]
        rows = fetch(f"select {', '.join(chr(34) + c + chr(34) for c in keep)} from marts.\"{table}\"")
        out[table] = Relation(tuple(columns), sorted(rows, key=lambda r: tuple((v is None, str(v)) for v in r)))
    return out


def write_volunteer_csv(landing: Path, city: str, folder: str, month: int, rows: int,
                        seed: int = 7, area: str = "632801", extra_hours: str = "2",
                        team: str = "测试志愿服务队") -> Path:
    """A valid 志愿服务记录 CSV for <city>/<folder>, 2022-<month>, with `rows` records."""
    from ingest.demo.ids import make_id, make_name, make_phone
    from ingest.demo.volunteer import HEADER

    rng = random.Random(seed)
    taken: set[str] = set()
    lines = [",".join(HEADER)]
    for i in range(rows):
        day = dt.date(2022, month, 1 + i % 27)
        lines.append(",".join([make_name(rng), make_id(rng, area, taken), make_phone(rng), team,
                               "文明交通劝导", "文明交通", f"{day.year}/{day.month}/{day.day}", extra_hours]))
    path = landing / city / folder / "volunteer" / f"{month}月志愿服务记录补充.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True)
class Warehouses:
    """One demo landing, ingested once, built and published on both targets."""
    paths: Paths
    manifest: dict[str, Any]
    duck: Path          # published DuckDB file
    dsn: str            # PostgreSQL database with the published schema marts
    bi_role: str
    bi_password: str

    def clone(self, dest: Path, tag: str) -> tuple[Paths, str]:
        """A private copy of both warehouses (home directory and database) for tests that change them."""
        shutil.copytree(self.paths.home, dest)
        return Paths(dest), clone_database(self.dsn, tag)

    def settings(self, mp: Any) -> None:
        """The settings the warehouses were built with, on a pytest MonkeyPatch."""
        mp.setenv("CAMPAIGN_HASH_KEY", TEST_HASH_KEY)
        mp.setenv("CAMPAIGN_BI_ROLE", self.bi_role)
        mp.setenv("CAMPAIGN_BI_PASSWORD", self.bi_password)


_CACHE: dict[str, Warehouses] = {}


def demo_warehouses(root: Path) -> Warehouses:
    """Build (once per test session) the demo warehouses on DuckDB and PostgreSQL."""
    if "demo" not in _CACHE:
        import pytest

        from ingest.demo import generate

        paths = Paths(root)
        manifest = generate(paths.landing)
        role, password = f"{DB_PREFIX}bi_{uuid.uuid4().hex[:8]}", "bi-test-password"
        dsn = new_database("demo")
        try:
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("CAMPAIGN_HASH_KEY", TEST_HASH_KEY)
                mp.setenv("CAMPAIGN_BI_ROLE", role)
                mp.setenv("CAMPAIGN_BI_PASSWORD", password)
                ingest_all(root)
                duck = build_duckdb(paths)
                build_postgres(paths, dsn)
        except BaseException:
            drop_database(dsn)
            drop_roles(role)
            raise
        _CACHE["demo"] = Warehouses(paths, manifest, duck, dsn, role, password)
    return _CACHE["demo"]


def drop_demo_warehouses() -> None:
    built = _CACHE.pop("demo", None)
    if built:
        drop_database(built.dsn)
        drop_roles(built.bi_role)
