"""The real stack: Airflow's services as separate processes (scripts/airflow_stack.sh, the
services of docker-compose.yml), the machine's PostgreSQL as metadata database, LocalExecutor.
The pipeline is triggered through the REST API with a JWT from /auth/token and polled to its
end; the marts, the ledger and a stub webhook receiver on 127.0.0.1 are checked."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest

from ingest.demo import generate
from scripts.airflow_services import airflow_services
from tests.conftest import REPO, TEST_HASH_KEY, Webhook, query
from tests.e2e.airflow_api import Api

pytestmark = pytest.mark.slow
PG_SERVER = "postgres@127.0.0.1:5432"
CITIES = ("格尔木市",)                   # the first run's landing: a city's demo files ...
NOT_A_SUBMISSION = "射洪市/市文明办/volunteer/联系人名单.csv"   # ... and a file ingest refuses
PASSWORDS = {"engineer": "engineer-test-pw", "analyst": "analyst-test-pw"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql], check=True,
                   capture_output=True)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    home = tmp_path_factory.mktemp("stack")
    demo = tmp_path_factory.mktemp("demo")
    manifest = generate(demo)
    for city in CITIES:
        shutil.copytree(demo / city, home / "landing" / city)
    (home / "landing" / NOT_A_SUBMISSION).parent.mkdir(parents=True)
    shutil.copy(demo / NOT_A_SUBMISSION, home / "landing" / NOT_A_SUBMISSION)
    db = f"campaign_af_{os.getpid()}_{int(time.time())}"
    port, receiver = _free_port(), Webhook(204)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CAMPAIGN"))}
    env.update(CAMPAIGN_HOME=str(home), CAMPAIGN_HASH_KEY=TEST_HASH_KEY, AIRFLOW_PORT=str(port),
               AIRFLOW_DB=f"postgresql+psycopg2://{PG_SERVER}/{db}", CAMPAIGN_NOTIFY_WEBHOOK=receiver.url,
               AIRFLOW_ENGINEER_PASSWORD=PASSWORDS["engineer"], AIRFLOW_ANALYST_PASSWORD=PASSWORDS["analyst"],
               CAMPAIGN_INGEST_BATCH_FILES="4", CAMPAIGN_SETTLE_SECONDS="0")         # several load_batch tasks for one city's files
    out = open(home / "stack.out", "w")
    proc = subprocess.Popen([str(REPO / "scripts" / "airflow_stack.sh")], env=env, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while "Airflow is up" not in (home / "stack.out").read_text():
            assert proc.poll() is None and time.monotonic() < deadline, (home / "stack.out").read_text()
            time.sleep(1)
        api = Api(f"http://127.0.0.1:{port}", "engineer", PASSWORDS["engineer"])
        while api.call("GET", "/api/v2/dags/campaign_warehouse")[0] != 200:  # parsed by the dag-processor
            assert time.monotonic() < deadline, "DAGs were not parsed in time"
            time.sleep(2)
        yield {"api": api, "home": home, "demo": demo, "manifest": manifest, "receiver": receiver,
               "port": port, "proc": proc}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        pids = home / "airflow" / "stack.pids"
        for line in pids.read_text().splitlines() if pids.exists() else []:
            try:
                os.killpg(int(line.split("\t")[1]), signal.SIGKILL)
            except ProcessLookupError:
                pass
        out.close()
        receiver.shutdown()
        _psql(f'drop database if exists "{db}" with (force)')


def test_the_running_services_are_the_compose_services(stack):
    started = [line.split("\t") for line in (stack["home"] / "airflow" / "stack.pids").read_text().splitlines()]
    assert {name: command for name, _, command in started} == \
        {name: "airflow " + " ".join(args) for name, args in airflow_services("LocalExecutor").items()}
    assert {name for name, _, _ in started} == {"api-server", "scheduler", "dag-processor", "triggerer"}
    for name, pid, command in started:   # alive, running that command (some retitle it: api_server)
        words = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().replace("_", "-").split()
        at = next(i for i, w in enumerate(words) if os.path.basename(w) == "airflow")
        args = command.split()[1:]
        assert words[at + 1:at + 1 + len(args)] == args, (name, words)


def test_invalid_params_fail_at_once_naming_the_value(stack):
    api, landing = stack["api"], stack["home"] / "landing"
    waiting = sorted(p for p in landing.rglob("*") if p.is_file())
    status, body = api.trigger("campaign_ingest", {"month": "2022-13"})
    assert status == 400 and "'2022-13'" in body["detail"] and "month" in body["detail"]

    status, body = api.trigger("campaign_ingest", {"city": "北京市"})
    assert status == 200, body
    run = api.wait("campaign_ingest", body["dag_run_id"], timeout=180)
    assert run["state"] == "failed"
    tasks = {t["task_id"]: t for t in api.tasks("campaign_ingest", run["dag_run_id"])}
    assert (tasks["check_params"]["state"], tasks["check_params"]["try_number"]) == ("failed", 1)
    assert {t["state"] for name, t in tasks.items() if name != "check_params"} == {"upstream_failed"}
    assert "北京市" in api.log("campaign_ingest", run["dag_run_id"], "check_params")
    assert sorted(p for p in landing.rglob("*") if p.is_file()) == waiting     # nothing touched
    failed = stack["receiver"].events("task_failed")
    assert any("北京市" in b["text"] and b["details"]["task_id"] == "check_params" for b in failed), failed

    viewer = Api(api.base, "analyst", PASSWORDS["analyst"])                    # a viewer may not trigger
    assert viewer.trigger("campaign_ingest", {})[0] == 403


def test_pipeline_triggered_through_the_rest_api(stack):
    api, home, manifest = stack["api"], stack["home"], stack["manifest"]
    status, body = api.trigger("campaign_ingest", {})
    assert status == 200, body
    ingest = api.wait("campaign_ingest", body["dag_run_id"])
    assert ingest["state"] == "success"
    warehouse = api.wait("campaign_warehouse", api.runs_after("campaign_warehouse", ingest["run_after"])["dag_run_id"])
    assert (warehouse["state"], warehouse["run_type"]) == ("success", "asset_triggered")

    db = home / "warehouse" / "campaign.duckdb"
    for key, exp in manifest["expected"].items():
        city, kind, month = key.split("|")
        if kind == "investment" and city in CITIES:
            got = query(db, """select count(*), sum(planned_amount_yuan) from marts.fct_investment
                               where city = ? and period_month = cast(? as date)""", [city, f"{month}-01"])
            assert got == [(exp["projects"], Decimal(exp["planned_yuan"]))], key
    # 格尔木市教育局 owes a volunteer record every month and the demo never sends one
    assert query(db, """select status, submissions_received from marts.mart_submission_status
                        where department_code = 'golmud_jyj' and kind = 'volunteer'
                          and period_month = date '2022-05-01'""") == [("missing", 0)]
    notices = stack["receiver"].events("submissions_late_missing")
    assert notices and any(r["department_code"] == "golmud_jyj" and r["status"] == "missing"
                           for r in notices[-1]["details"]["rows"])
    refused = stack["receiver"].events("files_refused")
    assert refused and NOT_A_SUBMISSION in refused[-1]["text"]

    loads = [t for t in api.tasks("campaign_ingest", ingest["dag_run_id"]) if t["task_id"] == "load_batch"]
    n = sum(1 for f in manifest["files"] if f["path"].split("/")[0] in CITIES) + 1
    assert n / 4 <= len(loads) < n and {t["state"] for t in loads} == {"success"}   # batches of up to 4 files
    first = min(loads, key=lambda t: t["map_index"])
    text = api.log("campaign_ingest", ingest["dag_run_id"], "load_batch", 1, first["map_index"])
    first_file = first["rendered_map_index"].split(" .. ")[0]                    # named after its first .. last file
    assert f"file 1/{n}: {first_file}" in text and "receipt " + str(home / "receipts") in text


CORRECTED = ("项目编号,项目名称,责任单位,项目类别,计划总投资(万元),本月完成投资(万元),累计完成投资(万元),项目进度,填报期间\n"
             "GEM-FIX-01,更正项目一,市发改委,基础设施,100,10,20,开工建设,{month}\n"
             "GEM-FIX-02,更正项目二,市发改委,环境卫生,50,0,0,编制方案/可研,{month}\n")


FACTS = {  # what each fact row says about its submission (derived month-on-month flags left out)
    "fct_investment": "city, department_code, project_code, period_month, stage, planned_amount_yuan, "
                      "month_amount_yuan, cumulative_amount_yuan, submission_id",
    "fct_volunteer_hours": "record_id, city, department_code, volunteer_key, service_date, hours, submission_id",
    "fct_issue_closure": "city, department_code, issue_code, status, rectified_date, as_of_month",
}
IN_SLICE = "city = '格尔木市' and period_month = date '2022-05-01'"


def _facts(db: Path) -> dict[str, set]:
    return {t: set(query(db, f"select {cols} from marts.{t}" + (f" where not ({IN_SLICE})" if t == "fct_investment" else "")))
            for t, cols in FACTS.items()}


def test_a_city_month_rerun_touches_only_its_slice(stack):
    api, home, demo = stack["api"], stack["home"], stack["demo"]
    landing, db, raw = home / "landing", home / "warehouse" / "campaign.duckdb", home / "warehouse" / "raw.duckdb"
    folder = landing / "格尔木市" / "市发改委" / "investment"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "2022年5月创建项目投资台账(更正).csv").write_text(CORRECTED.format(month="2022-05"), encoding="utf-8")
    outside = [folder / "2022年6月创建项目投资台账(更正).csv",                       # same city, other month
               landing / "寿光市/寿光市发展和改革委员会/investment/2022年5月创建项目投资台账.xlsx",  # other city
               landing / "格尔木市/团市委/volunteer/4月志愿服务时长统计.csv"]         # year-less, month 4
    outside[0].write_text(CORRECTED.format(month="2022-06"), encoding="utf-8")
    for path in outside[1:]:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(demo / path.relative_to(landing), path)
    inside_dup = landing / "格尔木市/团市委/volunteer/5月志愿服务时长统计.csv"        # year-less, month 5: a duplicate
    shutil.copy(demo / inside_dup.relative_to(landing), inside_dup)
    before, seen = _facts(db), {r[0] for r in query(raw, "select receipt_id from file_ledger")}

    status, body = api.trigger("campaign_ingest", {"city": "格尔木市", "month": "2022-05"})
    assert status == 200, body
    ingest = api.wait("campaign_ingest", body["dag_run_id"])
    assert ingest["state"] == "success"
    warehouse = api.wait("campaign_warehouse", api.runs_after("campaign_warehouse", ingest["run_after"])["dag_run_id"])
    assert warehouse["state"] == "success"

    assert all(p.exists() for p in outside)                                      # left waiting in landing
    new = sorted((f, s) for r, f, s in query(raw, "select receipt_id, source_file, status from file_ledger") if r not in seen)
    assert new == [("格尔木市/团市委/volunteer/5月志愿服务时长统计.csv", "duplicate"),
                   ("格尔木市/市发改委/investment/2022年5月创建项目投资台账(更正).csv", "accepted")]
    assert query(db, f"select project_code, planned_amount_yuan from marts.fct_investment where {IN_SLICE} "
                     "order by project_code") == [("GEM-FIX-01", Decimal("1000000.00")), ("GEM-FIX-02", Decimal("500000.00"))]
    assert _facts(db) == before                                                  # every other row as it was
    plan = api.log("campaign_warehouse", warehouse["dag_run_id"], "plan")
    assert "'months': ['2022-05']" in plan and "'cities': ['格尔木市']" in plan
