-- Every (task, scored control) a training extract could hold, unfiltered, with the flags the
-- extract filters use. One definition for `concord extract --control` and
-- fct_training_examples_by_control (docs/governance.md).
--   consensus_value / agreement / n_annotations: fct_control_agreement (agreement NULL when no
--     pair of annotations exists; its metric and metric_version say how it was computed)
--   ground_truth_value: the value_key of the task's ground-truth annotation for the control
--   model_version / model_label: the task's latest prediction (created_at, then prediction_id);
--     it, the annotation / prediction id lists and the counts: int_training__task_rollups
--   model_score / human_model_delta: fct_task_score_deltas for the control, first score source in
--     var model_eval_delta_score_sources order (delta = model score - human consensus)
--   weighted_label / weighted_posterior / majority_posterior: fct_consensus_labels (Dawid-Skene),
--     categorical controls only (NULL otherwise)
--   split_bucket: training_split_bucket(task_id), in [0, 1); split: with var concord_extract_split
{%- set split_args = training_examples_var_args() %}
{%- set sources = var('model_eval_delta_score_sources', none) or ['data_field', 'external'] %}
with

tasks as (
    select * from {{ ref('stg_label_studio__tasks') }}
    where not coalesce(is_deleted, false)
),

task_rollups as (
    select * from {{ ref('int_training__task_rollups') }}
),

control_agreement as (
    select * from {{ ref('fct_control_agreement') }}
),

judgments as (
    select * from {{ ref('int_agreement__judgments') }}
    where judgment_kind = 'annotation'
),

judgment_values as (
    select * from {{ ref('int_agreement__judgment_values') }}
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

consensus_labels as (
    select
        task_id,
        control_name,
        weighted_label,
        posterior_probability,
        majority_posterior
    from {{ ref('fct_consensus_labels') }}
),

ground_truth_values as (
    select
        judgment_values.task_id,
        judgment_values.control_name,
        min(judgment_values.value_key) as ground_truth_value
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
            order by {{ model_eval_score_preference(sources) }}
        ) as delta_rank
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
        task_rollups.latest_model_version as model_version,
        prediction_labels.model_label,
        preferred_deltas.model_score,
        preferred_deltas.signed_delta,
        preferred_deltas.metric_version as delta_metric_version,
        consensus_labels.weighted_label,
        consensus_labels.posterior_probability as weighted_posterior,
        consensus_labels.majority_posterior,
        coalesce(task_rollups.has_ground_truth, false) as has_ground_truth,
        review_queue.task_id is not null as is_in_review_queue,
        coalesce(task_rollups.n_all > 0 and task_rollups.n_submitted = 0, false) as is_skipped_only
    from control_agreement
    left join task_rollups
        on control_agreement.task_id = task_rollups.task_id
    left join prediction_labels
        on task_rollups.latest_prediction_id = prediction_labels.prediction_id
        and control_agreement.control_name = prediction_labels.control_name
    left join ground_truth_values
        on control_agreement.task_id = ground_truth_values.task_id
        and control_agreement.control_name = ground_truth_values.control_name
    left join preferred_deltas
        on control_agreement.task_id = preferred_deltas.task_id
        and control_agreement.control_name = preferred_deltas.control_name
    left join review_queue
        on control_agreement.task_id = review_queue.task_id
    left join consensus_labels
        on control_agreement.task_id = consensus_labels.task_id
        and control_agreement.control_name = consensus_labels.control_name
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
        control_rows.weighted_label,
        control_rows.weighted_posterior,
        control_rows.majority_posterior,
        task_rollups.prediction_ids,
        task_rollups.annotation_ids,
        tasks.load_id,
        control_rows.metric_name is not null as has_agreement_metric,
        control_rows.has_ground_truth,
        control_rows.is_in_review_queue,
        control_rows.has_ground_truth as is_resolved_by_ground_truth,
        control_rows.is_skipped_only,
        {{ training_split_bucket('control_rows.task_id', var('concord_split_seed')) }} as split_bucket
    from control_rows
    inner join tasks
        on control_rows.task_id = tasks.task_id
    left join task_rollups
        on control_rows.task_id = task_rollups.task_id
),

split as (
    select
        *,
        {{ training_split('split_bucket', split_args.train_ratio, split_args.validation_ratio) }} as split
    from joined
)

select * from split
