-- The cost of review: lead time per control (annotations answering it: median, p90, total hours),
-- next to how reliable the control is.
with

annotations as (
    select * from {{ ref('stg_label_studio__annotations') }}
    where not is_cancelled
),

results as (
    select distinct annotation_id, control_name from {{ ref('stg_label_studio__annotation_results') }}
),

summary as (
    select * from {{ ref('fct_control_summary') }}
)

select
    annotations.project_id,
    results.control_name,
    count(*) as n_annotations,
    median(annotations.lead_time_seconds) as median_lead_time_seconds,
    quantile_cont(annotations.lead_time_seconds, 0.9) as p90_lead_time_seconds,
    sum(annotations.lead_time_seconds) / 3600 as total_lead_time_hours,
    any_value(summary.alpha) as alpha,
    any_value(summary.mean_pairwise_agreement) as mean_pairwise_agreement,
from annotations
inner join results
    on annotations.annotation_id = results.annotation_id
left join summary
    on annotations.project_id = summary.project_id
    and results.control_name = summary.control_name
group by annotations.project_id, results.control_name
order by total_lead_time_hours desc, annotations.project_id, results.control_name
