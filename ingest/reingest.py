"""Carry the history of one home over to a new personal-data key: every archived file is ingested
again, in the order it first arrived, into a new home whose raw database is then keyed with the
current CAMPAIGN_HASH_KEY.

A volunteer_key is HMAC-SHA256(ID number) under the key, and only the archived files hold the ID
numbers, so a new key means re-reading them. Submissions keep their ids (they are content
hashes), resubmissions supersede what they superseded before, refused files are refused again;
the old home is only read. Build the warehouse of the new home with a full refresh, check it,
then point CAMPAIGN_HOME at it (docs/ingest.md, "Changing the key").

    CAMPAIGN_HASH_KEY=<new key> python -m ingest.reingest --from /srv/campaign --to /srv/campaign-newkey
"""
from __future__ import annotations

import argparse
import logging
import re
import shutil
import sys
from pathlib import Path

from ingest import config
from ingest.errors import IngestError
from ingest.pipeline import ingest_file
from ingest.raw.receipt import Receipt

log = logging.getLogger(__name__)
# archive/<landing folders>/<received_at>-<first 8 hex of sha256>-<file name> (ingest.pipeline)
_ARCHIVED_RE = re.compile(r"^(\d{8}T\d{12})-([0-9a-f]{8}|nohash)-(.+)$")


class ReingestRefused(IngestError):
    """The new home is not empty, or the old one has no archive; nothing was written."""


def archived_files(archive: Path) -> list[tuple[Path, str]]:
    """(archived file, its landing path) for every archived file, oldest arrival first."""
    found = []
    for path in archive.rglob("*"):
        match = _ARCHIVED_RE.match(path.name)
        if match and (path.is_file() or path.is_symlink()):
            rel = path.parent.relative_to(archive) / match.group(3)
            found.append((match.group(1), rel.as_posix(), path))
    found.sort()
    return [(path, rel) for _, rel, path in found]


def reingest(old_home: Path | str, new_home: Path | str, run_id: str = "reingest") -> list[Receipt]:
    """Ingest every archived file of `old_home` again, one at a time and in arrival order, into
    the empty home `new_home`, with the key of the environment. Returns the receipts."""
    old, new = config.paths(old_home), config.paths(new_home)
    if not old.archive.is_dir():
        raise ReingestRefused(f"{old.archive} does not exist: nothing to carry over")
    if new.raw_db.exists() or (new.landing.exists() and any(new.landing.iterdir())):
        raise ReingestRefused(f"{new.home} already holds a raw database or landing files: use an empty home")
    config.hash_key()   # no key (or a short one): refuse before anything is written
    receipts = []
    for archived, rel in archived_files(old.archive):
        target = new.landing / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(archived, target)
        receipts.append(ingest_file(rel, new.home, run_id=run_id))
    log.info("re-ingested %d archived files of %s into %s", len(receipts), old.home, new.home)
    return receipts


def main(argv: list[str] | None = None) -> int:
    """python -m ingest.reingest --from OLD_HOME --to NEW_HOME"""
    ap = argparse.ArgumentParser(prog="python -m ingest.reingest", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="old", required=True, help="the home whose archive/ is carried over")
    ap.add_argument("--to", dest="new", required=True, help="a new, empty home (keyed with CAMPAIGN_HASH_KEY)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        receipts = reingest(args.old, args.new)
    except (IngestError, config.ConfigError) as exc:
        print(f"nothing re-ingested: {exc}", file=sys.stderr)
        return 2
    counts: dict[str, int] = {}
    for r in receipts:
        counts[r.status] = counts.get(r.status, 0) + 1
    print(f"re-ingested {len(receipts)} files into {config.paths(args.new).home}: "
          + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
