-- Which controls fall below Krippendorff's alpha 0.667 (too unreliable for even tentative
-- conclusions), and how does the model do on them?
select
    project_id,
    control_name,
    control_type,
    alpha_kind,
    alpha,
    mean_pairwise_agreement,
    n_tasks,
    model_status,
from {{ ref('fct_control_summary') }}
where alpha < {{ var('concord_reliability_alpha_threshold') }}
order by alpha, project_id, control_name
