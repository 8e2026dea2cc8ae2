-- Every non-deleted task a training extract could hold, unfiltered, one row per task, with the
-- flags the extract filters use. One definition for `concord extract` and fct_training_examples.
--   labels_json: {control: {consensus_value, agreement, agreement_metric, n_annotations,
--     ground_truth_value, model_label, model_score, human_model_delta}}, keys sorted, and the
--     lowest agreement and posteriors: int_training__task_labels (weighted_labels_json:
--     int_training__task_weighted_labels; one window per model, for memory)
--   per-task counts, id lists and the latest prediction: int_training__task_rollups (shared with
--     fct_training_candidates_by_control)
--   n_annotations: submitted (not skipped) annotations; min_agreement: lowest control agreement
--   model_version / model_label: the latest prediction (its label on the first control, by name,
--     that has one)
--   model_score: fct_model_scores, non-conflicting, first source in var
--     model_eval_delta_score_sources order, then prediction_score, region_score
--   weighted_labels_json: labels_json with consensus_value = the Dawid-Skene weighted label on
--     categorical controls (fct_consensus_labels); min_majority_posterior / min_weighted_posterior:
--     the lowest posterior of the majority / weighted label over the task's categorical controls
--   human_model_delta: the control delta with the largest absolute value (ties: control name)
{%- set split_args = training_examples_var_args() %}
{%- set delta_sources = var('model_eval_delta_score_sources', none) or ['data_field', 'external'] %}
{%- set sources = delta_sources + ['prediction_score', 'region_score'] %}
with

tasks as (
    select * from {{ ref('stg_label_studio__tasks') }}
    where not coalesce(is_deleted, false)
),

task_rollups as (
    select * from {{ ref('int_training__task_rollups') }}
),

-- narrow: referenced more than once
by_control as (
    select
        task_id,
        control_name,
        model_label,
        human_model_delta
    from {{ ref('fct_training_candidates_by_control') }}
),

model_scores as (
    select * from {{ ref('fct_model_scores') }}
),

review_queue as (
    select * from {{ ref('fct_review_queue') }}
),

task_labels as (
    select * from {{ ref('int_training__task_labels') }}
),

-- only the tasks whose weighted labels differ from the majority (int_training__task_weighted_labels)
task_weighted_labels as (
    select * from {{ ref('int_training__task_weighted_labels') }}
),

ranked_control_labels as (
    select
        task_id,
        model_label,
        row_number() over (partition by task_id order by control_name) as label_rank
    from by_control
    where model_label is not null
),

ranked_control_deltas as (
    select
        task_id,
        human_model_delta,
        row_number() over (
            partition by task_id
            order by abs(human_model_delta) desc, control_name
        ) as delta_rank
    from by_control
    where human_model_delta is not null
),

ranked_scores as (
    select
        task_id,
        score,
        row_number() over (
            partition by task_id
            order by {{ model_eval_score_preference(sources) }}
        ) as score_rank
    from model_scores
    where
        not has_conflict
        and score is not null
),

joined as (
    select
        tasks.task_id,
        tasks.project_id,
        tasks.ext_id,
        cast(tasks.data_json as {{ dbt.type_string() }}) as data_json,
        coalesce(task_labels.labels_json, '{}') as labels_json,
        -- after the join, not before: a coalesced copy of every object in the join's hash table
        -- did not fit the default memory at 1M tasks
        coalesce(
            task_weighted_labels.weighted_labels_json, task_labels.labels_json, '{}'
        ) as weighted_labels_json,
        task_labels.min_majority_posterior,
        task_labels.min_weighted_posterior,
        coalesce(task_rollups.n_submitted, 0) as n_annotations,
        task_labels.min_agreement,
        coalesce(task_rollups.has_ground_truth, false) as has_ground_truth,
        task_rollups.latest_model_version as model_version,
        ranked_control_labels.model_label,
        ranked_scores.score as model_score,
        ranked_control_deltas.human_model_delta,
        task_rollups.prediction_ids,
        task_rollups.annotation_ids,
        tasks.load_id,
        review_queue.task_id is not null as is_in_review_queue,
        coalesce(task_rollups.has_ground_truth, false) as is_resolved_by_ground_truth,
        coalesce(task_rollups.n_all > 0 and task_rollups.n_submitted = 0, false) as is_skipped_only,
        {{ training_split_bucket('tasks.task_id', var('concord_split_seed')) }} as split_bucket
    from tasks
    left join task_rollups
        on tasks.task_id = task_rollups.task_id
    left join task_labels
        on tasks.task_id = task_labels.task_id
    left join task_weighted_labels
        on tasks.task_id = task_weighted_labels.task_id
    left join ranked_control_labels
        on tasks.task_id = ranked_control_labels.task_id
        and ranked_control_labels.label_rank = 1
    left join ranked_control_deltas
        on tasks.task_id = ranked_control_deltas.task_id
        and ranked_control_deltas.delta_rank = 1
    left join ranked_scores
        on tasks.task_id = ranked_scores.task_id
        and ranked_scores.score_rank = 1
    left join review_queue
        on tasks.task_id = review_queue.task_id
),

split as (
    select
        *,
        {{ training_split('split_bucket', split_args.train_ratio, split_args.validation_ratio) }} as split
    from joined
)

select * from split
