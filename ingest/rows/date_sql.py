"""The date rule as SQL over a column's distinct texts (run by ingest.rows.column_sql): 2022-05-20,
2022/5/20, 2022.5.20, 2022年5月20日 (a time of day after it allowed), 20220520, Excel serial day
numbers (a fraction is the time of day); a day that does not exist, or outside 2000–2099 (a typo:
a clerk's '5' read as a serial is 1900-01-04), is bad_date. Then the field's own limits: not after
today, within the marts' calendar.

QUERY reads `cells(k, t, ready)` and the parameters $today, $not_future, $in_calendar, $first,
$last; it yields (k, value, error) per text."""
from __future__ import annotations

from ingest.rows.sql_text import CLEAN
from ingest.rows.values import EXCEL_EPOCH, FIRST_DAY, LAST_DAY, SERIALS

_SEP = "[\\x20]*"
_DATE_RE = (f"([0-9]{{4}}){_SEP}[-/.年]{_SEP}([0-9]{{1,2}}){_SEP}[-/.月]{_SEP}([0-9]{{1,2}}){_SEP}日?"
            "(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\\.[0-9]+)?)?)?")
_COMPACT_RE = "(20[0-9]{2})([0-9]{2})([0-9]{2})"
_SERIAL_RE = "[0-9]{5}(\\.[0-9]+)?"


def _ymd(pattern: str) -> str:
    parts = ", ".join(f"cast(regexp_extract(c, '^{pattern}$', {g}) as bigint)" for g in (1, 2, 3))
    return f"try(make_date({parts}))"


QUERY = f"""
with c as (select k, {CLEAN} as c from cells),
days as (
  select k, regexp_full_match(c, '{_SERIAL_RE}') as serial,
         case when regexp_full_match(c, '{_SERIAL_RE}') then
                   case when cast(c as double) between {SERIALS[0]} and {SERIALS[1]}
                        then date '{EXCEL_EPOCH}' + cast(floor(cast(c as double)) as integer) end
              when regexp_full_match(c, '{_DATE_RE}') then {_ymd(_DATE_RE)}
              when regexp_full_match(c, '{_COMPACT_RE}') then {_ymd(_COMPACT_RE)} end as day
  from c),
checked as (
  select k, day, case when day is null then 'bad_date'
                      when not serial and (day < date '{FIRST_DAY}' or day > date '{LAST_DAY}') then 'bad_date'
                      when $not_future and day > $today then 'date_in_future'
                      when $in_calendar and (day < $first or day > $last) then 'date_outside_calendar' end as error
  from days)
select k, case when error is null then day end as value, error from checked"""
