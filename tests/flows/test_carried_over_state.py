"""A PostgreSQL home whose files went into raw.duckdb (`python -m ingest load`, or a home moved
from the DuckDB target) is carried over to schema raw at each build. What the published warehouse
was built from is then raw.duckdb's fingerprint, not schema raw's as it stood before the build
carried the new files over: right after a publish there is nothing new, and a file loaded after
it is something new."""
from __future__ import annotations

import uuid

import pytest

from flows import warehouse_steps as steps
from ingest.config import paths as make_paths
from ingest.pipeline import discover, ingest_file
from tests.corpus import files as F
from tests.pg_warehouse import DB_PREFIX, drop_database, drop_roles, new_database

pytestmark = pytest.mark.slow


def _land_and_load(home, department: str, n: int) -> None:
    rel = f"射洪市/{department}/volunteer/2022年5月志愿服务.csv"
    F.put(home / "landing", rel, F.csv_bytes([F.VOL_HEADER, [f"志愿者{n}", F.person_id(n, "510998"), "13912345678",
                                                              "青年队", "文明实践", "文明交通", "2022/5/3", 2]]))
    assert [ingest_file(r, home, run_id="cli").status for r in discover(home / "landing")] == ["accepted"]


def test_nothing_new_after_a_publish_of_a_carried_over_home(tmp_path, monkeypatch):
    dsn, role = new_database("carried"), f"{DB_PREFIX}co_{uuid.uuid4().hex[:8]}"
    for name, value in {"CAMPAIGN_TARGET": "postgres", "CAMPAIGN_PG_DSN": dsn, "CAMPAIGN_BI_ROLE": role,
                        "CAMPAIGN_BI_PASSWORD": "bi-test-password"}.items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "home"
    try:
        _land_and_load(home, "市文明办", 1)
        assert make_paths(home).raw_db.is_file()            # carried over, not written directly
        doc = steps.plan({}, [], home)
        assert not doc["nothing_new"]
        steps.build(home, doc)
        steps.audit(home, doc, "wh-1")
        steps.publish(home, doc["target"])
        assert steps.plan({}, [], home)["nothing_new"]
        _land_and_load(home, "团市委", 2)
        assert not steps.plan({}, [], home)["nothing_new"]
    finally:
        drop_database(dsn)
        drop_roles(role)
