"""Checks over the staging views (what every later stage reads)."""

from __future__ import annotations

from concord.checks.registry import (
    compound_unique,
    finite,
    no_rows,
    register,
    var_range,
)

S = "staging."
TASKS = S + "stg_label_studio__tasks"
ANNOTATIONS = S + "stg_label_studio__annotations"
ANNOTATION_OBJECTS = S + "base_label_studio__annotations_unnested"
ANNOTATION_RESULTS = S + "stg_label_studio__annotation_results"
PREDICTIONS = S + "stg_label_studio__predictions"
PREDICTION_RESULTS = S + "stg_label_studio__prediction_results"
DRAFTS = S + "stg_label_studio__drafts"
CONTROLS = S + "stg_label_studio__controls"
CONFIGS = S + "stg_label_studio__labeling_configs"
EXTERNAL_SCORES = S + "stg_scores__external_scores"

# Primary keys (unique + not_null, compound keys) are dbt's tests in the staging YAML and run with
# every `dbt build`; they are not repeated here. These are the checks dbt's tests do not express:
# cross-relation rules, sample rows for the operator, ranges taken from the build's vars.
register(
    no_rows(
        ANNOTATIONS,
        "annotator_known",
        "every annotation names its annotator (user id, or email when the export gave only that)",
        "select * from {batch} where annotator_id is null and annotator_email is null",
    )
)
register(
    compound_unique(
        ANNOTATIONS,
        ["project_id", "annotation_id"],
        name="annotation_id_unique_per_project",
        description="annotation ids are unique within each project",
    )
)

# scores finite, and within the declared range where one is declared (dbt vars)
register(finite(TASKS, "data_score"))
register(finite(PREDICTIONS, "prediction_score"))
register(finite(PREDICTION_RESULTS, "region_score"))
register(finite(EXTERNAL_SCORES, "score"))
for var, relation, column in (
    ("concord_data_score_range", TASKS, "data_score"),
    ("concord_prediction_score_range", PREDICTIONS, "prediction_score"),
    ("concord_prediction_score_range", PREDICTION_RESULTS, "region_score"),
    ("concord_external_score_range", EXTERNAL_SCORES, "score"),
):
    register(var_range(relation, column, var, describe_var=True))

# every result's from_name is a control of its project's labeling config (when one was ingested)
_UNKNOWN_CONTROL = (
    "select * from {{batch}} "
    f"where project_id in (select project_id from {CONFIGS}) "
    "and cast(project_id as varchar) || ':' || coalesce(control_name, '') not in ("
    f"select cast(project_id as varchar) || ':' || control_name from {CONTROLS})"
)
register(
    no_rows(
        ANNOTATION_RESULTS,
        "from_name_known",
        "every annotation result's from_name is a control of its project's config",
        _UNKNOWN_CONTROL.format(),
    )
)
register(
    no_rows(
        PREDICTION_RESULTS,
        "from_name_known",
        "every prediction result's from_name is a control of its project's config",
        _UNKNOWN_CONTROL.format(),
    )
)

# no prediction without a (non-deleted) task
register(
    no_rows(
        PREDICTIONS,
        "has_task",
        "every prediction belongs to a staged task",
        f"select * from {{batch}} where task_id not in (select task_id from {TASKS} where not is_deleted)",
    )
)

# annotation and prediction timestamps parse (staging turns unparseable ones into null)
register(
    no_rows(
        ANNOTATION_OBJECTS,
        "timestamps_parse",
        "annotation created_at / updated_at are ISO-8601 timestamps",
        "select task_id, annotation.id as annotation_id, annotation.created_at as created_at, "
        "annotation.updated_at as updated_at from {batch} "
        "where (annotation.created_at is not null "
        "and try_cast(annotation.created_at as timestamptz) is null) "
        "or (annotation.updated_at is not null "
        "and try_cast(annotation.updated_at as timestamptz) is null)",
    )
)

# external scores keyed by an id name something staged (a data_field key may legitimately match
# nothing yet, so it is not checked here)
register(
    no_rows(
        EXTERNAL_SCORES,
        "id_keys_known",
        "every score row keyed by prediction_id / task_id names a staged prediction / task",
        "select * from {batch} where "
        f"(key_kind = 'prediction_id' and (key_prediction_id is null or key_prediction_id not in "
        f"(select prediction_id from {PREDICTIONS}))) "
        f"or (key_kind = 'task_id' and (key_task_id is null or key_task_id not in "
        f"(select task_id from {TASKS} where not is_deleted)))",
    )
)
