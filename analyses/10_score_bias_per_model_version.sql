-- Does the model score too high or too low? Mean signed bias (model - human consensus), MAE and
-- correlation per control, score and model version, at the task level.
select
    project_id,
    control_name,
    score_source,
    score_name,
    model_version,
    n,
    mean_signed_bias,
    mae,
    rmse,
    pearson,
    spearman,
from {{ ref('fct_score_delta_summary') }}
where comparison_level = 'task'
order by abs(mean_signed_bias) desc nulls last, project_id, control_name, model_version
