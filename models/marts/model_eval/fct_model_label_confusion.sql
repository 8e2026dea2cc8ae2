-- Confusion matrix between the model's label and the human consensus label, per (project, Choices
-- control, model_version): one row per (model_label, human_label) over every label seen on either
-- side in that group, zeros included. Unit: one prediction (single pick) on a task whose human
-- consensus label is defined (a majority, not a tie; int_model_eval__human_consensus).
with

prediction_labels as (
    select * from {{ ref('int_model_eval__prediction_labels') }}
),

consensus as (
    select * from {{ ref('int_model_eval__human_consensus') }}
    where
        control_type = 'choices'
        and consensus_key is not null
),

units as (
    select
        prediction_labels.project_id,
        prediction_labels.control_name,
        prediction_labels.model_version,
        prediction_labels.prediction_id,
        prediction_labels.model_label,
        consensus.consensus_key as human_label
    from prediction_labels
    inner join consensus
        on prediction_labels.task_id = consensus.task_id
        and prediction_labels.control_name = consensus.control_name
),

group_labels as (
    select distinct
        project_id,
        control_name,
        model_version,
        model_label as label
    from units
    union
    select distinct
        project_id,
        control_name,
        model_version,
        human_label as label
    from units
),

grid as (
    select
        model_side.project_id,
        model_side.control_name,
        model_side.model_version,
        model_side.label as model_label,
        human_side.label as human_label
    from group_labels as model_side
    inner join group_labels as human_side
        on model_side.project_id = human_side.project_id
        and model_side.control_name = human_side.control_name
        and model_side.model_version = human_side.model_version
),

counts as (
    select
        project_id,
        control_name,
        model_version,
        model_label,
        human_label,
        count(*) as n_units
    from units
    group by project_id, control_name, model_version, model_label, human_label
),

matrix as (
    select
        grid.project_id,
        grid.control_name,
        grid.model_version,
        grid.model_label,
        grid.human_label,
        coalesce(counts.n_units, 0) as n_units,
        grid.model_label = grid.human_label as is_diagonal
    from grid
    left join counts
        on grid.project_id = counts.project_id
        and grid.control_name = counts.control_name
        and grid.model_version = counts.model_version
        and grid.model_label = counts.model_label
        and grid.human_label = counts.human_label
)

select * from matrix
