"""The project fingerprint that lets an incremental build leave out unit tests that already passed:
it follows every project file and the target, and nothing dbt writes itself."""
from __future__ import annotations

import shutil

from warehouse import dbt as dbt_runner


def test_the_fingerprint_follows_the_project_files_and_the_target_only(tmp_path, monkeypatch):
    project = tmp_path / "dbt_project"
    shutil.copytree(dbt_runner.DBT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    monkeypatch.setattr(dbt_runner, "DBT_DIR", project)
    before = dbt_runner.project_fingerprint("duckdb")
    assert before == dbt_runner.project_fingerprint("duckdb")
    assert before != dbt_runner.project_fingerprint("postgres")

    for written_by_dbt in ("target/run_results.json", "logs/dbt.log", ".user.yml"):
        (project / written_by_dbt).parent.mkdir(exist_ok=True)
        (project / written_by_dbt).write_text("{}", encoding="utf-8")
    assert dbt_runner.project_fingerprint("duckdb") == before

    model = project / "models" / "marts" / "dim_volunteer.sql"
    model.write_text(model.read_text(encoding="utf-8") + "\n-- changed\n", encoding="utf-8")
    assert dbt_runner.project_fingerprint("duckdb") != before
    model.unlink()
    assert dbt_runner.project_fingerprint("duckdb") != before
