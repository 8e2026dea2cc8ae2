-- One row per (project, control, model_version, task the model version predicted the control on):
-- the task's model-human pairs (n, exact sum of agreement: fct_model_agreement, comparison
-- 'annotation') and human-human pairs (int_reliability__unit_pair_sums), with a profile_id shared
-- by tasks with identical sums. fct_model_ceiling_verdict resamples these tasks (#14).
with

model_pairs as (
    select
        project_id,
        control_name,
        model_version,
        task_id as unit_id,
        count(agreement) filter (where comparison = 'annotation') as n_model_pairs,
        cast(
            coalesce(
                sum(cast(agreement as decimal(38, 18))) filter (where comparison = 'annotation'), 0
            ) as double
        )
            as sum_model_agreement
    from {{ ref('fct_model_agreement') }}
    group by project_id, control_name, model_version, task_id
),

joined as (
    select
        model_pairs.*,
        coalesce(human_pairs.n_pairs, 0) as n_human_pairs,
        coalesce(human_pairs.sum_agreement, 0) as sum_human_agreement
    from model_pairs
    left join {{ ref('int_reliability__unit_pair_sums') }} as human_pairs
        on model_pairs.project_id = human_pairs.project_id
        and model_pairs.control_name = human_pairs.control_name
        and model_pairs.unit_id = human_pairs.unit_id
)

select
    *,
    dense_rank() over (
        partition by project_id, control_name, model_version
        order by n_model_pairs, sum_model_agreement, n_human_pairs, sum_human_agreement
    ) as profile_id
from joined
