-- Score-delta aggregates per (project, control, score source, score name, model_version,
-- comparison level). comparison_level 'annotation': every (annotation, score) pair of
-- fct_score_deltas; 'task': the human consensus per task (fct_task_score_deltas, tasks with a
-- consensus value). x = model score, y = human value, d = x - y:
--   n                  number of (x, y) pairs
--   mae                mean |d|                          metric_version mae_v1
--   rmse               sqrt(mean d^2)                    rmse_v1
--   mean_signed_bias   mean d (> 0: model scores above the humans)   bias_v1
--   pearson            model_eval_pearson (two-pass), null without variation   pearson_v1
--   spearman           Pearson over average ranks (model_eval_average_rank)    spearman_v1
with

annotation_deltas as (
    select * from {{ ref('fct_score_deltas') }}
),

task_deltas as (
    select * from {{ ref('fct_task_score_deltas') }}
),

pairs as (
    select
        project_id,
        control_name,
        score_source,
        score_name,
        model_version,
        'annotation' as comparison_level,
        model_score as x,
        human_value as y
    from annotation_deltas
    union all
    select
        project_id,
        control_name,
        score_source,
        score_name,
        model_version,
        'task' as comparison_level,
        model_score as x,
        consensus_value as y
    from task_deltas
    where consensus_value is not null
),

centred_and_ranked as (
    select
        *,
        x - favg(x) over (
            partition by project_id, control_name, score_source, score_name, model_version, comparison_level
        ) as dx,
        y - favg(y) over (
            partition by project_id, control_name, score_source, score_name, model_version, comparison_level
        ) as dy,
        {{ model_eval_average_rank(
            'x', 'project_id, control_name, score_source, score_name, model_version, comparison_level'
        ) }}
            as rank_x,
        {{ model_eval_average_rank(
            'y', 'project_id, control_name, score_source, score_name, model_version, comparison_level'
        ) }}
            as rank_y
    from pairs
),

centred_ranks as (
    select
        *,
        rank_x - favg(rank_x) over (
            partition by project_id, control_name, score_source, score_name, model_version, comparison_level
        ) as drank_x,
        rank_y - favg(rank_y) over (
            partition by project_id, control_name, score_source, score_name, model_version, comparison_level
        ) as drank_y
    from centred_and_ranked
),

summary as (
    select
        project_id,
        control_name,
        score_source,
        score_name,
        model_version,
        comparison_level,
        count(*) as n,
        favg(abs(x - y)) as mae,
        sqrt(favg((x - y) * (x - y))) as rmse,
        favg(x - y) as mean_signed_bias,
        {{ model_eval_pearson('x', 'y', 'dx', 'dy') }} as pearson,
        {{ model_eval_pearson('rank_x', 'rank_y', 'drank_x', 'drank_y') }} as spearman,
        favg(x) as mean_model_score,
        favg(y) as mean_human_value,
        'mae_v1, rmse_v1, bias_v1, pearson_v1, spearman_v1' as metric_version
    from centred_ranks
    group by project_id, control_name, score_source, score_name, model_version, comparison_level
)

select * from summary
