"""Retention: purge what is older than a window through the erasure machinery and its log.

A task is past the window when its last activity is: `task.updated_at` (Label Studio moves
it whenever an annotation of the task is saved), else `task.created_at`, else the time it
was loaded. Such a task is erased exactly like `concord erase` does (annotations, drafts,
predictions, per-region scores, external scores, every table, every extract), and logged with
trigger `retention`. External score rows whose own `scored_at` is past the window are removed
too, in the same transaction (they are counted in the log; they identify no task).
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb

from concord.erasure import (
    ErasureResult,
    _raw_tasks_exist,
    _score_tables,
    erase_footprints,
    load_footprints,
)
from concord.governance_meta import project_var
from ingest.errors import ConcordError

_WINDOW = re.compile(r"^\s*(\d+)\s*([dwh])\s*$")
_UNIT = {"d": "days", "w": "weeks", "h": "hours"}


class RetentionError(ConcordError):
    """A retention request that cannot be carried out; nothing was changed."""


def parse_window(text: str) -> dt.timedelta:
    """'90d', '12w' or '36h' -> timedelta."""
    match = _WINDOW.match(text or "")
    if not match:
        raise RetentionError(
            f"--older-than {text!r}: expected a number and a unit d, w or h (e.g. 90d)"
        )
    value = int(match.group(1))
    if value <= 0:
        raise RetentionError(f"--older-than {text!r}: the window must be longer than zero")
    return dt.timedelta(**{_UNIT[match.group(2)]: value})


def default_window() -> str | None:
    """dbt var `concord_retention_window` (e.g. '365d'); None means no default."""
    value = project_var("concord_retention_window", None)
    return None if value in (None, "") else str(value)


def _parse_ts(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def task_activity_at(task: dict, loaded_at: dt.datetime) -> dt.datetime:
    """The time retention measures a task by (see the module doc)."""
    return _parse_ts(task.get("updated_at")) or _parse_ts(task.get("created_at")) or loaded_at


def purge_older_than(
    con: duckdb.DuckDBPyConnection,
    window: str | None,
    *,
    as_of: dt.datetime | None = None,
    reason: str | None = None,
    dry_run: bool = False,
) -> tuple[ErasureResult, dt.datetime, int]:
    """Erase tasks (and score rows) older than `window` before `as_of` (default now, UTC).

    Returns the erasure result, the cutoff and the number of score rows past the window.
    """
    window = window or default_window()
    if not window:
        raise RetentionError(
            "no --older-than given and dbt var concord_retention_window is not set"
        )
    delta = parse_window(window)
    now = as_of or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    cutoff = now - delta
    old_ids = []
    if _raw_tasks_exist(con):
        # only the two timestamps are read, never the whole task: one task nested 5,000 deep
        # (or holding a huge string) must not stop the purge of the others
        for task_id, updated_at, created_at, loaded_at in con.execute(
            "select task_id, task.updated_at, task.created_at, loaded_at"
            " from raw_label_studio.tasks order by task_id"
        ).fetchall():
            activity = {"updated_at": updated_at, "created_at": created_at}
            if task_activity_at(activity, loaded_at) < cutoff:
                old_ids.append(task_id)
    key_fields = [f for _, kind, f in _score_tables(con) if kind == "data_field" and f]
    footprints = load_footprints(con, old_ids, key_fields)
    old_scores = 0
    if _score_tables(con):
        old_scores = con.execute(
            "select count(*) from raw_scores.score_rows where scored_at < ?", [cutoff]
        ).fetchone()[0]

    def purge_old_score_rows(inner: duckdb.DuckDBPyConnection) -> dict[str, int]:
        if not old_scores:
            return {}
        n = inner.execute(
            "delete from raw_scores.score_rows where scored_at < ?", [cutoff]
        ).fetchone()[0]
        return {"raw_scores.score_rows": n} if n else {}

    if not footprints and not old_scores:
        return ErasureResult(None, [], [], {}, [], dry_run=dry_run), cutoff, 0
    result = erase_footprints(
        con,
        footprints,
        reason=reason or f"retention: older than {window} (before {cutoff.isoformat()} UTC)",
        trigger="retention",
        extra_removed={"score_rows_past_window": old_scores},
        extra_work=purge_old_score_rows,
        dry_run=dry_run,
        now=now if as_of else None,
    )
    return result, cutoff, old_scores
