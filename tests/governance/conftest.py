"""Fixtures of the governance tests (helpers in gov_helpers.py).

`gov_base` (session scope): one warehouse built from the real fixtures (see gov_helpers); every
test gets its own copy (`warehouse`) and may erase, purge and extract freely. The shared
`built_warehouse` of tests/conftest.py is never written to.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .gov_helpers import dbt_run, ingest_base


@pytest.fixture(scope="session")
def gov_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gov_base")
    db = root / "base.duckdb"
    ingest_base(db)
    dbt_run(db, root / "target")
    return db


@pytest.fixture
def warehouse(gov_base: Path, tmp_path: Path) -> Path:
    """A private copy of the governance base warehouse."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(gov_base, db)
    return db
