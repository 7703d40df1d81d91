"""Warn-level rules that compare a staged file with what is already loaded (earlier months of the
same project or issue, other departments' current submissions). Rows still load; the receipt
and the row_warnings table say what to check."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from ingest.raw.load import FileLoad
from ingest.registry import Registry
from ingest.rows.messages import Rejected, warn, yuan
from ingest.rows.validate import RowParser

# Latest earlier value per key among current (not superseded) submissions of the city.
_PREVIOUS = """
    with prev as (
        select r."{key}" as k, r."{field}" as v, r.period_month as p,
               row_number() over (partition by r."{key}"
                                  order by r.period_month desc, s.loaded_at desc, r.row_number desc) as rn
        from {table} r join submissions s on s.submission_id = r.submission_id
        where s.superseded_by is null and r.city = ? and r.period_month < ?
          and r."{key}" in (select "{key}" from {{stage}})   -- only the keys this file holds
    )
    select i.row_number, i."{field}", p.v, p.p from {{stage}} i join prev p on p.k = i."{key}" and p.rn = 1
"""


class Context:
    def __init__(self, load: FileLoad, parser: RowParser, registry: Registry, city: str, department_code: str,
                 period_month: dt.date | None) -> None:
        self.load, self.parser, self.registry = load, parser, registry
        self.city, self.department_code, self.period_month = city, department_code, period_month


def _never_falls(c: Context, rule: dict) -> list[Rejected]:
    sql = _PREVIOUS.format(key=rule["key"], field=rule["field"], table=c.load.table) + \
        f' where i."{rule["field"]}" < p.v order by 1'
    return [warn(n, "cumulative_decreased", c.parser.header(rule["field"]), yuan(now), f"{month:%Y-%m} 报送的 {yuan(before)}")
            for n, now, before, month in c.load.query(sql, [c.city, c.period_month])]


def _not_backwards(code: str) -> Callable[[Context, dict], list[Rejected]]:
    def check(c: Context, rule: dict) -> list[Rejected]:
        order = list(c.load.contract.fields[rule["field"]].values)
        unless = rule.get("unless") or {}
        extra = "".join(f' and coalesce(i."{f}", \'\') <> \'{v}\'' for f, v in unless.items())
        sql = _PREVIOUS.format(key=rule["key"], field=rule["field"], table=c.load.table) + \
            f' where list_position(?, i."{rule["field"]}") < list_position(?, p.v){extra} order by 1'
        return [warn(n, code, c.parser.header(rule["field"]), now, f"{before}({month:%Y-%m})")
                for n, now, before, month in c.load.query(sql, [c.city, c.period_month, order, order])]
    return check


def _reported_by_other_department(c: Context, rule: dict) -> list[Rejected]:
    """One warning per row, naming every other department that reported the key this month."""
    key = rule["key"]
    sql = f"""select i.row_number, i."{key}", list_sort(list(distinct s.department_code)) from {{stage}} i
              join {c.load.table} r on r."{key}" = i."{key}" and r.city = ? and r.period_month = ?
              join submissions s on s.submission_id = r.submission_id
              where s.superseded_by is null and s.department_code <> ? group by all order by 1"""
    def name(dept: str) -> str:
        return c.registry.departments[dept].name if dept in c.registry.departments else dept
    return [warn(n, "reported_by_other_department", c.parser.header(key), value, "、".join(map(name, depts)))
            for n, value, depts in c.load.query(sql, [c.city, c.period_month, c.department_code])]


def _within_period(c: Context, rule: dict) -> list[Rejected]:
    f = rule["field"]
    sql = f"""select row_number, "{f}" from {{stage}}
              where cast(date_trunc('month', "{f}") as date) <> ? order by 1"""
    return [warn(n, "outside_period", c.parser.header(f), day.isoformat(), f"{c.period_month:%Y-%m}")
            for n, day in c.load.query(sql, [c.period_month])]


RULES: dict[str, Callable[[Context, dict], list[Rejected]]] = {
    "never_falls": _never_falls,
    "stage_not_backwards": _not_backwards("stage_regressed"),
    "status_not_backwards": _not_backwards("status_regressed"),
    "reported_by_other_department": _reported_by_other_department,
    "within_period": _within_period,
}


def warnings(c: Context) -> list[Rejected]:
    """Every history rule of the kind, for a monthly file (an annual split has no one month)."""
    if c.period_month is None:
        return []
    return [w for rule in c.load.contract.warnings if rule["rule"] in RULES for w in RULES[rule["rule"]](c, rule)]
