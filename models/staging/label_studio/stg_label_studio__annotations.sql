with

annotations as (
    select * from {{ ref('base_label_studio__annotations_unnested') }}
),

renamed as (
    select
        annotation.id as annotation_id,
        task_id,
        project_id,
        annotation_index,
        -- completed_by is a user id in the sync export and {id, email, ...} in a snapshot
        case
            when {{ concord.json_type('annotation.completed_by') }} = 'OBJECT'
                then {{ concord.json_bigint('annotation.completed_by', '$.id') }}
            else {{ concord.json_bigint('annotation.completed_by', '$') }}
        end as annotator_id,
        case
            when {{ concord.json_type('annotation.completed_by') }} = 'OBJECT'
                then {{ concord.json_text('annotation.completed_by', '$.email') }}
        end as annotator_email,
        annotation.parent_prediction as parent_prediction_id,
        annotation.prediction.id as embedded_prediction_id,
        annotation.unique_id as annotation_uuid,
        annotation.lead_time as lead_time_seconds,
        {{ concord.list_length('annotation.result') }} as n_results,
        coalesce(annotation.was_cancelled, false) as is_cancelled,
        coalesce(annotation.ground_truth, false) as is_ground_truth,
        coalesce(
            {{ concord.list_has_any(
                concord.list_field('annotation.result', 'origin'),
                ['prediction', 'prediction-changed'],
            ) }},
            false
        ) as has_prediction_origin,
        {{ concord.timestamp_from_text('annotation.created_at') }} as created_at,
        {{ concord.timestamp_from_text('annotation.updated_at') }} as updated_at,
        {{ concord.timestamp_from_text('annotation.draft_created_at') }} as draft_created_at,
    from annotations
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
