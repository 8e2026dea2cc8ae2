-- Which control has the worst agreement, and is the model better or worse than the humans on it?
-- Worst by chance-corrected alpha where there is one, else by raw mean pairwise agreement.
select
    project_id,
    control_name,
    alpha,
    mean_pairwise_agreement,
    human_ceiling,
    best_model_version,
    best_model_agreement,
    best_model_agreement_gap,
    model_status,
from {{ ref('fct_control_summary') }}
where is_scored
qualify row_number() over (
    partition by project_id
    order by alpha nulls last, mean_pairwise_agreement nulls last, control_name
) = 1
order by project_id
