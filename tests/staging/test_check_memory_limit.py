"""`concord check` connects to the warehouse with Concord's memory limit ($CONCORD_MEMORY_LIMIT):
without it DuckDB caches up to 80 % of RAM (3.5 GB resident on a 1M-task warehouse)."""

from __future__ import annotations

import duckdb
import sqlalchemy

from concord.checks.gx_duckdb import add_duckdb_datasource, make_context


def test_the_gx_datasource_has_the_concord_memory_limit(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    monkeypatch.setenv("CONCORD_MEMORY_LIMIT", "123MB")
    datasource = add_duckdb_datasource(make_context(), db)
    with datasource.get_engine().connect() as connection:
        limit = connection.execute(
            sqlalchemy.text("select current_setting('memory_limit')")
        ).scalar()
    # DuckDB reports the limit in MiB: 123 MB = 117.3 MiB
    assert limit == "117.3 MiB"
