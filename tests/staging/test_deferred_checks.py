"""The checks' child process of `concord demo` (concord/checks/deferred.py): it reports what
`concord check` reports, a failed check still fails, a crash is not taken for a failed check,
and a cancelled child never opens the warehouse."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from concord.checks import deferred
from ingest.errors import ConcordError
from ingest.warehouse import connection

REPORT_LINE = re.compile(r"\d+ expectations on \d+ relations: (\d+) passed, (\d+) failed")


def _copy(warehouse: Path, tmp_path: Path) -> Path:
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(warehouse, db)
    return db


def test_child_reports_what_concord_check_reports(built_warehouse: Path, tmp_path: Path) -> None:
    checks = deferred.start(_copy(built_warehouse, tmp_path))
    checks.go()
    lines, ok = checks.result()
    assert ok, lines
    [summary] = [m for m in map(REPORT_LINE.search, lines) if m]
    assert int(summary.group(1)) > 0 and summary.group(2) == "0"


def test_a_failed_check_fails_the_child(built_warehouse: Path, tmp_path: Path) -> None:
    db = _copy(built_warehouse, tmp_path)
    with connection(db) as con:  # a prediction score outside the declared [0, 1]
        con.execute(
            "update staging.stg_label_studio__predictions set prediction_score = 5 "
            "where prediction_id = (select min(prediction_id) "
            "from staging.stg_label_studio__predictions)"
        )
    checks = deferred.start(db)
    checks.go()
    lines, ok = checks.result()
    assert not ok
    [summary] = [m for m in map(REPORT_LINE.search, lines) if m]
    assert summary.group(2) == "1", lines
    assert any("prediction_score" in line for line in lines), lines


def test_a_crash_is_an_error_not_a_failed_check(tmp_path: Path) -> None:
    not_a_warehouse = tmp_path / "notes.duckdb"
    not_a_warehouse.write_text("not a database\n")
    checks = deferred.start(not_a_warehouse)
    checks.go()
    with pytest.raises(ConcordError, match="exit 2"):
        checks.result()


def test_without_the_go_the_child_never_opens_the_warehouse(tmp_path: Path) -> None:
    db = tmp_path / "never.duckdb"
    checks = deferred.start(db)
    assert checks.process.stdin is not None
    checks.process.stdin.close()  # the parent failed before the go (end of input)
    assert checks.process.wait(timeout=120) == deferred.NOT_STARTED
    assert not db.exists()


def test_a_child_dead_before_the_go_is_a_clear_error(tmp_path: Path) -> None:
    """The hostile review's case: the child killed during the build made the demo stop in
    silence (the broken pipe of the go was read by click as a closed stdout)."""
    checks = deferred.start(tmp_path / "w.duckdb")
    checks.process.kill()
    checks.process.wait(timeout=60)
    with pytest.raises(ConcordError, match=r"child process\) failed with exit -9"):
        checks.go()


def test_a_module_in_the_working_folder_does_not_hide_the_package(
    built_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user's own concord.py or ingest.py where they run `concord demo`."""
    work = tmp_path / "work"
    work.mkdir()
    for name in ("concord.py", "ingest.py"):
        (work / name).write_text("raise SystemExit('the wrong module was imported')\n")
    monkeypatch.chdir(work)
    checks = deferred.start(_copy(built_warehouse, tmp_path))
    checks.go()
    lines, ok = checks.result()
    assert ok, lines
