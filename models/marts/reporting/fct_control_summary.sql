-- One row per (project, control): "which control has the worst agreement, and is the model better
-- or worse than the humans on it?" in one table. Reliability of the human annotations
-- (fct_control_reliability), the human ceiling (mean human-human pair agreement over every task,
-- fct_agreement_ceiling.human_human_agreement_all) and the model's agreement
-- (fct_agreement_ceiling: the model version with the highest model-human agreement) side by side.
-- A control no model version predicts has a row too, with model_status saying so; a control that is
-- not scored says why (skip_reason).
--   alpha            alpha_interval for numeric controls, alpha_nominal otherwise (alpha_kind)
--   is_unreliable    alpha < var concord_reliability_alpha_threshold (Krippendorff's 0.667)
--   model_status     'not predicted by any model' | 'no human pairs to compare' |
--                    'below the human ceiling' | 'at or above the human ceiling'
-- summary_version changes when any definition here changes.
with

controls as (
    select * from {{ ref('dim_agreement_controls') }}
),

reliability as (
    select * from {{ ref('fct_control_reliability') }}
),

ceiling as (
    select * from {{ ref('fct_agreement_ceiling') }}
),

control_tasks as (
    select
        project_id,
        control_name,
        count(*) as n_tasks
    from {{ ref('fct_control_agreement') }}
    group by project_id, control_name
),

control_annotators as (
    select
        project_id,
        control_name,
        count(distinct annotator_id) as n_annotators
    from {{ ref('fct_annotator_agreement') }}
    where n_annotations_with_control > 0
    group by project_id, control_name
),

human_pairs as (
    select
        project_id,
        control_name,
        count(*) as n_human_pairs,
        favg(agreement) as human_ceiling
    from {{ ref('fct_pair_agreement') }}
    group by project_id, control_name
),

model_versions_ranked as (
    select
        project_id,
        control_name,
        model_version,
        model_human_agreement,
        human_human_agreement,
        agreement_gap,
        n_model_human_pairs,
        count(*) over (partition by project_id, control_name) as n_model_versions,
        row_number() over (
            partition by project_id, control_name
            order by model_human_agreement desc nulls last, model_version asc
        ) as version_rank
    from ceiling
),

best_model as (
    select * from model_versions_ranked
    where version_rank = 1
),

summary as (
    select
        controls.project_id,
        controls.control_name,
        controls.control_type,
        controls.metric_name,
        controls.skip_reason,
        coalesce(control_tasks.n_tasks, 0) as n_tasks,
        coalesce(control_annotators.n_annotators, 0) as n_annotators,
        coalesce(human_pairs.n_human_pairs, 0) as n_human_pairs,
        reliability.mean_pairwise_agreement,
        case when reliability.value_kind = 'numeric' then 'interval' else 'nominal' end as alpha_kind,
        case
            when reliability.value_kind = 'numeric' then reliability.alpha_interval
            else reliability.alpha_nominal
        end as alpha,
        reliability.alpha_reason,
        reliability.gwet_ac1,
        human_pairs.human_ceiling,
        coalesce(best_model.n_model_versions, 0) as n_model_versions,
        best_model.model_version as best_model_version,
        best_model.n_model_human_pairs as best_model_n_pairs,
        best_model.model_human_agreement as best_model_agreement,
        best_model.human_human_agreement as best_model_human_ceiling,
        best_model.agreement_gap as best_model_agreement_gap,
        case
            when best_model.model_version is null then 'not predicted by any model'
            when best_model.agreement_gap is null then 'no human pairs to compare'
            when best_model.agreement_gap < 0 then 'below the human ceiling'
            else 'at or above the human ceiling'
        end as model_status,
        'control_summary_v1' as summary_version,
        controls.is_scored,
        coalesce(
            {{ concord_compare(
                "case when reliability.value_kind = 'numeric' then reliability.alpha_interval"
                ~ " else reliability.alpha_nominal end",
                '<', var('concord_reliability_alpha_threshold')
            ) }},
            false
        ) as is_unreliable,
        best_model.model_version is not null as is_predicted_by_model
    from controls
    left join reliability
        on controls.project_id = reliability.project_id
        and controls.control_name = reliability.control_name
    left join control_tasks
        on controls.project_id = control_tasks.project_id
        and controls.control_name = control_tasks.control_name
    left join control_annotators
        on controls.project_id = control_annotators.project_id
        and controls.control_name = control_annotators.control_name
    left join human_pairs
        on controls.project_id = human_pairs.project_id
        and controls.control_name = human_pairs.control_name
    left join best_model
        on controls.project_id = best_model.project_id
        and controls.control_name = best_model.control_name
)

select * from summary
