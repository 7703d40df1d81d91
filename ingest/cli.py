"""python -m ingest load PATH... [--json] | discover — the same code the DAGs call (the run's
summary: python -m flows summary).

Exit status: 0 when every file got a receipt (accepted, refused or duplicate: refusals are
outcomes); 2 on an operational failure (no hash key, a locked database, a path that is not
there, an unexpected error), after the remaining files were still processed."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from ingest import config
from ingest.errors import ConfigError


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ingest")
    ap.add_argument("--home", help="CAMPAIGN_HOME (default: $CAMPAIGN_HOME or ./data)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    ld = sub.add_parser("load", help="ingest files from landing/ and print their receipts")
    ld.add_argument("paths", nargs="*", help="files under landing/ (default: everything waiting there)")
    ld.add_argument("--json", action="store_true", help="print receipts as JSON lines")
    ld.add_argument("--run-id", default="cli")
    sub.add_parser("discover", help="list files waiting in landing/")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    paths = config.paths(args.home)

    if args.cmd == "discover":
        from ingest.pipeline import discover
        print("\n".join(discover(paths.landing)))
        return 0
    return _load(paths, args.paths, args.json, args.run_id)


def _load(paths: config.Paths, given: list[str], as_json: bool, run_id: str) -> int:
    from ingest.pipeline import discover, ingest_file
    rels = [_relative(p, paths.landing) for p in given] or discover(paths.landing)
    failed = 0
    for rel in rels:
        if rel is None:
            continue
        try:
            receipt = ingest_file(rel, paths.home, run_id=run_id)
        except ConfigError as exc:            # nothing can load without it: stop here
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except Exception as exc:              # this file failed operationally; the others still run
            logging.getLogger(__name__).exception("%s: ingest failed", rel)
            print(f"error: {rel!r}: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(json.dumps(receipt.to_json(), ensure_ascii=False, default=str) if as_json else receipt.text(),
              flush=True)
    missing = sum(1 for r in rels if r is None)
    return 2 if failed or missing else 0


def _relative(p: str, landing: Path) -> str | None:
    """A path as given (absolute, relative to the working directory, or relative to landing) ->
    relative to landing. A path outside landing is passed on as written: ingest refuses it."""
    path = Path(p)
    if path.is_absolute() or (path.exists() and not (landing / p).exists()):
        resolved = Path(os.path.abspath(path))
        try:
            return resolved.relative_to(landing).as_posix()
        except ValueError:
            return p
    if not (landing / p).exists() and not (landing / p).is_symlink() and ".." not in Path(p).parts:
        print(f"error: {p}: no such file in {landing}", file=sys.stderr)
        return None
    return p


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
