-- One row per (project, annotator, control, ISO week): the annotator's mean agreement with the
-- other annotators over the pairs (fct_pair_agreement) whose annotation by this annotator was
-- created that week. Drift: a falling line is an annotator moving away from the others.
-- week_start = date_trunc('week', created_at) (Monday, UTC).
with

pairs as (
    select * from {{ ref('fct_pair_agreement') }}
),

annotations as (
    select
        annotation_id,
        created_at
    from {{ ref('stg_label_studio__annotations') }}
),

pair_sides as (
    select
        project_id,
        control_name,
        annotator_id_a as annotator_id,
        annotation_id_a as annotation_id,
        agreement
    from pairs
    union all
    select
        project_id,
        control_name,
        annotator_id_b as annotator_id,
        annotation_id_b as annotation_id,
        agreement
    from pairs
),

sides_dated as (
    select
        pair_sides.project_id,
        pair_sides.annotator_id,
        pair_sides.control_name,
        date_trunc('week', annotations.created_at)::date as week_start,
        pair_sides.annotation_id,
        pair_sides.agreement
    from pair_sides
    inner join annotations
        on pair_sides.annotation_id = annotations.annotation_id
    where pair_sides.annotator_id is not null and annotations.created_at is not null
),

weekly as (
    select
        project_id,
        annotator_id,
        control_name,
        week_start,
        count(distinct annotation_id) as n_annotations,
        count(*) as n_pairs,
        favg(agreement) as agreement_with_others
    from sides_dated
    group by project_id, annotator_id, control_name, week_start
)

select * from weekly
