-- The tasks people disagree on most (lowest task agreement), with the control that pulls them down.
select
    task_agreement.project_id,
    task_agreement.task_id,
    task_agreement.n_annotators,
    task_agreement.agreement,
    task_agreement.min_control_agreement,
    arg_min(control_agreement.control_name, control_agreement.agreement) as worst_control,
from {{ ref('fct_task_agreement') }} as task_agreement
inner join {{ ref('fct_control_agreement') }} as control_agreement
    on task_agreement.task_id = control_agreement.task_id
where task_agreement.agreement is not null and control_agreement.agreement is not null
group by all
order by task_agreement.agreement, task_agreement.task_id
limit 20
