with

annotations as (
    select * from {{ ref('base_label_studio__annotations_unnested') }}
),

-- the user id of each email, from the annotations whose export expanded completed_by to
-- {id, email, ...}: the snapshot JSON_MIN gives only {email}, resolved through it
known_users as (
    select
        {{ concord.json_text('annotation.completed_by', '$.email') }} as email,
        min({{ concord.json_bigint('annotation.completed_by', '$.id') }}) as user_id
    from annotations
    where
        {{ concord.json_type('annotation.completed_by') }} = 'OBJECT'
        and {{ concord.json_bigint('annotation.completed_by', '$.id') }} is not null
        and {{ concord.json_text('annotation.completed_by', '$.email') }} is not null
    group by 1
),

renamed as (
    select
        annotation.id as annotation_id,
        task_id,
        project_id,
        annotation_index,
        -- completed_by is a user id in the sync export and {id, email, ...} in a snapshot; null
        -- (imported annotations, deleted users) is the explicit unknown annotator (var
        -- concord_unknown_annotator_id, default 0: Label Studio user ids start at 1)
        case
            when
                annotation.completed_by is null
                or {{ concord.json_type('annotation.completed_by') }} = 'NULL'
                then {{ var('concord_unknown_annotator_id') }}
            when {{ concord.json_type('annotation.completed_by') }} = 'OBJECT'
                -- an email only (snapshot JSON_MIN): the id the warehouse knows for that email,
                -- else a stable negative id derived from the email (Label Studio ids are >= 1,
                -- the unknown annotator 0), so each annotator stays one annotator in the marts
                then coalesce(
                    {{ concord.json_bigint('annotation.completed_by', '$.id') }},
                    known_users.user_id,
                    {{ concord.email_user_id(concord.json_text('annotation.completed_by', '$.email')) }}
                )
            else {{ concord.json_bigint('annotation.completed_by', '$') }}
        end as annotator_id,
        annotation.completed_by is null
        or {{ concord.json_type('annotation.completed_by') }} = 'NULL' as is_annotator_unknown,
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
        {{ concord.timestamp_from_text('annotation.draft_created_at') }} as draft_created_at
    from annotations
    left join known_users
        on {{ concord.json_type('annotation.completed_by') }} = 'OBJECT'
        and known_users.email = {{ concord.json_text('annotation.completed_by', '$.email') }}
),

flagged as (
    select
        *,
        coalesce(n_results = 0, false) as is_empty,
        coalesce(
            {{ concord.seconds_between('created_at', 'updated_at') }}
            > {{ var('concord_edit_threshold_seconds') }},
            false
        ) as is_edited
    from renamed
)

select * from flagged
