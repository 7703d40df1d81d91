"""The real pipeline (Airflow `dags test`) on the project's own demo submissions: every accepted
file reconciles with the generator's manifest, and the marts hold the generated figures."""
from __future__ import annotations

from decimal import Decimal

import pytest

from ingest.demo import generate
from tests.conftest import query, run_pipeline

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo")
    manifest = generate(tmp_path_factory.mktemp("manifest"))   # same seed, same files as make run's
    out = run_pipeline(home).stdout                             # empty landing -> demo is generated
    return home, manifest, out


def test_landing_was_filled_and_emptied_into_archive(run):
    home, manifest, out = run
    assert "writing the demo submissions" in out
    assert f"Dashboard (open in a browser): {home / 'site' / 'index.html'}" in out
    assert not any(p.is_file() for p in (home / "landing").rglob("*"))
    assert len([p for p in (home / "archive").rglob("*") if p.is_file()]) == len(manifest["files"])


def test_every_file_reconciles_with_the_manifest(run):
    home, manifest, _ = run
    raw = home / "warehouse" / "raw.duckdb"
    ledger = {r[0]: r[1:] for r in query(raw, """select source_file, status, reason_code, rows_in, rows_loaded,
                                                      rows_quarantined from file_ledger""")}
    quarantined = {}
    for f, row, reason in query(raw, "select source_file, row_number, reason_code from quarantine"):
        quarantined.setdefault(f, set()).add((row, reason))
    for f in manifest["files"]:
        status, reason, rows_in, loaded, bad = ledger[f["path"]]
        assert (status, reason) == (f["status"], f["reason"]), f["path"]
        if status == "accepted":
            assert rows_in == f["rows"] == loaded + bad
            assert quarantined.get(f["path"], set()) == {(b["row"], b["reason"]) for b in f["bad_rows"]}


def test_marts_hold_the_generated_figures(run):
    home, manifest, _ = run
    db = home / "warehouse" / "campaign.duckdb"
    for key, exp in manifest["expected"].items():
        city, kind, month = key.split("|")
        args = [city, f"{month}-01"]
        if kind == "investment":
            got = query(db, """select count(*), sum(planned_amount_yuan), sum(cumulative_amount_yuan) from marts.fct_investment
                               where city = ? and period_month = cast(? as date)""", args)
            assert got == [(exp["projects"], Decimal(exp["planned_yuan"]), Decimal(exp["cumulative_yuan"]))], key
        elif kind == "volunteer":
            got = query(db, """select count(*), count(distinct volunteer_key), sum(hours) from marts.fct_volunteer_hours
                               where city = ? and period_month = cast(? as date)""", args)
            assert got == [(exp["records"], exp["volunteers"], Decimal(exp["hours"]))], key
        else:
            got = query(db, """select count(*), count(rectified_date), count(*) filter (where is_overdue)
                               from marts.fct_issue_status_history where city = ? and period_month = cast(? as date)""", args)
            assert got == [(exp["issues"], exp["rectified"], exp["overdue"])], key


def test_no_raw_personal_data_in_any_table(run):
    home, _, _ = run
    import re
    pattern = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|1[3-9]\d{9})(?![0-9A-Za-z])")  # not inside hex keys/uuids
    for db in (home / "warehouse" / "raw.duckdb", home / "warehouse" / "campaign.duckdb"):
        cols = query(db, """select table_schema, table_name, column_name from information_schema.columns
                            where data_type = 'VARCHAR' and table_schema not in ('information_schema', 'pg_catalog')""")
        for schema, table, col in cols:
            values = query(db, f'select distinct "{col}" from "{schema}"."{table}" where "{col}" is not null')
            leaks = [v for (v,) in values if pattern.search(v)]
            assert not leaks, f"{db.name} {schema}.{table}.{col}: {leaks[:3]}"
