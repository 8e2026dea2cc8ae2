-- Label Studio's own per-task counters agree with what staging unnested: total_annotations counts
-- the submitted annotations, cancelled_annotations the skips (only for tasks from JSON exports,
-- which carry the counters; JSON_MIN / CSV regrouped tasks have none).
-- A warning, not an error: Label Studio 1.23 updates these counters without a lock, and
-- concurrent saves on one task leave them wrong on a busy project (seen on a live server), so a
-- mismatch says "Label Studio's counters drifted", not "Concord lost an annotation".
{{ config(severity='warn') }}
with

tasks as (
    select * from {{ ref('stg_label_studio__tasks') }}
    where not is_deleted
        and total_annotations is not null
),

annotations as (
    select * from {{ ref('stg_label_studio__annotations') }}
),

counted as (
    select
        task_id,
        count(*) filter (where not is_cancelled) as n_submitted,
        count(*) filter (where is_cancelled) as n_skipped,
    from annotations
    group by task_id
),

mismatched as (
    select
        tasks.task_id,
        tasks.total_annotations,
        tasks.cancelled_annotations,
        coalesce(counted.n_submitted, 0) as n_submitted,
        coalesce(counted.n_skipped, 0) as n_skipped,
    from tasks
    left join counted
        on tasks.task_id = counted.task_id
    where tasks.total_annotations != coalesce(counted.n_submitted, 0)
        or coalesce(tasks.cancelled_annotations, 0) != coalesce(counted.n_skipped, 0)
)

select * from mismatched
