"""One measurement in a fresh process, its figures as one JSON line on stdout:

    python -m bench.child ingest HOME        # every file in HOME/landing through ingest_file
    python -m bench.child duckdb CSV         # DuckDB read_csv of the file into a table
    python -m bench.child calamine XLSX      # calamine read of the first sheet into Python rows
    python -m bench.child floor CSV          # the least a load of the volunteer CSV does, in DuckDB SQL (bench.floor)

A process of its own per measurement, so its peak resident memory (ru_maxrss) is its own.
The ingest figure leaves out importing Great Expectations (a per-process constant of a few
seconds, done once per batch in the DAG) and reports it separately.
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def ingest(home: Path) -> dict:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    started = time.perf_counter()
    import great_expectations  # noqa: F401  (the submission gate's import, timed apart)
    gx_import = time.perf_counter() - started
    from ingest.pipeline import discover, ingest_file

    files = discover(home / "landing")
    started = time.perf_counter()
    receipts = [ingest_file(rel, home, run_id="bench") for rel in files]
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 3), "gx_import_s": round(gx_import, 2), "files": len(files),
            "accepted": sum(r.status == "accepted" for r in receipts),
            "rows_loaded": sum(r.rows_loaded or 0 for r in receipts),
            "rows_quarantined": sum(r.rows_quarantined or 0 for r in receipts),
            "peak_rss_mb": _peak_mb()}


def duckdb_read(path: Path) -> dict:
    import duckdb

    con = duckdb.connect()
    started = time.perf_counter()
    rows = con.execute("create table t as select * from read_csv(?)", [str(path)]).fetchone()[0]
    return {"seconds": round(time.perf_counter() - started, 3), "rows": rows, "peak_rss_mb": _peak_mb()}


def calamine_read(path: Path) -> dict:
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    return {"seconds": round(time.perf_counter() - started, 3), "rows": len(rows) - 1, "peak_rss_mb": _peak_mb()}


def floor_load(path: Path) -> dict:
    import tempfile

    from bench.floor import load

    with tempfile.TemporaryDirectory(prefix="bench-floor-") as folder:
        figures = load(path, Path(folder) / "floor.duckdb")
    return {**figures, "peak_rss_mb": _peak_mb()}


def main(argv: list[str]) -> int:
    what, target = argv[0], Path(argv[1])
    run = {"ingest": ingest, "duckdb": duckdb_read, "calamine": calamine_read, "floor": floor_load}[what]
    print(json.dumps(run(target)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
