-- One row per annotation (skips included) of a non-deleted task, as the parsed struct: shared by
-- stg_label_studio__annotations, __annotation_results and the embedded prediction copies.
with

tasks as (
    select * from {{ ref('base_label_studio__tasks') }}
    where not is_deleted
),

-- only the annotations of each task are cast (as base_label_studio__tasks_parsed types them)
annotation_lists as (
    select
        tasks.task_id,
        tasks.project_id,
        {{ concord.label_studio_task_field_from_raw('task', 'annotations') }} as annotations
    from tasks
),

unnested as (
    select
        task_id,
        project_id,
        {{ concord.list_unnest('annotations', 'annotation', 'annotation_index') }}
    from annotation_lists
)

select * from unnested
