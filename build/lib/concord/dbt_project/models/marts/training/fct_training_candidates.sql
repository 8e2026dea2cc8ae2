-- Every non-deleted task a training extract could hold, unfiltered, one row per task, with the
-- flags the extract filters use. One definition for `concord extract` and fct_training_examples.
--   labels_json: {control: {consensus_value, agreement, agreement_metric, n_annotations,
--     ground_truth_value, model_label, model_score, human_model_delta}} from
--     fct_training_candidates_by_control, keys sorted
--   n_annotations: submitted (not skipped) annotations; min_agreement: lowest control agreement
--   model_version / model_label: the latest prediction (its label on the first control, by name,
--     that has one)
--   model_score: fct_model_scores, non-conflicting, first source in var
--     model_eval_delta_score_sources order, then prediction_score, region_score
--   human_model_delta: the control delta with the largest absolute value (ties: control name)
{%- set ratios = var('concord_extract_split') %}
{%- set delta_sources = var('model_eval_delta_score_sources', none) or ['data_field', 'external'] %}
{%- set sources = delta_sources + ['prediction_score', 'region_score'] %}
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

-- narrow: referenced more than once (data_json stays out)
by_control as (
    select
        task_id,
        control_name,
        consensus_value,
        agreement,
        agreement_metric,
        n_annotations,
        ground_truth_value,
        model_label,
        model_score,
        human_model_delta,
    from {{ ref('fct_training_candidates_by_control') }}
),

model_scores as (
    select * from {{ ref('fct_model_scores') }}
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
        model_version,
        row_number() over (
            partition by task_id
            order by created_at desc nulls last, prediction_id desc
        ) as prediction_rank,
    from predictions
),

-- window functions, not a group by: the objects (hundreds of MB at 1M tasks) would sit in
-- aggregate states DuckDB cannot spill (training_json_object_agg)
control_labels as (
    select
        task_id,
        {{ training_json_object_agg('control_name', training_json_object([
            'consensus_value', 'consensus_value',
            'agreement', 'agreement',
            'agreement_metric', 'agreement_metric',
            'n_annotations', 'n_annotations',
            'ground_truth_value', 'ground_truth_value',
            'model_label', 'model_label',
            'model_score', 'model_score',
            'human_model_delta', 'human_model_delta',
        ]), 'task_id') }} as labels_json,
        min(agreement) over (partition by task_id) as min_agreement,
        row_number() over (partition by task_id order by control_name) as control_rank,
    from by_control
),

task_labels as (
    select
        task_id,
        labels_json,
        min_agreement,
    from control_labels
    where control_rank = 1
),

ranked_control_labels as (
    select
        task_id,
        model_label,
        row_number() over (partition by task_id order by control_name) as label_rank,
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
        ) as delta_rank,
    from by_control
    where human_model_delta is not null
),

ranked_scores as (
    select
        task_id,
        score,
        row_number() over (
            partition by task_id
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
        ) as score_rank,
    from model_scores
    where not has_conflict
        and score is not null
),

joined as (
    select
        tasks.task_id,
        tasks.project_id,
        tasks.ext_id,
        cast(tasks.data_json as {{ dbt.type_string() }}) as data_json,
        coalesce(task_labels.labels_json, '{}') as labels_json,
        coalesce(task_annotations.n_submitted, 0) as n_annotations,
        task_labels.min_agreement,
        coalesce(task_annotations.has_ground_truth, false) as has_ground_truth,
        latest_predictions.model_version,
        ranked_control_labels.model_label,
        ranked_scores.score as model_score,
        ranked_control_deltas.human_model_delta,
        task_predictions.prediction_ids,
        submitted_annotation_ids.annotation_ids,
        tasks.load_id,
        review_queue.task_id is not null as is_in_review_queue,
        coalesce(task_annotations.has_ground_truth, false) as is_resolved_by_ground_truth,
        coalesce(task_annotations.n_all > 0 and task_annotations.n_submitted = 0, false) as is_skipped_only,
        {{ training_split_bucket('tasks.task_id', var('concord_split_seed')) }} as split_bucket,
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
    left join task_labels
        on tasks.task_id = task_labels.task_id
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
        case
            when split_bucket < {{ ratios[0] }} then 'train'
            when split_bucket < {{ ratios[0] + ratios[1] }} then 'validation'
            else 'test'
        end as split,
    from joined
)

select * from split
