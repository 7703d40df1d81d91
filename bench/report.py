"""The benchmark's result as people read it: the machine it ran on, each figure against its
target, and the side-by-side table `make bench` prints."""
from __future__ import annotations

import datetime as dt
import os
import platform
from typing import Any

# (figure, comparison, limit, label)
TARGETS = (("csv_ratio", "<=", 2.0, "CSV ingest / DuckDB read_csv"),
           ("export_ratio", "<=", 2.0, "GB18030 export ingest / DuckDB read of it as UTF-8"),
           ("xlsx_ratio", "<=", 1.3, "xlsx ingest / calamine read"),
           ("incremental_share", "<=", 0.10, "incremental build / full build"),
           ("incr_duckdb_share", "<=", 0.10, "next month / full build, DuckDB"),
           ("incr_postgres_share", "<=", 0.10, "next month / full build, PostgreSQL"),
           ("export_peak_rss_mb", "<", 1024, "peak RSS ingesting the city-year export (MB)"),
           ("demo_pipeline_s", "<", 60, "demo pipeline through Airflow (s)"))


def machine() -> dict[str, Any]:
    with open("/proc/meminfo") as f:
        mem_kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    return {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "nproc": os.cpu_count(),
            "memory_gb": round(mem_kb / 2**20, 1), "python": platform.python_version(),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def verdicts(fig: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key, op, limit, label in TARGETS:
        value = fig.get(key)
        met = None if value is None else (value <= limit if op == "<=" else value < limit)
        out.append({"figure": key, "label": label, "value": value, "target": f"{op} {limit}", "met": met})
    return out


def report(result: dict[str, Any]) -> str:
    f, m = result["figures"], result["machine"]
    def v(key: str, unit: str = "") -> str:
        return "-" if f.get(key) is None else f"{f[key]:,}{unit}"
    lines = [f"benchmark {m['date']}  nproc={m['nproc']} memory={m['memory_gb']} GB python={m['python']} "
             f"load={m['load_average']}{'  (TINY: figures meaningless)' if result['tiny'] else ''}",
             f"{'measure':<44}{'ours':>12}{'reference':>14}{'ratio':>9}",
             f"{'CSV ' + v('csv_rows') + ' rows: ingest_file vs read_csv':<44}{v('csv_ingest_s', ' s'):>12}"
             f"{v('csv_duckdb_s', ' s'):>14}{v('csv_ratio'):>9}",
             f"{'  the least a load does, in DuckDB SQL alone':<44}{v('csv_floor_s', ' s'):>12}"
             f"{v('csv_duckdb_s', ' s'):>14}{v('csv_floor_ratio'):>9}",
             f"{'xlsx ' + v('xlsx_rows') + ' rows: ingest_file vs calamine':<44}{v('xlsx_ingest_s', ' s'):>12}"
             f"{v('xlsx_calamine_s', ' s'):>14}{v('xlsx_ratio'):>9}",
             f"{'dbt build: incremental (+' + v('incremental_rows') + ' rows) vs full':<44}"
             f"{v('warehouse_incremental_s', ' s'):>12}{v('warehouse_full_s', ' s'):>14}{v('incremental_share'):>9}",
             f"{'DuckDB, ' + v('incr_home_rows') + ' rows: +' + v('incr_new_rows') + ' vs full':<44}"
             f"{v('incr_duckdb_s', ' s'):>12}{v('incr_duckdb_full_s', ' s'):>14}{v('incr_duckdb_share'):>9}",
             f"{'PostgreSQL, same home: +' + v('incr_new_rows') + ' vs full':<44}"
             f"{v('incr_postgres_s', ' s'):>12}{v('incr_postgres_full_s', ' s'):>14}{v('incr_postgres_share'):>9}",
             f"{'export ' + v('export_rows') + ' rows GB18030: ingest vs UTF-8 read':<44}"
             f"{v('export_ingest_s', ' s'):>12}{v('export_duckdb_utf8_s', ' s'):>14}{v('export_ratio'):>9}"
             f"   peak RSS {v('export_peak_rss_mb', ' MB')}",
             f"{'demo pipeline through Airflow (' + v('demo_files') + ' files)':<44}{v('demo_pipeline_s', ' s'):>12}",
             f"{v('small_files') + ' small files through the ingest DAG':<44}{v('small_files_pipeline_s', ' s'):>12}"
             f"   {v('small_file_overhead_s', ' s')}/file",
             f"{'PostgreSQL, ' + v('scaleout_files') + ' small files: files/s 1 vs 2 workers':<44}"
             f"{v('scaleout_1w_files_per_s'):>12}{v('scaleout_2w_files_per_s'):>14}{v('scaleout_speedup'):>9}",
             f"(ingest figures leave out importing Great Expectations: {v('gx_import_s', ' s')} once per process)",
             "targets:"]
    for t in result["targets"]:
        state = "skipped" if t["met"] is None else ("met" if t["met"] else "NOT MET")
        lines.append(f"  {t['label']:<46}{'-' if t['value'] is None else t['value']:>10} {t['target']:<8} {state}")
    if result["skipped"]:
        lines.append("skipped: " + ", ".join(result["skipped"]))
    return "\n".join(lines)
