with

annotation_objects as (
    select * from {{ ref('base_label_studio__annotation_objects') }}
),

renamed as (
    select
        {{ concord.json_bigint('annotation_json', '$.id') }} as annotation_id,
        task_id,
        project_id,
        annotation_index,
        -- completed_by is a user id in the sync export and {id, email, ...} in a snapshot
        case
            when {{ concord.json_type('annotation_json', '$.completed_by') }} = 'OBJECT'
                then {{ concord.json_bigint('annotation_json', '$.completed_by.id') }}
            else {{ concord.json_bigint('annotation_json', '$.completed_by') }}
        end as annotator_id,
        case
            when {{ concord.json_type('annotation_json', '$.completed_by') }} = 'OBJECT'
                then {{ concord.json_text('annotation_json', '$.completed_by.email') }}
        end as annotator_email,
        {{ concord.json_bigint('annotation_json', '$.parent_prediction') }} as parent_prediction_id,
        case
            when {{ concord.json_type('annotation_json', '$.prediction') }} = 'OBJECT'
                then {{ concord.json_bigint('annotation_json', '$.prediction.id') }}
        end as embedded_prediction_id,
        {{ concord.json_text('annotation_json', '$.unique_id') }} as annotation_uuid,
        {{ concord.json_double('annotation_json', '$.lead_time') }} as lead_time_seconds,
        {{ concord.json_array_length('annotation_json', '$.result') }} as n_results,
        coalesce({{ concord.json_bool('annotation_json', '$.was_cancelled') }}, false) as is_cancelled,
        coalesce({{ concord.json_bool('annotation_json', '$.ground_truth') }}, false) as is_ground_truth,
        coalesce(
            {{ concord.list_has_any(
                concord.json_array_field_texts('annotation_json', '$.result', 'origin'),
                ['prediction', 'prediction-changed'],
            ) }},
            false
        ) as has_prediction_origin,
        {{ concord.json_timestamp('annotation_json', '$.created_at') }} as created_at,
        {{ concord.json_timestamp('annotation_json', '$.updated_at') }} as updated_at,
        {{ concord.json_timestamp('annotation_json', '$.draft_created_at') }} as draft_created_at,
    from annotation_objects
),

flagged as (
    select
        *,
        coalesce(n_results = 0, false) as is_empty,
        coalesce(
            {{ concord.seconds_between('created_at', 'updated_at') }}
                > {{ var('concord_edit_threshold_seconds') }},
            false
        ) as is_edited,
    from renamed
)

select * from flagged
