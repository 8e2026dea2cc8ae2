-- One row per (prediction, Choices control) where the prediction picks exactly one label: the
-- model's label, its seed value, prediction.score and the choice result's own (region) score.
with

predictions as (
    select * from {{ ref('stg_label_studio__predictions') }}
),

prediction_results as (
    select * from {{ ref('stg_label_studio__prediction_results') }}
),

controls as (
    select * from {{ ref('int_model_eval__controls') }}
),

label_values as (
    select * from {{ ref('label_values') }}
),

first_choice_results as (
    select
        prediction_results.prediction_id,
        prediction_results.control_name,
        prediction_results.region_score,
        {{ model_eval_single_label('prediction_results.choices') }} as model_label,
        row_number() over (
            partition by prediction_results.prediction_id, prediction_results.control_name
            order by prediction_results.result_index
        ) as result_rank
    from prediction_results
    left join controls
        on prediction_results.project_id = controls.project_id
        and prediction_results.control_name = controls.control_name
    where coalesce(controls.control_type, prediction_results.result_type) = 'choices'
),

labelled as (
    select
        first_choice_results.prediction_id,
        first_choice_results.control_name,
        predictions.task_id,
        predictions.project_id,
        coalesce(predictions.model_version, '{{ var("model_eval_unversioned_label") }}') as model_version,
        first_choice_results.model_label,
        coalesce(project_values.label_value, global_values.label_value) as model_label_value,
        predictions.prediction_score,
        first_choice_results.region_score
    from first_choice_results
    inner join predictions
        on first_choice_results.prediction_id = predictions.prediction_id
    left join label_values as project_values
        on project_values.project_scope = cast(predictions.project_id as {{ dbt.type_string() }})
        and project_values.control_name = first_choice_results.control_name
        and project_values.label = first_choice_results.model_label
    left join label_values as global_values
        on global_values.project_scope = 'all'
        and global_values.control_name = first_choice_results.control_name
        and global_values.label = first_choice_results.model_label
    where
        first_choice_results.result_rank = 1
        and first_choice_results.model_label is not null
)

select * from labelled
