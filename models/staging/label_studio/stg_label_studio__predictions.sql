with

prediction_objects as (
    select * from {{ ref('base_label_studio__prediction_objects') }}
),

ranked as (
    select
        prediction.id as prediction_id,
        prediction_objects.task_id as found_in_task_id,
        prediction_objects.project_id,
        prediction_objects.prediction,
        prediction_objects.source,
        row_number() over (
            partition by prediction.id
            order by prediction_objects.source_rank asc, prediction.updated_at desc
        ) as source_preference
    from prediction_objects
),

deduplicated as (
    select * from ranked
    where source_preference = 1
),

renamed as (
    select
        deduplicated.prediction_id,
        -- the prediction's own `task` (equal to the task it was found in, unless the export is
        -- inconsistent: then the orphan shows up in the relationships test and `concord check`)
        coalesce(prediction.task, deduplicated.found_in_task_id) as task_id,
        deduplicated.project_id,
        prediction.model_version,
        prediction.score as prediction_score,
        prediction.result as result_json,
        {{ concord.json_array_length('prediction.result') }} as n_results,
        deduplicated.source,
        {{ concord.timestamp_from_text('prediction.created_at') }} as created_at,
        {{ concord.timestamp_from_text('prediction.updated_at') }} as updated_at
    from deduplicated
)

select * from renamed
