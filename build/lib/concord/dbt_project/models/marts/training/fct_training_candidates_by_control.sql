-- Every (task, scored control) a training extract could hold, unfiltered, with the flags the
-- extract filters use. One definition for `concord extract --control` and
-- fct_training_examples_by_control (docs/governance.md).
--   consensus_value / agreement / n_annotations: fct_control_agreement (agreement NULL when no
--     pair of annotations exists; its metric and metric_version say how it was computed)
--   ground_truth_value: the value_key of the task's ground-truth annotation for the control
--   model_version / model_label: the task's latest prediction (created_at, then prediction_id)
--   model_score / human_model_delta: fct_task_score_deltas for the control, first score source in
--     var model_eval_delta_score_sources order (delta = model score - human consensus)
--   split_bucket: training_split_bucket(task_id), in [0, 1); split: with var concord_extract_split
{%- set ratios = var('concord_extract_split') %}
{%- set sources = var('model_eval_delta_score_sources', none) or ['data_field', 'external'] %}
with

tasks as (
    select * from {{ ref('stg_label_studio__tasks') }}
    where not coalesce(is_deleted, false)
),

-- narrow: referenced more than once, so DuckDB materialises it
annotations as (
    select
        annotation_id,
        task_id,
        is_cancelled,
        is_ground_truth,
    from {{ ref('stg_label_studio__annotations') }}
),

-- narrow: referenced more than once
predictions as (
    select
        prediction_id,
        task_id,
        created_at,
        model_version,
    from {{ ref('stg_label_studio__predictions') }}
),

control_agreement as (
    select * from {{ ref('fct_control_agreement') }}
),

judgments as (
    select * from {{ ref('int_agreement_judgments') }}
    where judgment_kind = 'annotation'
),

judgment_values as (
    select * from {{ ref('int_agreement_judgment_values') }}
    where judgment_kind = 'annotation'
),

prediction_labels as (
    select * from {{ ref('int_model_eval__prediction_labels') }}
),

task_score_deltas as (
    select * from {{ ref('fct_task_score_deltas') }}
),

review_queue as (
    select * from {{ ref('fct_review_queue') }}
),

task_annotations as (
    select
        task_id,
        count(case when not coalesce(is_cancelled, false) then 1 end) as n_submitted,
        count(*) as n_all,
        count(case when coalesce(is_ground_truth, false) and not coalesce(is_cancelled, false) then 1 end) > 0
            as has_ground_truth,
    from annotations
    group by task_id
),

submitted_annotation_ids as (
    select
        task_id,
        {{ concord_list_agg('annotation_id', 'annotation_id') }} as annotation_ids,
    from annotations
    where not coalesce(is_cancelled, false)
    group by task_id
),

task_predictions as (
    select
        task_id,
        {{ concord_list_agg('prediction_id', 'prediction_id') }} as prediction_ids,
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
        ) as prediction_rank,
    from predictions
),

latest_prediction as (
    select * from latest_predictions
    where prediction_rank = 1
),

ground_truth_values as (
    select
        judgment_values.task_id,
        judgment_values.control_name,
        min(judgment_values.value_key) as ground_truth_value,
    from judgment_values
    inner join judgments
        on judgment_values.judgment_id = judgments.judgment_id
    where judgments.is_ground_truth
    group by judgment_values.task_id, judgment_values.control_name
),

ranked_deltas as (
    select
        task_id,
        control_name,
        model_score,
        signed_delta,
        metric_version,
        row_number() over (
            partition by task_id, control_name
            order by
                case score_source
                    {%- for source in sources %}
                    when '{{ source }}' then {{ loop.index }}
                    {%- endfor %}
                    else {{ sources | length + 1 }}
                end,
                score_source,
                score_name,
                model_version desc
        ) as delta_rank,
    from task_score_deltas
),

preferred_deltas as (
    select * from ranked_deltas
    where delta_rank = 1
),

-- keys first: the (task, control) rows with their narrow per-control columns
control_rows as (
    select
        control_agreement.task_id,
        control_agreement.project_id,
        control_agreement.control_name,
        control_agreement.control_type,
        control_agreement.consensus_value,
        control_agreement.agreement,
        control_agreement.metric_name,
        control_agreement.metric_version,
        control_agreement.n_annotations,
        ground_truth_values.ground_truth_value,
        latest_prediction.model_version,
        prediction_labels.model_label,
        preferred_deltas.model_score,
        preferred_deltas.signed_delta,
        preferred_deltas.metric_version as delta_metric_version,
        coalesce(task_annotations.has_ground_truth, false) as has_ground_truth,
        review_queue.task_id is not null as is_in_review_queue,
        coalesce(task_annotations.n_all > 0 and task_annotations.n_submitted = 0, false) as is_skipped_only,
    from control_agreement
    left join task_annotations
        on control_agreement.task_id = task_annotations.task_id
    left join latest_prediction
        on control_agreement.task_id = latest_prediction.task_id
    left join prediction_labels
        on latest_prediction.prediction_id = prediction_labels.prediction_id
        and control_agreement.control_name = prediction_labels.control_name
    left join ground_truth_values
        on control_agreement.task_id = ground_truth_values.task_id
        and control_agreement.control_name = ground_truth_values.control_name
    left join preferred_deltas
        on control_agreement.task_id = preferred_deltas.task_id
        and control_agreement.control_name = preferred_deltas.control_name
    left join review_queue
        on control_agreement.task_id = review_queue.task_id
),

-- wide columns last: the task's data and id lists
joined as (
    select
        control_rows.task_id,
        control_rows.project_id,
        tasks.ext_id,
        control_rows.control_name,
        control_rows.control_type,
        cast(tasks.data_json as {{ dbt.type_string() }}) as data_json,
        control_rows.consensus_value,
        control_rows.agreement,
        control_rows.metric_name as agreement_metric,
        control_rows.metric_version as agreement_metric_version,
        control_rows.n_annotations,
        control_rows.ground_truth_value,
        control_rows.model_version,
        control_rows.model_label,
        control_rows.model_score,
        control_rows.signed_delta as human_model_delta,
        control_rows.delta_metric_version,
        task_predictions.prediction_ids,
        submitted_annotation_ids.annotation_ids,
        tasks.load_id,
        control_rows.metric_name is not null as has_agreement_metric,
        control_rows.has_ground_truth,
        control_rows.is_in_review_queue,
        control_rows.has_ground_truth as is_resolved_by_ground_truth,
        control_rows.is_skipped_only,
        {{ training_split_bucket('control_rows.task_id', var('concord_split_seed')) }} as split_bucket,
    from control_rows
    inner join tasks
        on control_rows.task_id = tasks.task_id
    left join submitted_annotation_ids
        on control_rows.task_id = submitted_annotation_ids.task_id
    left join task_predictions
        on control_rows.task_id = task_predictions.task_id
),

split as (
    select
        *,
        case
            when split_bucket < {{ ratios[0] }} then 'train'
            when split_bucket < {{ ratios[0] + ratios[1] }} then 'validation'
            else 'test'
        end as split,
    from joined
)

select * from split
