-- One row per annotation object of a non-deleted task, still as JSON: the shared first unnest
-- for stg_label_studio__annotations, __annotation_results and the predictions embedded in
-- annotations (`annotation.prediction`).
with

tasks as (
    select * from {{ ref('base_label_studio__tasks') }}
    where not is_deleted
),

annotation_objects as (
    select
        task_id,
        project_id,
        {{ concord.json_array_unnest('task_json', '$.annotations', 'annotation_json', 'annotation_index') }},
    from tasks
)

select * from annotation_objects
