-- Model version A vs B on the same tasks: for every pair of versions that predicted the same
-- control, agreement with the human consensus on the tasks both predicted.
with

consensus as (
    select * from {{ ref('fct_model_agreement') }}
    where comparison = 'consensus' and agreement is not null
),

per_version_task as (
    select project_id, control_name, model_version, task_id, avg(agreement) as agreement,
    from consensus
    group by project_id, control_name, model_version, task_id
)

select
    version_a.project_id,
    version_a.control_name,
    version_a.model_version as model_version_a,
    version_b.model_version as model_version_b,
    count(*) as n_shared_tasks,
    avg(version_a.agreement) as agreement_a,
    avg(version_b.agreement) as agreement_b,
    avg(version_b.agreement) - avg(version_a.agreement) as b_minus_a,
from per_version_task as version_a
inner join per_version_task as version_b
    on version_a.project_id = version_b.project_id
    and version_a.control_name = version_b.control_name
    and version_a.task_id = version_b.task_id
    and version_a.model_version < version_b.model_version
group by version_a.project_id, version_a.control_name, version_a.model_version, version_b.model_version
order by version_a.project_id, version_a.control_name, model_version_a, model_version_b
