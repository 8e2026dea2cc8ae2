-- The annotators whose agreement with the others dropped last week: each annotator's agreement in
-- their latest week beside their agreement in all earlier weeks (null when the latest week is their
-- first), largest drop first.
with

weekly as (
    select * from {{ ref('fct_annotator_weekly_agreement') }}
),

latest as (
    select project_id, annotator_id, control_name, max(week_start) as last_week,
    from weekly
    group by project_id, annotator_id, control_name
),

compared as (
    select
        weekly.project_id,
        weekly.annotator_id,
        weekly.control_name,
        latest.last_week,
        sum(weekly.n_pairs) filter (where weekly.week_start = latest.last_week) as n_pairs_last_week,
        sum(weekly.agreement_with_others * weekly.n_pairs) filter (where weekly.week_start = latest.last_week)
        / sum(weekly.n_pairs) filter (where weekly.week_start = latest.last_week) as agreement_last_week,
        sum(weekly.agreement_with_others * weekly.n_pairs) filter (where weekly.week_start < latest.last_week)
        / sum(weekly.n_pairs) filter (where weekly.week_start < latest.last_week) as agreement_before,
    from weekly
    inner join latest
        on weekly.project_id = latest.project_id
        and weekly.annotator_id = latest.annotator_id
        and weekly.control_name = latest.control_name
    group by weekly.project_id, weekly.annotator_id, weekly.control_name, latest.last_week
)

select
    *,
    agreement_last_week - agreement_before as change,
    coalesce(agreement_last_week < agreement_before, false) as has_dropped,
from compared
order by change nulls last, project_id, annotator_id, control_name
