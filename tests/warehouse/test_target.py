"""warehouse.target: CAMPAIGN_TARGET read and checked in one place, the one module of the project
that chooses between DuckDB and PostgreSQL."""
from __future__ import annotations

import re

import pytest

from ingest.errors import ConfigError
from tests.conftest import REPO
from warehouse import target


@pytest.mark.parametrize("value, expected", [(None, "duckdb"), ("", "duckdb"), ("postgres", "postgres"),
                                             (" PostgreS ", "postgres"), ("duckdb", "duckdb")])
def test_target_from_environment(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("CAMPAIGN_TARGET", raising=False)
    else:
        monkeypatch.setenv("CAMPAIGN_TARGET", value)
    assert target.current() == expected


def test_unknown_target_is_refused(monkeypatch):
    monkeypatch.setenv("CAMPAIGN_TARGET", "snowflake")
    with pytest.raises(ConfigError, match="CAMPAIGN_TARGET='snowflake'"):
        target.current()



def test_no_other_module_reads_the_target_setting():
    """Everything above the warehouse asks warehouse.target; nothing else reads CAMPAIGN_TARGET or
    compares a target name with "postgres"."""
    choosing = re.compile(r"""environ\.get\(["']CAMPAIGN_TARGET|==\s*["']postgres["']""")
    found = [p.relative_to(REPO).as_posix()
             for top in ("ingest", "expectations", "warehouse", "flows", "dashboard", "dags")
             for p in (REPO / top).rglob("*.py") if choosing.search(p.read_text(encoding="utf-8"))]
    assert found == ["warehouse/target.py"]
