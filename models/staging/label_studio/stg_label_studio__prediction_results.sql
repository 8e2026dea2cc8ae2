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
        {{ concord.json_to_json_list('result_json') }} as result_items
    from predictions
),

result_objects as (
    select
        prediction_id,
        task_id,
        project_id,
        model_version,
        {{ concord.list_unnest('result_items', 'result_item_json', 'result_index') }}
    from result_lists
),

parsed_items as (
    select
        *,
        {{ concord.json_to_struct('result_item_json', concord.label_studio_result_fields()) }} as result_item
    from result_objects
),

objects_only as (
    -- an element that is not an object parses as null: nothing to stage. Relations (links
    -- between regions) are no control's answer and are not staged for predictions
    select * from parsed_items
    where
        parsed_items.result_item is not null
        and result_item.type is distinct from 'relation'
),

parsed_values as (
    select
        *,
        {{ concord.json_to_struct('result_item.value', concord.label_studio_value_fields()) }}
            as result_value
    from objects_only
),

typed as (
    select
        cast(parsed_values.prediction_id as varchar)
        || '-'
        || cast(parsed_values.result_index as varchar) as prediction_result_id,
        parsed_values.prediction_id,
        parsed_values.task_id,
        parsed_values.project_id,
        parsed_values.model_version,
        parsed_values.result_index,
        result_item.score as region_score,
        {{ concord.label_studio_result_columns('result_item', 'result_value') }}
    from parsed_values
)

select * from typed
