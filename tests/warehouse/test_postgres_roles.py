"""The BI logins on the real PostgreSQL, connected as each of them: the province-wide role and one
role per city of the registry, read-only by privileges (escaping the read-only default writes
nothing), no large objects, no temporary tables, limits in force, no CONNECT without a grant,
city roles limited to their city's rows (views included), and a new city getting its role at
the next publish. A small published warehouse of its own keeps these fast; the demo build's
per-city row counts are in tests/test_postgres_cities.py."""
from __future__ import annotations

import time
import uuid

import psycopg2
import psycopg2.errors
import pytest
from psycopg2.extensions import make_dsn

from warehouse.postgres import connect as pg
from warehouse.postgres.publish import CANDIDATE, publish_postgres
from tests.pg_warehouse import ADMIN_DSN, DB_PREFIX, drop_database, drop_roles, new_database, pg_rows

pytestmark = pytest.mark.slow
CITIES = [("格尔木市", "golmud", "青海省"), ("寿光市", "shouguang", "山东省")]
LIMITS = {"CAMPAIGN_BI_STATEMENT_TIMEOUT": "2s", "CAMPAIGN_BI_IDLE_TIMEOUT": "2s", "CAMPAIGN_BI_WORK_MEM": "1MB",
          "CAMPAIGN_BI_TEMP_FILE_LIMIT": "1MB", "CAMPAIGN_BI_CONNECTION_LIMIT": "3"}
PASSWORD = "province-secret"


def _candidate(dsn: str, cities: list[tuple[str, str, str]]) -> None:
    """What a build leaves: candidate marts and BI views, audited; raw beside them."""
    with pg.connect(dsn) as con, con, con.cursor() as cur:
        cur.execute(f"""
            create schema if not exists raw;
            create table if not exists raw.raw_volunteer (masked_phone varchar);
            create schema marts{CANDIDATE};
            create table marts{CANDIDATE}.dim_city (city varchar, city_code varchar, province varchar);
            create table marts{CANDIDATE}.fct_investment (city varchar, project_code varchar, amount numeric);
            create table marts{CANDIDATE}.fct_volunteer_hours (city varchar, volunteer_key varchar, hours numeric);
            create table marts{CANDIDATE}.dim_volunteer (volunteer_key varchar, city varchar, total_hours numeric);
            create table marts{CANDIDATE}.dim_date (date_day date);
            create table marts{CANDIDATE}.mart_run_log (note varchar);
            insert into marts{CANDIDATE}.fct_volunteer_hours values
                ('格尔木市', 'a', 2), ('格尔木市', 'b', 3), ('寿光市', 'b', 4), ('寿光市', 'c', 5);
            insert into marts{CANDIDATE}.dim_volunteer values ('a', '格尔木市', 2), ('b', null, 7), ('c', '寿光市', 5);
            insert into marts{CANDIDATE}.dim_date values ('2022-05-01'), ('2022-05-02');
            insert into marts{CANDIDATE}.mart_run_log values ('no city here');
            create schema bi_zh{CANDIDATE};
            create view bi_zh{CANDIDATE}.v_investment as select city as "城市", amount as "金额"
                from marts{CANDIDATE}.fct_investment;
            comment on schema marts{CANDIDATE} is 'audited by run t';
        """)
        cur.executemany(f"insert into marts{CANDIDATE}.dim_city values (%s, %s, %s)", cities)
        cur.executemany(f"insert into marts{CANDIDATE}.fct_investment values (%s, %s, %s)",
                        [(city, f"P{i}{j}", 100 * (i + 1)) for i, (city, _, _) in enumerate(cities) for j in range(i + 1)])


@pytest.fixture(scope="module")
def wh():
    """A published warehouse with the province role and two city roles (names unique to this run)."""
    role = f"{DB_PREFIX}r{uuid.uuid4().hex[:8]}"
    dsn = new_database("roles")
    mp = pytest.MonkeyPatch()
    for name, value in {**LIMITS, "CAMPAIGN_BI_ROLE": role, "CAMPAIGN_BI_PASSWORD": PASSWORD,
                        "CAMPAIGN_BI_PASSWORD_GOLMUD": "golmud-secret"}.items():
        mp.setenv(name, value)
    mp.delenv("CAMPAIGN_BI_PASSWORD_SHOUGUANG", raising=False)
    mp.delenv("CAMPAIGN_DEMO", raising=False)
    try:
        _candidate(dsn, CITIES)
        publish_postgres(pg_dsn=dsn)
        yield dsn, role
    finally:
        mp.undo()
        drop_database(dsn)
        drop_roles(role)


def _as(dsn: str, role: str, autocommit: bool = True):
    con = psycopg2.connect(make_dsn(dsn, user=role))
    con.autocommit = autocommit
    return con


def _one(con, sql: str, params=None):
    with con.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else None


def test_each_login_is_created_with_its_secret_limits_and_no_power(wh):
    dsn, role = wh
    rows = pg_rows(dsn, """select r.rolname, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication,
                                  r.rolbypassrls, r.rolinherit, r.rolcanlogin, r.rolconnlimit, r.rolconfig,
                                  a.rolpassword is not null
                           from pg_roles r join pg_authid a using (oid) where r.rolname like %s order by 1""",
                   [role + "%"])
    assert [r[0] for r in rows] == [role, f"{role}_golmud", f"{role}_shouguang"]
    for name, *powers, login, limit, config, has_password in rows:
        assert powers == [False] * 6 and login and limit == 3
        assert sorted(config) == ["default_transaction_read_only=on", "idle_in_transaction_session_timeout=2000ms",
                                  "statement_timeout=2000ms", "temp_file_limit=1024kB", "work_mem=1024kB"]
        assert has_password == (name != f"{role}_shouguang")    # no secret for it: no password
    assert pg_rows(dsn, "select rolpassword like 'SCRAM-SHA-256$%%' from pg_authid where rolname = %s", [role]) \
        == [(True,)]


def test_public_has_no_connect_temp_create_or_large_objects(wh):
    dsn, role = wh
    stranger = f"{DB_PREFIX}s{uuid.uuid4().hex[:8]}"
    with pg.connect(ADMIN_DSN) as con:
        con.autocommit = True
        con.cursor().execute(f'create role "{stranger}" login')
    try:
        with pytest.raises(psycopg2.OperationalError, match="permission denied for database"):
            _as(dsn, stranger)
    finally:
        drop_roles(stranger)
    dbname = pg.dsn_parts(dsn)["dbname"]
    assert pg_rows(dsn, """select has_database_privilege('public', %s, 'connect'),
                                  has_database_privilege('public', %s, 'temp'),
                                  has_schema_privilege('public', 'public', 'create'),
                                  bool_or(has_function_privilege('public', p.oid, 'execute'))
                           from pg_proc p where p.proname in ('lo_from_bytea', 'lo_create', 'lo_import', 'lowrite')""",
                   [dbname, dbname]) == [(False, False, False, False)]


@pytest.mark.parametrize("login", ["province", "golmud"])
def test_escaping_read_only_writes_nothing(wh, login):
    dsn, role = wh
    who = role if login == "province" else f"{role}_{login}"
    con = _as(dsn, who)
    try:
        _one(con, "set default_transaction_read_only = off")
        _one(con, f'alter role "{who}" set default_transaction_read_only = off')   # allowed to itself
        _one(con, "begin transaction read write")
        assert _one(con, "show transaction_read_only") == [("off",)]
        _one(con, "rollback")
        attempts = ["insert into marts.fct_investment values ('x', 'x', 1)", "update marts.dim_city set province = 'x'",
                    "delete from marts.fct_investment", "truncate marts.dim_date", "create table marts.mine (i int)",
                    "create table public.mine (i int)", "create temp table mine (i int)", "create schema mine",
                    "create view bi_zh.v as select 1", "drop view bi_zh.v_investment",
                    "alter table marts.dim_city enable row level security", "select * from raw.raw_volunteer",
                    "select lo_from_bytea(0, 'five megabytes'::bytea)", "select lo_create(0)",
                    "select lo_import('/etc/hostname')", "select lo_open(1, 131072)",
                    "set temp_file_limit = -1", "set session authorization postgres",
                    "create function marts.f() returns int language sql as 'select 1'"]
        for sql in attempts:
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                _one(con, sql)
    finally:
        con.close()
    con = _as(dsn, who)        # a new session takes the stored setting: still nothing to write with
    try:
        assert _one(con, "show default_transaction_read_only") == [("off",)]
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            _one(con, "insert into marts.dim_date values ('2030-01-01')")
    finally:
        con.close()
    assert pg_rows(dsn, "select count(*) from pg_largeobject_metadata") == [(0,)]
    assert pg_rows(dsn, "select count(*) from marts.dim_date") == [(2,)]


def test_limits_are_in_force(wh):
    dsn, role = wh
    con = _as(dsn, role)
    try:
        with pytest.raises(psycopg2.errors.QueryCanceled, match="statement timeout"):
            _one(con, "select pg_sleep(5)")
        with pytest.raises(psycopg2.errors.ConfigurationLimitExceeded, match="temp_file_limit"):
            _one(con, "select count(*) from (select g from generate_series(1, 500000) g order by random()) s")
        for escape in ("set work_mem = '4GB'", "set statement_timeout = 0", "set hash_mem_multiplier = 100",
                       "set idle_in_transaction_session_timeout = 0", "set statement_timeout = '1h'"):
            _one(con, escape)     # PostgreSQL allows any role these ...
            for sql in ("select count(*) from marts.fct_investment", 'select count(*) from bi_zh.v_investment',
                        "select count(*) from marts.dim_date"):
                with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="outside the limit of BI roles"):
                    _one(con, sql)    # ... but no mart is read past the caps
            _one(con, "reset all")
            assert _one(con, "select count(*) from marts.fct_investment") == [(3,)]
        others = [_as(dsn, role) for _ in range(2)]
        with pytest.raises(psycopg2.OperationalError, match="too many connections for role"):
            _as(dsn, role)
        for other in others:
            other.close()
    finally:
        con.close()
    idle = _as(dsn, role, autocommit=False)
    _one(idle, "select 1")               # a transaction left open
    time.sleep(3)
    with pytest.raises(psycopg2.Error, match="idle-in-transaction|closed"):
        _one(idle, "select 1")
    assert idle.closed
    idle.close()


def test_city_roles_see_their_city_only_in_marts_and_views(wh):
    dsn, role = wh
    expected = {role: (3, ["寿光市", "寿光市", "格尔木市"], ["a", "b", "c"], 4),
                f"{role}_golmud": (1, ["格尔木市"], ["a", "b"], 2),
                f"{role}_shouguang": (2, ["寿光市", "寿光市"], ["b", "c"], 2)}
    for who, (investments, view_cities, volunteers, hours_rows) in expected.items():
        con = _as(dsn, who)
        try:
            assert _one(con, "select count(*) from marts.fct_investment") == [(investments,)]
            assert [c for (c,) in _one(con, 'select "城市" from bi_zh.v_investment order by 1')] == view_cities
            assert [k for (k,) in _one(con, "select volunteer_key from marts.dim_volunteer order by 1")] == volunteers
            assert _one(con, "select count(*) from marts.fct_volunteer_hours") == [(hours_rows,)]
            assert _one(con, "select count(*) from marts.dim_date") == [(2,)]
            if who == role:
                assert _one(con, "select count(*) from marts.mart_run_log") == [(1,)]
            else:     # a mart with no city column is not for city roles
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    _one(con, "select * from marts.mart_run_log")
                _one(con, "set row_security = off")
                with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="row-level security"):
                    _one(con, "select * from marts.fct_investment")
        finally:
            con.close()


def test_a_new_city_gets_its_role_at_the_next_publish_and_passwords_stay(wh, monkeypatch):
    dsn, role = wh
    with pg.connect(ADMIN_DSN) as con:   # an operator changed the password since
        con.autocommit = True
        con.cursor().execute(f"alter role \"{role}\" password 'changed-by-an-operator'")
    before = pg_rows(dsn, "select rolpassword from pg_authid where rolname = %s", [role])
    for name, value in LIMITS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CAMPAIGN_BI_ROLE", role)
    monkeypatch.setenv("CAMPAIGN_BI_PASSWORD", PASSWORD)
    _candidate(dsn, CITIES + [("射洪市", "shehong", "四川省")])
    publish_postgres(pg_dsn=dsn)
    assert pg_rows(dsn, "select rolpassword from pg_authid where rolname = %s", [role]) == before
    configs = {r: sorted(c) for r, c in pg_rows(dsn, "select rolname, rolconfig from pg_roles where rolname like %s",
                                                 [role + "%"])}
    assert len(configs) == 4 and len({tuple(c) for c in configs.values()}) == 1   # the stored 'off' is gone
    assert "default_transaction_read_only=on" in configs[role]
    con = _as(dsn, f"{role}_shehong")
    try:
        assert _one(con, "select city, amount from marts.fct_investment order by 2") == [("射洪市", 300)] * 3
    finally:
        con.close()
    con = _as(dsn, f"{role}_golmud")      # the swap kept the other cities' policies
    try:
        assert _one(con, "select count(*) from marts.fct_investment") == [(1,)]
    finally:
        con.close()


def test_a_publisher_that_is_no_superuser(caplog):
    """As in the compose stack: the publishing login owns the database and may create roles."""
    publisher, role = (f"{DB_PREFIX}{kind}{uuid.uuid4().hex[:8]}" for kind in ("p", "r"))
    admin_dsn = new_database("pub")
    dbname = pg.dsn_parts(admin_dsn)["dbname"]
    with pg.connect(ADMIN_DSN) as con:
        con.autocommit = True
        cur = con.cursor()
        cur.execute(f'create role "{publisher}" login createrole')
        cur.execute(f'alter database "{dbname}" owner to "{publisher}"')
        cur.execute(f'grant set on parameter temp_file_limit to "{publisher}"')   # docs/postgres.md
    mp = pytest.MonkeyPatch()
    for name, value in {**LIMITS, "CAMPAIGN_BI_ROLE": role, "CAMPAIGN_BI_PASSWORD": PASSWORD}.items():
        mp.setenv(name, value)
    dsn = make_dsn(admin_dsn, user=publisher)
    try:
        _candidate(dsn, CITIES)
        publish_postgres(pg_dsn=dsn)
        assert "only a superuser can revoke them" in caplog.text     # large objects: a DBA's job, said so
        configs = pg_rows(admin_dsn, "select rolname, rolconfig, rolsuper from pg_roles where rolname like %s",
                          [role + "%"])
        assert len(configs) == 3 and all("temp_file_limit=1024kB" in c and not sup for _, c, sup in configs)
        con = _as(dsn, f"{role}_golmud")
        try:
            assert _one(con, "select count(*) from marts.fct_investment") == [(1,)]
            _one(con, "set default_transaction_read_only = off")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                _one(con, "create temp table t (i int)")
        finally:
            con.close()
    finally:
        mp.undo()
        drop_database(admin_dsn)
        with pg.connect(ADMIN_DSN) as con:
            con.autocommit = True
            con.cursor().execute(f'revoke set on parameter temp_file_limit from "{publisher}"')
        drop_roles(role)
        drop_roles(publisher)
