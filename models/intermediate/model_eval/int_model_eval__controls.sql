-- One row per (project, control) of stg_label_studio__controls with the settings the model-eval
-- models join to results: the control type and the Rating / Number ranges.
-- A table on purpose (a handful of rows): joined to the view stg_label_studio__controls directly,
-- DuckDB estimated the view at ~10^15 rows and hashed the millions of results instead (left join
-- flipped to a right join), which at 1M tasks ran out of memory under CONCORD_MEMORY_LIMIT when
-- int_model_eval__human_judgments and int_model_eval__prediction_labels ran side by side.
with

controls as (
    select * from {{ ref('stg_label_studio__controls') }}
),

control_settings as (
    select
        project_id,
        control_name,
        control_type,
        max_rating,
        min_value,
        max_value
    from controls
)

select * from control_settings
