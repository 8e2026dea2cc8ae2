"""The analyst's query catalogue (analyses/): every question compiles with dbt, runs against the demo
warehouse and returns rows; each file says what it answers."""

from __future__ import annotations

import shutil

import pytest
from conftest import REPO_ROOT, query

ANALYSES = sorted((REPO_ROOT / "analyses").glob("*.sql"))


def test_catalogue_has_at_least_ten_commented_questions():
    assert len(ANALYSES) >= 10
    for path in ANALYSES:
        first = path.read_text().lstrip().splitlines()[0]
        assert first.startswith("-- ") and len(first) > 20, (
            f"{path.name}: starts without a comment saying what it answers"
        )


@pytest.fixture(scope="module")
def compiled(built_warehouse, tmp_path_factory):
    """dbt compile of analyses/ on a copy of the demo warehouse; {file name: compiled SQL}."""
    from concord.dbt import run_dbt

    root = tmp_path_factory.mktemp("analyses")
    db = root / "warehouse.duckdb"
    shutil.copy(built_warehouse, db)
    run_dbt(["compile", "--select", "path:analyses"], db, target_path=root / "target", quiet=True)
    out = root / "target" / "compiled" / "concord" / "analyses"
    return {p.name: p.read_text() for p in sorted(out.glob("*.sql"))}


@pytest.mark.parametrize("path", ANALYSES, ids=lambda p: p.stem)
def test_analysis_compiles_runs_and_returns_rows(path, compiled, built_warehouse):
    assert path.name in compiled, f"{path.name} did not compile"
    rows = query(built_warehouse, compiled[path.name])
    assert rows, f"{path.name} returned no row on the demo warehouse"
