"""The real pipeline (Airflow `dags test`) on ../shared/samples reproduces expected.json."""
from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, query, run_pipeline
from tests.marts import mart_fingerprints

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (SAMPLES / "expected.json").exists(), reason="../shared/samples not present")]


def _land(home: Path) -> None:
    for city in SAMPLES.iterdir():
        if city.is_dir():
            shutil.copytree(city, home / "landing" / city.name, dirs_exist_ok=True)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("samples")
    _land(home)
    home.joinpath("first_run.txt").write_text(run_pipeline(home).stdout)
    return home


def test_reproduces_expected_figures(home):
    exp = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))
    db = home / "warehouse" / "campaign.duckdb"

    inv = exp["格尔木市 investment 2022-05"]
    assert query(db, """select count(*), sum(planned_amount_yuan), sum(cumulative_amount_yuan) from marts.fct_investment
                        where city = '格尔木市' and period_month = date '2022-05-01'""") == [
        (inv["projects"], Decimal(inv["planned_yuan"]), Decimal(inv["cumulative_yuan"]))]
    # Safe to sum: one row per project, its latest month (a plain sum over fct_investment counts months).
    assert query(db, "select sum(planned_amount_yuan) from marts.fct_investment_latest where city = '格尔木市'") == [
        (Decimal("380000000.00"),)]
    stages = dict(query(db, "select stage, count(*) from marts.fct_investment where city = '格尔木市' group by 1"))
    assert stages == inv["stages"]

    vol = exp["射洪市 volunteer 2022-05"]
    assert query(db, """select count(*), count(distinct volunteer_key), sum(hours) from marts.fct_volunteer_hours
                        where city = '射洪市'""") == [(vol["records"], vol["volunteers"], Decimal(str(vol["hours"])))]

    iss = exp["寿光市 issue 2022-05"]
    assert query(db, "select count(*), count(rectified_date) from marts.fct_issue_closure where city = '寿光市'") == [
        (iss["issues"], iss["rectified"])]

    bj = exp["毕节市 volunteer 2022-06"]
    assert query(db, "select count(*) from marts.fct_volunteer_hours where city = '毕节市'") == [(bj["loaded"],)]
    raw = home / "warehouse" / "raw.duckdb"
    reasons = query(raw, """select q.row_number, q.reason_code, q.message from quarantine q
                            join submissions s using (submission_id) where s.city = '毕节市' order by 1""")
    assert len(reasons) == bj["quarantined"] and all(r[1] and r[2] for r in reasons)
    assert query(raw, "select rows_in from file_ledger where source_file like '毕节市/%6月%'") == [(bj["records"],)]


def test_refused_file_is_in_the_summary(home):
    rejected = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))["毕节市 rejected file"]
    out = home.joinpath("first_run.txt").read_text()
    line = next(l for l in out.splitlines() if rejected["file"] in l)
    assert "[refused" in line and "unknown_kind" in line
    assert "Published warehouse:" in out and "marts.fct_volunteer_hours" in out


def test_second_run_with_files_redropped_changes_nothing(home):
    before = mart_fingerprints(home / "warehouse" / "campaign.duckdb")
    _land(home)
    out = run_pipeline(home).stdout
    assert "0 accepted" in out and "duplicate" in out
    assert mart_fingerprints(home / "warehouse" / "campaign.duckdb") == before
