-- Model-vs-human agreement with the same per-control metric as human-vs-human (the agreement
-- engine: int_agreement__judgment_pairs_scored, docs/agreement.md). One row per (task, control, prediction,
-- compared_with):
--   comparison 'annotation' (compared_with 'annotation:<id>'): the engine's model_human pair score,
--     for controls the prediction answers (is_present_a); an annotation that lacks the control
--     scores 0, as in human-human pairs.
--   comparison 'consensus' (compared_with 'consensus'): the prediction's value against the
--     annotators' consensus (fct_control_agreement.consensus_value / consensus_number) with the
--     control's metric macro: exact_match on the value key, numeric_difference or numeric_scaled
--     on the number, then the control's threshold (metric_threshold). Metrics that compare two
--     whole judgments (regions, text, sets) have no single consensus value: agreement is null
--     with consensus_null_reason.
with

pairs as (
    select * from {{ ref('int_agreement__judgment_pairs_scored') }}
    where
        pair_kind = 'model_human'
        and is_present_a
),

control_agreement as (
    select * from {{ ref('fct_control_agreement') }}
),

judgment_values as (
    select * from {{ ref('int_agreement__judgment_values') }}
    where judgment_kind = 'prediction'
),

judgments as (
    select * from {{ ref('int_agreement__judgments') }}
    where judgment_kind = 'prediction'
),

control_settings as (
    select * from {{ ref('int_agreement__control_settings') }}
),

exposure as (
    select * from {{ ref('int_model_eval__annotation_exposure') }}
),

vs_annotations as (
    select
        pairs.task_id,
        pairs.control_name,
        pairs.prediction_id_a as prediction_id,
        pairs.judgment_id_b as compared_with,
        pairs.project_id,
        pairs.control_type,
        coalesce(pairs.model_version_a, '{{ var("model_eval_unversioned_label") }}') as model_version,
        'annotation' as comparison,
        pairs.annotation_id_b as annotation_id,
        pairs.annotator_id_b as annotator_id,
        pairs.is_ground_truth_b as is_ground_truth,
        exposure.exposure,
        pairs.is_present_b as is_present_human,
        pairs.score,
        pairs.threshold,
        pairs.agreement,
        pairs.metric_name,
        pairs.metric_version,
        cast(null as {{ dbt.type_string() }}) as consensus_null_reason
    from pairs
    left join exposure
        on pairs.annotation_id_b = exposure.annotation_id
),

prediction_values_with_consensus as (
    select
        judgment_values.task_id,
        judgment_values.control_name,
        judgments.prediction_id,
        judgment_values.project_id,
        control_agreement.control_type,
        coalesce(judgments.model_version, '{{ var("model_eval_unversioned_label") }}') as model_version,
        control_agreement.metric_name,
        control_agreement.metric_version,
        control_agreement.threshold,
        case
            when control_agreement.metric_name = 'exact_match'
                then
                    {{ metric_exact_match('judgment_values.value_key', 'control_agreement.consensus_value') }}
            when control_agreement.metric_name = 'numeric_difference'
                then {{ metric_numeric_difference(
                        'judgment_values.number_value', 'control_agreement.consensus_number'
                    ) }}
            when control_agreement.metric_name = 'numeric_scaled'
                then
                    {{ metric_numeric_scaled(
                        'judgment_values.number_value', 'control_agreement.consensus_number',
                        'control_settings.scale_min', 'control_settings.scale_max'
                    ) }}
        end as score,
        case
            when control_agreement.metric_name not in ('exact_match', 'numeric_difference', 'numeric_scaled')
                then
                    'metric '
                    || control_agreement.metric_name
                    || ' compares whole judgments: no single consensus value'
        end as consensus_null_reason
    from judgment_values
    inner join judgments
        on judgment_values.judgment_id = judgments.judgment_id
    inner join control_agreement
        on judgment_values.task_id = control_agreement.task_id
        and judgment_values.control_name = control_agreement.control_name
    left join control_settings
        on control_agreement.project_id = control_settings.project_id
        and control_agreement.control_name = control_settings.control_name
    where control_agreement.consensus_value is not null
),

vs_consensus as (
    select
        task_id,
        control_name,
        prediction_id,
        'consensus' as compared_with,
        project_id,
        control_type,
        model_version,
        'consensus' as comparison,
        cast(null as bigint) as annotation_id,
        cast(null as bigint) as annotator_id,
        cast(null as boolean) as is_ground_truth,
        cast(null as {{ dbt.type_string() }}) as exposure,
        true as is_present_human,
        score,
        threshold,
        {{ metric_threshold('score', 'threshold') }} as agreement,
        metric_name,
        metric_version,
        consensus_null_reason
    from prediction_values_with_consensus
),

unioned as (
    select * from vs_annotations
    union all
    select * from vs_consensus
)

select * from unioned
