-- The tasks this build's incremental agreement models rebuild (docs/incremental.md): one row per
-- task, with why. Read by concord.only_changed_tasks() in those models and by the strategy
-- concord_by_task, which deletes these tasks' rows and inserts them again.
--
-- A task is changed when its digests (int_agreement__task_digests) differ from the ones recorded
-- at the last complete build, concord_state.agreement_watermark (written by the on-run-end hook
-- concord.record_agreement_watermark, only when every agreement model succeeded). Changed tasks
-- of a build that did not complete (killed, a failed model) are carried over: their rows may hold
-- a state that has since been undone, which the digests alone would not show.
{%- set watermark = adapter.get_relation(
    database=this.database, schema='concord_state', identifier='agreement_watermark'
) -%}
{%- set runs = adapter.get_relation(
    database=this.database, schema='concord_state', identifier='agreement_watermark_runs'
) -%}
{%- set previous = load_relation(this) %}
{%- set new_task_reason = 'no_watermark' if watermark is none else 'added' %}
with

current_digests as (
    select * from {{ ref('int_agreement__task_digests') }}
),

-- the digests of the last complete build; none when the warehouse was never built by this engine
-- (or its watermark was dropped): then every task counts as changed, 'no_watermark'
recorded_digests as (
    {%- if watermark is none %}
        select
            task_id,
            project_id,
            content_digest,
            project_digest
        from current_digests
        where false
    {%- else %}
        select * from {{ watermark }}
    {%- endif %}
),

changed as (
    select
        coalesce(current_digests.task_id, recorded_digests.task_id) as task_id,
        coalesce(current_digests.project_id, recorded_digests.project_id) as project_id,
        case
            when recorded_digests.task_id is null
                then '{{ new_task_reason }}'
            when current_digests.task_id is null then 'removed'
            when current_digests.project_digest <> recorded_digests.project_digest
                then 'project_settings'
            else 'changed'
        end as change_reason
    from current_digests
    full outer join recorded_digests
        on current_digests.task_id = recorded_digests.task_id
    where
        current_digests.task_id is null
        or recorded_digests.task_id is null
        or current_digests.content_digest <> recorded_digests.content_digest
        or current_digests.project_digest <> recorded_digests.project_digest
),

-- the changed tasks of a build whose watermark was never recorded (it did not complete)
carried_over as (
    {%- if previous is none %}
        select
            task_id,
            project_id,
            'interrupted_build' as change_reason
        from current_digests
        where false
    {%- else %}
        select
            task_id,
            project_id,
            'interrupted_build' as change_reason
        from {{ previous }}
        {%- if runs is not none %}
            where invocation_id not in (select runs.invocation_id from {{ runs }} as runs)
        {%- endif %}
    {%- endif %}
),

all_changes as (
    select * from changed
    union all
    select * from carried_over
),

one_per_task as (
    select
        task_id,
        min(project_id) as project_id,
        -- a task has at most one reason in `changed`; 'interrupted_build' only when it has none
        arg_min(change_reason, change_reason = 'interrupted_build') as change_reason,
        '{{ invocation_id }}' as invocation_id
    from all_changes
    group by task_id
)

select * from one_per_task
