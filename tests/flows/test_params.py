"""Run parameters for targeted re-runs: checked against the registry with the refused value
named, and the landing files of a slice picked from real demo submissions."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.demo import generate
from ingest.slices import PARAM_SPECS, BadParam, Slice, parse_slice, select
from flows.ingest_steps import announcement, report
from flows.warehouse_steps import plan


@pytest.mark.parametrize("params, expected", [
    ({}, Slice()),
    ({"city": "格尔木市", "month": "2022-05"}, Slice(city="格尔木市", month="2022-05")),
    ({"city": "格尔木", "kind": "issue"}, Slice(city="格尔木市", kind="issue")),              # registry spelling
    ({"city": "格尔木市", "department": "市发改委"}, Slice(city="格尔木市", department="golmud_fgw")),
    ({"department": "shouguang_tsw"}, Slice(city="寿光市", department="shouguang_tsw")),   # city from the code
    ({"city": "", "month": None, "full_refresh": True}, Slice(full_refresh=True)),
])
def test_params_become_a_slice(params, expected):
    assert parse_slice(params) == expected


@pytest.mark.parametrize("params, field, value", [
    ({"city": "北京市"}, "city", "北京市"),
    ({"month": "2022-13"}, "month", "2022-13"),
    ({"month": "2022/05"}, "month", "2022/05"),
    ({"month": "5月"}, "month", "5月"),
    ({"kind": "budget"}, "kind", "budget"),
    ({"city": "格尔木市", "department": "市天文局"}, "department", "市天文局"),
    ({"department": "发改委"}, "department", "发改委"),                                   # a name needs a city
    ({"city": "寿光市", "department": "golmud_fgw"}, "department", "golmud_fgw"),         # code of another city
    ({"full_refresh": "yes"}, "full_refresh", "yes"),
    ({"cty": "格尔木市"}, "cty", "格尔木市"),
])
def test_a_bad_param_is_refused_naming_the_value(params, field, value):
    with pytest.raises(BadParam) as err:
        parse_slice(params)
    assert (err.value.field, err.value.value) == (field, value)
    assert str(value) in str(err.value)


def test_param_schema_matches_the_checks():
    """The trigger form's JSON schema (Airflow Params) refuses what parse_slice refuses."""
    from airflow.sdk import Param
    from airflow.sdk.definitions.param import ParamValidationError

    params = {name: Param(**spec) for name, spec in PARAM_SPECS.items()}
    assert params["month"].resolve("2022-05") == "2022-05"
    assert params["kind"].resolve(None) is None
    for name, bad in (("month", "2022-13"), ("kind", "budget"), ("full_refresh", "yes"), ("city", 7)):
        with pytest.raises(ParamValidationError):
            params[name].resolve(bad)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("slices")
    generate(home / "landing")
    return home


def _waiting(home: Path) -> list[str]:
    return sorted(p.relative_to(home / "landing").as_posix() for p in (home / "landing").rglob("*") if p.is_file())


def test_a_city_month_slice_picks_only_its_files(home):
    chosen, left = select(_waiting(home), Slice(city="格尔木市", month="2022-05"), home)
    assert sorted(chosen) == sorted([
        "格尔木市/团市委/volunteer/5月志愿服务时长统计.csv",          # year-less: the year comes from the data
        "格尔木市/市城管局/issue/export_20220604.json",              # exported in June, envelope period 2022-05
        "格尔木市/市发改委/investment/2022年5月创建项目投资台账.xlsx",
        "格尔木市/市文明办/volunteer/5月志愿服务记录.csv",
    ])
    assert sorted(chosen + left) == _waiting(home)


def test_department_and_kind_slices_resolve_aliases_in_paths(home):
    chosen, _ = select(_waiting(home), parse_slice({"department": "shouguang_scjg"}), home)
    assert chosen and all(rel.startswith("寿光市/市场监管局/issue/") for rel in chosen)
    chosen, _ = select(_waiting(home), Slice(kind="investment", city="毕节市"), home)
    assert chosen == [f"毕节市/市住建局/investment/2022年{m}月创建项目投资台账.xlsx" for m in (4, 5, 6)]


def test_a_file_whose_month_cannot_be_settled_stays_for_an_untargeted_run(home, tmp_path):
    shutil.copytree(home / "landing" / "射洪市", tmp_path / "landing" / "射洪市")
    chosen, left = select(_waiting(tmp_path), Slice(city="射洪市", month="2022-05"), tmp_path)
    assert "射洪市/市文明办/volunteer/联系人名单.csv" in left                 # not a submission: no month
    assert len(chosen) == 4


def _receipt(kind: str, status: str = "accepted", **extra) -> dict:
    return {"file": f"a/b/{kind}/{status}.x", "status": status, "kind": kind, "submission_id": "s1",
            "city": "格尔木市", "department": "golmud_fgw", "month": "2022-05", "message": "m", "receipt": "r",
            **extra}


def test_each_kind_announces_only_its_new_submissions():
    receipts = [_receipt("investment"), _receipt("issue", "refused"), None]     # None: a failed file
    sl = Slice(city="格尔木市", month="2022-05", full_refresh=True).to_dict()
    extra = announcement("investment", receipts, sl)
    assert extra["full_refresh"] and extra["slice"] == sl and [s["submission_id"] for s in extra["submissions"]] == ["s1"]
    assert announcement("issue", receipts, sl) is None                           # refused only: no event
    assert announcement("volunteer", receipts, sl) is None


def test_report_counts_outcomes_and_names_failed_files(monkeypatch):
    monkeypatch.delenv("CAMPAIGN_NOTIFY_WEBHOOK", raising=False)
    items = [{"rel": "a/b/investment/accepted.x"}, {"rel": "a/b/issue/refused.x"}, {"rel": "x/y/issue/lost.json"}]
    batches = [{"files": items[:2], "label": "a .. b"}, {"files": items[2:], "label": "x/y/issue/lost.json"}]
    result = report(batches, [_receipt("investment"), _receipt("issue", "refused")], "run-1", Slice().to_dict())
    assert result["counts"] == {"accepted": 1, "refused": 1, "duplicate": 0, "failed": 1}
    assert result["failed"] == ["x/y/issue/lost.json"]


def test_the_warehouse_plan_follows_the_ingest_announcements(monkeypatch):
    monkeypatch.setenv("CAMPAIGN_TARGET", "duckdb")
    sl = Slice(city="格尔木市", month="2022-05").to_dict()
    events = [announcement("investment", [_receipt("investment")], sl),
              announcement("volunteer", [_receipt("volunteer", month="2022-04")], sl)]
    p = plan({}, events)
    assert (p["months"], p["cities"], p["full_refresh"], p["submissions"]) == (["2022-04", "2022-05"], ["格尔木市"], False, 2)
    p = plan({"full_refresh": True, "month": "2022-06"}, [])                      # a manual run: its own params
    assert (p["months"], p["cities"], p["full_refresh"]) == (["2022-06"], [], True)
    with pytest.raises(BadParam):
        plan({"city": "北京市"}, [])
