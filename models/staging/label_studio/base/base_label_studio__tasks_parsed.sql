-- Every task's JSON parsed ONCE into a typed struct (label_studio_task_structure): annotations with
-- their results, predictions and drafts as nested lists. Every other Label Studio staging model
-- reads this instead of the raw JSON.
-- Materialized as a table (staging is otherwise views): parsing is the expensive part of staging
-- (a task is kilobytes of JSON). As views, each staging model and every mart query re-parsed all
-- the raw JSON; at 100k synthetic tasks that was 17 s for annotation results alone and about a
-- minute for staging (docs/staging.md has the measurements).
{{ config(materialized='table') }}

with

tasks as (
    select * from {{ ref('base_label_studio__tasks') }}
),

parsed as (
    select
        task_id,
        project_id,
        load_id,
        source_format,
        is_deleted,
        deleted_at,
        loaded_at,
        {{ concord.json_to_struct('task_json', concord.label_studio_task_structure()) }} as task,
    from tasks
)

select * from parsed
