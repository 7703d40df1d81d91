"""python -m ingest load PATH... [--json] | discover | pending — the same code the DAGs call (the
run's summary: python -m flows summary).

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
from ingest.config import settle_seconds
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
    sub.add_parser("pending", help="exit 0 when a run has work (files waiting in landing/, or raw "
                                   "submissions not yet published), else say so and exit 3")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    paths = config.paths(args.home)

    if args.cmd == "discover":
        from ingest.pipeline import discover
        print("\n".join(discover(paths.landing)))
        return 0
    if args.cmd == "pending":
        return _pending(paths)
    return _load(paths, args.paths, args.json, args.run_id)


def _load(paths: config.Paths, given: list[str], as_json: bool, run_id: str) -> int:
    from ingest.lock import HomeBusy, WarehouseUnwritable, home_lock
    from ingest.pipeline import clear_snapshots
    try:
        with home_lock(paths, f"python -m ingest load (run {run_id})"):
            clear_snapshots(paths)
            return _load_locked(paths, given, as_json, run_id)
    except (HomeBusy, WarehouseUnwritable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _load_locked(paths: config.Paths, given: list[str], as_json: bool, run_id: str) -> int:
    from ingest.pipeline import discover, ingest_file, waiting
    rels = [_relative(p, paths.landing) for p in given] or discover(paths.landing)
    if not given and (unsettled := waiting(paths.landing)[1]):
        print(f"{len(unsettled)} file(s) changed in the last {settle_seconds():g} s (still being written?): "
              "left in landing for the next run", file=sys.stderr)
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
        if receipt is None:                   # taken by another run since it was listed
            print(f"{rel}: no longer in landing (processed by another run)", file=sys.stderr)
            continue
        print(json.dumps(receipt.to_json(), ensure_ascii=False, default=str) if as_json else receipt.text(),
              flush=True)
    missing = sum(1 for r in rels if r is None)
    return 2 if failed or missing else 0


def _pending(paths: config.Paths) -> int:
    from ingest.raw import state as raw_state
    from ingest.pipeline import waiting
    settled, unsettled = waiting(paths.landing)
    if settled:
        print(f"{len(settled)} file(s) waiting in landing/")
        return 0
    if unsettled:
        print(f"{len(unsettled)} file(s) in landing/ changed in the last {settle_seconds():g} s (still being "
              "written?): left for the next run")
    if raw_state.unpublished(paths):
        print("no file ready in landing/, but raw holds submissions not yet published (an earlier run "
              "stopped before publishing): building them")
        return 0
    print("nothing new: no file ready in landing/ and every submission in raw is published; no mart touched")
    return 3


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
