"""A yardstick for the CSV ingest: what DuckDB alone takes to load the bench's volunteer file with
the least any correct load must do, in one process of its own (bench.child floor CSV).

read_csv (every column as text) into a temporary table; the keyed hash with the GB 11643 check
over the distinct ID numbers (the ingest's own SQL rule, ingest.rows.personal_sql); the name and
phone masks; the date and hours cast; the rows written to a table of a database file and
checkpointed. No quarantine, no messages, no receipt, no history, no gate: nothing Python does.
The ratio of this to read_csv is the least a set-based ingest can reach on this machine."""
from __future__ import annotations

import time
from pathlib import Path

from ingest.rows.personal_sql import QUERIES, hmac_pads

KEY = b"bench floor key: 32 bytes or more"
# the columns of bench.data's volunteer export
_LOAD = """
create table volunteer as
with cells as (select row_number() over () as k, t, false as ready
               from (select distinct "身份证号" as t from raw)),
ruled as ({id_rule}),
keys as (select t, value as volunteer_key from cells join ruled using (k))
select "记录编号" as record_id, volunteer_key,
       left("志愿者姓名", 1) || repeat('*', greatest(length("志愿者姓名") - 1, 1)) as masked_name,
       substr("联系电话", 1, 3) || '****' || right("联系电话", 4) as masked_phone,
       "所属队伍" as team, "活动名称" as activity, "服务类别" as category,
       cast(try_strptime("服务日期", '%Y/%m/%d') as date) as service_date,
       try_cast("服务时长(小时)" as decimal(6, 2)) as hours
from raw join keys on keys.t = raw."身份证号"
"""


def load(csv: Path, database: Path) -> dict[str, float | int]:
    """Seconds and rows of the yardstick load of `csv` into `database` (a new file, the caller's)."""
    import duckdb

    ipad, opad = hmac_pads(KEY)
    con = duckdb.connect(str(database))
    con.execute("set enable_progress_bar = false")
    started = time.perf_counter()
    con.execute("create temp table raw as select * from read_csv(?, all_varchar = true)", [str(csv)])
    con.execute(_LOAD.format(id_rule=QUERIES["id_number"]), {"ipad": ipad, "opad": opad})
    con.execute("checkpoint")
    seconds = time.perf_counter() - started
    rows = con.execute("select count(*) from volunteer where volunteer_key is not null").fetchone()[0]
    con.close()
    return {"seconds": round(seconds, 3), "rows": rows}
