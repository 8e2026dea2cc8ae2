-- One row per result item (region) of a staged prediction, with the per-region score.
-- A table for the same reason as stg_label_studio__annotation_results.
-- (declared in dbt_project.yml, with every staging materialization)

with

predictions as (
    select * from {{ ref('stg_label_studio__predictions') }}
),

result_lists as (
    select
        prediction_id,
        task_id,
        project_id,
        model_version,
        {{ concord.json_to_json_list('result_json') }} as result_items,
    from predictions
),

result_objects as (
    select
        prediction_id,
        task_id,
        project_id,
        model_version,
        {{ concord.list_unnest('result_items', 'result_item_json', 'result_index') }},
    from result_lists
),

parsed_items as (
    select
        *,
        {{ concord.json_to_struct('result_item_json', concord.label_studio_result_fields()) }} as result_item,
    from result_objects
),

objects_only as (
    -- an element that is not an object parses as null: nothing to stage
    select * from parsed_items
    where result_item is not null
),

parsed_values as (
    select
        *,
        {{ concord.json_to_struct('result_item.value', concord.label_studio_value_fields()) }}
            as result_value,
    from objects_only
),

typed as (
    select
        cast(prediction_id as varchar) || '-' || cast(result_index as varchar) as prediction_result_id,
        prediction_id,
        task_id,
        project_id,
        model_version,
        result_index,
        result_item.score as region_score,
        {{ concord.label_studio_result_columns('result_item', 'result_value') }},
    from parsed_values
)

select * from typed
