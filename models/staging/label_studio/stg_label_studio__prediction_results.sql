-- One row per result item (region) of a staged prediction, with the per-region score.
with

predictions as (
    select * from {{ ref('stg_label_studio__predictions') }}
),

result_objects as (
    select
        prediction_id,
        task_id,
        project_id,
        model_version,
        {{ concord.json_array_unnest('result_json', '$', 'result_item_json', 'result_index') }},
    from predictions
),

typed as (
    select
        cast(prediction_id as varchar) || '-' || cast(result_index as varchar) as prediction_result_id,
        prediction_id,
        task_id,
        project_id,
        model_version,
        result_index,
        {{ concord.json_double('result_item_json', '$.score') }} as region_score,
        {{ concord.label_studio_result_columns('result_item_json') }},
    from result_objects
)

select * from typed
