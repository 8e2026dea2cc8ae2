-- What fills the review queue? Tasks per reason and project, with their mean priority.
with

reasons as (
    select
        project_id,
        task_id,
        priority,
        unnest(string_split(reasons, ',')) as reason,
    from {{ ref('fct_review_queue') }}
)

select
    project_id,
    trim(reason) as reason,
    count(*) as n_tasks,
    avg(priority) as mean_priority,
from reasons
group by project_id, trim(reason)
order by project_id, n_tasks desc, reason
