-- Every prediction body found in a non-deleted task, still as JSON, from both places Label Studio
-- puts them: the snapshot's `task.predictions` (full objects; the sync export has only ids there)
-- and the full copy embedded in each annotation (`annotation.prediction`, in both forms; frozen at
-- annotation time). stg_label_studio__predictions keeps one per id, preferring task.predictions.
with

tasks as (
    select * from {{ ref('base_label_studio__tasks') }}
    where not is_deleted
),

annotation_objects as (
    select * from {{ ref('base_label_studio__annotation_objects') }}
),

task_prediction_elements as (
    select
        task_id,
        project_id,
        {{ concord.json_array_unnest('task_json', '$.predictions', 'prediction_json', 'prediction_index') }},
    from tasks
),

from_task as (
    select
        task_id,
        project_id,
        prediction_json,
        'task.predictions' as source,
        1 as source_rank,
    from task_prediction_elements
    -- sync exports list bare ids here: no body to stage
    where {{ concord.json_type('prediction_json') }} = 'OBJECT'
),

from_annotations as (
    select
        task_id,
        project_id,
        {{ concord.json_get('annotation_json', '$.prediction') }} as prediction_json,
        'annotation.prediction' as source,
        2 as source_rank,
    from annotation_objects
    where {{ concord.json_type('annotation_json', '$.prediction.id') }} in ('BIGINT', 'UBIGINT')
),

unioned as (
    select * from from_task
    union all
    select * from from_annotations
)

select * from unioned
