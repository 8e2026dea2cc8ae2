-- One row per relation item of a submitted (not skipped) annotation of a non-deleted task: a
-- link between two of the annotation's regions ({"type": "relation", "from_id", "to_id",
-- "direction", "labels"}; no value, no from_name). Relations are never a control's answer:
-- stg_label_studio__annotation_results leaves them out, so agreement never scores them.
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

relations as (
    select
        cast(result_items.annotation_id as varchar)
        || '-'
        || cast(result_items.result_index as varchar) as annotation_relation_id,
        result_items.annotation_id,
        result_items.task_id,
        result_items.project_id,
        result_items.result_index,
        result_item.from_id as from_region_id,
        result_item.to_id as to_region_id,
        result_item.direction,
        {{ concord.json_text_list('result_item.labels', '$') }} as relation_labels
    from result_items
    where result_item.type = 'relation'
)

select * from relations
