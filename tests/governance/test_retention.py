"""Retention: tasks and score rows past the window go, through the erasure machinery and log."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest

from concord.erasure import verify_erasure
from concord.retention import RetentionError, parse_window, purge_older_than

from .gov_helpers import (
    DEMO_SCORES,
    SCORES,
    connect,
    dump_warehouse,
    finish_erasure,
    fixture_tasks,
    tables_with_task,
)


def _activity(task: dict) -> dt.datetime:
    stamp = dt.datetime.fromisoformat(task["updated_at"])
    return stamp.astimezone(dt.UTC).replace(tzinfo=None)


def test_parse_window():
    assert parse_window("90d") == dt.timedelta(days=90)
    assert parse_window("12w") == dt.timedelta(weeks=12)
    assert parse_window(" 36h ") == dt.timedelta(hours=36)
    with pytest.raises(RetentionError) as err:
        parse_window("3 months")
    assert str(err.value) == (
        "--older-than '3 months': expected a number and a unit d, w or h (e.g. 90d)"
    )
    with pytest.raises(RetentionError) as err:
        parse_window("0d")
    assert str(err.value) == "--older-than '0d': the window must be longer than zero"


def test_purges_tasks_older_than_the_window(warehouse):
    # the stored version of every task is its snapshot export: activity = task.updated_at
    tasks = fixture_tasks("byos_text") + fixture_tasks("ner_spans")
    times = sorted(_activity(t) for t in tasks)
    cutoff = times[6]  # strictly older: exactly the 6 earliest-touched tasks go
    expected = sorted(t["id"] for t in tasks if _activity(t) < cutoff)
    assert len(expected) == 6
    as_of = cutoff + dt.timedelta(days=90)
    # score rows with their own scored_at before the cutoff go too: every ext_scores row
    # (2026-11-20..26) and the task_scores rows dated 2026-11-28 (midnight); calibrated rows and
    # undated rows have no scored_at and stay unless their task goes
    old_scores = 0
    for name in ("byos_text_scores.csv", "task_scores.csv"):
        folder = DEMO_SCORES if name.startswith("byos") else SCORES
        with open(folder / name, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["scored_at"]:
                    stamp = dt.datetime.fromisoformat(row["scored_at"])
                    if stamp.tzinfo is not None:
                        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
                    old_scores += stamp < cutoff
    assert old_scores == 32

    con = connect(warehouse)
    for task_id in expected:
        assert tables_with_task(con, task_id)
    result, got_cutoff, n_old_scores = purge_older_than(con, "90d", as_of=as_of)
    assert got_cutoff == cutoff
    assert sorted(result.task_ids) == expected
    assert n_old_scores == old_scores
    for task_id in expected:
        assert tables_with_task(con, task_id) == {}
    remaining = {r[0] for r in con.execute("select task_id from raw_label_studio.tasks").fetchall()}
    assert remaining == {t["id"] for t in tasks} - set(expected)
    assert (
        con.execute(
            "select count(*) from raw_scores.score_rows where score_table_name = 'ext_scores'"
        ).fetchone()[0]
        == 0
    )

    [(trigger, reason, n_tasks, removed_json)] = con.execute(
        "select erasure_trigger, reason, n_tasks, removed_json from concord_meta.erasure_log"
    ).fetchall()
    assert trigger == "retention"
    assert reason == f"retention: older than 90d (before {cutoff.isoformat()} UTC)"
    assert n_tasks == 6
    assert json.loads(removed_json)["score_rows_past_window"] == old_scores
    con = finish_erasure(con, warehouse)
    assert verify_erasure(con).clean
    con.close()


def test_nothing_past_the_window_changes_nothing(warehouse):
    con = connect(warehouse)
    before = dump_warehouse(con)
    result, _cutoff, n_scores = purge_older_than(con, "365d", as_of=dt.datetime(2027, 1, 1))
    assert (result.task_ids, n_scores) == ([], 0)
    assert result.lines() == ["nothing to erase"]
    assert dump_warehouse(con) == before
    con.close()


def test_dry_run_changes_nothing(warehouse):
    con = connect(warehouse)
    before = dump_warehouse(con)
    result, _cutoff, _n = purge_older_than(con, "1d", as_of=dt.datetime(2027, 1, 1), dry_run=True)
    assert len(result.task_ids) == 54  # every task of both projects is older than that
    assert result.lines()[0] == "would erase 54 task(s)"
    assert dump_warehouse(con) == before
    con.close()


def test_no_window_and_no_default_is_an_error(warehouse):
    con = connect(warehouse)
    with pytest.raises(RetentionError) as err:
        purge_older_than(con, None)
    assert str(err.value) == "no --older-than given and dbt var concord_retention_window is not set"
    con.close()
