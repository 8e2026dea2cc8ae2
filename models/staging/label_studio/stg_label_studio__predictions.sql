with

prediction_objects as (
    select * from {{ ref('base_label_studio__prediction_objects') }}
),

ranked as (
    select
        {{ concord.json_bigint('prediction_json', '$.id') }} as prediction_id,
        task_id,
        project_id,
        prediction_json,
        source,
        row_number() over (
            partition by {{ concord.json_bigint('prediction_json', '$.id') }}
            order by source_rank, {{ concord.json_text('prediction_json', '$.updated_at') }} desc
        ) as source_preference,
    from prediction_objects
),

deduplicated as (
    select * from ranked
    where source_preference = 1
),

renamed as (
    select
        prediction_id,
        -- the prediction's own `task` (equal to the task it was found in, unless the export is
        -- inconsistent: then the orphan shows up in the relationships test and `concord check`)
        coalesce({{ concord.json_bigint('prediction_json', '$.task') }}, task_id) as task_id,
        project_id,
        {{ concord.json_text('prediction_json', '$.model_version') }} as model_version,
        {{ concord.json_double('prediction_json', '$.score') }} as prediction_score,
        {{ concord.json_get('prediction_json', '$.result') }} as result_json,
        {{ concord.json_array_length('prediction_json', '$.result') }} as n_results,
        source,
        {{ concord.json_timestamp('prediction_json', '$.created_at') }} as created_at,
        {{ concord.json_timestamp('prediction_json', '$.updated_at') }} as updated_at,
    from deduplicated
)

select * from renamed
