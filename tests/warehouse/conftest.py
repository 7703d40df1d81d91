"""Fixtures of the warehouse tests."""
from __future__ import annotations

import pytest

from tests.pg_warehouse import demo_warehouses, drop_demo_warehouses


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The demo submissions ingested once and built on DuckDB and on a fresh PostgreSQL database
    (tests.pg_warehouse.Warehouses); dropped at the end of the session."""
    yield demo_warehouses(tmp_path_factory.mktemp("targets"))
    drop_demo_warehouses()
