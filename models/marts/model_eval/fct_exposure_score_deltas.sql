-- Model-vs-human distance split by exposure (annotations started from a prediction vs manual), per
-- annotator and per project. scope 'annotator': one annotator's annotations; scope 'project': all
-- annotations of the project (annotator_id null). From fct_score_deltas (annotation level).
-- Agreement with the model by the per-control agreement metric is in fct_model_agreement_by_exposure.
with

deltas as (
    select * from {{ ref('fct_score_deltas') }}
),

per_annotator as (
    select
        'annotator' as scope,
        project_id,
        annotator_id,
        control_name,
        score_source,
        score_name,
        model_version,
        exposure,
        count(*) as n_annotations,
        favg(abs_delta) as mean_abs_delta,
        favg(signed_delta) as mean_signed_delta
    from deltas
    group by project_id, annotator_id, control_name, score_source, score_name, model_version, exposure
),

per_project as (
    select
        'project' as scope,
        project_id,
        cast(null as bigint) as annotator_id,
        control_name,
        score_source,
        score_name,
        model_version,
        exposure,
        count(*) as n_annotations,
        favg(abs_delta) as mean_abs_delta,
        favg(signed_delta) as mean_signed_delta
    from deltas
    group by project_id, control_name, score_source, score_name, model_version, exposure
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
        || ':' || control_name || ':' || score_source || ':' || score_name || ':' || model_version
        || ':' || exposure as exposure_split_key,
        *
    from unioned
)

select * from keyed
