"""python -m ingest load PATH... [--json] | discover | summary — the same code the DAGs call."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from ingest import config
from ingest.errors import ConfigError, TransientError


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ingest")
    ap.add_argument("--home", help="CAMPAIGN_HOME (default: $CAMPAIGN_HOME or ./data)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    ld = sub.add_parser("load", help="ingest files from landing/ and print their receipts")
    ld.add_argument("paths", nargs="*", help="files under landing/ (default: everything waiting there)")
    ld.add_argument("--json", action="store_true", help="print receipts as JSON lines")
    ld.add_argument("--run-id", default="cli")
    sub.add_parser("discover", help="list files waiting in landing/")
    sm = sub.add_parser("summary", help="summary of the latest run")
    sm.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    paths = config.paths(args.home)

    if args.cmd == "discover":
        from ingest.pipeline import discover
        print("\n".join(discover(paths.landing)))
        return 0
    if args.cmd == "summary":
        from ingest.summary import render, summarise
        s = summarise(paths)
        print(json.dumps(s, ensure_ascii=False, indent=1, default=str) if args.json else render(s))
        return 0

    from ingest.pipeline import discover, ingest_file
    rels = [_relative(p, paths.landing) for p in args.paths] or discover(paths.landing)
    try:
        for rel in rels:
            receipt = ingest_file(rel, paths.home, run_id=args.run_id)
            print(json.dumps(receipt.to_json(), ensure_ascii=False, default=str) if args.json else receipt.text())
    except (ConfigError, TransientError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _relative(p: str, landing: Path) -> str:
    path = Path(p)
    return path.resolve().relative_to(landing).as_posix() if path.is_absolute() or path.exists() else p


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
