"""What each BI login may read in a published schema (marts, bi_zh), set on the candidate before
the swap: policies and grants belong to the tables, so they move with them when the schema is
renamed and every publish brings its own.

- Row-level security on every table: the province-wide role reads every row; a city role
  (`campaign_bi_<code>`) reads its city's rows (`city = '<城市>'`), the volunteers with a record
  in its city in dim_volunteer, and every row of the tables holding no city's data (CITY_FREE).
  A table with no city column that is not in CITY_FREE is not granted to city roles at all.
- Every policy also calls the schema's `bi_limits_hold()`, which refuses the query when the
  session has raised work_mem or hash_mem_multiplier past the caps, or turned statement_timeout
  or idle_in_transaction_session_timeout off or up (PostgreSQL lets any role SET those).
- Views run with the rights of the reader (`security_invoker`), so a view in bi_zh never
  shows a city role more than the marts beneath it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from warehouse.postgres import connect as pg
from warehouse.postgres.roles import Limits

if TYPE_CHECKING:
    from psycopg2.extensions import cursor as PgCursor

GUARD = "bi_limits_hold"
CITY_FREE = frozenset({"dim_date"})     # the calendar: no city's data in it
MAX_HASH_MEM_MULTIPLIER = 2.0           # PostgreSQL 15's default; hash tables take work_mem times this
# Rows of a city in a mart without a city of its own: {table: predicate, with %(schema)s and the city as %s}
CITY_ROWS = {"dim_volunteer": "volunteer_key in (select f.volunteer_key from %(schema)s.fct_volunteer_hours f "
                              "where f.city = %%s)"}


def create_guard(cur: PgCursor, schema: str, limits: Limits) -> str:
    """Create (or replace) <schema>.bi_limits_hold(): true, or an error naming the setting over its cap."""
    name = f'"{schema}".{GUARD}'
    cur.execute(f"""
        create or replace function {name}() returns boolean language plpgsql stable
        set search_path = pg_catalog as $guard$
        declare
            s record;
        begin
            for s in select p.name, p.setting, p.unit from pg_catalog.pg_settings p
                     where p.name in ('work_mem', 'hash_mem_multiplier', 'statement_timeout',
                                      'idle_in_transaction_session_timeout') loop
                if (s.name = 'work_mem' and s.setting::bigint > {limits.work_mem_kb})
                   or (s.name = 'hash_mem_multiplier' and s.setting::float8 > {MAX_HASH_MEM_MULTIPLIER})
                   or (s.name = 'statement_timeout' and s.setting::bigint not between 1 and {limits.statement_timeout_ms})
                   or (s.name = 'idle_in_transaction_session_timeout'
                       and s.setting::bigint not between 1 and {limits.idle_in_transaction_ms}) then
                    raise exception 'BI session setting % = % % is outside the limit of BI roles', s.name,
                          s.setting, coalesce(s.unit, '')
                        using errcode = 'insufficient_privilege',
                              hint = 'RESET it (work_mem <= {limits.work_mem_kb}kB, statement_timeout 1..'
                                     '{limits.statement_timeout_ms}ms, idle_in_transaction_session_timeout 1..'
                                     '{limits.idle_in_transaction_ms}ms, hash_mem_multiplier <= {MAX_HASH_MEM_MULTIPLIER})';
                end if;
            end loop;
            return true;
        end
        $guard$""")
    return name


def _relations(cur: PgCursor, schema: str) -> list[tuple[str, str, bool]]:
    """(name, relkind, has a city column) of every table and view of the schema."""
    cur.execute("""select c.relname, c.relkind, exists (select 1 from pg_attribute a where a.attrelid = c.oid
                                                           and a.attname = 'city' and not a.attisdropped)
                   from pg_class c where c.relnamespace = %s::regnamespace and c.relkind in ('r', 'p', 'v')
                   order by c.relname""", [schema])
    return cur.fetchall()


def secure_schema(cur: PgCursor, schema: str, province_role: str, cities: dict[str, str], limits: Limits) -> None:
    """Grants, row policies and invoker rights on one candidate schema (marts__candidate, bi_zh__candidate)."""
    from psycopg2 import sql

    roles = [province_role, *cities]
    qschema = f'"{pg.ident(schema)}"'
    guard = create_guard(cur, schema, limits)
    role_list = sql.SQL(", ").join(sql.Identifier(pg.ident(r)) for r in roles)
    cur.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(schema), role_list))
    cur.execute(sql.SQL("revoke all on function {}() from public").format(sql.SQL(guard)))
    cur.execute(sql.SQL("grant execute on function {}() to {}").format(sql.SQL(guard), role_list))
    for name, kind, has_city in _relations(cur, schema):
        rel = f'{qschema}."{pg.ident(name)}"'
        if kind == "v":
            cur.execute(f"alter view {rel} set (security_invoker = true)")
            cur.execute(sql.SQL("grant select on {} to {}").format(sql.SQL(rel), role_list))
            continue
        cur.execute(f"alter table {rel} enable row level security")
        cur.execute(f"create policy province on {rel} for select to \"{province_role}\" using ({guard}())")
        readers = [province_role]
        for role, city in cities.items():
            if name in CITY_ROWS:
                rows = cur.mogrify(CITY_ROWS[name] % {"schema": qschema}, [city]).decode()
            elif has_city:
                rows = cur.mogrify("city = %s", [city]).decode()
            elif name in CITY_FREE:
                rows = "true"
            else:
                continue
            cur.execute(f'create policy "{role}" on {rel} for select to "{role}" using ({guard}() and {rows})')
            readers.append(role)
        cur.execute(sql.SQL("grant select on {} to {}").format(
            sql.SQL(rel), sql.SQL(", ").join(sql.Identifier(r) for r in readers)))
