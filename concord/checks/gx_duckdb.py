"""Great Expectations 1.24 on DuckDB, made to actually work.

Through duckdb-engine every expectation silently returns success=False with an empty result:
GX runs `with engine.connect() as c: result = c.execute(q)` and fetches after the block, and
closing the connection issues a ROLLBACK that discards the pending DuckDB result
(duckdb-engine issue: results fetched after the connection closed). Workaround (a): add DuckDB to GX's persisted-connection dialects so GX
keeps one connection open. This touches a GX internal, so the versions are pinned in pyproject
(great-expectations==1.24.1, duckdb==2.0.1) and tests/staging/test_checks.py plants defects and
asserts GX finds them: if an upgrade breaks the patch, that test fails instead of checks passing
silently.

Also: table assets ignore `schema_name` in GX's column reflection on DuckDB, so every relation is
a query asset (`select * from schema.table`).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

GX_VERSION = "1.24.1"


class _DuckDBDialectName(str):
    """Compares equal to 'duckdb' (GX's dialect_name) and has `.value` like GXSqlDialect members."""

    value = "duckdb"


def patch_gx_for_duckdb() -> None:
    """Make GX keep one persisted connection for DuckDB (idempotent)."""
    import great_expectations
    import great_expectations.execution_engine.sqlalchemy_execution_engine as engine_module

    if great_expectations.__version__ != GX_VERSION:
        # the patch targets a private name; refuse to guess on another version
        from ingest.errors import ConcordError

        raise ConcordError(
            f"concord check needs great-expectations=={GX_VERSION} "
            f"(found {great_expectations.__version__}): reinstall with `pip install -e .`"
        )
    dialects = engine_module._PERSISTED_CONNECTION_DIALECTS
    if "duckdb" not in [str(getattr(d, "value", d)) for d in dialects]:
        engine_module._PERSISTED_CONNECTION_DIALECTS = (*dialects, _DuckDBDialectName("duckdb"))


def make_context() -> Any:
    """An ephemeral GX context (nothing written to disk) with progress bars off."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    for name in [*logging.root.manager.loggerDict, "great_expectations"]:
        if name.startswith("great_expectations"):
            logging.getLogger(name).setLevel(logging.ERROR)
    patch_gx_for_duckdb()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def add_duckdb_datasource(context: Any, db: Path) -> Any:
    """A read-only SQL datasource on the DuckDB file `db`, with the memory limit of every Concord
    connection ($CONCORD_MEMORY_LIMIT): without one DuckDB caches up to 80 % of RAM (3.5 GB
    resident for `concord check` on a 1M-task warehouse)."""
    from ingest.warehouse import connection_config

    return context.data_sources.add_sql(
        name="concord_warehouse",
        connection_string=f"duckdb:///{db}",
        kwargs={"connect_args": {"read_only": True, "config": connection_config()}},
    )
