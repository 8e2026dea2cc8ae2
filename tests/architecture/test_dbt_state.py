"""dbt's target folder is kept per warehouse (concord/dbt.py, `dbt_state_dir`), so the rebuild of a
warehouse reuses its partial-parse cache even when another warehouse was built in between.

dbt discards the cache when the connection settings (the warehouse path among them) differ from
those it was parsed with: with one shared target/, every build that alternated warehouses was a
full parse (issue #16, fixed cost per invocation).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from concord.dbt import dbt_state_dir, run_dbt

PARSE_CACHE = "partial_parse.msgpack"
FULL_PARSE_BECAUSE_PROFILE = "Unable to do partial parsing because profile has changed"


@pytest.fixture
def dbt_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No DBT_TARGET_PATH (the default under test); dbt's log in this test's own folder."""
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    return tmp_path / "logs" / "dbt.log"


def _log_since(log: Path, offset: int) -> str:
    return log.read_text(errors="replace")[offset:] if log.exists() else ""


def _log_size(log: Path) -> int:
    return len(log.read_text(errors="replace")) if log.exists() else 0


def test_each_warehouse_keeps_its_own_parse_cache(tmp_path: Path, dbt_env: Path) -> None:
    first, second = tmp_path / "a" / "first.duckdb", tmp_path / "b" / "second.duckdb"
    first.parent.mkdir()
    second.parent.mkdir()

    run_dbt(["parse"], first, quiet=True)
    cache = dbt_state_dir(first) / "target" / PARSE_CACHE
    assert cache == first.parent / ".concord-dbt" / "first.duckdb" / "target" / PARSE_CACHE
    assert cache.is_file()
    cached = cache.read_bytes()

    run_dbt(["parse"], second, quiet=True)
    assert (dbt_state_dir(second) / "target" / PARSE_CACHE).is_file()
    assert cache.read_bytes() == cached  # the other warehouse's parse left this cache alone

    offset = _log_size(dbt_env)
    run_dbt(["parse"], first, quiet=True)
    log = _log_since(dbt_env, offset)
    assert "Partial parsing enabled" in log, log[-2000:]
    assert FULL_PARSE_BECAUSE_PROFILE not in log


def test_two_warehouses_in_one_folder_do_not_share_a_cache(tmp_path: Path, dbt_env: Path) -> None:
    first, second = tmp_path / "first.duckdb", tmp_path / "second.duckdb"
    run_dbt(["parse"], first, quiet=True)
    run_dbt(["parse"], second, quiet=True)
    assert dbt_state_dir(first) != dbt_state_dir(second)
    offset = _log_size(dbt_env)
    run_dbt(["parse"], first, quiet=True)
    assert FULL_PARSE_BECAUSE_PROFILE not in _log_since(dbt_env, offset)


def test_an_unusable_state_folder_is_a_one_line_error(tmp_path: Path, dbt_env: Path) -> None:
    """`.concord-dbt` taken by a file (or not writable): the error says what the folder is for
    before dbt starts, instead of a traceback from inside dbt."""
    from concord.dbt import DbtError

    (tmp_path / ".concord-dbt").write_text("not a folder\n")
    with pytest.raises(DbtError, match=r"cannot create dbt's state folder .*DBT_TARGET_PATH"):
        run_dbt(["parse"], tmp_path / "w.duckdb", quiet=True)
