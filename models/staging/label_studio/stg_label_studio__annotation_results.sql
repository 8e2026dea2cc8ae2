-- One row per result item of a submitted (not skipped) annotation of a non-deleted task.
with

annotation_objects as (
    select * from {{ ref('base_label_studio__annotation_objects') }}
    where not coalesce({{ concord.json_bool('annotation_json', '$.was_cancelled') }}, false)
),

result_objects as (
    select
        {{ concord.json_bigint('annotation_json', '$.id') }} as annotation_id,
        task_id,
        project_id,
        {{ concord.json_array_unnest('annotation_json', '$.result', 'result_json', 'result_index') }},
    from annotation_objects
),

typed as (
    select
        cast(annotation_id as varchar) || '-' || cast(result_index as varchar) as annotation_result_id,
        annotation_id,
        task_id,
        project_id,
        result_index,
        {{ concord.label_studio_result_columns('result_json') }},
    from result_objects
)

select * from typed
