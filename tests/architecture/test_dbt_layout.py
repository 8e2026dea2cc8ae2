"""The dbt project's structural rules (issue #13 item 4), read from the project files:
every mart has an enforced contract with a type per column, staging materializations are declared
in dbt_project.yml only, and the task / annotator dimensions exist."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def _mart_models() -> dict[str, dict]:
    out = {}
    for path in sorted((REPO / "models" / "marts").rglob("_*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models") or []:
            out[model["name"]] = model
    return out


def test_every_mart_has_an_enforced_contract_with_typed_columns():
    project = yaml.safe_load((REPO / "dbt_project.yml").read_text(encoding="utf-8"))
    assert project["models"]["concord"]["marts"]["+contract"] == {"enforced": True}
    models = _mart_models()
    sql_models = {p.stem for p in (REPO / "models" / "marts").rglob("*.sql")}
    assert sql_models - set(models) == set()  # every mart is documented (contracts need it)
    untyped = [
        f"{name}.{column['name']}"
        for name, model in models.items()
        for column in model.get("columns") or []
        if not column.get("data_type")
    ]
    assert untyped == []
    switched_off = [
        name
        for name, model in models.items()
        if ((model.get("config") or {}).get("contract") or {}).get("enforced") is False
    ]
    assert switched_off == []
    for path in (REPO / "models" / "marts").rglob("*.sql"):
        assert "contract" not in path.read_text(encoding="utf-8"), path


def test_staging_materializations_are_declared_in_dbt_project_only():
    in_models = [
        str(p.relative_to(REPO))
        for p in (REPO / "models" / "staging").rglob("*.sql")
        if re.search(r"config\s*\(.*materialized", p.read_text(encoding="utf-8"), re.DOTALL)
    ]
    assert in_models == []


def test_the_dimensions_analysts_join_to_exist():
    models = _mart_models()
    assert {"dim_tasks", "dim_annotators"} <= set(models)
    assert models["dim_tasks"]["columns"][0]["name"] == "task_id"
    assert models["dim_annotators"]["columns"][0]["name"] == "annotator_id"


def test_models_are_named_for_their_layer_and_area():
    """stg_<source>__<entity> and base_<source>__<entity> in staging, int_<area>__<entity> in
    intermediate/<area>/, fct_ / dim_ in the marts: the name says where a model lives."""
    layer_patterns = {
        "staging": r"(stg|base)_[a-z0-9]+(_[a-z0-9]+)*__[a-z0-9_]+",
        "marts": r"(fct|dim)_[a-z0-9_]+",
    }
    misnamed = []
    for path in sorted((REPO / "models").rglob("*.sql")):
        layer = path.relative_to(REPO / "models").parts[0]
        if layer == "intermediate":
            area = path.parent.name
            pattern = rf"int_{re.escape(area.replace('-', '_'))}__[a-z0-9_]+"
        else:
            pattern = layer_patterns[layer]
        if not re.fullmatch(pattern, path.stem):
            misnamed.append(str(path.relative_to(REPO)))
    assert misnamed == []
