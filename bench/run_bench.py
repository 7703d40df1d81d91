"""`make bench`: the performance figures, from one run, printed side by side with
their targets and written to $BENCH_HOME/bench.json.

    python -m bench.run_bench [--home DIR] [--small-files N] [--scaleout-files N] [--tiny]
                              [--skip airflow,warehouse | --only scaleout]

Scale data comes from the project's generators (bench.data); each timed ingest or raw read runs
in a process of its own (bench.child). --tiny shrinks every data set (a smoke run, figures
meaningless). Figures on a shared or busy machine are noisy: rerun before drawing conclusions.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import data
from bench.report import machine, report, verdicts
from bench.incremental import incremental, make_data as _make_incremental
from bench.scaleout import scaleout
from ingest.config import REPO_ROOT, Paths

log = logging.getLogger(__name__)
FULL = {"export_rows": 2_700_000, "csv_rows": 1_000_000, "xlsx_rows": 100_000, "small_files": 3_600,
        "scaleout_files": 240, "incremental_departments": 0}     # 0: every registry department
TINY = {"export_rows": 3_000, "csv_rows": 2_000, "xlsx_rows": 500, "small_files": 6, "scaleout_files": 12,
        "incremental_departments": 2}
STEPS = ("csv", "warehouse", "xlsx", "export", "incremental", "airflow", "scaleout")
FIGURES = ("csv_rows", "csv_ingest_s", "csv_duckdb_s", "csv_ratio", "csv_floor_s", "csv_floor_ratio",
           "xlsx_rows", "xlsx_ingest_s", "xlsx_calamine_s",
           "xlsx_ratio", "warehouse_full_s", "incremental_rows", "warehouse_incremental_s", "incremental_share",
           "export_rows", "export_mb", "export_ingest_s", "export_duckdb_utf8_s", "export_ratio", "export_peak_rss_mb",
           "gx_import_s", "demo_files",
           "demo_pipeline_s", "small_files", "small_files_receipts", "small_files_pipeline_s", "small_file_overhead_s",
           "scaleout_files", "scaleout_1w_files_per_s", "scaleout_2w_files_per_s", "scaleout_speedup",
           "incr_home_rows", "incr_new_rows", "incr_duckdb_full_s", "incr_duckdb_s", "incr_duckdb_share",
           "incr_postgres_full_s", "incr_postgres_s", "incr_postgres_share")


def _child(what: str, target: Path) -> dict[str, Any]:
    env = {**os.environ, "CAMPAIGN_DEMO": "1", "CAMPAIGN_SETTLE_SECONDS": "0", "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run([sys.executable, "-m", "bench.child", what, str(target)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"bench.child {what} {target} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.splitlines()[-1])


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def _fresh(home: Path, name: str) -> Path:
    """A fresh home for a step; its landing holds the step's prepared data, if any."""
    path = home / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    prepared = home / "prepared" / name
    if prepared.exists():
        shutil.move(str(prepared), str(path / "landing"))
    else:
        (path / "landing").mkdir()
    return path


# --------------------------------------------------------------------------- data, made up front
def _make_csv(landing: Path, rows: int) -> None:
    data.utf8_export(landing, rows, landing.parent / "scratch-csv")


def _make_xlsx(landing: Path, rows: int) -> None:
    data.xlsx_export(landing, rows, landing.parent / "scratch-xlsx")


def _make_export(landing: Path, rows: int) -> None:
    data.export(landing, rows)


def _make_demo(landing: Path, _: int) -> None:
    subprocess.run([sys.executable, "-m", "ingest.demo", "--out", str(landing)], cwd=REPO_ROOT, check=True,
                   capture_output=True)


def _make_small(landing: Path, count: int) -> None:
    data.small_files(landing, count)


def _make_few_small(landing: Path, count: int) -> None:
    data.small_files(landing, count, departments=-(-count // 36))   # a department: 12 months x 3 kinds


def prepare(home: Path, sizes: dict[str, int], skip: set[str]) -> None:
    """Every step's data, generated before any timing starts, two generators at a time (the
    machine's two cores; the timed steps then run one at a time on an otherwise idle machine).
    Each data set lands in HOME/prepared/<step>; the step moves it into its fresh home."""
    from concurrent.futures import ProcessPoolExecutor

    jobs = [("export", _make_export, sizes["export_rows"]), ("csv", _make_csv, sizes["csv_rows"]),
            ("xlsx", _make_xlsx, sizes["xlsx_rows"]), ("airflow-small", _make_small, sizes["small_files"]),
            ("airflow-demo", _make_demo, 0), ("scaleout", _make_few_small, sizes["scaleout_files"])]   # longest first
    if "incremental" not in skip:   # the export comes from the export step's home unless it is skipped
        jobs.insert(1, ("incremental", _make_incremental,
                             (sizes["export_rows"] if "export" in skip else 0, sizes["incremental_departments"])))
    jobs = [j for j in jobs if j[0].split("-")[0] not in skip]
    shutil.rmtree(home / "prepared", ignore_errors=True)
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = []
        for name, make, size in jobs:
            landing = home / "prepared" / name
            landing.mkdir(parents=True)
            futures.append(pool.submit(make, landing, size))
        for f in futures:
            f.result()


# --------------------------------------------------------------------------- steps
def csv_vs_duckdb(home: Path, rows: int) -> dict[str, Any]:
    h = _fresh(home, "csv")
    path = _only_file(h / "landing")
    mb = round(path.stat().st_size / 2**20)          # before ingest moves it to the archive
    raw = _child("duckdb", path)
    floor = _child("floor", path)
    ingest = _child("ingest", h)
    _expect_all(ingest, rows, "CSV")
    if floor["rows"] != rows:
        raise RuntimeError(f"the yardstick load keyed {floor['rows']:,} of {rows:,} rows")
    return {"csv_rows": rows, "csv_mb": mb, "csv_ingest_s": ingest["seconds"],
            "csv_duckdb_s": raw["seconds"], "csv_ratio": _ratio(ingest["seconds"], raw["seconds"]),
            "csv_floor_s": floor["seconds"], "csv_floor_ratio": _ratio(floor["seconds"], raw["seconds"]),
            "gx_import_s": ingest["gx_import_s"]}


def xlsx_vs_calamine(home: Path, rows: int) -> dict[str, Any]:
    h = _fresh(home, "xlsx")
    path = _only_file(h / "landing")
    raw = _child("calamine", path)
    ingest = _child("ingest", h)
    _expect_all(ingest, rows, "xlsx")
    return {"xlsx_rows": rows, "xlsx_ingest_s": ingest["seconds"], "xlsx_calamine_s": raw["seconds"],
            "xlsx_ratio": _ratio(ingest["seconds"], raw["seconds"])}


def export_peak_rss(home: Path, rows: int) -> dict[str, Any]:
    """The GB18030 city-year export: ingest time and peak RSS, against DuckDB reading the same
    records converted to UTF-8 (DuckDB reads no GB18030; the conversion is not timed)."""
    h = _fresh(home, "export")
    path = _only_file(h / "landing")
    mb = round(path.stat().st_size / 2**20)
    utf8 = h / "export-utf8.csv"
    data.to_utf8(path, utf8)
    raw = _child("duckdb", utf8)
    utf8.unlink()
    ingest = _child("ingest", h)
    _expect_all(ingest, rows, "export")
    return {"export_rows": rows, "export_mb": mb, "export_ingest_s": ingest["seconds"],
            "export_duckdb_utf8_s": raw["seconds"], "export_ratio": _ratio(ingest["seconds"], raw["seconds"]),
            "export_peak_rss_mb": ingest["peak_rss_mb"]}


def warehouse_full_vs_incremental(home: Path) -> dict[str, Any]:
    """On the CSV home (its export already ingested): a full build, then +1 % rows as a new monthly
    submission of another department, ingested, then the incremental build. dbt build only (models,
    tests): the GX audit and publish are the same for both and left out."""
    from warehouse.duck import dbt_build, prepare_candidate, publish

    paths = Paths(home / "csv")
    started = time.perf_counter()
    prepare_candidate(paths, full_refresh=True)
    dbt_build(paths, full_refresh=True)
    full = time.perf_counter() - started
    publish(paths)
    loaded = _loaded_rows(paths)
    extra = max(1, loaded // 100)
    data.monthly_volunteer(paths.landing, "寿光市", "团市委", dt.date(2021, 12, 1), extra, seed=7)
    _expect_all(_child("ingest", paths.home), extra, "+1 % submission")
    started = time.perf_counter()
    prepare_candidate(paths)
    dbt_build(paths)
    incremental = time.perf_counter() - started
    publish(paths)
    return {"warehouse_rows": loaded, "incremental_rows": extra, "warehouse_full_s": round(full, 2),
            "warehouse_incremental_s": round(incremental, 2), "incremental_share": _ratio(incremental, full)}


def _loaded_rows(paths: Paths) -> int:
    import duckdb

    with duckdb.connect(str(paths.raw_db), read_only=True) as con:
        return con.execute("select count(*) from raw_volunteer").fetchone()[0]


def airflow_runs(home: Path, small: int) -> dict[str, Any]:
    """scripts/run_pipeline.sh (both DAGs via `airflow dags test`) on a fresh home with the demo
    submissions; then the ingest DAG alone on a fresh home holding `small` small files (all 3,600
    by default): its wall time over the file count is the per-file overhead."""
    demo = _fresh(home, "airflow-demo")
    demo_files = _count_files(demo / "landing")
    demo_s = _pipeline(demo)
    many = _fresh(home, "airflow-small")
    if _count_files(many / "landing") != small:
        raise RuntimeError(f"small files: {_count_files(many / 'landing')} prepared, {small} asked for")
    _airflow(many, "db", "migrate")
    _airflow(many, "pools", "set", "duckdb_writer", "1", "one writer at a time on the DuckDB files")
    small_s = _airflow(many, "dags", "test", "campaign_ingest")
    loaded = len(list((many / "receipts").rglob("*.json"))) if (many / "receipts").exists() else 0
    if loaded != small:
        raise RuntimeError(f"small files: {loaded} receipts for {small} files (see {many / 'bench-airflow.log'})")
    return {"demo_files": demo_files, "demo_pipeline_s": round(demo_s, 1), "small_files": small,
            "small_files_receipts": loaded, "small_files_pipeline_s": round(small_s, 1),
            "small_file_overhead_s": round(small_s / small, 3) if small else None}


def _count_files(landing: Path) -> int:
    return sum(1 for p in landing.rglob("*") if p.is_file())


def _only_file(landing: Path) -> Path:
    [path] = [p for p in landing.rglob("*") if p.is_file()]
    return path


def _env(h: Path) -> dict[str, str]:
    env = {**os.environ, "CAMPAIGN_HOME": str(h), "CAMPAIGN_DEMO": "1", "CAMPAIGN_SETTLE_SECONDS": "0"}  # generated whole
    env.pop("CAMPAIGN_HASH_KEY", None)        # demo data: the public demo key
    env.pop("AIRFLOW_HOME", None)             # each home its own Airflow (scripts/airflow_env.sh)
    return env


def _pipeline(h: Path) -> float:
    started = time.perf_counter()
    with open(h / "bench-pipeline.log", "w") as out:
        proc = subprocess.run([str(REPO_ROOT / "scripts" / "run_pipeline.sh")], cwd=REPO_ROOT, env=_env(h),
                              stdout=out, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"pipeline failed on {h}: see {h / 'bench-pipeline.log'}")
    return seconds


def _airflow(h: Path, *args: str) -> float:
    """One Airflow CLI command with the project's Airflow settings (scripts/airflow_env.sh); seconds."""
    script = f'source "{REPO_ROOT}/scripts/airflow_env.sh" && exec "{REPO_ROOT}/.venv/bin/airflow" "$@"'
    env = {**_env(h), "PYTHONPATH": str(REPO_ROOT)}
    started = time.perf_counter()
    with open(h / "bench-airflow.log", "a") as out:
        proc = subprocess.run(["bash", "-c", script, "airflow", *args], cwd=REPO_ROOT, env=env, stdout=out,
                              stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"airflow {' '.join(args)} failed on {h}: see {h / 'bench-airflow.log'}")
    return seconds


def _expect_all(figures: dict[str, Any], rows: int, what: str) -> None:
    """A figure counts only if every row loaded: a fast ingest that refused rows proves nothing."""
    if figures["rows_loaded"] != rows:
        raise RuntimeError(f"{what}: {figures['rows_loaded']} of {rows} rows loaded ({figures})")


def run(home: Path, sizes: dict[str, int], skip: set[str], tiny: bool, target: Path) -> dict[str, Any]:
    """Every step not skipped; the JSON is rewritten after each step (a partial run keeps its figures)."""
    home.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = dict.fromkeys(FIGURES)
    steps = [("csv", lambda: csv_vs_duckdb(home, sizes["csv_rows"])),
             ("warehouse", lambda: warehouse_full_vs_incremental(home)),
             ("xlsx", lambda: xlsx_vs_calamine(home, sizes["xlsx_rows"])),
             ("export", lambda: export_peak_rss(home, sizes["export_rows"])),
             ("incremental", lambda: incremental(home, home / "prepared" / "incremental",
                                                 None if "export" in skip else home / "export")),
             ("airflow", lambda: airflow_runs(home, sizes["small_files"])),
             ("scaleout", lambda: scaleout(home, home / "prepared" / "scaleout"))]
    timings: dict[str, float] = {}
    started = time.perf_counter()
    log.info("bench: generating the data sets ...")
    prepare(home, sizes, skip)
    timings["prepare"] = round(time.perf_counter() - started, 1)
    log.info("bench: data sets ready in %.0f s", timings["prepare"])
    for name, step in steps:
        if name in skip:
            continue
        started = time.perf_counter()
        log.info("bench step %s ...", name)
        figures.update(step())
        timings[name] = round(time.perf_counter() - started, 1)
        log.info("bench step %s done in %.0f s", name, timings[name])
        _write(target, _result(figures, skip, tiny, timings))
    shutil.rmtree(home / "prepared", ignore_errors=True)
    return _result(figures, skip, tiny, timings)


def _result(figures: dict[str, Any], skip: set[str], tiny: bool, timings: dict[str, float]) -> dict[str, Any]:
    return {"machine": machine(), "tiny": tiny, "figures": figures, "targets": verdicts(figures),
            "skipped": sorted(skip), "step_seconds": timings}


def _write(target: Path, result: dict[str, Any]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run_bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, default=Path(os.environ.get("BENCH_HOME", "/tmp/campaign-bench")),
                    help="scratch folder for the data and homes (default $BENCH_HOME or /tmp/campaign-bench)")
    ap.add_argument("--tiny", action="store_true", help="tiny data sets: a smoke run of the harness")
    ap.add_argument("--small-files", type=int, help=f"small files through Airflow (default {FULL['small_files']:,}: "
                    "100 departments x 12 months x 3 kinds)")
    ap.add_argument("--scaleout-files", type=int, help="small files for the PostgreSQL scale-out, 1 vs 2 workers "
                    f"(default {FULL['scaleout_files']})")
    ap.add_argument("--skip", default="", help="comma-separated steps to skip: " + ",".join(STEPS))
    ap.add_argument("--only", default="", help="comma-separated steps to run, skipping the others")
    ap.add_argument("--json", type=Path, help="where to write the figures (default HOME/bench.json)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    sizes = dict(TINY if args.tiny else FULL)
    if args.small_files is not None:
        sizes["small_files"] = args.small_files
    if args.scaleout_files is not None:
        sizes["scaleout_files"] = args.scaleout_files
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if args.only:
        skip |= set(STEPS) - {s.strip() for s in args.only.split(",")}
    if "csv" in skip:
        skip.add("warehouse")           # the warehouse step builds on the CSV home
    home = args.home.resolve()
    target = args.json or home / "bench.json"
    result = run(home, sizes, skip, args.tiny, target)
    _write(target, result)
    print(report(result))
    print(f"figures written to {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
