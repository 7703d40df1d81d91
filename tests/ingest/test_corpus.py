"""The awkward-file corpus (tests/corpus): one test per file asserting its exact outcome; the
whole corpus landed together and loaded through the CLI reconciles file by file; through the
warehouse (slow): the facts hold exactly the loaded rows of the current submissions, re-running
on the same landing or on renamed copies changes no mart figure, a resubmission changes exactly
the superseded figures, and no table holds a personal number."""
from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from warehouse import duck as warehouse
from ingest.config import paths as home_paths
from ingest.pipeline import ingest_file
from tests.conftest import REPO, TEST_HASH_KEY, query
from tests.corpus import CASES, TODAY, Case, files as F, vkey
from tests.marts import mart_fingerprints

SHARED = [c for c in CASES if c.shared]
# An ID or mobile number standing on its own (not a digit run inside a hash or a uuid).
PII = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|1[3-9]\d{9})(?![0-9A-Za-z])")


def test_corpus_is_big_and_varied():
    assert len(CASES) >= 30
    assert {c.status for c in CASES} == {"accepted", "refused"}
    assert len({c.reason for c in CASES if c.reason}) >= 20


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_outcome(tmp_path: Path, case: Case) -> None:
    landing = tmp_path / "landing"
    case.build(landing, case.rel)
    r = ingest_file(case.rel, tmp_path, today=case.today)
    assert (r.status, r.reason_code) == (case.status, case.reason), r.text()
    if case.rows is not None:
        assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == case.rows, r.text()
    if case.quarantined is not None:
        assert {q.row: q.reason_code for q in r.rejected} == case.quarantined, r.text()
    for word in case.words:
        assert word in r.text(), (word, r.text())
    raw = tmp_path / "warehouse" / "raw.duckdb"
    if case.check is not None:
        case.check(lambda sql, params=None: query(raw, sql, params), r)
    ledger = query(raw, "select status, reason_code, rows_in, rows_loaded, rows_quarantined from file_ledger")
    assert ledger == [(r.status, r.reason_code, r.rows_in, r.rows_loaded, r.rows_quarantined)]
    if r.status == "refused":
        assert r.rows_in == r.rows_loaded == r.rows_quarantined == 0
        assert query(raw, "select count(*) from submissions") == [(0,)]
    receipts = list((tmp_path / "receipts").rglob("*.json"))
    assert len(receipts) == 1 and json.loads(receipts[0].read_text(encoding="utf-8"))["status"] == case.status
    if ".." not in Path(case.rel).parts:
        assert not os.path.lexists(landing / case.rel), "a processed file leaves landing"
        assert r.archived_path and os.path.lexists(tmp_path / r.archived_path)
    else:
        assert r.archived_path is None and (tmp_path / "outside.csv").exists(), "never touched"


def test_receipt_csv_escapes_formula_cells(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == "csv_formula_looking_cells_inert_and_escaped")
    case.build(tmp_path / "landing", case.rel)
    ingest_file(case.rel, tmp_path, today=TODAY)
    [sheet] = list((tmp_path / "receipts").rglob("*.csv"))
    with open(sheet, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["行号", "处理", "字段", "填写的值", "原因"]
    assert rows[1][:4] == ["6", "未入库", "计划总投资(万元)", "'=1+2"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


@pytest.fixture(scope="module")
def corpus_home(tmp_path_factory) -> tuple[Path, list[dict]]:
    """Every shared case in one landing, loaded by one CLI run (as an operator would)."""
    home = tmp_path_factory.mktemp("corpus")
    for c in SHARED:
        c.build(home / "landing", c.rel)
    out = _cli(home, "load", "--json")
    return home, [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _cli(home: Path, *args: str) -> str:
    env = {**os.environ, "CAMPAIGN_HASH_KEY": TEST_HASH_KEY}
    proc = subprocess.run([sys.executable, "-m", "ingest", "--home", str(home), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_cli_gives_every_file_a_receipt(corpus_home):
    home, receipts = corpus_home
    assert len(receipts) == len(SHARED)
    assert not [p for p in (home / "landing").rglob("*") if p.is_file() or p.is_symlink()]


def test_every_file_reconciles(corpus_home):
    """rows in = loaded + quarantined per file; the raw rows and quarantined rows of each accepted
    file are exactly its counts; refused and duplicate files wrote no rows."""
    home, _ = corpus_home
    raw = home / "warehouse" / "raw.duckdb"
    ledger = query(raw, """select content_sha256, city, department_code, kind, status, rows_in, rows_loaded,
                                  rows_quarantined from file_ledger""")
    assert len(ledger) == len(SHARED)
    for sha, city, department, kind, status, rows_in, loaded, quarantined in ledger:
        assert rows_in == loaded + quarantined
        subs = [s for (s,) in query(raw, """select submission_id from submissions where content_sha256 = ?
                                            and city = ? and department_code = ? and kind = ?""",
                                    [sha, city, department, kind])]
        if status != "accepted":
            assert rows_in == 0 and not (status == "refused" and subs)
            continue
        raw_rows = sum(query(raw, f"select count(*) from {t} where submission_id in (select unnest(?))", [subs])[0][0]
                       for t in ("raw_investment", "raw_volunteer", "raw_issue"))
        kept = query(raw, "select count(*) from quarantine where submission_id in (select unnest(?))", [subs])[0][0]
        assert (raw_rows, kept) == (loaded, quarantined), sha
    totals = query(raw, """select sum(rows_loaded), sum(rows_quarantined) from submissions""")[0]
    assert totals == query(raw, "select sum(rows_loaded), sum(rows_quarantined) from file_ledger where status = 'accepted'")[0]


def test_resubmissions_record_what_superseded_what(corpus_home):
    home, _ = corpus_home
    raw = home / "warehouse" / "raw.duckdb"
    groups = query(raw, """select city, department_code, kind, period_month, count(*) filter (where superseded_by is null),
                                  count(*) from submissions group by all""")
    assert all(current == 1 for *_, current, _ in groups)
    chains = query(raw, """select s.superseded_by, n.loaded_at >= s.loaded_at, n.period_month = s.period_month
                           from submissions s join submissions n on n.submission_id = s.superseded_by""")
    assert chains and all(later and same for _, later, same in chains)


def test_no_personal_numbers_in_raw_tables(corpus_home):
    home, _ = corpus_home
    _scan(home / "warehouse" / "raw.duckdb")


# ---------------------------------------------------------------- through the warehouse (slow)
# Marts that log the runs themselves (quality checks per run) grow with every run by design.
RUN_LOGS = {"mart_data_quality"}
RESUBMITTED = "射洪市/教育局/volunteer/5月志愿服务.csv"      # corpus case period_yearless_settled_from_dates


def _land(home: Path, rename: str = "") -> None:
    for c in SHARED:
        c.build(home / "landing", str(Path(c.rel).with_stem(Path(c.rel).stem + rename)) if rename else c.rel)


def _figures(db: Path) -> dict:
    return {t: v for t, v in mart_fingerprints(db).items() if t not in RUN_LOGS}


def _build(home: Path) -> Path:
    warehouse.run(home_paths(home), run_id="corpus")
    return home / "warehouse" / "campaign.duckdb"


@pytest.fixture(scope="module")
def home(corpus_home) -> Path:
    """The corpus home (loaded by the CLI above) with its warehouse built, audited and published."""
    home, _ = corpus_home
    _build(home)
    return home


@pytest.mark.slow
def test_facts_hold_exactly_the_loaded_rows_of_current_submissions(home):
    raw, pub = home / "warehouse" / "raw.duckdb", home / "warehouse" / "campaign.duckdb"
    current = "join submissions s using (submission_id) where s.superseded_by is null"
    for table, fact, key in (("raw_investment", "fct_investment", "row_number"),
                             ("raw_volunteer", "fct_volunteer_hours", "row_number"),
                             ("raw_issue", "fct_issue_status_history", "issue_code")):
        fact_key = "source_row_number" if key == "row_number" else key
        facts = query(pub, f"select submission_id, {fact_key} from marts.{fact}")
        want = set(query(raw, f"select r.submission_id, r.{key} from {table} r {current}"))
        assert facts and len(facts) == len(set(facts)) and set(facts) == want, fact


@pytest.mark.slow
def test_rerun_and_renamed_copies_change_no_mart_figure(home):
    before = _figures(home / "warehouse" / "campaign.duckdb")
    _land(home)                   # the same files again
    _land(home, rename="-副本")    # and renamed copies of them
    out = _cli(home, "load", "--json")
    assert '"status": "accepted"' not in out
    assert _figures(_build(home)) == before


@pytest.mark.slow
def test_resubmission_changes_exactly_the_superseded_figures(home):
    pub, raw = home / "warehouse" / "campaign.duckdb", home / "warehouse" / "raw.duckdb"
    cols = "city, department_code, volunteer_key, service_date, hours, submission_id"
    before_marts = _figures(pub)
    before = set(query(pub, f"select {cols} from marts.fct_volunteer_hours"))
    old = {r for r in before if r[:2] == ("射洪市", "shehong_jyj")}
    assert {r[2:5] for r in old} == {(vkey(F.person_id(50)), dt.date(2022, 5, 13), Decimal("2.00")),
                                      (vkey(F.person_id(51)), dt.date(2022, 5, 14), Decimal("3.50"))}
    corrected = [F.VOL_HEADER, ["钱多多", F.person_id(50), "13812345678", "青年队", "文明交通劝导", "文明交通",
                                "2022/5/13", "2.5"]]
    F.put(home / "landing", RESUBMITTED.replace("5月", "5月(更正)"), F.csv_bytes(corrected, "gbk"))
    _cli(home, "load")
    pub = _build(home)
    after = set(query(pub, f"select {cols} from marts.fct_volunteer_hours"))
    assert before - after == old
    [new] = after - before
    assert new[:5] == ("射洪市", "shehong_jyj", vkey(F.person_id(50)), dt.date(2022, 5, 13), Decimal("2.50"))
    [old_id] = {r[5] for r in old}
    assert query(raw, "select superseded_by from submissions where submission_id = ?", [old_id]) == [(new[5],)]
    after_marts = _figures(pub)
    changed = {t for t in before_marts if before_marts[t] != after_marts[t]}
    assert {"fct_investment", "fct_issue_closure", "fct_issue_status_history"}.isdisjoint(changed)
    assert "fct_volunteer_hours" in changed


@pytest.mark.slow
def test_no_personal_numbers_in_any_table(home):
    _scan(home / "warehouse" / "raw.duckdb")
    _scan(home / "warehouse" / "campaign.duckdb")


def _scan(db: Path) -> None:
    """Every text column of every table: no 18-character ID and no 11-digit mobile number."""
    cols = query(db, """select table_schema, table_name, column_name from information_schema.columns
                        where data_type = 'VARCHAR' and table_schema not in ('information_schema', 'pg_catalog')""")
    assert cols
    for schema, table, col in cols:
        values = query(db, f'select distinct "{col}" from "{schema}"."{table}" where "{col}" is not null')
        leaks = [v for (v,) in values if PII.search(v)]
        assert not leaks, f"{db.name} {schema}.{table}.{col}: {leaks[:3]}"
