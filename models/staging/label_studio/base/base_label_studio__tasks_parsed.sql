-- Every task as the typed struct of label_studio_task_structure(): annotations with their results,
-- predictions and drafts as nested lists. The readers of tasks (annotations_unnested, prediction
-- objects, drafts, tasks) cast only the fields they use, with label_studio_task_field_from_raw.
-- Ingest stores each task already parsed (raw_label_studio.tasks.task, one parse of the file by
-- DuckDB's reader), so this is a cast of that struct, not a JSON parse: docs/benchmark.md measured
-- parsing stored JSON text here at a third of the whole ingest + staging time.

with

tasks as (
    select * from {{ ref('base_label_studio__tasks') }}
),

parsed as (
    select
        tasks.task_id,
        tasks.project_id,
        tasks.load_id,
        tasks.source_format,
        tasks.is_deleted,
        tasks.deleted_at,
        tasks.loaded_at,
        {{ concord.label_studio_task_from_raw('task') }} as task
    from tasks
)

select * from parsed
