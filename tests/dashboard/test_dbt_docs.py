"""dbt docs reuse the last build's manifest only while it is newer than every file of the project."""
from __future__ import annotations

import os
import time

from dashboard.dbt_docs import built_manifest
from ingest.config import paths as make_paths


def test_the_built_manifest_counts_only_when_newer_than_the_project(tmp_path):
    paths = make_paths(tmp_path)
    assert built_manifest(paths) is None                              # nothing built yet
    manifest = tmp_path / "dbt" / "target" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text("{}")
    os.utime(manifest, (time.time() + 60, time.time() + 60))
    assert built_manifest(paths) == manifest
    os.utime(manifest, (1_000_000_000, 1_000_000_000))                # older than the project's files
    assert built_manifest(paths) is None
