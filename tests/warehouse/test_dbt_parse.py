"""The background `dbt parse` of make run: its saved parse lands where the build looks for it, and
the build's dbt then parses nothing in full; it never replaces a parse the build already has."""
from __future__ import annotations

import logging

from ingest.config import paths as make_paths
from warehouse.dbt import run_dbt
from warehouse.duck import dbt_setup, dbt_parse


def test_the_build_reuses_the_parse_made_ahead_of_it(tmp_path, caplog):
    paths = make_paths(tmp_path)
    assert dbt_parse(paths)
    env, target, logs = dbt_setup(paths)
    assert (target / "partial_parse.msgpack").is_file() and not (tmp_path / "dbt" / "parse").exists()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="warehouse.dbt"):
        run_dbt("duckdb", env, target, logs, command="parse", label="dbt parse")   # as the build starts
    dbt_said = caplog.text
    assert "Performance info" in dbt_said                       # the parse ran to its end ...
    assert "Unable to do partial parsing" not in dbt_said and "Starting full parse" not in dbt_said  # ... on the saved one
    assert not dbt_parse(paths)                                  # the build has one: left alone
