-- Drafts: saved but never submitted work. Kept apart: never counted as annotations.
with

tasks as (
    select * from {{ ref('base_label_studio__tasks') }}
    where not is_deleted
),

draft_objects as (
    select
        task_id,
        project_id,
        {{ concord.json_array_unnest('task_json', '$.drafts', 'draft_json', 'draft_index') }},
    from tasks
),

renamed as (
    select
        {{ concord.json_bigint('draft_json', '$.id') }} as draft_id,
        task_id,
        project_id,
        {{ concord.json_bigint('draft_json', '$.annotation') }} as annotation_id,
        -- a draft names its user by email only (annotations use the user id)
        {{ concord.json_text('draft_json', '$.user') }} as user_email,
        {{ concord.json_double('draft_json', '$.lead_time') }} as lead_time_seconds,
        coalesce({{ concord.json_bool('draft_json', '$.was_postponed') }}, false) as was_postponed,
        {{ concord.json_get('draft_json', '$.result') }} as result_json,
        {{ concord.json_array_length('draft_json', '$.result') }} as n_results,
        {{ concord.json_timestamp('draft_json', '$.created_at') }} as created_at,
        {{ concord.json_timestamp('draft_json', '$.updated_at') }} as updated_at,
    from draft_objects
)

select * from renamed
