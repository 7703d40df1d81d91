"""No raw personal number anywhere the system writes. The demo submissions plus a corpus of
numbers hidden in every place and form (tests/corpus/personal.py) go through the real pipeline
(scripts/run_pipeline.sh, Airflow), on DuckDB and on PostgreSQL; then every table of raw.duckdb
and of the published warehouse, every PostgreSQL schema, every file under $CAMPAIGN_HOME except
the operators' landing and archive (receipts, run and Airflow logs, the Airflow database, GX Data
Docs, dbt docs, the dashboard), the notifications a webhook received and the script's output are
scanned with the redaction's own pattern (ingest.rows.pii.leaks) and for each planted value, as
written and as bare digits."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest

from ingest.rows import pii
from ingest.demo import generate
from tests.conftest import REPO, TEST_HASH_KEY, Webhook, query
from tests.corpus import personal

pytestmark = pytest.mark.slow
NOT_WRITTEN_BY_US = {"landing", "archive"}      # the departments' own files: operators only, by design
FONTS_AND_IMAGES = {".ttf", ".otf", ".woff", ".woff2", ".eot", ".png", ".gif", ".jpg", ".ico"}  # vendored, binary


def _findings(text: str, planted: personal.Planted) -> list[str]:
    found = [m for m in pii.leaks(text) if "".join(c for c in m if c.isdecimal()) not in personal.CODES]
    found += [v for v in (*planted.forms, *planted.digits) if v in text]
    return found


def _scan_duckdb(path: Path, planted: personal.Planted) -> dict[str, list[str]]:
    import duckdb

    out: dict[str, list[str]] = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("""select table_schema, table_name from information_schema.tables
                                where table_catalog = current_database()""").fetchall()
        for schema, table in tables:
            columns = [c for (c,) in con.execute("""select column_name from information_schema.columns where
                       table_catalog = current_database() and table_schema = ? and table_name = ?""",
                                                  [schema, table]).fetchall()]
            for column in columns:
                values = con.execute(f'select distinct "{column}"::varchar from "{schema}"."{table}"').fetchall()
                if hits := [h for (v,) in values if v for h in _findings(v, planted)]:
                    out[f"{path.name}:{schema}.{table}.{column}"] = hits
    return out


def _scan_postgres(dsn: str, planted: personal.Planted) -> tuple[set[str], dict[str, list[str]]]:
    from warehouse.postgres import connect as pg

    out: dict[str, list[str]] = {}
    with pg.connect(dsn) as con, con.cursor() as cur:
        cur.execute("""select table_schema, table_name, column_name from information_schema.columns
                       where table_schema not in ('pg_catalog', 'information_schema')
                       and table_schema not like 'pg\\_%%'""")
        columns = cur.fetchall()
        for schema, table, column in columns:
            cur.execute(f'select distinct "{column}"::text from "{schema}"."{table}"')
            if hits := [h for (v,) in cur.fetchall() if v for h in _findings(v, planted)]:
                out[f"{schema}.{table}.{column}"] = hits
    return {s for s, _, _ in columns}, out


def _scan_files(home: Path, planted: personal.Planted) -> tuple[int, dict[str, list[str]]]:
    out: dict[str, list[str]] = {}
    scanned = 0
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        rel = path.relative_to(home)
        if rel.parts[0] in NOT_WRITTEN_BY_US or path.suffix.lower() in FONTS_AND_IMAGES:
            continue
        scanned += 1
        hits = _findings(str(rel), planted)                       # the name itself
        if path.suffix == ".duckdb":
            out.update(_scan_duckdb(path, planted))
        elif path.suffix == ".db":                                 # the Airflow database (SQLite)
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
                hits += _findings("\n".join(con.iterdump()), planted)
        else:
            hits += _findings(path.read_bytes().decode("utf-8", errors="ignore"), planted)
        if hits:
            out[str(rel)] = hits
    return scanned, out


def _run(home: Path, hook: Webhook, **env_extra: str) -> subprocess.CompletedProcess:
    """The demo submissions and the corpus in landing, then `make run`'s script as a user runs it."""
    generate(home / "landing")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CAMPAIGN"))}
    env.update(CAMPAIGN_HOME=str(home), CAMPAIGN_HASH_KEY=TEST_HASH_KEY, CAMPAIGN_NOTIFY_WEBHOOK=hook.url,
               CAMPAIGN_SETTLE_SECONDS="0", **env_extra)
    proc = subprocess.run([str(REPO / "scripts" / "run_pipeline.sh")], env=env, capture_output=True, text=True,
                          timeout=1200)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc


@pytest.fixture(scope="module")
def duck(tmp_path_factory):
    home = tmp_path_factory.mktemp("pii_duckdb")
    planted = personal.write(home / "landing")
    hook = Webhook()
    try:
        proc = _run(home, hook)
        yield home, planted, proc, hook.requests
    finally:
        hook.shutdown()


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    from tests.pg_warehouse import DB_PREFIX, drop_database, drop_roles, new_database

    home = tmp_path_factory.mktemp("pii_postgres")
    planted = personal.write(home / "landing")
    dsn, role = new_database("pii"), f"{DB_PREFIX}bi_{uuid.uuid4().hex[:8]}"
    hook = Webhook()
    try:
        proc = _run(home, hook, CAMPAIGN_TARGET="postgres", CAMPAIGN_PG_DSN=dsn, CAMPAIGN_BI_ROLE=role,
                    CAMPAIGN_BI_PASSWORD="pii-test")
        yield home, planted, proc, hook.requests, dsn
    finally:
        hook.shutdown()
        drop_database(dsn)
        drop_roles(role)


def _outputs(proc: subprocess.CompletedProcess, requests: list, planted: personal.Planted) -> dict[str, list[str]]:
    out = {}
    if hits := _findings(proc.stdout + proc.stderr, planted):
        out["run_pipeline.sh output"] = hits
    for i, (_, body) in enumerate(requests):
        if hits := _findings(str(body), planted):
            out[f"notification {i}"] = hits
    return out


def test_the_corpus_reaches_every_place(duck):
    """The planted files did what the scan relies on: loaded rows, quarantined rows quoting the
    values, refusals naming file, title, envelope and exception; the webhook got the refusals."""
    home, _, _, requests = duck
    raw = home / "warehouse" / "raw.duckdb"
    reasons = {r for (r,) in query(raw, "select reason_code from raw.file_ledger where source_file like '%2022年3月%'"
                                        " or source_file like '%志愿者%'")}
    assert {"personal_data_in_name", "unknown_department", "metadata_conflict", "unreadable_xlsx"} <= reasons
    assert query(raw, "select count(*) from raw.quarantine where field like '活动名称(负责人139****0003)'") == [(1,)]
    assert query(raw, "select sheet from raw.submissions where sheet like '志愿者%'") == [("志愿者139****0001",)]
    teams = {t for (t,) in query(home / "warehouse" / "campaign.duckdb",
                                 "select distinct team from marts.fct_volunteer_hours")}
    assert {"青年队139****0004", "abc139****0006xyz", "宣讲队139****0020"} <= teams
    assert any("139****0015" in str(body) for _, body in requests)


def test_codes_keep_their_value_in_the_marts(duck):
    home = duck[0]
    db = home / "warehouse" / "campaign.duckdb"
    assert query(db, "select count(*) from marts.fct_investment where project_code = ?", [personal.CODES[0]]) == [(1,)]
    assert query(db, "select count(*) from marts.fct_issue_closure where issue_code = ?", [personal.CODES[1]]) == [(1,)]


def test_no_raw_number_anywhere_on_duckdb(duck):
    home, planted, proc, requests = duck
    scanned, leaks = _scan_files(home, planted)
    leaks.update(_outputs(proc, requests, planted))
    assert scanned > 50 and requests
    assert {"raw.duckdb", "campaign.duckdb"} <= {p.name for p in (home / "warehouse").glob("*.duckdb")}
    assert (home / "site" / "index.html").exists() and (home / "site" / "dbt_docs").is_dir()
    assert any((home / "quality").rglob("*.html")), "no Data Docs written"
    assert not leaks, leaks


def test_no_raw_number_anywhere_on_postgres(postgres):
    home, planted, proc, requests, dsn = postgres
    scanned, leaks = _scan_files(home, planted)
    schemas, in_pg = _scan_postgres(dsn, planted)
    leaks.update(in_pg)
    leaks.update(_outputs(proc, requests, planted))
    assert {"raw", "marts"} <= schemas and scanned > 50 and requests
    assert not leaks, leaks
