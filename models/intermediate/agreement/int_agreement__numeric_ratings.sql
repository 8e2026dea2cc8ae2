-- One row per submitted annotation's number for a Rating or Number control: the input of the ICC
-- and per-annotator bias marts (docs/agreement.md, "ICC and bias"). rater_id: the annotator,
-- or the annotation itself when it has no annotator id ('annotator:<id>' / 'annotation:<id>').
with

judgments as (
    select
        judgment_id,
        annotation_id,
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
        control_type,
        number_value
    from {{ ref('int_agreement__judgment_values') }}
    where
        judgment_kind = 'annotation'
        and control_type in ('rating', 'number')
        and number_value is not null
),

final as (
    select
        judgment_values.project_id,
        judgment_values.control_name,
        judgment_values.control_type,
        judgment_values.task_id,
        judgments.annotation_id,
        case
            when judgments.annotator_id is null
                then 'annotation:' || cast(judgments.annotation_id as {{ dbt.type_string() }})
            else 'annotator:' || cast(judgments.annotator_id as {{ dbt.type_string() }})
        end as rater_id,
        judgment_values.number_value
    from judgment_values
    inner join judgments
        on judgment_values.judgment_id = judgments.judgment_id
)

select * from final
