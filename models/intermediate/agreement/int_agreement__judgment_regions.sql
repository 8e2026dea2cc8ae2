-- One row per region (text span or box) of a judgment, for controls scored by region matching
-- (span_iou, box_iou): its labels as a canonical key and its geometry. Boxes also in pixels when
-- the result carries original_width / original_height (Label Studio stores percents).
-- incremental by task (docs/incremental.md): every per-task input goes through only_changed_tasks
-- depends_on: {{ ref('int_agreement__changed_tasks') }}, {{ ref('int_agreement__task_digests') }}
with

judgments as (
    select * from {{ ref('int_agreement__judgments') }}
    {{ concord.only_changed_tasks() }}
),

annotation_results as (
    select * from {{ ref('stg_label_studio__annotation_results') }}
    {{ concord.only_changed_tasks() }}
),

prediction_results as (
    select * from {{ ref('stg_label_studio__prediction_results') }}
    {{ concord.only_changed_tasks() }}
),

control_settings as (
    select * from {{ ref('int_agreement__control_settings') }}
    where is_scored and is_region_metric
),

{%- set result_columns -%}
        control_name,
        result_index,
        region_id,
        region_labels,
        span_start,
        span_end,
        rect_x,
        rect_y,
        rect_width,
        rect_height,
        coalesce(rect_rotation, 0.0) as rect_rotation,
        original_width,
        original_height,
{%- endset %}

results as (
    select
        annotation_id * 2 as judgment_key,
        {{ result_columns }}
    from annotation_results
    union all
    select
        prediction_id * 2 + 1 as judgment_key,
        {{ result_columns }}
    from prediction_results
),

regions as (
    select
        judgments.judgment_id,
        judgments.judgment_key,
        judgments.task_id,
        judgments.project_id,
        results.control_name,
        results.result_index as region_index,
        results.region_id,
        coalesce({{ concord_to_json_text(concord_list_sorted_distinct('results.region_labels')) }}, '[]')
            as label_key,
        results.span_start,
        results.span_end,
        results.rect_x,
        results.rect_y,
        results.rect_width,
        results.rect_height,
        results.rect_rotation,
        results.original_width,
        results.original_height,
        results.rect_x * results.original_width / 100.0 as rect_x_px,
        results.rect_y * results.original_height / 100.0 as rect_y_px,
        results.rect_width * results.original_width / 100.0 as rect_width_px,
        results.rect_height * results.original_height / 100.0 as rect_height_px
    from results
    inner join judgments
        on results.judgment_key = judgments.judgment_key
    inner join control_settings
        on judgments.project_id = control_settings.project_id
        and results.control_name = control_settings.control_name
    where results.span_start is not null or results.rect_x is not null
)

select * from regions
