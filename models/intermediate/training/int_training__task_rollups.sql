-- One row per non-deleted task: the per-task rollups both training-candidate marts
-- (fct_training_candidates, fct_training_candidates_by_control) read, defined once.
--   n_submitted / n_all: submitted (not skipped) / all annotations (NULL: the task has none)
--   has_ground_truth: a submitted ground-truth annotation exists (NULL: no annotation)
--   annotation_ids: submitted annotation ids, sorted (NULL: none); prediction_ids: likewise
--   latest_prediction_id / latest_model_version: the latest prediction (created_at, then
--     prediction_id), NULL without one
with

tasks as (
    select task_id from {{ ref('stg_label_studio__tasks') }}
    where not coalesce(is_deleted, false)
),

-- narrow: referenced more than once, so DuckDB materialises it
annotations as (
    select
        annotation_id,
        task_id,
        is_cancelled,
        is_ground_truth
    from {{ ref('stg_label_studio__annotations') }}
),

-- narrow: referenced more than once
predictions as (
    select
        prediction_id,
        task_id,
        created_at,
        model_version
    from {{ ref('stg_label_studio__predictions') }}
),

task_annotations as (
    select
        task_id,
        count(case when not coalesce(is_cancelled, false) then 1 end) as n_submitted,
        count(*) as n_all,
        count(case when coalesce(is_ground_truth, false) and not coalesce(is_cancelled, false) then 1 end) > 0
            as has_ground_truth
    from annotations
    group by task_id
),

submitted_annotation_ids as (
    select
        task_id,
        {{ concord_list_agg('annotation_id', 'annotation_id') }} as annotation_ids
    from annotations
    where not coalesce(is_cancelled, false)
    group by task_id
),

task_predictions as (
    select
        task_id,
        {{ concord_list_agg('prediction_id', 'prediction_id') }} as prediction_ids
    from predictions
    group by task_id
),

latest_predictions as (
    select
        task_id,
        prediction_id,
        model_version,
        row_number() over (
            partition by task_id
            order by created_at desc nulls last, prediction_id desc
        ) as prediction_rank
    from predictions
),

final as (
    select
        tasks.task_id,
        task_annotations.n_submitted,
        task_annotations.n_all,
        task_annotations.has_ground_truth,
        submitted_annotation_ids.annotation_ids,
        task_predictions.prediction_ids,
        latest_predictions.prediction_id as latest_prediction_id,
        latest_predictions.model_version as latest_model_version
    from tasks
    left join task_annotations
        on tasks.task_id = task_annotations.task_id
    left join submitted_annotation_ids
        on tasks.task_id = submitted_annotation_ids.task_id
    left join task_predictions
        on tasks.task_id = task_predictions.task_id
    left join latest_predictions
        on tasks.task_id = latest_predictions.task_id
        and latest_predictions.prediction_rank = 1
)

select * from final
