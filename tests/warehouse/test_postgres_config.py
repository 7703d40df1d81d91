"""The PostgreSQL target's settings: CAMPAIGN_PG_DSN, the BI role, the lock timeout."""
from __future__ import annotations

import pytest

from warehouse.postgres import connect as pg
from ingest.errors import ConfigError
from tests.pg_warehouse import drop_database, new_database, pg_rows


def test_dsn_feeds_the_dbt_profile_and_never_shows_its_password(monkeypatch):
    monkeypatch.setenv("CAMPAIGN_PG_DSN", "postgresql://wh:s3cr%40t@db.example:6432/campaign_prod")
    assert pg.dbt_env(pg.dsn()) == {"CAMPAIGN_PG_HOST": "db.example", "CAMPAIGN_PG_PORT": "6432",
                                    "CAMPAIGN_PG_USER": "wh", "CAMPAIGN_PG_PASSWORD": "s3cr@t",
                                    "CAMPAIGN_PG_DBNAME": "campaign_prod"}
    assert pg.safe_dsn(pg.dsn()) == "postgresql://wh@db.example:6432/campaign_prod"
    monkeypatch.delenv("CAMPAIGN_PG_DSN")
    assert pg.dsn() == pg.DEFAULT_DSN == "postgresql://postgres@127.0.0.1:5432/campaign"


@pytest.mark.parametrize("bad", ["postgresql://h:5432", "not a dsn at all ==="])
def test_a_dsn_without_a_database_is_refused(bad):
    with pytest.raises(ConfigError, match="CAMPAIGN_PG_DSN"):
        pg.dbt_env(bad)


def test_bi_role_and_lock_timeout_settings(monkeypatch):
    monkeypatch.delenv("CAMPAIGN_BI_ROLE", raising=False)
    monkeypatch.delenv("CAMPAIGN_BI_PASSWORD", raising=False)
    monkeypatch.delenv("CAMPAIGN_DEMO", raising=False)
    assert pg.bi_role() == ("campaign_bi", None)                  # no secret, no password
    monkeypatch.setenv("CAMPAIGN_DEMO", "1")
    assert pg.bi_role() == ("campaign_bi", pg.DEFAULT_BI_PASSWORD)
    monkeypatch.setenv("CAMPAIGN_BI_PASSWORD", "from-the-secrets")
    assert pg.bi_role() == ("campaign_bi", "from-the-secrets")
    monkeypatch.setenv("CAMPAIGN_BI_ROLE", "bi; drop table x")
    with pytest.raises(ConfigError, match="identifier"):
        pg.bi_role()
    monkeypatch.setenv("CAMPAIGN_PG_LOCK_TIMEOUT", "1 hour")
    with pytest.raises(ConfigError, match="LOCK_TIMEOUT"):
        pg.lock_timeout()


def test_ensure_database_creates_it_once():
    dsn = new_database("cfg")      # created by pg.ensure_database
    try:
        assert pg.ensure_database(dsn) is False
        assert pg_rows(dsn, "select current_database()") == [(pg.dsn_parts(dsn)["dbname"],)]
    finally:
        drop_database(dsn)


def test_bi_limits_from_the_environment(monkeypatch):
    from warehouse.postgres.roles import Limits

    for name in ("STATEMENT_TIMEOUT", "IDLE_TIMEOUT", "WORK_MEM", "TEMP_FILE_LIMIT", "CONNECTION_LIMIT"):
        monkeypatch.delenv(f"CAMPAIGN_BI_{name}", raising=False)
    assert Limits.from_env() == Limits(300_000, 60_000, 65_536, 1_048_576, 10)
    monkeypatch.setenv("CAMPAIGN_BI_STATEMENT_TIMEOUT", "2min")
    monkeypatch.setenv("CAMPAIGN_BI_WORK_MEM", "16MB")
    monkeypatch.setenv("CAMPAIGN_BI_CONNECTION_LIMIT", "4")
    limits = Limits.from_env()
    assert (limits.statement_timeout_ms, limits.work_mem_kb, limits.connection_limit) == (120_000, 16_384, 4)
    assert limits.role_settings()["work_mem"] == "16384kB"
    for name, bad in (("CAMPAIGN_BI_WORK_MEM", "lots"), ("CAMPAIGN_BI_WORK_MEM", "4 parsecs"),
                      ("CAMPAIGN_BI_IDLE_TIMEOUT", "0"), ("CAMPAIGN_BI_CONNECTION_LIMIT", "-1")):
        monkeypatch.setenv(name, bad)
        with pytest.raises(ConfigError, match=name if bad != "0" else "must not be 0"):
            Limits.from_env()
        monkeypatch.delenv(name)
