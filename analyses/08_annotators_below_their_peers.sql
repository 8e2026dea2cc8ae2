-- Which annotators disagree with everyone? Each annotator's agreement with the others per control,
-- as a z-score against the other annotators of the project (most negative first).
with

annotators as (
    select * from {{ ref('fct_annotator_agreement') }}
    where agreement_with_others is not null
)

select
    project_id,
    control_name,
    annotator_id,
    n_pairs,
    agreement_with_others,
    avg(agreement_with_others) over per_control as project_mean,
    (agreement_with_others - avg(agreement_with_others) over per_control)
    / nullif(stddev_pop(agreement_with_others) over per_control, 0) as z_score,
    agreement_with_ground_truth,
from annotators
window per_control as (partition by project_id, control_name)
order by z_score nulls last, project_id, control_name, annotator_id
