-- Drafts: saved but never submitted work. Kept apart: never counted as annotations.
with

tasks as (
    select * from {{ ref('base_label_studio__tasks') }}
    where not is_deleted
),

-- only the drafts of each task are cast (as base_label_studio__tasks_parsed types them)
draft_lists as (
    select
        tasks.task_id,
        tasks.project_id,
        {{ concord.label_studio_task_field_from_raw('task', 'drafts') }} as drafts
    from tasks
),

unnested as (
    select
        task_id,
        project_id,
        {{ concord.list_unnest('drafts', 'draft', 'draft_index') }}
    from draft_lists
),

renamed as (
    select
        draft.id as draft_id,
        unnested.task_id,
        unnested.project_id,
        draft.annotation as annotation_id,
        -- a draft names its user by email only (annotations use the user id)
        draft.user as user_email,
        draft.lead_time as lead_time_seconds,
        coalesce(draft.was_postponed, false) as was_postponed,
        draft.result as result_json,
        {{ concord.json_array_length('draft.result') }} as n_results,
        {{ concord.timestamp_from_text('draft.created_at') }} as created_at,
        {{ concord.timestamp_from_text('draft.updated_at') }} as updated_at
    from unnested
    where unnested.draft is not null
)

select * from renamed
