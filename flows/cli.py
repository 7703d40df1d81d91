"""python -m flows summary [--json] — what the latest run loaded, refused and published."""
from __future__ import annotations

import argparse
import json
import logging
import sys

from flows.summary import render, summarise
from ingest import config


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m flows")
    ap.add_argument("--home", help="CAMPAIGN_HOME (default: $CAMPAIGN_HOME or ./data)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sm = sub.add_parser("summary", help="summary of the latest run")
    sm.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    s = summarise(config.paths(args.home))
    print(json.dumps(s, ensure_ascii=False, indent=1, default=str) if args.json else render(s))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
