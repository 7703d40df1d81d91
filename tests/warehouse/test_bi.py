"""BI connections, as a BI tool makes them: SQLAlchemy to the published DuckDB file (duckdb_engine,
read-only) and to the PostgreSQL marts as the read-only BI role. The four analyst queries
(docs/queries/*.sql) run through both and agree; neither connection can write; the dashboard reads
either warehouse to the same pages."""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from warehouse.postgres import connect as pg
from tests.conftest import REPO
from tests.pg_warehouse import duck_rows

pytestmark = pytest.mark.slow

QUERIES = sorted((REPO / "docs" / "queries").glob("*.sql"))
MARTS = {"fct_investment", "fct_volunteer_hours", "fct_issue_closure", "dim_department", "dim_city", "dim_date",
         "dim_volunteer", "mart_department_scorecard"}


def duckdb_engine(db: Path, uri_only: bool = False) -> sa.Engine:
    """What docs/bi.md tells a DuckDB client: duckdb:///<file> with read_only, or the URI-only form."""
    if uri_only:
        return sa.create_engine(f"duckdb:///{db}?access_mode=READ_ONLY", poolclass=sa.NullPool)
    return sa.create_engine(f"duckdb:///{db}", connect_args={"read_only": True}, poolclass=sa.NullPool)


def bi_engine(dsn: str, role: str) -> sa.Engine:
    """What docs/bi.md tells Superset / Metabase: postgresql://<bi role>:<password>@host:port/db."""
    parts = pg.dsn_parts(dsn)
    _, password = pg.bi_role()
    url = sa.engine.URL.create("postgresql+psycopg2", username=role, password=password,
                               host=parts.get("host", "127.0.0.1"), port=int(parts.get("port", 5432)),
                               database=parts["dbname"])
    return sa.create_engine(url)


def run_all(engine: sa.Engine) -> dict[str, tuple[list[str], list[tuple]]]:
    out = {}
    with engine.connect() as conn:
        for path in QUERIES:
            result = conn.execute(sa.text(path.read_text(encoding="utf-8")))
            out[path.stem] = (list(result.keys()), [tuple(r) for r in result])
    engine.dispose()
    return out


def normalised(value):
    """Values compared across drivers: exact decimals to 4 places, dates as dates."""
    if isinstance(value, (Decimal, float)):
        return Decimal(str(value)).quantize(Decimal("0.0001"))
    if hasattr(value, "date") and not isinstance(value, date):
        return value.date()
    return value


def test_the_four_analyst_queries_are_published():
    assert [p.stem for p in QUERIES] == ["investment_spent_by_stage", "overdue_issues_this_month",
                                         "rectification_rate_by_month", "star_volunteers_by_city"]


def test_duckdb_file_read_only_through_sqlalchemy(built):
    before = hashlib.sha256(built.duck.read_bytes()).hexdigest()
    for uri_only in (False, True):
        engine = duckdb_engine(built.duck, uri_only)
        with engine.connect() as conn:
            assert MARTS <= set(sa.inspect(conn).get_table_names(schema="marts"))   # what a BI tool browses
            with pytest.raises(sa.exc.DBAPIError, match="read-only"):
                conn.execute(sa.text("create table marts.bi_scratch (x integer)"))
        engine.dispose()
    got = run_all(duckdb_engine(built.duck))
    for path in QUERIES:       # the driver returns exactly what DuckDB itself returns
        columns, rows = got[path.stem]
        assert rows and rows == duck_rows(built.duck, path.read_text(encoding="utf-8")), path.name
    assert hashlib.sha256(built.duck.read_bytes()).hexdigest() == before


def test_postgres_marts_through_the_bi_role(built):
    engine = bi_engine(built.dsn, built.bi_role)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select current_user")).scalar() == built.bi_role
        assert MARTS <= set(sa.inspect(conn).get_table_names(schema="marts"))
    with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="read-only|permission denied"):
        conn.execute(sa.text("create table marts.bi_scratch (x integer)"))
    with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="permission denied"):
        conn.execute(sa.text("select count(*) from raw.submissions"))
    engine.dispose()
    duck, post = run_all(duckdb_engine(built.duck)), run_all(bi_engine(built.dsn, built.bi_role))
    for name, (columns, rows) in duck.items():
        assert post[name][0] == columns, name
        assert [tuple(map(normalised, r)) for r in post[name][1]] == [tuple(map(normalised, r)) for r in rows], name


def test_dashboard_reads_either_warehouse_to_the_same_pages(built, tmp_path):
    """The same marts give the same dashboard, whichever warehouse it reads. Left out: the footer
    (source, times) and the overview's list of warehouse audits, since the shared demo warehouses
    audit only the PostgreSQL build (tests/pg_warehouse.py)."""
    def build(home: Path, **env: str) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN")}
        proc = subprocess.run([sys.executable, "-m", "dashboard", "--home", str(home), "--no-dbt-docs"],
                              cwd=REPO, env={**clean, **env}, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        pages = [home / "site" / "index.html", *sorted((home / "site" / "city").glob("*.html"))]
        return {p.name: re.sub(r'<footer>.*?</footer>|<section id="audits">.*?</section>', "",
                               p.read_text(encoding="utf-8"), flags=re.S) for p in pages}

    from_duckdb = build(built.paths.home)
    from_postgres = build(tmp_path / "pg-home", CAMPAIGN_TARGET="postgres", CAMPAIGN_PG_DSN=built.dsn)
    assert len(from_duckdb) == 5
    assert from_postgres == from_duckdb
