-- The one reader of raw_label_studio.tasks: every staging model of tasks and what hangs off them
-- (annotations, results, predictions, drafts) starts here, so deleted tasks are filtered once.
with

source as (
    select * from {{ source('label_studio', 'tasks') }}
),

renamed as (
    select
        task_id,
        project_id,
        load_id,
        source_format,
        task,
        is_deleted,
        deleted_at,
        loaded_at
    from source
)

select * from renamed
