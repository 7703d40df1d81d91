"""ingest.files.metadata: city, department, kind and month from every place a file names them
(landing path, title rows, JSON envelope, file name, the data's dates), agreed or refused."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from ingest import registry as registry_mod
from ingest.contracts import all_contracts
from ingest.errors import FileRefused
from ingest.files import metadata
from ingest.rows.values import Period

TODAY = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def reg():
    return registry_mod.load()


def test_the_landing_path_names_city_department_and_kind(reg):
    assert metadata.from_path("射洪市/市文明办/volunteer/5月.csv", reg) == ("射洪市", "市文明办", "volunteer")


@pytest.mark.parametrize("rel, code", [("射洪市/volunteer/5月.csv", "bad_landing_path"),
                                       ("射洪市/市文明办/sports/5月.csv", "bad_landing_path"),
                                       ("火星市/市文明办/volunteer/5月.csv", "unknown_city")])
def test_a_path_off_the_convention_is_refused(reg, rel, code):
    with pytest.raises(FileRefused) as refused:
        metadata.from_path(rel, reg)
    assert refused.value.reason_code == code


def test_sources_that_disagree_are_refused_naming_both(reg):
    with pytest.raises(FileRefused) as refused:
        metadata.resolve("射洪市/市文明办/volunteer/5月.csv", reg, "investment", [], {})
    assert refused.value.reason_code == "metadata_conflict"
    assert "存放路径为“volunteer”" in refused.value.message and "表格内容为“investment”" in refused.value.message


def test_title_rows_and_file_name_give_the_period(reg):
    meta = metadata.resolve("射洪市/市文明办/volunteer/2022年5月志愿服务.csv", reg, "volunteer",
                            ["射洪市志愿服务记录(2022年5月)"], {})
    assert (meta.city, meta.kind) == ("射洪市", "volunteer")
    assert [p for _, p in meta.periods] == [Period(2022, 5), Period(2022, 5)]
    assert metadata.settle(meta, all_contracts()["volunteer"], Counter(), set(), "f", TODAY) == Period(2022, 5)


def test_a_full_date_in_a_file_name_is_an_export_date_not_a_period():
    assert metadata.name_period("格尔木市/市城管局/issue/export_20220502.json") is None
    assert metadata.name_period("格尔木市/市城管局/issue/2022年5月问题整改台账.csv") == Period(2022, 5)


def test_a_month_without_a_year_takes_the_year_of_the_data_or_is_refused(reg):
    meta = metadata.resolve("射洪市/市文明办/volunteer/5月.csv", reg, "volunteer", [], {})
    contract = all_contracts()["volunteer"]
    assert metadata.settle(meta, contract, Counter({(2022, 5): 9, (2022, 4): 1}), set(), "f", TODAY) == Period(2022, 5)
    with pytest.raises(FileRefused) as refused:
        metadata.settle(meta, contract, Counter({(2021, 5): 3, (2022, 5): 3}), set(), "f", TODAY)
    assert refused.value.reason_code == "period_unsettled" and "2021、2022" in refused.value.message


def test_a_file_naming_no_period_anywhere_is_refused(reg):
    meta = metadata.resolve("射洪市/市文明办/volunteer/记录.csv", reg, "volunteer", [], {})
    with pytest.raises(FileRefused) as refused:
        metadata.settle(meta, all_contracts()["volunteer"], Counter({(2022, 5): 1}), set(), "f", TODAY)
    assert refused.value.reason_code == "missing_period"
