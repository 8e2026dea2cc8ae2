-- One row per result item of a submitted (not skipped) annotation of a non-deleted task.
-- Materialized as a table (staging is otherwise views): every agreement / model-eval mart reads it
-- several times, and each read of a view re-parses every result's `value` JSON.
-- (declared in dbt_project.yml, with every staging materialization)

with

annotations as (
    select * from {{ ref('base_label_studio__annotations_unnested') }}
),

submitted as (
    select
        annotation.id as annotation_id,
        annotations.task_id,
        annotations.project_id,
        annotation.result as result_items
    from annotations
    where not coalesce(annotation.was_cancelled, false)
),

result_items as (
    select
        annotation_id,
        task_id,
        project_id,
        {{ concord.list_unnest('result_items', 'result_item', 'result_index') }}
    from submitted
),

parsed_values as (
    select
        *,
        {{ concord.json_to_struct('result_item.value', concord.label_studio_value_fields()) }}
            as result_value
    from result_items
    -- an element that is not an object parses as null: nothing to stage. Relations link two
    -- regions and are no control's answer: stg_label_studio__annotation_relations has them
    where
        result_items.result_item is not null
        and result_item.type is distinct from 'relation'
),

typed as (
    select
        cast(parsed_values.annotation_id as varchar)
        || '-'
        || cast(parsed_values.result_index as varchar) as annotation_result_id,
        parsed_values.annotation_id,
        parsed_values.task_id,
        parsed_values.project_id,
        parsed_values.result_index,
        {{ concord.label_studio_result_columns('result_item', 'result_value') }}
    from parsed_values
)

select * from typed
