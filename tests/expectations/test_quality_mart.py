"""The audit appends its own results to the candidate's marts.mart_data_quality in SQL instead of
a second dbt run: what it appends must be exactly what dbt's model gives when rebuilt from the
quality store, for a passing run after a failed one (whose results the build already took)."""
from __future__ import annotations

import shutil

import pytest

from expectations import AuditFailed
from warehouse import duck as warehouse
from ingest.config import paths as make_paths
from ingest.pipeline import discover, ingest_file
from tests.conftest import query
from tests.e2e.test_wap_pipeline import demo_landing, volunteer_file

pytestmark = pytest.mark.slow

ROWS = "select * from marts.mart_data_quality order by result_id"


def test_the_appended_audit_equals_a_rebuild_of_the_model(tmp_path, monkeypatch):
    home = tmp_path / "home"
    demo_landing(home, {"毕节市"})
    volunteer_file(home, "团市委", "7月志愿服务时长统计.csv", 14)     # together: 28 h one day, a mart rule
    volunteer_file(home, "市文明办", "7月志愿服务记录.csv", 14)
    paths = make_paths(home)
    for rel in discover(paths.landing):
        ingest_file(rel, home, run_id="ingest-1")
    monkeypatch.setenv("CAMPAIGN_AUDIT_HOLD_MAX", "0")      # a failed run (not holding the newer file back)
    with pytest.raises(AuditFailed):
        warehouse.run(paths, "wh-failed")
    monkeypatch.delenv("CAMPAIGN_AUDIT_HOLD_MAX")
    volunteer_file(home, "市文明办", "7月志愿服务记录(更正).csv", 8)
    for rel in discover(paths.landing):
        ingest_file(rel, home, run_id="ingest-2")
    published = warehouse.run(paths, "wh-passed")

    appended = query(published, ROWS)
    runs = {(r[1], r[3]) for r in appended if r[3] == "mart"}
    assert runs == {("wh-failed", "mart"), ("wh-passed", "mart")}

    # dbt's own rebuild of the model on a copy of the published build, from the same store
    shutil.copy2(paths.state_db, paths.candidate_db)
    warehouse.dbt_build(paths, select=[f"+{warehouse.QUALITY_MART}"])   # with the staging it reads
    assert query(paths.candidate_db, ROWS) == appended

    # a retried audit of the same run replaces its rows instead of adding them again
    assert warehouse.add_audit_to_quality_mart(paths, "wh-passed") == sum(r[1] == "wh-passed" for r in appended)
    assert query(paths.candidate_db, ROWS) == appended
