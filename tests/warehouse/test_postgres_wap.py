"""Write-audit-publish on the real PostgreSQL: candidate schemas, one swapping transaction with a
lock_timeout, the read-only BI role (marts only, grants kept across swaps), kill -9 during build
and during publish, and a failing audit that leaves the published marts as they were."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import psycopg2.errors
import pytest
from psycopg2.extensions import make_dsn

from warehouse.postgres import connect as pg
from warehouse.postgres.publish import CANDIDATE, RETIRED, PublishFailed, prepare_candidate, publish_postgres
from warehouse.postgres.roles import Limits, city_logins, city_password, ensure_login, lock_database
from warehouse.postgres.rows import create_guard
from tests.pg_warehouse import (
    build_and_audit_postgres, build_postgres as build_audit_publish, drop_database, ingest_all, marts, pg_rows,
    write_volunteer_csv,
)
from tests.conftest import TEST_HASH_KEY

pytestmark = pytest.mark.slow
PASSWORD = "bi-test-password"     # the demo warehouses' (tests/pg_warehouse.py)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wh(built, tmp_path_factory):
    """A private copy of the published demo warehouse, with the demo's BI role."""
    paths, dsn = built.clone(tmp_path_factory.mktemp("wap") / "home", "wap")
    mp = pytest.MonkeyPatch()
    mp.setenv("CAMPAIGN_HASH_KEY", TEST_HASH_KEY)
    mp.setenv("CAMPAIGN_BI_ROLE", built.bi_role)
    mp.setenv("CAMPAIGN_BI_PASSWORD", built.bi_password)
    # the reader of test_publish_is_not_held_up_by_a_reader holds a transaction open across a build
    mp.setenv("CAMPAIGN_BI_IDLE_TIMEOUT", "1h")
    try:
        with pg.connect(dsn) as con, con, con.cursor() as cur:
            # CREATE DATABASE ... TEMPLATE copies schemas and their grants, not the database's own
            # privileges: lock the copy down as every publish does
            dbname = pg.dsn_parts(dsn)["dbname"]
            lock_database(cur, dbname)
            ensure_login(cur, built.bi_role, built.bi_password, Limits.from_env(), dbname)
            create_guard(cur, "marts", Limits.from_env())   # the caps of these limits, as a publish sets them
        yield paths, dsn, built.bi_role
    finally:
        mp.undo()
        # the roles are the shared demo warehouse's too (the province login, and the city logins a
        # publish in the copy aligned): give them back the settings its publish gave them
        with pg.connect(built.dsn) as con, con, con.cursor() as cur:
            dbname = pg.dsn_parts(built.dsn)["dbname"]
            ensure_login(cur, built.bi_role, built.bi_password, Limits.from_env(), dbname)
            for city_role in city_logins(cur, built.bi_role, "marts"):
                ensure_login(cur, city_role, city_password(city_role, built.bi_role), Limits.from_env(), dbname)
        drop_database(dsn)


def _bi(dsn: str, role: str):
    return psycopg2.connect(make_dsn(dsn, user=role, password=PASSWORD))


def _schemas(dsn: str, like: str) -> list[str]:
    return [s for (s,) in pg_rows(dsn, "select nspname from pg_namespace where nspname like %s", [like])]


def _tables(dsn: str, schema: str) -> list[str]:
    return [t for (t,) in pg_rows(dsn, "select tablename from pg_tables where schemaname = %s order by 1", [schema])]


def test_the_bi_role_is_a_read_only_login(wh):
    _, dsn, role = wh
    ((sup, createdb, createrole, repl, bypass, inherit, login, config, has_password),) = pg_rows(
        dsn, """select r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication, r.rolbypassrls, r.rolinherit,
                       r.rolcanlogin, r.rolconfig, a.rolpassword is not null
                from pg_roles r join pg_authid a using (oid) where r.rolname = %s""", [role])
    assert (sup, createdb, createrole, repl, bypass, inherit, login) == (False,) * 6 + (True,)
    assert "default_transaction_read_only=on" in config and has_password


def test_the_bi_role_reads_marts_and_nothing_else(wh):
    _, dsn, role = wh
    with pg.connect(dsn) as con, con, con.cursor() as cur:       # something private outside marts
        cur.execute("create table if not exists public.operator_notes (note varchar)")
    marts_tables = _tables(dsn, "marts")
    outside = [(s, _tables(dsn, s)[0]) for s in ("raw", "staging", "intermediate", "seeds", "public")]
    writes = ["insert into marts.dim_city values ('x', 'x', 'x')", "update marts.dim_city set province = 'x'",
              "delete from marts.fct_investment", "truncate marts.dim_date",
              "create table marts.mine (i integer)", "create table public.mine (i integer)",
              "create temp table mine (i integer)", "create schema mine", "create view marts.v as select 1 as i",
              "alter table marts.dim_city add column x integer", "drop table marts.dim_city"]
    con = _bi(dsn, role)
    try:
        con.autocommit = True
        with con.cursor() as cur:
            for table in marts_tables:
                cur.execute(f'select count(*) from marts."{table}"')
                assert cur.fetchone()[0] >= 0
            # the session default is read-only; switch it off to show the privileges alone forbid writing
            cur.execute("set default_transaction_read_only = off")
            for schema, table in outside:
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cur.execute(f'select * from "{schema}"."{table}" limit 1')
            for sql in writes:
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cur.execute(sql)
    finally:
        con.close()
    assert len(marts_tables) >= 9 and pg_rows(dsn, "select count(*) from marts.dim_city") == [(4,)]


def test_publish_is_not_held_up_by_a_reader_and_keeps_the_bi_grants(wh, monkeypatch):
    paths, dsn, role = wh
    monkeypatch.setenv("CAMPAIGN_PG_LOCK_TIMEOUT", "2s")
    reader = _bi(dsn, role)
    try:
        with reader.cursor() as cur:         # an open transaction holding a lock on a published table
            cur.execute("select count(*) from marts.fct_volunteer_hours")
            before = cur.fetchone()[0]
            write_volunteer_csv(paths.landing, "格尔木市", "市文明办", 6, rows=5, seed=31)
            assert [r.status for r in ingest_all(paths.home)] == ["accepted"]
            build_and_audit_postgres(paths, dsn)
            started = time.monotonic()
            publish_postgres(paths, dsn)
            assert time.monotonic() - started < 10
            cur.execute("select count(*) from marts.fct_volunteer_hours")   # next statement: the new marts
            assert cur.fetchone()[0] == before + 5
            # the old schemas wait for the reader to finish; the BI role lost them at the swap
            retired = _schemas(dsn, f"marts{RETIRED}%")
            assert len(retired) == 1
        reader.rollback()
        with reader.cursor() as cur:
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute(f'select count(*) from "{retired[0]}".fct_volunteer_hours')
        reader.rollback()
        with reader.cursor() as cur:
            for table in _tables(dsn, "marts"):
                cur.execute(f'select count(*) from marts."{table}"')
    finally:
        reader.close()
    privileges = pg_rows(dsn, """select count(*), count(*) filter (where has_table_privilege(%s, c.oid, 'select'))
                                 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                                 where n.nspname = 'marts' and c.relkind = 'r'""", [role])
    assert privileges[0][0] == privileges[0][1] >= 9
    assert _schemas(dsn, f"%{CANDIDATE}") == []
    prepare_candidate(dsn)                   # the next build clears what the reader held
    assert _schemas(dsn, f"%{RETIRED}%") == []


def _spawn(paths, dsn: str, step: str, **env: str) -> subprocess.Popen:
    code = (f"from pathlib import Path; from ingest.config import Paths; import warehouse.postgres.publish as w; "
            f"w.{step}(Paths(Path({str(paths.home)!r})), pg_dsn={dsn!r})")
    return subprocess.Popen([sys.executable, "-c", code], env={**os.environ, **env}, cwd=REPO)


def _wait_for(condition, what: str, seconds: float = 180, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert proc is None or proc.poll() is None, f"the process ended (exit {proc.returncode}) before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _others(dsn: str) -> int:
    return pg_rows(dsn, """select count(*) from pg_stat_activity
                           where datname = current_database() and pid <> pg_backend_pid()""")[0][0]


def _hold_marts_schema(dsn: str):
    """Another session with an uncommitted change to schema marts: publish must wait for it."""
    blocker = psycopg2.connect(dsn)
    with blocker.cursor() as cur:
        cur.execute("alter schema marts rename to marts_busy")
        cur.execute("alter schema marts_busy rename to marts")
    return blocker


def _audited_candidate(dsn: str) -> bool:
    return bool(pg_rows(dsn, """select 1 from pg_namespace where nspname = %s
                                and obj_description(oid, 'pg_namespace') like 'audited%%'""", [f"marts{CANDIDATE}"]))


def test_a_killed_build_leaves_the_published_marts_whole(wh):
    paths, dsn, _ = wh
    published = marts(dsn)
    write_volunteer_csv(paths.landing, "毕节市", "团市委", 7, rows=4, seed=51, area="520502")
    assert [r.status for r in ingest_all(paths.home)] == ["accepted"]
    proc = _spawn(paths, dsn, "build_postgres")
    _wait_for(lambda: len(_tables(dsn, f"staging{CANDIDATE}")) >= 2, "dbt to be building", proc=proc)
    os.kill(proc.pid, signal.SIGKILL)         # kill -9 in the middle of dbt build
    proc.wait()
    _wait_for(lambda: _others(dsn) == 0, "dbt to die with its parent", 30)
    assert marts(dsn) == published
    assert not _audited_candidate(dsn)
    build_and_audit_postgres(paths, dsn)      # the rerun starts over from clean candidate schemas
    assert _audited_candidate(dsn)


def test_publish_gives_up_at_lock_timeout_and_a_killed_publish_changes_nothing(wh, monkeypatch):
    paths, dsn, _ = wh
    if not _audited_candidate(dsn):          # normally left by the test above
        write_volunteer_csv(paths.landing, "毕节市", "团市委", 7, rows=4, seed=51, area="520502")
        ingest_all(paths.home)
        build_and_audit_postgres(paths, dsn)
    published = marts(dsn)
    blocker = _hold_marts_schema(dsn)
    try:
        monkeypatch.setenv("CAMPAIGN_PG_LOCK_TIMEOUT", "1s")
        started = time.monotonic()
        with pytest.raises(PublishFailed, match="lock_timeout"):
            publish_postgres(paths, dsn)
        assert time.monotonic() - started < 10
        assert marts(dsn) == published and _audited_candidate(dsn)
        # kill -9 while publish waits inside its swapping transaction
        proc = _spawn(paths, dsn, "publish_postgres", CAMPAIGN_PG_LOCK_TIMEOUT="120s")
        _wait_for(lambda: pg_rows(dsn, """select count(*) from pg_stat_activity where wait_event_type = 'Lock'
                                          and application_name = 'campaign-warehouse'""")[0][0] == 1,
                  "publish to wait for its lock", proc=proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        blocker.rollback()
        blocker.close()
    _wait_for(lambda: _others(dsn) == 0, "the killed publish's session to end", 30)
    assert marts(dsn) == published and _audited_candidate(dsn)
    publish_postgres(paths, dsn)              # nothing in the way any more: the rerun publishes whole
    assert _schemas(dsn, f"%{CANDIDATE}") == []
    after = marts(dsn)["fct_volunteer_hours"].rows
    assert len(after) == len(published["fct_volunteer_hours"].rows) + 4


def test_a_failing_audit_leaves_the_published_marts_as_they_were(wh):
    """Passes the raw gate (each file alone is fine), breaks a mart rule: one volunteer's hours on
    one day sum past 24 across two departments' files."""
    from expectations import AuditFailed
    from warehouse.duck import BuildFailed

    paths, dsn, _ = wh
    published = marts(dsn)
    for folder in ("市文明办", "团市委"):     # same volunteer (seed), same day, 13 h in each file
        write_volunteer_csv(paths.landing, "格尔木市", folder, 7, rows=1, seed=41, extra_hours="13",
                            team=f"{folder}志愿服务队")
    assert [r.status for r in ingest_all(paths.home)] == ["accepted", "accepted"]
    with pytest.raises((AuditFailed, BuildFailed)) as failed:
        build_audit_publish(paths, dsn)
    assert "fct_volunteer_hours_daily" in str(failed.value) or "24" in str(failed.value)
    assert marts(dsn) == published
    with pytest.raises(PublishFailed, match="no audit of it has passed"):   # publish called anyway
        publish_postgres(paths, dsn)
    assert marts(dsn) == published
