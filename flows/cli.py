"""python -m flows summary [--json] — what the latest run loaded, refused and published.
python -m flows release <submission_id> — count a submission the mart audit held back again
from the next warehouse run (after checking it; a resubmission needs no release)."""
from __future__ import annotations

import argparse
import json
import logging
import sys

from flows.summary import render, summarise
from ingest import config
from ingest.lock import home_lock
from ingest.raw import holds
from warehouse import target as warehouse_target


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m flows")
    ap.add_argument("--home", help="CAMPAIGN_HOME (default: $CAMPAIGN_HOME or ./data)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sm = sub.add_parser("summary", help="summary of the latest run")
    sm.add_argument("--json", action="store_true")
    rel = sub.add_parser("release", help="release a submission held back by the mart audit")
    rel.add_argument("submission_id")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    paths = config.paths(args.home)
    if args.cmd == "release":
        with home_lock(paths, "python -m flows release"):
            with warehouse_target.raw_writes(paths, warehouse_target.current()) as run:
                released = holds.release(run, args.submission_id)
        print(f"{args.submission_id}: " + ("released; the next warehouse run counts it (and audits it again)"
                                           if released else "not held back"))
        return 0 if released else 1
    s = summarise(paths)
    print(json.dumps(s, ensure_ascii=False, indent=1, default=str) if args.json else render(s))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
