-- Exposure of each submitted annotation to the model's prediction (anchoring analysis).
-- exposed: the annotator started from a prediction, i.e. parent_prediction is set, or any result
-- kept origin 'prediction' / 'prediction-changed' (staging's has_prediction_origin); else manual.
with

annotations as (
    select * from {{ ref('stg_label_studio__annotations') }}
),

classified as (
    select
        annotation_id,
        task_id,
        project_id,
        annotator_id,
        parent_prediction_id,
        case
            when parent_prediction_id is not null and coalesce(has_prediction_origin, false)
                then 'parent_prediction_and_result_origin'
            when parent_prediction_id is not null then 'parent_prediction'
            when coalesce(has_prediction_origin, false) then 'result_origin'
        end as exposure_evidence,
        (parent_prediction_id is not null or coalesce(has_prediction_origin, false)) as is_exposed,
        coalesce(is_ground_truth, false) as is_ground_truth,
        coalesce(is_empty, false) as is_empty
    from annotations
    where not coalesce(is_cancelled, false)
),

labelled as (
    select
        *,
        case when is_exposed then 'exposed' else 'manual' end as exposure
    from classified
)

select * from labelled
