"""A smoke run of the benchmark harness (`make bench`) on tiny data: it runs end to end, every
ingest in it loads every generated row, and the JSON holds every figure and target. Not a timed
test: the figures of a tiny run mean nothing. The Airflow step and the 1 M-row dbt step are left out here
(the pipeline and warehouse tests cover those paths); the incremental step runs on two departments."""
from __future__ import annotations

import json
import subprocess
import sys

from bench.report import TARGETS
from bench.run_bench import FIGURES, TINY
from ingest.config import REPO_ROOT


def test_tiny_bench_run_writes_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "-m", "bench.run_bench", "--tiny", "--skip", "airflow,warehouse",
                           "--home", str(tmp_path / "home"), "--json", str(out)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))

    figures = result["figures"]
    assert set(FIGURES) <= set(figures)
    assert figures["csv_rows"] == TINY["csv_rows"] and figures["xlsx_rows"] == TINY["xlsx_rows"]
    assert figures["export_rows"] == TINY["export_rows"]
    for key in ("csv_ingest_s", "csv_duckdb_s", "csv_ratio", "csv_floor_s", "xlsx_ingest_s", "xlsx_calamine_s", "xlsx_ratio",
                "export_ingest_s", "export_peak_rss_mb"):
        assert figures[key] > 0, key
    assert figures["csv_ratio"] == round(figures["csv_ingest_s"] / figures["csv_duckdb_s"], 2)
    assert figures["scaleout_files"] == TINY["scaleout_files"]           # every file a result, on PostgreSQL
    assert figures["scaleout_1w_files_per_s"] > 0 and figures["scaleout_2w_files_per_s"] > 0
    for target in ("duckdb", "postgres"):   # the next month after a full build, both targets, same new file
        assert figures[f"incr_{target}_s"] > 0 and figures[f"incr_{target}_full_s"] > 0, target
        assert set(figures[f"incr_{target}_phases"]["incremental"]) == {"ingest", "build", "audit", "publish"}
    assert figures["incr_new_rows"] >= 1 and figures["incr_home_rows"] > figures["export_rows"]
    assert figures["demo_pipeline_s"] is None and figures["warehouse_full_s"] is None   # skipped steps
    assert result["skipped"] == ["airflow", "warehouse"]
    assert [t["figure"] for t in result["targets"]] == [t[0] for t in TARGETS]
    assert {"nproc", "memory_gb", "python", "date"} <= set(result["machine"])
    assert "CSV ingest / DuckDB read_csv" in proc.stdout and "peak RSS" in proc.stdout
