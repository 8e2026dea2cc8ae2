"""dbt's unit tests run here, once: `concord build` leaves them out (concord/dbt.py build_args),
because they check the SQL on fixed inputs and so cannot change with the data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from concord.dbt import build_args, run_dbt


def test_every_unit_test_runs_and_passes(built_warehouse: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    run_dbt(["test", "--select", "test_type:unit"], built_warehouse, target_path=target, quiet=True)
    manifest = json.loads((target / "manifest.json").read_text())
    declared = set(manifest["unit_tests"])
    results = json.loads((target / "run_results.json").read_text())["results"]
    ran = {r["unique_id"] for r in results if r["status"] == "pass"}
    # the project has unit tests in staging, agreement and model_eval: none may go missing
    assert len(declared) >= 8
    assert ran == declared


@pytest.mark.parametrize(
    "args, excluded",
    [
        (["build"], True),
        (["build", "--select", "staging"], True),
        (["build", "--exclude", "path:models/x,resource_type:unit_test"], True),
        (["build", "--select", "test_type:unit"], False),
        (["build", "--select=fct_x", "test_type:unit"], False),
        (["build", "-s", "resource_type:unit_test"], False),
        (["build", "--resource-type", "model"], False),
        (["build", "--exclude-resource-type", "seed"], False),
        (["run"], False),
        (["test"], False),
    ],
)
def test_builds_leave_unit_tests_out_unless_asked(args: list[str], excluded: bool) -> None:
    out = build_args(args)
    assert out[: len(args)] == args
    assert (out[len(args) :] == ["--exclude-resource-type", "unit_test"]) is excluded
    assert len(out) in (len(args), len(args) + 2)


def test_no_unit_test_reads_the_built_model() -> None:
    """A unit test with `input: this` makes dbt read the model's columns from its built table, so
    a plain `dbt build` of a new warehouse fails on it (the benchmark's first build did, with an
    incremental model's test): unit tests give their inputs, never the model's own table."""
    import yaml

    repo = Path(__file__).resolve().parents[2]
    offenders = [
        f"{path.relative_to(repo)}: {test['name']}"
        for path in sorted((repo / "models").rglob("*.yml"))
        for test in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("unit_tests") or []
        if any(given.get("input") == "this" for given in test.get("given") or [])
    ]
    assert offenders == []
