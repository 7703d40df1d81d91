"""Paths and secrets from the environment, read when called (never at import time)."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import ConfigError

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO_ROOT / "dbt_project" / "seeds"
# Documented, public demo key: only used when CAMPAIGN_DEMO=1 and no key is configured.
DEMO_HASH_KEY = "campaign-demo-key-NOT-A-SECRET"
# HMAC-SHA256 keys shorter than the hash output are refused outside demo mode (docs/ingest.md).
MIN_HASH_KEY_BYTES = 32


@dataclass(frozen=True)
class Paths:
    home: Path

    @property
    def landing(self) -> Path: return self.home / "landing"
    @property
    def archive(self) -> Path: return self.home / "archive"
    @property
    def receipts(self) -> Path: return self.home / "receipts"
    @property
    def warehouse_dir(self) -> Path: return self.home / "warehouse"
    @property
    def raw_db(self) -> Path: return self.warehouse_dir / "raw.duckdb"
    @property
    def published_db(self) -> Path: return self.warehouse_dir / "campaign.duckdb"
    @property
    def candidate_db(self) -> Path: return self.warehouse_dir / "candidate" / "campaign.duckdb"
    @property
    def state_db(self) -> Path:
        """The last published build whole (staging, intermediate, seeds): operators only."""
        return self.warehouse_dir / "build" / "campaign.duckdb"


def paths(home: str | Path | None = None) -> Paths:
    return Paths(Path(home or os.environ.get("CAMPAIGN_HOME", "data")).resolve())


def settle_seconds() -> float:
    """How long a landing file's size and mtime must have stood still before a run takes it
    (CAMPAIGN_SETTLE_SECONDS, default 30): a file still being uploaded is left for the next run."""
    return max(0.0, float(os.environ.get("CAMPAIGN_SETTLE_SECONDS", "30")))


_warned: list[bool] = []


def hash_key() -> bytes:
    """The personal-data HMAC key. Refuses to run without one, except in demo mode."""
    key = os.environ.get("CAMPAIGN_HASH_KEY", "")
    demo = os.environ.get("CAMPAIGN_DEMO") == "1"
    if key:
        raw = key.encode("utf-8")
        if len(raw) < MIN_HASH_KEY_BYTES and not demo:
            raise ConfigError(f"CAMPAIGN_HASH_KEY is {len(raw)} bytes long: a key of at least {MIN_HASH_KEY_BYTES} "
                              "bytes is required (generate one with `python -c \"import secrets; "
                              "print(secrets.token_hex(32))\"`, see docs/ingest.md)")
        return raw
    if demo:
        if not _warned:
            log.warning("CAMPAIGN_HASH_KEY unset: using the public demo key (demo data only)")
            _warned.append(True)   # once per process, not once per file
        return DEMO_HASH_KEY.encode("utf-8")
    raise ConfigError("CAMPAIGN_HASH_KEY is not set: refusing to hash personal data without a key "
                      "(set CAMPAIGN_DEMO=1 to use the public demo key on demo data)")
