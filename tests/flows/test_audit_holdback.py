"""The blast radius of a submission that passes ingest but breaks a mart rule is that submission.

Three departments' volunteer files for 射洪市, May 2022, each fine on its own (ingest checks a
volunteer's day within one file). The youngest, 教育局's, gives volunteer 1 ten more hours on
2022-05-03, a day 市文明办's file already gives twenty: 30 h, which the mart audit's daily rule
(fct_volunteer_hours_daily, across submissions) refuses. Through the real warehouse steps (dbt,
GX, publish) on each target: the newest submission of the day is held back, the others'
figures are published, and the department sees it in mart_submission_status, a follow-up
receipt and the notification; a rerun does not publish it; a corrected resubmission does."""
from __future__ import annotations

import json
import os
import uuid
from decimal import Decimal

import pytest

from flows import warehouse_steps as steps
from ingest.config import paths as make_paths
from flows.ingest_steps import load_batch
from ingest.pipeline import discover
from tests.conftest import query
from tests.corpus import files as F
from tests.pg_warehouse import DB_PREFIX, drop_database, drop_roles, new_database
from warehouse import target as warehouse_target

pytestmark = pytest.mark.slow
D = Decimal
MAY = "2022年5月志愿服务.csv"
WMB, TSW, JYJ = (f"射洪市/{d}/volunteer/{MAY}" for d in ("市文明办", "团市委", "教育局"))


def _row(n: int, day: str, hours: float) -> list:
    return [f"志愿者{n}", F.person_id(n, "510998"), "13912345678", "青年队", "文明实践", "文明交通", day, hours]


def _land(landing, rel: str, rows: list, age: int) -> None:
    F.put(landing, rel, F.csv_bytes([F.VOL_HEADER, *rows]))
    os.utime(landing / rel, (1_700_000_000 + age, 1_700_000_000 + age))    # loaded oldest first


def _ingest(home) -> dict[str, str]:
    """The ingest DAG's per-file task body, file by file (on PostgreSQL: into schema raw directly)."""
    rels = discover(home / "landing")
    return {rel: load_batch({"files": [{"rel": rel, "n": n, "of": len(rels)}], "label": rel}, home, "ingest",
                            lambda results: None)[0]["status"] for n, rel in enumerate(rels, 1)}


def _warehouse(home, run_id: str) -> None:
    doc = steps.plan({}, [], home)
    steps.build(home, doc)
    steps.audit(home, doc, run_id)
    steps.publish(home, doc["target"])


@pytest.fixture(params=["duckdb", "postgres"])
def target(request, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_TARGET", request.param)
    if request.param == "duckdb":
        yield request.param
        return
    dsn, role = new_database("holdback"), f"{DB_PREFIX}hb_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("CAMPAIGN_PG_DSN", dsn)
    monkeypatch.setenv("CAMPAIGN_BI_ROLE", role)
    monkeypatch.setenv("CAMPAIGN_BI_PASSWORD", "bi-test-password")
    try:
        yield request.param
    finally:
        drop_database(dsn)
        drop_roles(role)


def test_a_submission_failing_the_mart_audit_is_held_back_and_the_rest_published(tmp_path, target, webhook,
                                                                                 monkeypatch):
    monkeypatch.setenv("CAMPAIGN_NOTIFY_WEBHOOK", webhook.url)
    home = tmp_path / "home"
    paths, landing = make_paths(home), home / "landing"
    _land(landing, WMB, [_row(1, "2022/5/3", 20), _row(2, "2022/5/4", 3)], age=1)
    _land(landing, TSW, [_row(3, "2022/5/3", 2)], age=2)
    _land(landing, JYJ, [_row(1, "2022/5/3", 10), _row(4, "2022/5/5", 4)], age=3)
    assert _ingest(home) == {WMB: "accepted", TSW: "accepted", JYJ: "accepted"}   # each file passes ingest
    raw = warehouse_target.raw_query(paths, target)          # raw.duckdb, or schema raw of PostgreSQL
    assert (paths.raw_db.exists()) == (target == "duckdb")
    subs = dict(raw("select source_file, submission_id from submissions", []))

    _warehouse(home, "wh-1")                                                       # no exception
    read = warehouse_target.query(paths, target)
    assert read("""select department_code, count(*), sum(hours) from marts.fct_volunteer_hours
                   group by department_code order by department_code""", []) == [
        ("shehong_tsw", 1, D("2.00")), ("shehong_wmb", 2, D("23.00"))]
    assert read("select count(*), sum(total_hours) from marts.dim_volunteer", []) == [(3, D("25.00"))]
    held = raw("select submission_id, run_id, source_file, expectations, reason_zh from held_submissions", [])
    assert [h[:4] for h in held] == [(subs[JYJ], "wh-1", JYJ, "fct_volunteer_hours_daily: "
                                      "expect_column_values_to_be_between(daily_hours)")]
    reason_zh = held[0][4]
    assert reason_zh.startswith("数据仓库汇总审核未通过:同一志愿者同一天的服务时长,与其他报送合计超过 24 小时")
    assert reason_zh.endswith("(共 1 处,如:当天合计(小时) 30,服务日期 2022-05-03,涉及单位 shehong_jyj,shehong_wmb)") and F.person_id(1, "510998") not in reason_zh

    status = read("""select department_code, status, held_reason_zh, current_submission_id
                     from marts.mart_submission_status where kind = 'volunteer' and city = '射洪市'
                       and period_month = date '2022-05-01' and submissions_received > 0
                     order by department_code""", [])
    # (loaded today, long after the 2022-06-05 due date: late)
    assert [s[:2] for s in status] == [("shehong_jyj", "held_back"), ("shehong_tsw", "late"), ("shehong_wmb", "late")]
    assert status[0][2] == reason_zh and status[0][3] is None

    # the audit that failed and the one that passed without the held submission: both in the store
    rounds = raw("""select run_id, count(*) filter (where not success), string_agg(distinct suite, ',')
                           filter (where not success) from quality_results where gate = 'mart' group by run_id
                           order by run_id""", [])
    assert rounds == [("wh-1", 1, "fct_volunteer_hours_daily"), ("wh-1.hold1", 0, None)]

    # the department's follow-up receipt, beside its first one
    folder = home / "receipts" / "射洪市" / "教育局" / "volunteer"
    note = [p for p in folder.glob("*-held.txt")]
    assert len(note) == 1 and len(list(folder.glob("*.txt"))) == 2
    text = note[0].read_text(encoding="utf-8")
    assert text.startswith(f"文件《{MAY}》:暂缓发布(已接收入库,但未通过数据仓库汇总审核)\n填报期间 2022年05月。")
    assert f"原因:{reason_zh}" in text and "请核实后将整个文件重新提交" in text
    doc = json.loads(note[0].with_suffix(".json").read_text(encoding="utf-8"))
    assert (doc["status"], doc["submission_id"], doc["period_month"]) == ("held_back", subs[JYJ], "2022-05")

    # the notice of the build's months names it
    result = steps.track(home, steps.plan({}, [], home))
    assert result["held_back"] == 1
    [body] = webhook.events("submissions_late_missing")
    assert body["details"]["held_back"] == 1
    assert f"2022-05 射洪市教育局 志愿服务记录 暂缓发布:{reason_zh}" in body["text"]

    # a rerun has nothing new; forced, it builds without the held submission and holds nothing more
    assert steps.plan({}, [], home)["nothing_new"]
    _warehouse(home, "wh-2")
    assert read("select count(*) from marts.fct_volunteer_hours where department_code = 'shehong_jyj'", []) == [(0,)]
    assert raw("select count(*) from held_submissions", []) == [(1,)]
    assert raw("select count(*) from quality_results where run_id like %s and not success", ["wh-2%"]) == [(0,)]

    # the department corrects its file: the resubmission supersedes the held one and is published
    _land(landing, JYJ.replace(".csv", "(更正).csv"), [_row(1, "2022/5/3", 4), _row(4, "2022/5/5", 4)], age=4)
    assert set(_ingest(home).values()) == {"accepted"}
    assert not steps.plan({}, [], home)["nothing_new"]
    _warehouse(home, "wh-3")
    assert read("""select department_code, count(*), sum(hours) from marts.fct_volunteer_hours
                   group by department_code order by department_code""", []) == [
        ("shehong_jyj", 2, D("8.00")), ("shehong_tsw", 1, D("2.00")), ("shehong_wmb", 2, D("23.00"))]
    assert read("""select status from marts.mart_submission_status where department_code = 'shehong_jyj'
                   and kind = 'volunteer' and period_month = date '2022-05-01'""", []) != [("held_back",)]
    assert raw("select count(*) from held_submissions where run_id = 'wh-3'", []) == [(0,)]


def test_a_failure_not_held_back_keeps_the_last_good_warehouse(tmp_path, monkeypatch):
    """With holding back turned off (CAMPAIGN_AUDIT_HOLD_MAX=0: as for a failure that names no
    submission, or more culprits than allowed) the audit step fails, nothing is published, the
    published file stays byte-identical and nothing is held."""
    from expectations import AuditFailed
    from warehouse.duck import PublishRefused

    monkeypatch.setenv("CAMPAIGN_TARGET", "duckdb")
    home = tmp_path / "home"
    paths, landing = make_paths(home), home / "landing"
    _land(landing, WMB, [_row(1, "2022/5/3", 20)], age=1)
    _ingest(home)
    _warehouse(home, "wh-1")
    before = paths.published_db.read_bytes()

    _land(landing, JYJ, [_row(1, "2022/5/3", 10)], age=2)
    _ingest(home)
    monkeypatch.setenv("CAMPAIGN_AUDIT_HOLD_MAX", "0")
    doc = steps.plan({}, [], home)
    steps.build(home, doc)
    with pytest.raises(AuditFailed, match="fct_volunteer_hours_daily: expect_column_values_to_be_between"):
        steps.audit(home, doc, "wh-2")
    with pytest.raises(PublishRefused):
        steps.publish(home, doc["target"])
    assert paths.published_db.read_bytes() == before
    assert query(paths.raw_db, "select count(*) from held_submissions") == [(0,)]
    assert not list((home / "receipts").rglob("*-held.*"))
    assert not steps.plan({}, [], home)["nothing_new"]          # the next run tries again
