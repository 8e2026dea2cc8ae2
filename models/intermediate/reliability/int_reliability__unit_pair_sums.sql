-- Human-human pair agreement per (project, control, unit = task): the unit's share of the
-- control's mean pairwise agreement. sum_agreement is summed exactly (decimal), so it is the
-- same bytes on every rebuild.
select
    project_id,
    control_name,
    task_id as unit_id,
    count(*) as n_pairs,
    cast(sum(cast(agreement as decimal(38, 18))) as double) as sum_agreement
from {{ ref('int_agreement__judgment_pairs_scored') }}
where pair_kind = 'human_human'
group by project_id, control_name, task_id
