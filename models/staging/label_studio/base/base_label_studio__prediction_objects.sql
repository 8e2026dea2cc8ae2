-- Every prediction body found in a non-deleted task, from both places Label Studio puts them: the
-- snapshot's `task.predictions` (full objects; the sync export lists only ids there, which parse
-- as null and are dropped) and the full copy embedded in each annotation (`annotation.prediction`,
-- in both forms; frozen at annotation time). stg_label_studio__predictions keeps one per id,
-- preferring task.predictions.
with

tasks as (
    select * from {{ ref('base_label_studio__tasks') }}
    where not is_deleted
),

annotations as (
    select * from {{ ref('base_label_studio__annotations_unnested') }}
),

-- only the task's predictions are cast (as base_label_studio__tasks_parsed types them), not the
-- whole task
prediction_lists as (
    select
        tasks.task_id,
        tasks.project_id,
        {{ concord.label_studio_task_field_from_raw('task', 'predictions') }} as predictions
    from tasks
),

task_predictions as (
    select
        task_id,
        project_id,
        {{ concord.list_unnest('predictions', 'prediction', 'prediction_index') }}
    from prediction_lists
),

from_task as (
    select
        task_predictions.task_id,
        task_predictions.project_id,
        task_predictions.prediction,
        'task.predictions' as source,
        1 as source_rank
    from task_predictions
    where prediction.id is not null
),

from_annotations as (
    select
        annotations.task_id,
        annotations.project_id,
        annotation.prediction,
        'annotation.prediction' as source,
        2 as source_rank
    from annotations
    -- `{}` when the task had no prediction of the project's model version
    where annotation.prediction.id is not null
),

unioned as (
    select * from from_task
    union all
    select * from from_annotations
)

select * from unioned
