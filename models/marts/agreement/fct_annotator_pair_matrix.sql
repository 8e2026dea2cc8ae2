-- One row per (project, control, ordered pair of annotators who share a task): their mean pair
-- agreement. Both orders are listed (the matrix is symmetric), so an analyst can pivot on
-- annotator_id_1 without a union.
with

pairs as (
    select * from {{ ref('int_agreement__judgment_pairs_scored') }}
    where pair_kind = 'human_human'
),

both_orders as (
    select
        project_id,
        control_name,
        annotator_id_a as annotator_id_1,
        annotator_id_b as annotator_id_2,
        task_id,
        agreement
    from pairs
    union all
    select
        project_id,
        control_name,
        annotator_id_b as annotator_id_1,
        annotator_id_a as annotator_id_2,
        task_id,
        agreement
    from pairs
),

final as (
    select
        project_id,
        control_name,
        annotator_id_1,
        annotator_id_2,
        count(*) as n_pairs,
        count(distinct task_id) as n_shared_tasks,
        favg(agreement) as agreement
    from both_orders
    group by project_id, control_name, annotator_id_1, annotator_id_2
)

select * from final
