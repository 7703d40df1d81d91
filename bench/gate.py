"""What the GX gates cost, measured on the demo submissions: `python -m bench.gate`.

Prints wall-clock seconds for: importing ingest vs GX in a fresh process; one file ingested by
a fresh process (as a per-file task runs) with the gate off, validating in-process, and finding
its verdict cached by a batch prevalidation; the batch prevalidation itself; all files in one
process with the gate off and on; and the mart audit of the resulting warehouse.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _run(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def _home(base: Path, name: str, landing: Path) -> Path:
    home = base / name
    shutil.copytree(landing, home / "landing")
    return home


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.gate", description=__doc__)
    ap.add_argument("--repeat", type=int, default=3, help="fresh-process measurements per figure (median)")
    args = ap.parse_args(argv)
    env = {**os.environ, "CAMPAIGN_DEMO": "1", "GX_ANALYTICS_ENABLED": "false"}
    base = Path(tempfile.mkdtemp(prefix="gate-bench-"))
    from ingest.demo import generate

    landing = base / "landing"
    generate(landing)
    from ingest.pipeline import discover

    files = discover(landing)
    one = next(f for f in files if "/volunteer/" in f)
    rows: list[tuple[str, float]] = []

    def median(make_code, setup=None) -> float:
        times = []
        for i in range(args.repeat):
            home = setup(i) if setup else None
            times.append(_run(make_code(home), env))
        return sorted(times)[len(times) // 2]

    rows.append(("fresh process: import ingest.pipeline", median(lambda _: "import ingest.pipeline")))
    rows.append(("fresh process: import GX + ephemeral context", median(
        lambda _: "import great_expectations as gx; gx.get_context(mode='ephemeral')")))
    ingest_one = "from ingest.pipeline import ingest_file; ingest_file({rel!r}, {home!r})"
    for label, gate, prevalidated in (("gate off", "off", False), ("gate on, validated in-process", "on", False),
                                      ("gate on, verdict cached by the batch", "on", True)):
        def setup(i: int, label=label, prevalidated=prevalidated) -> Path:
            home = _home(base, f"one-{label}-{i}".replace(" ", "_").replace(",", ""), landing)
            if prevalidated:
                _run(f"from ingest.batch import prevalidate; prevalidate({str(home)!r}, [{one!r}])", env)
            return home
        env["CAMPAIGN_SUBMISSION_GATE"] = gate
        rows.append((f"fresh process, one file ({label})",
                     median(lambda home: ingest_one.format(rel=one, home=str(home)), setup)))
    env["CAMPAIGN_SUBMISSION_GATE"] = "on"
    home = _home(base, "batch-pre", landing)
    rows.append((f"batch prevalidation of {len(files)} files (one process)", _run(
        f"from ingest.batch import prevalidate; prevalidate({str(home)!r})", env)))
    load_all = ("from pathlib import Path\nfrom ingest.pipeline import discover, ingest_file\n"
                "home = Path({home!r})\nfor rel in discover(home / 'landing'):\n    ingest_file(rel, home)")
    for gate in ("off", "on"):
        env["CAMPAIGN_SUBMISSION_GATE"] = gate
        home = _home(base, f"all-{gate}", landing)
        rows.append((f"one process, all {len(files)} files, gate {gate}", _run(load_all.format(home=str(home)), env)))
    _run("from ingest.config import paths\nfrom ingest import warehouse\nimport time\n"
         f"p = paths({str(home)!r}); warehouse.prepare_candidate(p); warehouse.dbt_build(p)\n"
         "t = time.perf_counter(); warehouse.audit(p, 'bench')\n"
         "(p.home / 'audit_seconds').write_text(str(time.perf_counter() - t))", env)
    rows.append(("warehouse.audit in a fresh process (GX import included)",
                 float((home / "audit_seconds").read_text())))
    width = max(len(label) for label, _ in rows)
    print(f"GX gate costs ({len(files)} demo files, median of {args.repeat} where repeated)")
    for label, seconds in rows:
        print(f"  {label:<{width}}  {seconds:6.2f} s")
    shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
