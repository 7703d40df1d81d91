"""The production stack for real: `docker compose` builds the image and starts PostgreSQL, Redis,
the Airflow services and two Celery workers from a .env of scripts/make_env.sh on free host ports.
Submissions copied into the landing volume are ingested when `engineer` triggers campaign_ingest
over the REST API; campaign_warehouse follows on its Assets; the PostgreSQL marts, read from the
host as the BI role, hold the figures of ../shared/samples/expected.json (of the generator's
manifest when the samples are absent). `down -v` leaves nothing of the project behind.

Skips, with the reason, only where no Docker engine answers (.ci/run starts one where it can)."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import time
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from tests.e2e.airflow_api import Api
from tests.e2e.compose_stack import Stack, engine_missing

pytestmark = pytest.mark.slow
AIRFLOW_SERVICES = {"api-server", "scheduler", "dag-processor", "triggerer", "worker"}
SITE = "/srv/campaign/site"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    reason = engine_missing()
    if reason:
        pytest.skip(f"compose stack not run: {reason}")
    stack = Stack(tmp_path_factory.mktemp("compose"), f"campaign_e2e_{os.getpid()}")
    try:
        stack.compose("build", timeout=1800)        # cached layers: seconds unless requirements changed
        stack.compose("up", "-d", "--wait", "--wait-timeout", "600", timeout=900)
        api = Api(f"http://127.0.0.1:{stack.ports['AIRFLOW_PORT']}", "engineer",
                  stack.settings["AIRFLOW_ENGINEER_PASSWORD"])
        deadline = time.monotonic() + 300
        while api.call("GET", "/api/v2/dags/campaign_warehouse")[0] != 200:   # parsed by the dag-processor
            assert time.monotonic() < deadline, "DAGs not parsed in time\n" + stack.logs()
            time.sleep(2)
        stack.api = api
        yield stack
    except Exception:
        print(stack.logs(200))
        raise
    finally:
        stack.compose("down", "-v", "--remove-orphans", "--timeout", "20", check=False)


@pytest.fixture(scope="module")
def submissions(tmp_path_factory) -> tuple[Path, dict | None]:
    """The samples and their expected.json, or the demo landing tree and its manifest."""
    if (SAMPLES / "expected.json").exists():
        return SAMPLES, None
    from ingest.demo import generate

    demo = tmp_path_factory.mktemp("demo")
    return demo, generate(demo)


@pytest.fixture(scope="module")
def pipeline(stack, submissions):
    """campaign_ingest triggered by `engineer` on the landed files, then the Asset-scheduled warehouse run."""
    api = stack.api
    stack.land(submissions[0])
    started = time.time()
    status, body = api.trigger("campaign_ingest", {})
    assert status == 200, body
    ingest = api.wait("campaign_ingest", body["dag_run_id"], timeout=900)
    assert ingest["state"] == "success", _failed_tasks(api, "campaign_ingest", ingest)
    run = api.runs_after("campaign_warehouse", ingest["run_after"], timeout=300)
    warehouse = api.wait("campaign_warehouse", run["dag_run_id"], timeout=900)
    assert warehouse["state"] == "success", _failed_tasks(api, "campaign_warehouse", warehouse)
    return {"ingest": ingest, "warehouse": warehouse, "started": started}


def _failed_tasks(api: Api, dag_id: str, run: dict) -> str:
    """The end of the log of every failed task of a run, for the assertion message."""
    failed = [t for t in api.tasks(dag_id, run["dag_run_id"]) if t["state"] == "failed"]
    return "\n".join(f"--- {t['task_id']}[{t['map_index']}]\n" + api.log(dag_id, run["dag_run_id"], t["task_id"],
                     t["try_number"], t["map_index"])[-3000:] for t in failed)


def test_every_service_is_up_and_healthy(stack):
    containers = stack.services()
    by_service: dict[str, list[dict]] = {}
    for c in containers:
        by_service.setdefault(c["Service"], []).append(c)
    assert set(by_service) == AIRFLOW_SERVICES | {"postgres", "redis", "airflow-init"}
    assert len(by_service["worker"]) >= 2
    for name, group in by_service.items():
        for c in group:
            if name == "airflow-init":
                assert (c["State"], c["ExitCode"]) == ("exited", 0), c
            else:
                assert (c["State"], c["Health"]) == ("running", "healthy"), c
    published = {c["Service"]: {p["PublishedPort"] for p in c.get("Publishers") or [] if p["PublishedPort"]}
                 for c in containers}
    assert published["api-server"] == {stack.ports["AIRFLOW_PORT"]}
    assert published["postgres"] == {stack.ports["CAMPAIGN_PG_PORT"]}
    assert not any(published[s] for s in published if s not in ("api-server", "postgres"))


def test_analyst_may_read_but_not_trigger(stack):
    viewer = Api(stack.api.base, "analyst", stack.settings["AIRFLOW_ANALYST_PASSWORD"])
    assert viewer.call("GET", "/api/v2/dags/campaign_ingest")[0] == 200
    assert viewer.trigger("campaign_ingest", {})[0] == 403
    status, body = stack.api.call("GET", "/api/v2/dags/campaign_ingest/dagRuns")
    assert status == 200 and body["total_entries"] == 0, body         # the refused trigger left no run


def test_tasks_ran_on_the_celery_workers(stack, pipeline):
    n = sum(c["Service"] == "worker" for c in stack.services())
    hosts = {stack.exec("--index", str(i), "worker", "hostname").strip() for i in range(1, n + 1)}
    assert len(hosts) == n >= 2
    for dag_id, run in (("campaign_ingest", pipeline["ingest"]), ("campaign_warehouse", pipeline["warehouse"])):
        ran = {t["hostname"] for t in stack.api.tasks(dag_id, run["dag_run_id"]) if t["state"] == "success"}
        assert ran and ran <= hosts, (dag_id, ran, hosts)


def _bi(stack):
    import psycopg2

    return psycopg2.connect(host="127.0.0.1", port=stack.ports["CAMPAIGN_PG_PORT"], dbname="campaign",
                            user="campaign_bi", password=stack.settings["CAMPAIGN_BI_PASSWORD"])


def _rows(cur, sql: str, args: tuple = ()) -> list[tuple]:
    cur.execute(sql, args)
    return cur.fetchall()


def test_bi_role_reads_the_expected_figures(stack, submissions, pipeline):
    tree, manifest = submissions
    with _bi(stack) as con, con.cursor() as cur:
        if manifest is None:
            _check_samples(cur, json.loads((tree / "expected.json").read_text(encoding="utf-8")))
        else:
            _check_manifest(cur, manifest)
        cur.execute("rollback")
        with pytest.raises(Exception, match="permission denied"):
            cur.execute("select count(*) from raw.submissions")              # raw stays the operators'


def _check_samples(cur, exp: dict) -> None:
    inv = exp["格尔木市 investment 2022-05"]
    assert _rows(cur, """select count(*), sum(planned_amount_yuan), sum(cumulative_amount_yuan) from marts.fct_investment
                         where city = '格尔木市' and period_month = date '2022-05-01'""") == [
        (inv["projects"], Decimal(inv["planned_yuan"]), Decimal(inv["cumulative_yuan"]))]
    assert dict(_rows(cur, "select stage, count(*) from marts.fct_investment where city = '格尔木市' group by 1")) \
        == inv["stages"]
    vol = exp["射洪市 volunteer 2022-05"]
    assert _rows(cur, """select count(*), count(distinct volunteer_key), sum(hours) from marts.fct_volunteer_hours
                         where city = '射洪市'""") == [(vol["records"], vol["volunteers"], Decimal(str(vol["hours"])))]
    iss = exp["寿光市 issue 2022-05"]
    assert _rows(cur, "select count(*), count(rectified_date) from marts.fct_issue_closure where city = '寿光市'") == [
        (iss["issues"], iss["rectified"])]
    bj = exp["毕节市 volunteer 2022-06"]
    assert _rows(cur, "select count(*) from marts.fct_volunteer_hours where city = '毕节市'") == [(bj["loaded"],)]


def _check_manifest(cur, manifest: dict) -> None:
    for key, exp in manifest["expected"].items():
        city, kind, month = key.split("|")
        args = (city, dt.date.fromisoformat(f"{month}-01"))
        if kind == "investment":
            got = _rows(cur, """select count(*), sum(planned_amount_yuan), sum(cumulative_amount_yuan) from marts.fct_investment
                                where city = %s and period_month = %s""", args)
            assert got == [(exp["projects"], Decimal(exp["planned_yuan"]), Decimal(exp["cumulative_yuan"]))], key
        elif kind == "volunteer":
            got = _rows(cur, """select count(*), count(distinct volunteer_key), sum(hours) from marts.fct_volunteer_hours
                                where city = %s and period_month = %s""", args)
            assert got == [(exp["records"], exp["volunteers"], Decimal(exp["hours"]))], key
        else:
            got = _rows(cur, """select count(*), count(rectified_date), count(*) filter (where is_overdue)
                                from marts.fct_issue_status_history where city = %s and period_month = %s""", args)
            assert got == [(exp["issues"], exp["rectified"], exp["overdue"])], key


def test_dashboard_and_docs_were_rebuilt(stack, pipeline):
    out = stack.exec("api-server", "python", "-c",
                     "import os, sys; [print(os.stat(p).st_mtime, p) for p in sys.argv[1:]]",
                     f"{SITE}/index.html", f"{SITE}/dbt_docs/index.html")
    written = {p: float(t) for t, p in (line.split() for line in out.splitlines())}
    assert len(written) == 2 and all(t > pipeline["started"] for t in written.values()), written
    page = stack.exec("api-server", "cat", f"{SITE}/index.html")
    assert "格尔木市" in page


def test_landing_was_emptied_into_the_archive(stack, submissions, pipeline):
    landed = stack.exec("api-server", "find", "/srv/campaign/landing", "-type", "f").split()
    archived = stack.exec("api-server", "find", "/srv/campaign/archive", "-type", "f").split()
    sent = [p for p in submissions[0].rglob("*") if p.is_file() and p.name != "expected.json"]
    assert landed == [] and len(archived) == len(sent)


def test_down_leaves_nothing_running(stack):
    stack.compose("down", "-v", "--remove-orphans", "--timeout", "20")
    assert stack.leftovers() == {"containers": [], "volumes": [], "networks": []}
    for port in stack.ports.values():
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"
