"""A city-year volunteer export at scale: by default 2.7 M service records (~280 MB) as GB18030
CSV, the shape of a 志愿服务信息系统 annual export (寿光市: 23.27 万 registered volunteers).

    python -m ingest.demo.scale --out LANDING [--rows 2700000] [--seed N]
    python -m ingest.demo.scale --home HOME [--rows N]    # also ingest it; print wall time and peak RSS

Written streaming, in constant memory; same seed, same bytes. Every record is valid (each
volunteer serves on distinct days, 1-6 hours), so the whole file must load.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .ids import check_digit, make_name, make_phone
from .plan import CITIES
from .volunteer import ACTIVITIES, HEADER

DEFAULT_ROWS = 2_700_000
VOLUNTEERS = 232_700                # 寿光市: 23.27 万 registered volunteers, ~11.6 records each
CITY, FOLDER, YEAR = "寿光市", "市文明办", 2021
TEAMS = ("寿光市志愿服务联合会", "圣城街道志愿服务站", "文家街道新时代文明实践所", "团市委青年志愿者协会",
         "市教育局“红烛”宣讲团", "古城街道志愿服务站", "洛城街道新时代文明实践所")
BATCH = 50_000


def scale(landing: Path, rows: int = DEFAULT_ROWS, seed: int = 20211231) -> dict[str, Any]:
    """Write LANDING/寿光市/市文明办/volunteer/2021年度志愿服务记录.csv; return what it holds."""
    path = landing / CITY / FOLDER / "volunteer" / f"{YEAR}年度志愿服务记录.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    area = CITIES[CITY].area
    volunteers = min(VOLUNTEERS, rows)
    each, extra = divmod(rows, volunteers)
    hours_total = 0
    with open(path, "w", encoding="gb18030", newline="") as f:
        f.write(",".join(["记录编号", *HEADER]) + "\r\n")
        written, batch = 0, []
        for v in range(volunteers):
            birth = dt.date(1960, 1, 1) + dt.timedelta(days=v % 16_060)      # (birth, sequence) unique per v
            body = f"{area}{birth:%Y%m%d}{v // 16_060:03d}"
            id_number = body + check_digit(body)
            name, phone, team = make_name(rng), make_phone(rng), rng.choice(TEAMS)
            first = rng.randrange(365)
            for k in range(each + (v < extra)):
                day = dt.date(YEAR, 1, 1) + dt.timedelta(days=(first + 29 * k) % 365)   # distinct days
                activity, category = rng.choice(ACTIVITIES)
                hours = rng.randint(1, 6)
                hours_total += hours
                batch.append(f"SG{YEAR}-{written + 1:08d},{name},{id_number},{phone},{team},{activity},{category},"
                             f"{day.year}/{day.month}/{day.day},{hours}\r\n")
                written += 1
            if len(batch) >= BATCH:
                f.write("".join(batch))
                batch.clear()
        f.write("".join(batch))
    return {"path": path.relative_to(landing).as_posix(), "rows": written, "volunteers": volunteers,
            "hours": hours_total, "bytes": path.stat().st_size}


def measure(home: Path, rows: int = DEFAULT_ROWS) -> dict[str, Any]:
    """Generate the export into HOME/landing and ingest it with the CLI in a child process: the
    figures (rows, MB, seconds, peak resident memory of the ingest process) as a dict."""
    info = scale(home / "landing", rows)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "ingest", "--home", str(home), "load", "--json"],
                          capture_output=True, text=True, env={**os.environ, "CAMPAIGN_DEMO": "1"})
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"ingest failed: {proc.stderr[-2000:]}")
    receipt = json.loads(proc.stdout.splitlines()[-1])
    return {"rows": info["rows"], "megabytes": round(info["bytes"] / 2**20), "status": receipt["status"],
            "rows_loaded": receipt["rows_loaded"], "seconds": round(seconds, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ingest.demo.scale", description=__doc__.split("\n\n")[0])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", type=Path, help="landing folder to write into")
    where.add_argument("--home", type=Path, help="CAMPAIGN_HOME to generate into and ingest (prints figures)")
    ap.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    ap.add_argument("--seed", type=int, default=20211231)
    args = ap.parse_args(argv)
    if args.home:
        print(json.dumps(measure(args.home, args.rows), ensure_ascii=False))
        return 0
    info = scale(args.out, args.rows, args.seed)
    print(f"wrote {info['rows']:,} records of {info['volunteers']:,} volunteers, {info['bytes'] / 2**20:,.0f} MB: "
          f"{info['path']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
