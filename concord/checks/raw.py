"""Checks over the raw layer (what ingest wrote), before any dbt model reads it."""

from __future__ import annotations

from concord.checks.registry import (
    compound_unique,
    finite,
    no_rows,
    not_null,
    register,
    var_range,
)

TASKS = "raw_label_studio.tasks"
LOADS = "raw_label_studio.loads"
CONFIG_TAGS = "raw_label_studio.config_tags"
SCORE_TABLES = "raw_scores.score_tables"
SCORE_ROWS = "raw_scores.score_rows"

# Keys that dbt's source tests already check (unique + not_null of tasks.task_id, loads.load_id,
# score_tables.score_table_name: models/staging/*/_*__sources.yml) are not repeated here; these
# checks are what dbt's tests do not say.
register(not_null(TASKS, "project_id"))
register(
    no_rows(
        TASKS,
        "timestamps_parse",
        "task created_at / updated_at are ISO-8601 timestamps",
        "select task_id, project_id, task.created_at as created_at, "
        "task.updated_at as updated_at from {batch} "
        "where (task.created_at is not null "
        "and try_cast(task.created_at as timestamptz) is null) "
        "or (task.updated_at is not null "
        "and try_cast(task.updated_at as timestamptz) is null)",
    )
)
register(compound_unique(CONFIG_TAGS, ["project_id", "tag_name"]))
register(compound_unique(SCORE_ROWS, ["score_table_name", "row_number"]))
register(not_null(SCORE_ROWS, "key_value"))
register(finite(SCORE_ROWS, "score"))

register(var_range(SCORE_ROWS, "score", "concord_external_score_range"))
