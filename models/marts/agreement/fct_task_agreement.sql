-- One row per task with at least one submitted annotation: the weighted mean of its controls'
-- agreement (weights from control_metric_settings; weight 0 drops a control; controls without
-- pairs do not count). NULL when no control has a scored pair.
with

judgments as (
    select * from {{ ref('int_agreement__judgments') }}
    where judgment_kind = 'annotation'
),

control_agreement as (
    select * from {{ ref('fct_control_agreement') }}
),

tasks_annotated as (
    select
        task_id,
        min(project_id) as project_id,
        count(*) as n_annotations,
        count(distinct annotator_id) as n_annotators
    from judgments
    group by task_id
),

control_rollup as (
    select
        task_id,
        fsum(case when agreement is not null and weight > 0 then weight * agreement end)
        / nullif(fsum(case when agreement is not null and weight > 0 then weight end), 0) as agreement,
        count(case when agreement is not null and weight > 0 then 1 end) as n_controls_scored,
        count(*) as n_controls_answered,
        min(case when weight > 0 then agreement end) as min_control_agreement,
        max(n_pairs) as n_pairs
    from control_agreement
    group by task_id
),

final as (
    select
        tasks_annotated.task_id,
        tasks_annotated.project_id,
        tasks_annotated.n_annotations,
        tasks_annotated.n_annotators,
        coalesce(control_rollup.n_pairs, 0) as n_pairs,
        coalesce(control_rollup.n_controls_answered, 0) as n_controls_answered,
        coalesce(control_rollup.n_controls_scored, 0) as n_controls_scored,
        control_rollup.agreement,
        control_rollup.min_control_agreement
    from tasks_annotated
    left join control_rollup
        on tasks_annotated.task_id = control_rollup.task_id
)

select * from final
