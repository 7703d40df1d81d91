"""Verdicts kept between processes: a batch validates its files together and leaves each file's
verdict here (``$CAMPAIGN_HOME/quality/submission_gate``), keyed by a digest of what decides it
(the suites' source, the kind, the parameters, the typed rows); the file's own gate then finds it.
A verdict is used once and then forgotten; those nobody picked up are pruned after two days."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import run
from .suites import PII_PATTERN_FILE
from .verdict import Outcome, Verdict

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

CACHE_MAX_AGE = timedelta(days=2)
SUITES_SOURCES = (Path(__file__).with_name("suites.py"), PII_PATTERN_FILE)  # what the suites are made of


def digest(kind: str, params: dict[str, datetime], *parts: Any) -> Any:
    """A sha256 over the suites' source, the kind, the parameters and `parts` (JSON)."""
    h = hashlib.sha256(b"".join(p.read_bytes() for p in SUITES_SOURCES))
    h.update(json.dumps([kind, sorted((k, v.isoformat()) for k, v in params.items()), *parts]).encode())
    return h


def verdict_key(kind: str, df: pd.DataFrame, params: dict[str, datetime]) -> str:
    """Digest of what decides the verdict: the suites' source, the kind, the parameters, the rows."""
    import pandas as pd

    h = digest(kind, params, [(c, str(t)) for c, t in df.dtypes.items()])
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


def cache_file(cache_dir: Path, key: str) -> Path:
    return cache_dir / f"{key}.json"


def save_verdict(cache_dir: Path, verdict: Verdict) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_file(cache_dir, verdict.key)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(verdict), ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, target)


def load_verdict(cache_dir: Path | None, key: str) -> Verdict | None:
    if cache_dir is None or not cache_file(cache_dir, key).exists():
        return None
    doc = json.loads(cache_file(cache_dir, key).read_text(encoding="utf-8"))
    return Verdict(doc["key"], doc["kind"], [Outcome(**o) for o in doc["outcomes"]], doc.get("seconds", 0.0))


def prune_cache(cache_dir: Path, now: float | None = None) -> int:
    """Drop verdicts nobody picked up (files refused or found duplicate later) and stale temp files."""
    if not cache_dir.is_dir():
        return 0
    cutoff, dropped = (now or time.time()) - CACHE_MAX_AGE.total_seconds(), 0
    for f in cache_dir.iterdir():
        if f.stat().st_mtime < cutoff or (f.name.endswith(".tmp") and f.stat().st_mtime < cutoff + 3600):
            f.unlink(missing_ok=True)
            dropped += 1
    return dropped


def verdict_for(kind: str, df: pd.DataFrame, params: dict[str, datetime],
                cache_dir: Path | None) -> Verdict:
    """The cached verdict for exactly these rows and parameters, else a fresh validation."""
    key = verdict_key(kind, df, params)
    cached = load_verdict(cache_dir, key)
    if cached is not None:
        logger.info("submission gate: verdict for %s rows found in the batch cache", len(df))
        return cached
    return run.validate(kind, df, params, key)


def forget(cache_dir: Path, key: str) -> None:
    cache_file(cache_dir, key).unlink(missing_ok=True)
