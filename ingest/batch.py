"""The submission gate ahead of a run: the files waiting in landing staged on a scratch in-memory
database exactly as ingest stages them, validated together, each verdict cached for the file's
own gate (nothing is loaded, moved or written outside the cache)."""
from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ingest import config, gate, pipeline
from ingest.errors import IngestError
from ingest.files import safety
from ingest.raw import load
from ingest.raw.receipt import Receipt

log = logging.getLogger(__name__)
PREPASS_MAX_BYTES = 4 * 2**20   # larger files skip prevalidate: reading them twice costs more than a GX run


def prevalidate(home: str | Path | None = None, rels: list[str] | None = None, today: date | None = None) -> int:
    """Cache the gate's verdicts for the files waiting in landing (or `rels`); returns how many."""
    paths = config.paths(home)
    rels = rels if rels is not None else pipeline.discover(paths.landing)
    return gate.cache_verdicts(paths.home, collect(paths, rels, today or date.today()))


def collect(paths: config.Paths, rels: list[str], day: date) -> list[Any]:
    """Each file's staged rows, as ingest would stage them, on a scratch in-memory database
    (files ingest would refuse before the gate, or too large, are left out)."""
    import duckdb

    staged: list[Any] = []
    with duckdb.connect() as scratch:
        scratch.execute(load.SCHEMA_SQL)
        for rel in rels:
            try:
                source = safety.check_name(rel, paths.landing)  # the same guard as the real load
                if source.stat().st_size > PREPASS_MAX_BYTES:
                    continue
                sha = safety.sha256_file(source)
            except (IngestError, OSError) as exc:
                log.info("prevalidate %s: skipped (%s)", rel, exc)
                continue
            receipt = Receipt(receipt_id="prevalidate", run_id="prevalidate", source_file=safety.display_name(rel),
                              content_sha256=sha, submission_id=sha[:16], received_at=datetime.now())
            try:
                file = pipeline.stage_file(scratch, rel, source, receipt, day, paths)
            except (IngestError, OSError, ValueError) as exc:
                log.info("prevalidate %s: not validated (%s)", rel, exc)
                continue
            staged.append(gate.stage_input(file.writer, receipt, day))
            file.writer.abort()
    return staged
