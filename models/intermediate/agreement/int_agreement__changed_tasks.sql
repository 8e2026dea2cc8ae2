-- The tasks this build's incremental agreement models rebuild (docs/incremental.md): one row per
-- task, with why. Read by concord.only_changed_tasks() in those models and by the strategy
-- concord_by_task, which deletes these tasks' rows and inserts them again.
--
-- A task is changed when its digests (int_agreement__task_digests) differ from the ones recorded
-- at the last complete build, concord_state.agreement_watermark (written by the on-run-end hook
-- concord.record_agreement_watermark, only when every agreement model succeeded). The tasks an
-- engine model rewrote since then (concord_state.agreement_pending_tasks: a killed or failed
-- build, a --select of part of the engine) are rebuilt too: their rows may hold a state that has
-- since been undone, which the digests alone would not show.
{%- set state = {'database': this.database, 'schema': 'concord_state'} -%}
{%- set watermark = adapter.get_relation(identifier='agreement_watermark', **state) -%}
{%- set pending = adapter.get_relation(identifier='agreement_pending_tasks', **state) -%}
{#- an engine table missing (dropped by hand) is about to be built in full -#}
{%- set missing = [] -%}
{%- for model in concord.agreement_engine_models()[2:] -%}
    {%- if adapter.get_relation(database=this.database, schema=this.schema, identifier=model) is none -%}
        {%- do missing.append(model) -%}
    {%- endif -%}
{%- endfor -%}
{%- set known = watermark is not none and pending is not none and not missing -%}
{%- set unknown_reason = 'no_watermark' if watermark is none else 'unknown_state' -%}
{%- set added_reason = 'added' if known else unknown_reason %}
with

current_digests as (
    select * from {{ ref('int_agreement__task_digests') }}
),

-- the digests of the last complete build; unknown when the warehouse was never built by this
-- engine, or its state was dropped: then every task counts as changed
recorded_digests as (
    {%- if known %}
        select * from {{ watermark }}
    {%- else %}
        select
            task_id,
            project_id,
            content_digest,
            project_digest
        from current_digests
        where false
    {%- endif %}
),

-- what engine models rewrote since the last complete build (their post-hook
-- concord.record_pending_tasks, in their own transaction): rebuilt again, whatever the digests
-- say now, since their change may have been undone meanwhile; a row with rebuild_all: everything
pending_tasks as (
    {%- if known %}
        select
            task_id,
            rebuild_all
        from {{ pending }}
    {%- else %}
        select
            cast(null as bigint) as task_id,
            true as rebuild_all
    {%- endif %}
),

changed as (
    select
        coalesce(current_digests.task_id, recorded_digests.task_id) as task_id,
        coalesce(current_digests.project_id, recorded_digests.project_id) as project_id,
        case
            when recorded_digests.task_id is null then '{{ added_reason }}'
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

carried_over as (
    select
        pending_tasks.task_id,
        current_digests.project_id,
        'interrupted_build' as change_reason
    from pending_tasks
    left join current_digests
        on pending_tasks.task_id = current_digests.task_id
    where pending_tasks.task_id is not null
),

everything as (
    select
        current_digests.task_id,
        current_digests.project_id,
        '{{ 'interrupted_build' if known else unknown_reason }}' as change_reason
    from current_digests
    where exists (
        select 1 from pending_tasks
        where pending_tasks.rebuild_all
    )
),

all_changes as (
    select * from changed
    union all
    select * from carried_over
    union all
    select * from everything
),

one_per_task as (
    select
        task_id,
        min(project_id) as project_id,
        -- the strongest evidence first: what the digests show, then why everything is rebuilt
        arg_min(
            change_reason,
            case change_reason when 'interrupted_build' then 2 when '{{ unknown_reason }}' then 1 else 0 end
        ) as change_reason,
        '{{ invocation_id }}' as invocation_id
    from all_changes
    group by task_id
)

select * from one_per_task
