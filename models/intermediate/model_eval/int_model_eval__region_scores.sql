-- One row per prediction result (region) that carries its own score (`result[].score`), kept at
-- region grain; fct_model_scores aggregates them per prediction and control.
with

prediction_results as (
    select * from {{ ref('stg_label_studio__prediction_results') }}
),

scored_regions as (
    select
        prediction_result_id,
        prediction_id,
        task_id,
        project_id,
        model_version,
        region_id,
        control_name,
        result_type,
        result_index,
        region_score
    from prediction_results
    where region_score is not null
)

select * from scored_regions
