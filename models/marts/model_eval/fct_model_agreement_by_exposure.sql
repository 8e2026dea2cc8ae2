-- Agreement with the model (the per-control metric, fct_model_agreement vs each annotation) split
-- by the annotation's exposure ('exposed': started from a prediction; 'manual'), per annotator
-- (scope 'annotator') and per project (scope 'project', annotator_id null), control and
-- model_version. Exposed annotations agreeing far more often than manual ones suggests anchoring.
with

model_agreement as (
    select * from {{ ref('fct_model_agreement') }}
    where comparison = 'annotation'
),

per_annotator as (
    select
        'annotator' as scope,
        project_id,
        annotator_id,
        control_name,
        model_version,
        exposure,
        count(*) as n_pairs,
        count(distinct annotation_id) as n_annotations,
        favg(agreement) as mean_agreement
    from model_agreement
    group by project_id, annotator_id, control_name, model_version, exposure
),

per_project as (
    select
        'project' as scope,
        project_id,
        cast(null as bigint) as annotator_id,
        control_name,
        model_version,
        exposure,
        count(*) as n_pairs,
        count(distinct annotation_id) as n_annotations,
        favg(agreement) as mean_agreement
    from model_agreement
    group by project_id, control_name, model_version, exposure
),

unioned as (
    select * from per_annotator
    union all
    select * from per_project
),

keyed as (
    select
        scope
        || ':'
        || cast(project_id as {{ dbt.type_string() }})
        || ':'
        || coalesce(cast(annotator_id as {{ dbt.type_string() }}), '*')
        || ':'
        || control_name
        || ':'
        || model_version
        || ':'
        || coalesce(exposure, 'unknown') as exposure_agreement_key,
        *
    from unioned
)

select * from keyed
