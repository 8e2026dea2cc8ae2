-- Does the model agree with people as often as people agree with each other? One row per
-- (project, control, model_version), human-human and model-human agreement side by side, both from
-- the agreement engine's pair scores (same metric, int_agreement__judgment_pairs_scored):
--   human_human_agreement     mean over human-human pairs on the tasks this model version
--                             predicted the control on (the like-for-like human ceiling)
--   human_human_agreement_all mean over every human-human pair of the control in the project
--   model_human_agreement     mean over (prediction, annotation) pairs (fct_model_agreement)
--   model_consensus_agreement mean of prediction vs consensus (fct_model_agreement)
--   agreement_gap             model_human_agreement - human_human_agreement (< 0: the model agrees
--                             with people less often than people agree with each other)
--   model_to_human_ratio      model_human_agreement / human_human_agreement
with

pairs as (
    select * from {{ ref('int_agreement__judgment_pairs_scored') }}
    where pair_kind = 'human_human'
),

model_agreement as (
    select * from {{ ref('fct_model_agreement') }}
),

model_tasks as (
    select distinct
        project_id,
        control_name,
        model_version,
        task_id
    from model_agreement
),

model_summary as (
    select
        project_id,
        control_name,
        model_version,
        min(control_type) as control_type,
        min(metric_name) as metric_name,
        min(metric_version) as metric_version,
        count(distinct task_id) as n_tasks,
        count(case when comparison = 'annotation' then 1 end) as n_model_human_pairs,
        favg(case when comparison = 'annotation' then agreement end) as model_human_agreement,
        count(case when comparison = 'consensus' and agreement is not null then 1 end)
            as n_consensus_comparisons,
        favg(case when comparison = 'consensus' then agreement end) as model_consensus_agreement
    from model_agreement
    group by project_id, control_name, model_version
),

human_on_model_tasks as (
    select
        model_tasks.project_id,
        model_tasks.control_name,
        model_tasks.model_version,
        count(pairs.task_id) as n_human_pairs,
        favg(pairs.agreement) as human_human_agreement
    from model_tasks
    inner join pairs
        on model_tasks.task_id = pairs.task_id
        and model_tasks.control_name = pairs.control_name
    group by model_tasks.project_id, model_tasks.control_name, model_tasks.model_version
),

human_all as (
    select
        project_id,
        control_name,
        count(*) as n_human_pairs_all,
        favg(agreement) as human_human_agreement_all
    from pairs
    group by project_id, control_name
),

side_by_side as (
    select
        model_summary.project_id,
        model_summary.control_name,
        model_summary.model_version,
        model_summary.control_type,
        model_summary.metric_name,
        model_summary.metric_version,
        model_summary.n_tasks,
        coalesce(human_on_model_tasks.n_human_pairs, 0) as n_human_pairs,
        human_on_model_tasks.human_human_agreement,
        coalesce(human_all.n_human_pairs_all, 0) as n_human_pairs_all,
        human_all.human_human_agreement_all,
        model_summary.n_model_human_pairs,
        model_summary.model_human_agreement,
        model_summary.n_consensus_comparisons,
        model_summary.model_consensus_agreement,
        model_summary.model_human_agreement - human_on_model_tasks.human_human_agreement as agreement_gap,
        model_summary.model_human_agreement
        / nullif(human_on_model_tasks.human_human_agreement, 0) as model_to_human_ratio
    from model_summary
    left join human_on_model_tasks
        on model_summary.project_id = human_on_model_tasks.project_id
        and model_summary.control_name = human_on_model_tasks.control_name
        and model_summary.model_version = human_on_model_tasks.model_version
    left join human_all
        on model_summary.project_id = human_all.project_id
        and model_summary.control_name = human_all.control_name
)

select * from side_by_side
