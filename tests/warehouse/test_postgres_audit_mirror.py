"""The PostgreSQL audit of an incremental build moves only what changed into its DuckDB mirror of
the candidate marts (warehouse.postgres.mirror) and still catches a bad new row: here a new
file's row that takes a volunteer-day of the published marts past 24 h. Real PostgreSQL, the demo
warehouse's copy (its raw tables are carried over from raw.duckdb, which the audit reads itself)."""
from __future__ import annotations

from pathlib import Path

import pytest

from expectations import raise_on_failure
from warehouse.postgres.publish import PublishFailed, audit_postgres, build_postgres, publish_postgres
from tests.pg_warehouse import duck_rows, ingest_all, marts, write_volunteer_csv
from tests.warehouse.test_postgres_wap import wh  # noqa: F401  (a private copy of the demo warehouse)

pytestmark = pytest.mark.slow


def _synced(db: Path) -> dict[str, tuple[int, int]]:
    """What the audit's last sync of a mirror copied, of the rows the table holds."""
    return {t: (copied, total) for t, copied, total in duck_rows(db, "select * from mirror_meta.synced")}


def _build_and_audit(paths, dsn: str, run_id: str):
    build_postgres(paths, dsn)
    return audit_postgres(paths, run_id, dsn)


def test_an_incremental_audit_mirrors_only_the_new_rows_and_catches_a_bad_one(wh):  # noqa: F811
    from expectations import AuditFailed

    paths, dsn, _ = wh
    mirror_dir = paths.warehouse_dir / "pg_audit"
    # the same volunteer (seed) on the same day: 13 h in one department's file, then 13 h in another's
    write_volunteer_csv(paths.landing, "格尔木市", "市文明办", 8, rows=1, seed=43, extra_hours="13",
                        team="市文明办志愿服务队")
    assert [r.status for r in ingest_all(paths.home)] == ["accepted"]
    report = raise_on_failure(_build_and_audit(paths, dsn, "first"))
    assert report.scoped_since is not None                    # judged against the demo build's audit
    fact = _synced(mirror_dir / "candidate_marts.duckdb")
    rows = fact["fct_volunteer_hours"][1]
    assert rows > 100 and fact["fct_volunteer_hours"] == (1, rows)      # the one new row, of all
    publish_postgres(paths, dsn)
    published = marts(dsn)

    write_volunteer_csv(paths.landing, "格尔木市", "团市委", 8, rows=1, seed=43, extra_hours="13",
                        team="团市委志愿服务队")
    assert [r.status for r in ingest_all(paths.home)] == ["accepted"]
    report = _build_and_audit(paths, dsn, "second")
    assert report.scoped_since is not None
    with pytest.raises(AuditFailed, match="fct_volunteer_hours_daily"):
        raise_on_failure(report)
    failed = [r for r in report.failures if r.suite == "fct_volunteer_hours_daily"]
    assert failed and failed[0].unexpected_count == 1
    assert _synced(mirror_dir / "candidate_marts.duckdb")["fct_volunteer_hours"] == (1, rows + 1)
    with pytest.raises(PublishFailed, match="no audit of it has passed"):
        publish_postgres(paths, dsn)
    assert marts(dsn) == published
