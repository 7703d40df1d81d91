"""cProfile of ingest_file on the first file waiting in HOME/landing; prints the top functions by
cumulative and by own time (docs/performance.md).

    CAMPAIGN_DEMO=1 python -m bench.profile_ingest HOME [TOP]
"""
from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations  # noqa: F401  (a per-process import, kept out of the profile)
    from ingest.pipeline import discover, ingest_file

    home, top = Path(argv[0]), int(argv[1]) if len(argv) > 1 else 30
    rel = discover(home / "landing")[0]
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    receipt = ingest_file(rel, home, run_id="profile")
    profile.disable()
    print(f"{rel}: {receipt.status}, {receipt.rows_loaded} rows loaded, "
          f"{time.perf_counter() - started:.1f} s under the profiler")
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).strip_dirs().sort_stats(key).print_stats(top)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
