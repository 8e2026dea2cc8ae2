-- One row per (submitted annotation, scalar control): the human judgment normalised to [0, 1]
-- (model_eval_normalised_judgment). Scalar controls: Rating, Number, Choices. When an annotation
-- holds several results for one control (per-region choices), the first by result_index is used.
with

annotations as (
    select * from {{ ref('int_model_eval__annotation_exposure') }}
),

results as (
    select * from {{ ref('stg_label_studio__annotation_results') }}
),

controls as (
    select * from {{ ref('int_model_eval__controls') }}
),

label_values as (
    select * from {{ ref('label_values') }}
),

results_typed as (
    select
        results.annotation_id,
        results.control_name,
        results.result_index,
        results.origin,
        results.rating,
        results.number_value,
        coalesce(controls.control_type, results.result_type) as control_type,
        controls.max_rating,
        controls.min_value,
        controls.max_value,
        {{ model_eval_single_label('results.choices') }} as judgment_label,
        row_number() over (
            partition by results.annotation_id, results.control_name
            order by results.result_index
        ) as result_rank
    from results
    left join controls
        on results.project_id = controls.project_id
        and results.control_name = controls.control_name
),

first_scalar_results as (
    select * from results_typed
    where
        result_rank = 1
        and control_type in ('rating', 'number', 'choices')
),

judgments_with_label_values as (
    select
        annotations.annotation_id,
        annotations.task_id,
        annotations.project_id,
        annotations.annotator_id,
        first_scalar_results.control_name,
        first_scalar_results.control_type,
        first_scalar_results.origin as result_origin,
        annotations.exposure,
        first_scalar_results.judgment_label,
        case
            when first_scalar_results.control_type = 'rating' then first_scalar_results.rating
            when first_scalar_results.control_type = 'number' then first_scalar_results.number_value
        end as judgment_number,
        coalesce(project_values.label_value, global_values.label_value) as label_value,
        first_scalar_results.max_rating,
        first_scalar_results.min_value,
        first_scalar_results.max_value,
        annotations.is_exposed,
        annotations.is_ground_truth
    from first_scalar_results
    inner join annotations
        on first_scalar_results.annotation_id = annotations.annotation_id
    left join label_values as project_values
        on project_values.project_scope = cast(annotations.project_id as {{ dbt.type_string() }})
        and project_values.control_name = first_scalar_results.control_name
        and project_values.label = first_scalar_results.judgment_label
    left join label_values as global_values
        on global_values.project_scope = 'all'
        and global_values.control_name = first_scalar_results.control_name
        and global_values.label = first_scalar_results.judgment_label
),

normalised as (
    select
        annotation_id,
        task_id,
        project_id,
        annotator_id,
        control_name,
        control_type,
        result_origin,
        exposure,
        judgment_label,
        -- the key that two identical judgments share: the label, or the number as text
        coalesce(judgment_label, cast(judgment_number as {{ dbt.type_string() }})) as judgment_key,
        judgment_number,
        label_value,
        {{ model_eval_normalised_judgment(
            'control_type', 'judgment_number', 'max_rating', 'judgment_number',
            'min_value', 'max_value', 'label_value') }} as human_value,
        case
            when control_type = 'choices' and judgment_label is null
                then 'no single label (multiple or no picks)'
            when control_type = 'choices' and label_value is null
                then 'label ' || judgment_label || ' has no value in seed label_values'
            when control_type = 'choices' and not label_value between 0 and 1
                then 'seed value of ' || judgment_label || ' outside [0, 1]'
            when control_type = 'rating' and not coalesce(max_rating > 1, false)
                then 'no maxRating > 1 in the config'
            when control_type = 'rating' and not judgment_number between 1 and max_rating
                then
                    'rating '
                    || cast(judgment_number as {{ dbt.type_string() }})
                    || ' outside 1..'
                    || cast(max_rating as {{ dbt.type_string() }})
            when control_type = 'number' and not coalesce(max_value > min_value, false)
                then 'no min < max declared in the config'
            when control_type = 'number' and not judgment_number between min_value and max_value
                then
                    'number '
                    || cast(judgment_number as {{ dbt.type_string() }})
                    || ' outside the declared min..max'
        end as null_value_reason,
        is_exposed,
        is_ground_truth
    from judgments_with_label_values
)

select * from normalised
