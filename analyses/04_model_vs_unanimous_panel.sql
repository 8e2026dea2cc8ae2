-- Tasks where the model disagrees with a unanimous human panel: every submitted annotation (two or
-- more) gives the same answer, and the model's prediction does not match it.
with

panel as (
    select * from {{ ref('fct_control_agreement') }}
    where n_annotations_with_control >= 2 and consensus_share = 1 and consensus_value is not null
),

model_vs_consensus as (
    select * from {{ ref('fct_model_agreement') }}
    where comparison = 'consensus' and agreement < 1
)

select
    panel.project_id,
    panel.task_id,
    panel.control_name,
    panel.consensus_value as human_answer,
    panel.n_annotations_with_control as n_annotators_agreeing,
    model_vs_consensus.model_version,
    model_vs_consensus.prediction_id,
    model_vs_consensus.agreement as model_agreement,
from panel
inner join model_vs_consensus
    on panel.task_id = model_vs_consensus.task_id
    and panel.control_name = model_vs_consensus.control_name
order by panel.project_id, panel.task_id, panel.control_name, model_vs_consensus.model_version
