"""Differential run of two versions of the ingest engine: each file of a set ingested alone into a
fresh home by the old code and by the new, compared per file: status and reason, row counts, the
refused rows and warnings (row, field, value, reason, message) and every loaded row, all columns
(large tables by digest). What proves a rewrite of the row rules equal before the old code goes.

    python -m bench.engine_diff --old REV [--new REV] [--sets corpus,demo,samples,bench] [--bench-rows N]

REV is any git revision; --new defaults to the working tree. The old version is exported with
`git archive` into a scratch folder; both run this file's `--dump` with their own code first on
the import path. Sets: corpus (tests/corpus), demo (ingest.demo), samples (../shared/samples
when present), bench (bench.data: the city-year export in GB18030 and as UTF-8, the xlsx, and
small monthly files of every kind)."""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 1, 1)
SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".json")
SKIP = {"loaded_at", "quarantined_at", "warned_at", "received_at", "superseded_at", "archived_path"}
TABLES = ("raw_investment", "raw_volunteer", "raw_issue", "quarantine", "row_warnings", "submissions")
LISTED_ROWS = 5_000   # a table with more rows is compared by count and digest


def _dump_home(home: Path, receipt: Any) -> dict[str, Any]:
    import duckdb
    out: dict[str, Any] = {
        "status": receipt.status, "reason": receipt.reason_code,
        "counts": [receipt.rows_in, receipt.rows_loaded, receipt.rows_quarantined, receipt.rows_warned],
        "rejected": [[q.row, q.field, q.value, q.reason_code, q.message] for q in receipt.rejected],
        "warnings": [[q.row, q.field, q.value, q.reason_code, q.message] for q in receipt.warnings]}
    db = home / "warehouse" / "raw.duckdb"
    if not db.exists():
        return out
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table in TABLES:
            cols = [c for (c,) in con.execute(f"select name from pragma_table_info('{table}') order by cid").fetchall()
                    if c not in SKIP]
            rows = [[str(v) for v in r] for r in con.execute(f"select {', '.join(cols)} from {table} order by all").fetchall()]
            if len(rows) > LISTED_ROWS:
                out[table] = [cols, len(rows), hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()]
            elif rows:
                out[table] = [cols, *rows]
    finally:
        con.close()
    return out


def _files(which: str, source: Path | None) -> list[tuple[str, Any, dt.date]]:
    """(name, build(landing) -> rel, today) per file of a set."""
    if which == "corpus":
        from tests.corpus import CASES
        return [(c.name, lambda landing, c=c: (c.build(landing, c.rel), c.rel)[1], c.today) for c in CASES]
    assert source is not None
    rels = sorted(str(p.relative_to(source)) for p in source.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)

    def copy(landing: Path, rel: str) -> str:
        (landing / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source / rel, landing / rel)
        return rel
    return [(rel, lambda landing, rel=rel: copy(landing, rel), TODAY) for rel in rels]


def dump(which: str, source: Path | None, target: Path) -> None:
    """Ingest every file of a set with the code on the import path; write the outcomes as JSON."""
    from ingest.pipeline import ingest_file
    results: dict[str, Any] = {}
    for name, build, today in _files(which, source):
        home = Path(tempfile.mkdtemp(prefix="engine-diff-"))
        try:
            rel = build(home / "landing")
            results[name] = _dump_home(home, ingest_file(rel, home, today=today))
        except Exception as e:   # a crash is an outcome to compare, not the end of the run
            results[name] = {"crash": type(e).__name__}
        finally:
            shutil.rmtree(home, ignore_errors=True)
    target.write_text(json.dumps(results, ensure_ascii=False, indent=0), encoding="utf-8")


def _sources(sets: list[str], scratch: Path, bench_rows: int) -> dict[str, Path | None]:
    """Set name -> the landing folder holding its files (None: the corpus builds its own)."""
    sources: dict[str, Path | None] = {}
    samples = REPO.parent / "shared" / "samples"
    for which in sets:
        if which == "corpus":
            sources[which] = None
        elif which == "demo":
            from ingest.demo import generate
            generate(scratch / "demo", 20220301)
            sources[which] = scratch / "demo"
        elif which == "samples" and samples.is_dir():
            sources[which] = samples
        elif which == "bench":     # same landing paths: one folder each
            from bench import data
            data.export(scratch / "bench-gb18030", bench_rows)
            data.utf8_export(scratch / "bench-utf8", bench_rows, scratch / "scratch-utf8")
            data.xlsx_export(scratch / "bench-xlsx", bench_rows // 10, scratch / "scratch-xlsx")
            data.small_files(scratch / "bench-small", 60, departments=5)
            sources.update({f"bench-{k}": scratch / f"bench-{k}" for k in ("gb18030", "utf8", "xlsx", "small")})
    return sources


def _run_side(code: Path, which: str, source: Path | None, target: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(code), "GX_ANALYTICS_ENABLED": "false"}
    env.setdefault("CAMPAIGN_HASH_KEY", "engine-diff-key-0123456789abcdef01")
    args = [sys.executable, str(Path(__file__).resolve()), "--dump", which, str(target)]
    subprocess.run(args + ([str(source)] if source else []), cwd=code, env=env, check=True)


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """One line per file whose outcome differs, naming the first part that differs."""
    lines = []
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if a != b:
            parts = sorted(k for k in set(a or {}) | set(b or {}) if (a or {}).get(k) != (b or {}).get(k))
            lines.append(f"  {name}: differs in {', '.join(parts)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.engine_diff", description=__doc__.split("\n\n")[0])
    p.add_argument("--old", help="git revision of the old engine")
    p.add_argument("--new", help="git revision of the new engine (default: the working tree)")
    p.add_argument("--sets", default="corpus,demo,samples,bench")
    p.add_argument("--bench-rows", type=int, default=200_000)
    p.add_argument("--dump", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.dump:
        which, target, *source = args.dump
        dump(which, Path(source[0]) if source else None, Path(target))
        return 0
    if not args.old:
        p.error("--old REV is needed")
    with tempfile.TemporaryDirectory(prefix="engine-diff-") as tmp:
        scratch = Path(tmp)
        codes = {}
        for side, rev in (("old", args.old), ("new", args.new)):
            if rev is None:
                codes[side] = REPO
                continue
            codes[side] = scratch / side
            codes[side].mkdir()
            archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(codes[side])], input=archive, check=True)
        differing = 0
        for which, source in _sources(args.sets.split(","), scratch, args.bench_rows).items():
            outcomes = {}
            for side, code in codes.items():
                _run_side(code, which, source, scratch / f"{side}-{which}.json")
                outcomes[side] = json.loads((scratch / f"{side}-{which}.json").read_text(encoding="utf-8"))
            lines = compare(outcomes["old"], outcomes["new"])
            differing += len(lines)
            print(f"{which}: {len(outcomes['new'])} files, {len(lines)} differ", *lines, sep="\n")
    return 1 if differing else 0


if __name__ == "__main__":
    raise SystemExit(main())
