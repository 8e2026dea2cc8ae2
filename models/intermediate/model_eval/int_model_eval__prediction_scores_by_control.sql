-- One row per (prediction, control) with scored regions: the per-region scores aggregated per
-- prediction (mean, min, max, count).
with

regions as (
    select * from {{ ref('int_model_eval__region_scores') }}
),

aggregated as (
    select
        prediction_id,
        control_name,
        min(task_id) as task_id,
        min(project_id) as project_id,
        min(model_version) as model_version,
        count(*) as n_regions,
        favg(region_score) as mean_region_score,
        min(region_score) as min_region_score,
        max(region_score) as max_region_score
    from regions
    group by prediction_id, control_name
)

select * from aggregated
