-- One row per value that enters the reliability coefficients: a submitted annotation's answer to
-- a single-valued control (units = tasks). category = the value key (categorical) or the number
-- as text (numeric); category_number = the number (numeric controls only).
with

judgments as (
    select
        judgment_id,
        annotator_id
    from {{ ref('int_agreement__judgments') }}
    where judgment_kind = 'annotation'
),

judgment_values as (
    select
        judgment_id,
        task_id,
        project_id,
        control_name,
        number_value,
        value_key
    from {{ ref('int_agreement__judgment_values') }}
    where judgment_kind = 'annotation'
),

controls as (
    select * from {{ ref('int_reliability__controls') }}
    where value_kind is not null
)

select
    judgment_values.project_id,
    judgment_values.control_name,
    judgment_values.task_id as unit_id,
    judgments.annotator_id,
    case
        when
            controls.value_kind = 'numeric'
            then cast(judgment_values.number_value as {{ dbt.type_string() }})
        else judgment_values.value_key
    end as category,
    case when controls.value_kind = 'numeric' then judgment_values.number_value end as category_number
from judgment_values
inner join judgments
    on judgment_values.judgment_id = judgments.judgment_id
inner join controls
    on judgment_values.project_id = controls.project_id
    and judgment_values.control_name = controls.control_name
where
    (controls.value_kind = 'numeric' and judgment_values.number_value is not null)
    or (controls.value_kind = 'categorical' and judgment_values.value_key is not null)
