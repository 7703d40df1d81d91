"""The dbt project keeps the shape its README describes: one YAML beside each model, the raw
source declared once and read by staging only, the mart contract set once for the folder, and
no macro that hides a ref() from dbt's lineage."""
from __future__ import annotations

import re

import yaml

from tests.conftest import REPO

PROJECT = REPO / "dbt_project"
MODELS = PROJECT / "models"


def _yaml(path):
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def test_every_model_has_its_own_yaml_beside_it_describing_it_alone():
    for sql in MODELS.rglob("*.sql"):
        spec = sql.with_suffix(".yml")
        assert spec.exists(), f"{sql.relative_to(PROJECT)} has no {spec.name} beside it"
        doc = _yaml(spec)
        assert [m["name"] for m in doc.get("models", [])] == [sql.stem], spec
        assert all(u["model"] == sql.stem for u in doc.get("unit_tests", [])), spec
    for spec in MODELS.rglob("*.yml"):
        assert spec.with_suffix(".sql").exists() or spec.name.startswith("_"), spec


def test_the_raw_source_is_declared_once_and_read_by_staging_only():
    declared = [(p, s["name"]) for p in MODELS.rglob("*.yml") for s in _yaml(p).get("sources", [])]
    assert [name for _, name in declared] == ["raw"], declared
    for sql in MODELS.rglob("*.sql"):
        if "source(" in sql.read_text(encoding="utf-8"):
            assert sql.parent.name == "staging", f"{sql.relative_to(PROJECT)} reads a source"


def test_staging_names_are_plural():
    for sql in (MODELS / "staging").glob("*.sql"):
        assert sql.stem.startswith("stg_") and sql.stem.endswith("s"), sql.name


def test_the_mart_contract_is_set_once_for_the_folder():
    marts = _yaml(PROJECT / "dbt_project.yml")["models"]["campaign"]["marts"]
    assert marts["+contract"] == {"enforced": True}
    for spec in (MODELS / "marts").glob("*.yml"):
        assert "contract" not in spec.read_text(encoding="utf-8"), spec


def test_no_macro_hides_a_ref():
    for macro in (PROJECT / "macros").rglob("*.sql"):
        assert not re.search(r"\bref\s*\(", macro.read_text(encoding="utf-8")), macro
